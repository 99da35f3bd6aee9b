// Runs the C helper (src/native/c/exec-helper.c: forked from the runtime, it
// joins the container and execs the process) and reads what it reports: the
// process's pid once it has exec'd, or the stage that failed.
import { FFIType, ptr } from "bun:ffi";
import { closeSync, readSync } from "node:fs";
import { MSG } from "../native/shared";
import { loadUnit, nativeUnit } from "../native/unit";
import { waitpid } from "../sys";

/** The helper (process side: exec-helper.c, exec-console.c, exec-credentials.c) and the runtime's side of exec. */
export const EXEC_UNIT = nativeUnit({
  name: "exec",
  sources: ["exec-helper.c", "exec-console.c", "exec-credentials.c", "exec-runtime.c", "exec-seccomp-copy.c", "child.c"],
  symbols: {
    crio_lxc_exec: { args: [FFIType.ptr], returns: FFIType.i32 },
    crio_lxc_pipe: { args: [FFIType.ptr], returns: FFIType.i32 },
    crio_lxc_connect_unix: { args: [FFIType.cstring], returns: FFIType.i32 },
    crio_lxc_socketpair: { args: [FFIType.ptr], returns: FFIType.i32 },
    crio_lxc_recv_fd: { args: [FFIType.i32], returns: FFIType.i32 },
    crio_lxc_make_raw: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
    crio_lxc_restore_termios: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
    crio_lxc_copy_winsize: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    crio_lxc_copy_seccomp_filters: { args: [FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  },
});

type Helper = { [name in keyof typeof EXEC_UNIT.symbols]: (...args: unknown[]) => number };
let helper: Helper | undefined;

export function loadHelper(): Helper {
  return (helper ??= loadUnit(EXEC_UNIT) as unknown as Helper);
}

/** A close-on-exec pipe: [read end, write end]. */
export function cloexecPipe(): [number, number] {
  const fds = new Int32Array(2);
  if (loadHelper().crio_lxc_pipe(ptr(fds)) < 0) throw new Error("pipe2 failed");
  return [fds[0]!, fds[1]!];
}

export interface HelperFailure { stage: number; errno: number; value: number }
export type HelperResult = { pid: number; failure?: HelperFailure };

/** Reads 16-byte messages until every writer has closed the pipe (the process exec'd or died). */
function readReports(fd: number): { pid?: number; failure?: HelperFailure } {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(256);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EINTR" || (err as NodeJS.ErrnoException).code === "EAGAIN") continue;
      throw err;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  const all = Buffer.concat(chunks);
  const out: { pid?: number; failure?: HelperFailure } = {};
  for (let off = 0; off + MSG.SIZE <= all.length; off += MSG.SIZE) {
    const kind = all.readInt32LE(off);
    if (kind === MSG.PID) out.pid = all.readInt32LE(off + 12);
    if (kind === MSG.FAIL) out.failure ??= { stage: all.readInt32LE(off + 4), errno: all.readInt32LE(off + 8), value: all.readInt32LE(off + 12) };
  }
  return out;
}

/**
 * Forks the helper with the plan and waits until the process has exec'd (or
 * failed). The joiner is reaped here; a process that failed before exec is
 * reaped too. `reportFd` is the write end of a cloexecPipe, closed here.
 */
export function runHelper(plan: Buffer, reportFds: [number, number]): { pid?: number; failure?: HelperFailure } {
  const [readFd, writeFd] = reportFds;
  let joiner: number;
  try {
    joiner = loadHelper().crio_lxc_exec(ptr(plan));
  } finally {
    closeSync(writeFd);
  }
  try {
    const result = readReports(readFd);
    if (joiner > 0) waitpid(joiner, 0);
    if (result.failure && result.pid) waitpid(result.pid, 0);
    if (!result.failure && !result.pid) result.failure = { stage: 0, errno: 0, value: 0 };
    return result;
  } finally {
    closeSync(readFd);
  }
}
