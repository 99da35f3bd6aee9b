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

test("once the hook reported the pid, start reaches it at once, every time", async () => {
  for (let i = 0; i < 20; i++) {
    const stateDir = join(dir, `c${i}`);
    mkdirSync(stateDir);
    makeFifos(stateDir);
    const readyFd = openReady(stateDir);
    // What liblxc runs: sh -c "exec <hook> <name> lxc start-host", with LXC_PID set.
    const hook = Bun.spawn(["/bin/sh", "-c", `exec ${startHostHook(stateDir)} c${i} lxc start-host`], { env: { LXC_PID: String(1000 + i) } });
    const pidfd = pidfdOpen(hook.pid);
    try {
      expect(waitReady(readyFd, pidfd, Date.now() + 10_000)).toEqual({ initPid: 1000 + i });
      expect(signalHook(stateDir, "start")).toBe(true);
      expect(await hook.exited).toBe(0);
    } finally {
      hook.kill(9);
      closeSync(pidfd);
      closeSync(readyFd);
    }
  }
});

test("a hook told anything but start fails, and once it is gone start finds no one", async () => {
  const stateDir = join(dir, "abort");
  mkdirSync(stateDir);
  makeFifos(stateDir);
  const readyFd = openReady(stateDir);
  const hook = Bun.spawn(["/bin/sh", "-c", `exec ${startHostHook(stateDir)} c lxc start-host`], { env: { LXC_PID: "7" } });
  const pidfd = pidfdOpen(hook.pid);
  try {
    expect(waitReady(readyFd, pidfd, Date.now() + 10_000)).toEqual({ initPid: 7 });
    expect(signalHook(stateDir, "abort")).toBe(true);
    expect(await hook.exited).not.toBe(0);
    expect(signalHook(stateDir, "start")).toBe(false);
  } finally {
    hook.kill(9);
    closeSync(pidfd);
    closeSync(readyFd);
  }
});
