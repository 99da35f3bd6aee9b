// Spawning a program in another process's namespaces, from C
// (src/native/c/spawn.c): setns() into a mount namespace fails in a threaded
// process, and a fork from JavaScript crashes the child. The child joins the
// namespaces through a pidfd (Linux 5.8), puts the given fds on
// stdin/stdout/stderr, and execs. A new pid namespace only applies to
// children, so with one it forks once more and waits, exiting the way the
// program did; the program dies with it (SIGKILL as parent-death signal), so
// killing the returned pid kills the program.
import { FFIType, ptr } from "bun:ffi";
import { closeSync } from "node:fs";
import { loadUnit, nativeUnit } from "./unit";
import { pipe, readStageFailure } from "./libc";
import { SPAWN_STAGE } from "./shared";
import type { SysError } from "../sys";

const CLONE_NEWPID = 0x20000000;
const SIGTERM = 15;
const SIGKILL = 9;

const STAGES: Record<number, string> = {
  [SPAWN_STAGE.SETNS]: "setns", [SPAWN_STAGE.DUP2]: "dup2", [SPAWN_STAGE.FORK]: "fork", [SPAWN_STAGE.EXEC]: "execve",
  [SPAWN_STAGE.BECOME_ROOT]: "becoming root of the user namespace",
};

export const SPAWN_UNIT = nativeUnit({
  name: "spawn",
  sources: ["spawn.c", "child.c"],
  symbols: {
    crio_lxc_spawn: {
      args: [FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.i32, FFIType.i32, FFIType.i32],
      returns: FFIType.i32,
    },
  },
});

let spawnC: ReturnType<typeof loadUnit<typeof SPAWN_UNIT.symbols>>["crio_lxc_spawn"] | undefined;

/** NULL-terminated char*[]; `keep` holds the strings alive until the fork returns. */
function cStringArray(strings: string[]) {
  const keep = strings.map((s) => Buffer.from(`${s}\0`));
  const table = new BigUint64Array(strings.length + 1);
  keep.forEach((s, i) => { table[i] = BigInt(ptr(s)); });
  return { table, keep };
}

export interface SpawnRequest {
  path: string;
  argv: string[];
  env: string[];
  stdinFd: number;
  /** Receives both stdout and stderr. */
  outputFd: number;
  /** Join these namespaces (CLONE_NEW* flags) of the process behind `pidfd` first. */
  join?: { pidfd: number; flags: number };
}

export interface Spawned {
  pid: number;
  /** What stops it: SIGTERM to a new pid namespace's go-between (which kills and reaps the program), else SIGKILL. */
  stopSignal: number;
  /** Why the child could not exec, once it has exited; undefined if it did exec. */
  failure(): SysError | undefined;
  close(): void;
}

export function spawn(req: SpawnRequest): Spawned {
  spawnC ??= loadUnit(SPAWN_UNIT).crio_lxc_spawn;
  const [errRead, errWrite] = pipe();
  const argv = cStringArray(req.argv);
  const env = cStringArray(req.env);
  const path = Buffer.from(`${req.path}\0`);
  const pid = spawnC(req.join?.pidfd ?? -1, req.join?.flags ?? 0, ptr(path), ptr(argv.table), ptr(env.table), req.stdinFd, req.outputFd, errWrite);
  closeSync(errWrite);
  void [argv.keep, env.keep];
  if (pid < 0) {
    closeSync(errRead);
    throw new Error(`fork for ${req.path} failed`);
  }
  const joinsPidNamespace = ((req.join?.flags ?? 0) & CLONE_NEWPID) !== 0;
  return {
    pid,
    stopSignal: joinsPidNamespace ? SIGTERM : SIGKILL,
    failure: () => readStageFailure(errRead, STAGES),
    close: () => closeSync(errRead),
  };
}
