// Faults injected into the lifecycle: the runtime SIGKILLed at each step of
// create, start and delete (stopped there with CRIO_LXC_TEST_PAUSE_AT, see
// src/runtime/test-pause.ts), the monitor or the start-host hold killed, an
// init that exits at once. After each, `state` says what is true and
// `delete --force` leaves no cgroup, mount, process or state directory.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, closeSync, existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NOTHING_LEFT, settledLeftovers, spawnRuntime, waitStopped } from "../support/leftovers";
import { Sandbox, becomeSubreaper, busyboxSpec, requireBuilt, waitExit } from "../support/runtime";
import { parentPid } from "../../src/proc";

let sb: Sandbox;
beforeAll(() => { requireBuilt(); becomeSubreaper(); sb = new Sandbox(); });
afterAll(() => sb.cleanup());

const MARKER = `kr-${process.pid}-`;
let seq = 0;
const newId = () => `${MARKER}${++seq}`;
const STATE_LIMIT_MS = 5_000;

function bundleFor(id: string, args: string[], extra: Record<string, unknown> = {}): string {
  return sb.bundle(busyboxSpec({ args, cgroupsPath: `/crio-lxc-test/${id}`, extra }));
}

/** `state` within a generous bound: its status, or "missing" when it says the container does not exist. */
function stateWithin(id: string): string {
  const started = Date.now();
  const r = sb.run(["state", id]);
  expect(Date.now() - started).toBeLessThan(STATE_LIMIT_MS);
  if (r.code !== 0) {
    expect(r.stderr).toContain(`container ${id} does not exist`);
    return "missing";
  }
  return JSON.parse(r.stdout).status;
}

function record(id: string) {
  return JSON.parse(readFileSync(join(sb.root, id, "state.json"), "utf8"));
}

async function deleteLeavesNothing(id: string) {
  const r = sb.run(["delete", "--force", id]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(await settledLeftovers(sb, id)).toEqual(NOTHING_LEFT);
}

/** Runs the runtime until it stops itself at `step`, then SIGKILLs it there. */
async function killAt(step: string, args: string[], env: Record<string, string> = {}) {
  const { proc, out } = spawnRuntime(sb, args, { CRIO_LXC_TEST_PAUSE_AT: step, ...env });
  const stopped = await waitStopped(proc.pid);
  if (!stopped) throw new Error(`runtime never reached ${step} (exit ${await proc.exited}): ${out()}`);
  proc.kill("SIGKILL");
  expect(await proc.exited).not.toBe(0);
}

function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return undefined;
  }
}

async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await Bun.sleep(10);
  }
  return check();
}

describe("runtime SIGKILLed during create", () => {
  test("before the monitor is forked: state says stopped, delete removes the state dir", async () => {
    const id = newId();
    await killAt("create-before-fork", ["create", "--bundle", bundleFor(id, ["sleep", "60"]), id]);
    expect(stateWithin(id)).toBe("stopped");
    await deleteLeavesNothing(id);
  });

  test("after the fork, before the hold reported: state says creating, delete stops the orphaned setup", async () => {
    const id = newId();
    await killAt("create-after-fork", ["create", "--bundle", bundleFor(id, ["sleep", "60"]), id]);
    // Nobody reads the ready FIFO any more: liblxc's start-host hold waits for good.
    expect(["creating", "stopped"]).toContain(stateWithin(id));
    expect(record(id).monitor).toBeDefined();
    await deleteLeavesNothing(id);
  });

  test("before the pid-file is written: the container is created and can still be started", async () => {
    const id = newId();
    const pidFile = join(sb.dir, `${id}.pid`);
    await killAt("create-before-pid-file", ["create", "--bundle", bundleFor(id, ["sleep", "60"]), "--pid-file", pidFile, id]);
    expect(existsSync(pidFile)).toBe(false);
    expect(stateWithin(id)).toBe("created");
    expect(sb.run(["start", id]).code).toBe(0);
    expect(stateWithin(id)).toBe("running");
    await deleteLeavesNothing(id);
  });

  test("while CRIO_LXC_CREATE_HOOK runs: the hook dies with it, the container stays created", async () => {
    const id = newId();
    const hook = join(sb.dir, `${id}-hook.sh`);
    const ran = join(sb.dir, `${id}-hook.ran`);
    // Its command line names the script, which names the id: leftovers() finds it.
    writeFileSync(hook, `#!/bin/sh\ntouch ${ran}\nwhile :; do sleep 1; done\n`);
    chmodSync(hook, 0o755);
    const { proc } = spawnRuntime(sb, ["create", "--bundle", bundleFor(id, ["sleep", "60"]), id], { CRIO_LXC_CREATE_HOOK: hook, CRIO_LXC_CREATE_HOOK_TIMEOUT: "10m" });
    expect(await eventually(() => existsSync(ran))).toBe(true);
    proc.kill("SIGKILL");
    await proc.exited;
    expect(stateWithin(id)).toBe("created");
    await deleteLeavesNothing(id);
  });
});

describe("start that can't ptrace init (another tracer holds it)", () => {
  test("a program that exits at once: start succeeds as with runc, the process ran", async () => {
    const id = newId();
    const out = join(sb.dir, `${id}.out`);
    const fd = openSync(out, "w");
    expect(sb.run(["create", "--bundle", bundleFor(id, ["sh", "-c", "echo ran"]), id], { stdout: fd }).code).toBe(0);
    closeSync(fd);
    const init = record(id).init.pid;
    // strace as init's tracer: start's PTRACE_SEIZE fails, so it waits for the exec from outside.
    const tracer = Bun.spawn(["strace", "-o", "/dev/null", "-p", String(init)], { stderr: "pipe" });
    expect(await eventually(() => /^TracerPid:\s+[1-9]/m.test(readFileSync(`/proc/${init}/status`, "utf8")))).toBe(true);
    const r = sb.run(["start", id]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(await eventually(() => readFileSync(out, "utf8") === "ran\n")).toBe(true);
    await tracer.exited;
    await deleteLeavesNothing(id);
  });
});

describe("runtime SIGKILLed during start", () => {
  test("while init is ptrace-stopped at its exec: init is released and runs, state says running", async () => {
    const id = newId();
    const out = join(sb.dir, `${id}.out`);
    const fd = openSync(out, "w");
    expect(sb.run(["create", "--bundle", bundleFor(id, ["sh", "-c", "echo ran; exec sleep 60"]), id], { stdout: fd }).code).toBe(0);
    closeSync(fd);
    const init = record(id).init.pid;
    await killAt("start-init-traced", ["start", id]);
    // PTRACE_SEIZE: the tracer's death detaches the tracee, which goes on from its exec stop.
    expect(await eventually(() => readFileSync(out, "utf8") === "ran\n")).toBe(true);
    expect(await eventually(() => processState(init) === "S")).toBe(true); // sleeping in its program, not stopped
    expect(stateWithin(id)).toBe("running");
    // A second start refuses: the process already runs.
    expect(sb.run(["start", id]).stderr).toContain("cannot start a container in the running state");
    await deleteLeavesNothing(id);
  });

  test("after the monitor was killed, before start recorded it: init is ours, running and untraced", async () => {
    const id = newId();
    expect(sb.run(["create", "--bundle", bundleFor(id, ["sleep", "60"]), id]).code).toBe(0);
    const init = record(id).init.pid;
    await killAt("start-after-hand-over", ["start", id]);
    expect(await eventually(() => processState(init) === "S")).toBe(true);
    expect(readFileSync(`/proc/${init}/status`, "utf8")).toMatch(new RegExp(`^PPid:\\s+${process.pid}$`, "m"));
    expect(readFileSync(`/proc/${init}/status`, "utf8")).toMatch(/^TracerPid:\s+0$/m);
    expect(stateWithin(id)).toBe("running");
    expect(sb.run(["kill", id, "KILL"]).code).toBe(0);
    expect(await waitExit(init)).toBe(137);
    expect(stateWithin(id)).toBe("stopped");
    await deleteLeavesNothing(id);
  });
});

describe("runtime SIGKILLed during delete", () => {
  test("after the container was killed, before its state dir went: state says stopped, delete finishes", async () => {
    const id = newId();
    expect(sb.run(["create", "--bundle", bundleFor(id, ["sleep", "60"]), id]).code).toBe(0);
    expect(sb.run(["start", id]).code).toBe(0);
    const init = record(id).init.pid;
    await killAt("delete-after-kill", ["delete", "--force", id]);
    expect(await waitExit(init)).toBe(137);
    expect(stateWithin(id)).toBe("stopped");
    await deleteLeavesNothing(id);
  });
});

describe("the container's own processes killed", () => {
  test("the monitor of a created container: init goes too, state says stopped", async () => {
    const id = newId();
    expect(sb.run(["create", "--bundle", bundleFor(id, ["sleep", "60"]), id]).code).toBe(0);
    const { monitor, init } = record(id);
    process.kill(monitor.pid, "SIGKILL");
    expect(await eventually(() => processState(init.pid) === undefined || processState(init.pid) === "Z")).toBe(true);
    expect(stateWithin(id)).toBe("stopped");
    expect(sb.run(["start", id]).code).toBe(1);
    await deleteLeavesNothing(id);
  });

  test("the monitor while create waits for it: create fails saying liblxc failed, and leaves nothing", async () => {
    const id = newId();
    const { proc, out } = spawnRuntime(sb, ["create", "--bundle", bundleFor(id, ["sleep", "60"]), id], { CRIO_LXC_TEST_PAUSE_AT: "create-after-fork" });
    expect(await waitStopped(proc.pid)).toBe(true);
    const monitor = record(id).monitor.pid;
    process.kill(monitor, "SIGKILL");
    // Dead before create looks, whether or not it had reported the container ready.
    expect(await eventually(() => processState(monitor) === "Z")).toBe(true);
    proc.kill("SIGCONT");
    expect(await proc.exited).toBe(1);
    expect(out()).toStartWith("liblxc failed to set up the container");
    expect(await settledLeftovers(sb, id)).toEqual(NOTHING_LEFT);
  });

  test("the start-host hold (the child liblxc forked for the hook, which the monitor runs itself): liblxc aborts, state says stopped, start refuses", async () => {
    const id = newId();
    expect(sb.run(["create", "--bundle", bundleFor(id, ["sleep", "60"]), id]).code).toBe(0);
    const { monitorCgroupDir, init, monitor } = record(id);
    const procs = readFileSync(`/sys/fs/cgroup/${monitorCgroupDir}/cgroup.procs`, "utf8").split("\n").filter(Boolean).map(Number);
    const hold = procs.find((pid) => pid !== monitor.pid);
    expect(hold).toBeDefined();
    expect(parentPid(hold!)).toBe(monitor.pid);
    process.kill(hold!, "SIGKILL");
    expect(await eventually(() => processState(init.pid) === undefined || processState(init.pid) === "Z")).toBe(true);
    expect(stateWithin(id)).toBe("stopped");
    const r = sb.run(["start", id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot start a container that has stopped");
    await deleteLeavesNothing(id);
  });

  test("an init that exits at once: its status reaches the caller, delete (no --force) leaves nothing", async () => {
    for (const [args, code] of [[["true"], 0], [["sh", "-c", "exit 42"], 42], [["false"], 1]] as const) {
      const id = newId();
      const pidFile = join(sb.dir, `${id}.pid`);
      expect(sb.run(["create", "--bundle", bundleFor(id, [...args]), "--pid-file", pidFile, id]).code).toBe(0);
      expect(sb.run(["start", id]).code).toBe(0);
      expect(await waitExit(Number(readFileSync(pidFile, "utf8")))).toBe(code);
      expect(stateWithin(id)).toBe("stopped");
      expect(sb.run(["delete", id]).code).toBe(0);
      expect(await settledLeftovers(sb, id)).toEqual(NOTHING_LEFT);
    }
  });
});
