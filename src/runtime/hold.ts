// Holding a created container until `start`.
//
// liblxc runs lxc.hook.start-host in the monitor after the container is fully
// set up and just before init is exec'd, and waits for it. Our hook reports the
// future init's pid through the `ready` FIFO and then blocks reading the
// `start` FIFO: `start` releases it, anything else aborts the start. The hook
// is a POSIX sh one-liner that the monitor carries out itself, in the child
// liblxc forks for it (a native hook, src/native/c/monitor-hooks.c): no
// shell to start, and ~0.2 MB while a container sits created.
import { closeSync, constants, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { shellQuote, type HeldMountOperation, type NativeHook } from "../translate/output";
import { mkfifo, pollReadable } from "../sys";

export const READY_FIFO = "ready";
export const START_FIFO = "start";

/**
 * The value of lxc.hook.start-host. With lxc.hook.version = 1 liblxc runs
 * `/bin/sh -c "exec <value>"`; our value starts with a redirection, so that
 * `exec` only opens fd 9 in that shell and the rest runs there: one shell, not
 * a second one exec'd by the first. The hook opens the start FIFO (read-write:
 * that doesn't wait for a writer) before it reports ready, so a `start` right
 * after `create` (as `run` does) always finds it listening.
 */
export function startHostHook(stateDir: string): string {
  const [start, ready] = [START_FIFO, READY_FIFO].map((fifo) => shellQuote(join(stateDir, fifo)));
  return `9<>${start} && echo "$LXC_PID" >${ready} && read -r cmd <&9 && [ "$cmd" = start ]`;
}

/**
 * The hold as the monitor does it (see startHostHook: the same steps), which
 * first applies the container's mount operations when it is given them.
 */
export function nativeHold(stateDir: string, mountOperations: readonly HeldMountOperation[] = []): NativeHook {
  return {
    kind: "hold", command: `exec ${startHostHook(stateDir)}`, startFifo: join(stateDir, START_FIFO), readyFifo: join(stateDir, READY_FIFO),
    ...(mountOperations.length ? { mountOperations } : {}),
  };
}

export function makeFifos(stateDir: string): void {
  mkfifo(join(stateDir, READY_FIFO), 0o600);
  mkfifo(join(stateDir, START_FIFO), 0o600);
}

/** Opened before the monitor is forked, so the hook's write never blocks on a dead runtime. */
export function openReady(stateDir: string): number {
  return openSync(join(stateDir, READY_FIFO), constants.O_RDONLY | constants.O_NONBLOCK);
}

export type ReadyResult = { initPid: number } | { createPhasePid: number } | { mountsFailed: { stage: number; errno: number } } | { monitorExited: true } | { timedOut: true };

/**
 * "<pid>" from the start-host hook; "create-phase <pid>" from the create-phase
 * hold (runtime/create-phase.ts); "mounts <stage> <errno>" from a hold whose
 * mount operations failed (it ends, and liblxc with it).
 */
function parseReady(line: string): ReadyResult {
  const createPhase = /^create-phase (\d+)$/.exec(line);
  if (createPhase) return { createPhasePid: Number(createPhase[1]) };
  const mounts = /^mounts (\d+) (\d+)$/.exec(line);
  return mounts ? { mountsFailed: { stage: Number(mounts[1]), errno: Number(mounts[2]) } } : { initPid: Number(line) };
}

/** Waits until a hook reports a pid, the monitor dies, or the deadline passes. */
export function waitReady(readyFd: number, monitorPidfd: number, deadline: number): ReadyResult {
  const buf = Buffer.alloc(32);
  let text = "";
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return { timedOut: true };
    const ready = pollReadable([readyFd, monitorPidfd], left);
    if (ready.includes(0)) {
      let n = 0;
      try { n = readSync(readyFd, buf); } catch (err) { if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err; }
      text += buf.subarray(0, n).toString();
      // A report from a monitor that has died since is no container: init can't go on without it.
      if (text.endsWith("\n")) {
        const result = parseReady(text.trim());
        return "mountsFailed" in result || !pollReadable([monitorPidfd], 0).length ? result : { monitorExited: true };
      }
      if (n === 0 && !ready.includes(1)) Bun.sleepSync(1); // writer closed or not yet opened: POLLHUP
    }
    if (ready.includes(1)) return { monitorExited: true };
  }
}

/** Tells the hook to let init exec ("start") or to fail the start ("abort"). False if no hook is waiting. */
export function signalHook(stateDir: string, word: "start" | "abort"): boolean {
  let fd: number;
  try {
    fd = openSync(join(stateDir, START_FIFO), constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENXIO" || code === "ENOENT") return false;
    throw err;
  }
  try {
    writeSync(fd, `${word}\n`);
    return true;
  } catch (err) {
    // The hook was reading when we opened the FIFO and is gone now (killed with the container).
    if ((err as NodeJS.ErrnoException).code === "EPIPE") return false;
    throw err;
  } finally {
    closeSync(fd);
  }
}
