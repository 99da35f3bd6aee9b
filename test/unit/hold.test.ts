// The start-host hold: the hook must be listening on the start FIFO by the
// time it reports ready, or a `start` right after `create` finds no one there.
import { afterAll, expect, test } from "bun:test";
import { closeSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeFifos, openReady, signalHook, startHostHook, waitReady } from "../../src/runtime/hold";
import { pidfdOpen } from "../../src/sys";

const dir = mkdtempSync(join(tmpdir(), "crio-lxc-unit-hold-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The hook as liblxc runs it (lxc.hook.version = 1: sh -c "exec <hook>", with
 * LXC_PID set) for a container whose state directory is `name`; the hook's
 * pidfd stands for the monitor's, which create watches beside the ready FIFO.
 */
function hold(name: string, initPid: number) {
  const stateDir = join(dir, name);
  mkdirSync(stateDir);
  makeFifos(stateDir);
  const readyFd = openReady(stateDir);
  const hook = Bun.spawn(["/bin/sh", "-c", `exec ${startHostHook(stateDir)}`], { env: { LXC_PID: String(initPid) } });
  const pidfd = pidfdOpen(hook.pid);
  return {
    stateDir, hook,
    waitReady: () => waitReady(readyFd, pidfd, Date.now() + 10_000),
    close() { hook.kill(9); closeSync(pidfd); closeSync(readyFd); },
  };
}

async function startedOnce(name: string, initPid: number): Promise<void> {
  const h = hold(name, initPid);
  try {
    expect(h.waitReady()).toEqual({ initPid });
    expect(signalHook(h.stateDir, "start")).toBe(true);
    expect(await h.hook.exited).toBe(0);
  } finally {
    h.close();
  }
}

test("once the hook reported the pid, start reaches it at once, every time", async () => {
  for (let i = 0; i < 20; i++) await startedOnce(`c${i}`, 1000 + i);
});

test("a state directory that needs quoting", async () => {
  await startedOnce("it's here", 8);
});

test("a hook told anything but start fails, and once it is gone start finds no one", async () => {
  const h = hold("abort", 7);
  try {
    expect(h.waitReady()).toEqual({ initPid: 7 });
    expect(signalHook(h.stateDir, "abort")).toBe(true);
    expect(await h.hook.exited).not.toBe(0);
    expect(signalHook(h.stateDir, "start")).toBe(false);
  } finally {
    h.close();
  }
});

test("a ready report from a monitor that has died since is no container", async () => {
  const h = hold("died", 9);
  try {
    // The report sits in the FIFO; then the process watched as the monitor dies.
    while (!signalHook(h.stateDir, "abort")) await Bun.sleep(5);
    await h.hook.exited;
    expect(h.waitReady()).toEqual({ monitorExited: true });
  } finally {
    h.close();
  }
});
