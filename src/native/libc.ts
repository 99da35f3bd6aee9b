// libc functions for hooks and terminals (sys.ts has the lifecycle's own).
// Opened on first use: bun:ffi compiles a trampoline per symbol at dlopen.
import { dlopen, FFIType } from "bun:ffi";
import { readSync } from "node:fs";
import { errno, SysError } from "../sys";

const openLibc = () => dlopen("libc.so.6", {
  memfd_create: { args: [FFIType.cstring, FFIType.u32], returns: FFIType.i32 },
  pipe2: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  connect: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  listen: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  accept4: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  sendmsg: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i64 },
  recvmsg: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i64 },
  ioctl: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
  syscall: { args: [FFIType.i64, FFIType.i64, FFIType.i64, FFIType.i64], returns: FFIType.i64 },
  ptrace: { args: [FFIType.i64, FFIType.i32, FFIType.u64, FFIType.u64], returns: FFIType.i64 },
});

let symbols: ReturnType<typeof openLibc>["symbols"] | undefined;
export const libc = new Proxy({} as NonNullable<typeof symbols>, {
  get: (_, name) => (symbols ??= openLibc().symbols)[name as keyof typeof symbols],
});

/** Returns `ret` as a number, or throws SysError naming `call` with errno. */
export function check(call: string, ret: number | bigint): number {
  const n = Number(ret);
  if (n < 0) throw new SysError(call, errno());
  return n;
}

const MFD_CLOEXEC = 1;

/** An anonymous in-memory file, close-on-exec. */
export function memfd(name: string): number {
  return check(`memfd_create(${name})`, libc.memfd_create(Buffer.from(`${name}\0`), MFD_CLOEXEC));
}

const O_CLOEXEC = 0o2000000;
const O_NONBLOCK = 0o4000;

/** A non-blocking, close-on-exec pipe: [read end, write end]. */
export function pipe(): [number, number] {
  const fds = new Int32Array(2);
  check("pipe2", libc.pipe2(fds, O_CLOEXEC | O_NONBLOCK));
  return [fds[0]!, fds[1]!];
}

/**
 * What a forked C helper wrote to its error pipe before exiting: {stage,
 * errno} as two ints, named by `stages`; undefined if it wrote nothing.
 */
export function readStageFailure(fd: number, stages: Record<number, string>): SysError | undefined {
  const report = new Int32Array(2);
  let n = 0;
  try { n = readSync(fd, report); } catch { return undefined; }
  if (n < 8) return undefined;
  return new SysError(stages[report[0]!] ?? `stage ${report[0]}`, report[1]!);
}

const SYS_pidfd_getfd = 438;

/** A duplicate of file descriptor `targetFd` of the process behind `pidfd` (close-on-exec). */
export function pidfdGetfd(pidfd: number, targetFd: number): number {
  return check(`pidfd_getfd(${targetFd})`, libc.syscall(SYS_pidfd_getfd, pidfd, targetFd, 0));
}
