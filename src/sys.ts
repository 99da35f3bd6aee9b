// The few Linux system calls the runtime needs that Node/Bun don't expose:
// pidfds, signals by pidfd, poll, ptrace, waitpid, mkfifo, prctl, ioctl.
import { dlopen, FFIType, ptr, toArrayBuffer } from "bun:ffi";

const SYS_flock = 73;
const SYS_pidfd_send_signal = 424;
const SYS_pidfd_open = 434;
const SYS_openat2 = 437;
/** Not the same on every architecture. */
const SYS_symlinkat = process.arch === "arm64" ? 36 : 266;
const SYS_fchownat = process.arch === "arm64" ? 54 : 260;

// bun:ffi compiles a trampoline per symbol when dlopen'ed (~0.5 ms each), so
// libc is opened on first use: commands like `state` never pay for it.
const openLibc = () => dlopen("libc.so.6", {
  syscall: { args: [FFIType.i64, FFIType.i64, FFIType.i64, FFIType.i64, FFIType.i64], returns: FFIType.i64 },
  poll: { args: [FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
  ptrace: { args: [FFIType.i64, FFIType.i32, FFIType.u64, FFIType.u64], returns: FFIType.i64 },
  waitpid: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  mkfifo: { args: [FFIType.cstring, FFIType.u32], returns: FFIType.i32 },
  prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
  ioctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
  strerror: { args: [FFIType.i32], returns: FFIType.cstring },
});
let libc: ReturnType<typeof openLibc>["symbols"] | undefined;
const c = new Proxy({} as NonNullable<typeof libc>, { get: (_, name) => (libc ??= openLibc().symbols)[name as keyof typeof libc] });

export class SysError extends Error {
  constructor(readonly call: string, readonly errno: number) {
    super(`${call}: ${c.strerror(errno)}`);
  }
}

/** An errno as Go (runc) words it, which clients match: libc's text with a lowercase first letter ("permission denied"). */
export function errnoText(errno: number): string {
  const text = String(c.strerror(errno));
  return text.charAt(0).toLowerCase() + text.slice(1);
}

export function errno(): number {
  return new Int32Array(toArrayBuffer(c.__errno_location()!, 0, 4))[0]!;
}

function check(call: string, ret: number | bigint): number {
  const n = Number(ret);
  if (n < 0) throw new SysError(call, errno());
  return n;
}

export const ESRCH = 3;
export const ECHILD = 10;

/** A pidfd refers to one process for its whole life: no pid-reuse races. */
export function pidfdOpen(pid: number): number {
  return check(`pidfd_open(${pid})`, c.syscall(SYS_pidfd_open, pid, 0, 0, 0));
}

export function pidfdSendSignal(pidfd: number, signal: number): void {
  check("pidfd_send_signal", c.syscall(SYS_pidfd_send_signal, pidfd, signal, 0, 0));
}

export const LOCK_SH = 1;
export const LOCK_EX = 2;
const LOCK_NB = 4;
const EWOULDBLOCK = 11;

/** flock() without blocking: true if taken, false if another open file holds a conflicting lock. */
export function tryFlock(fd: number, operation: typeof LOCK_SH | typeof LOCK_EX): boolean {
  if (Number(c.syscall(SYS_flock, fd, operation | LOCK_NB, 0, 0, 0)) === 0) return true;
  const e = errno();
  if (e === EWOULDBLOCK) return false;
  throw new SysError("flock", e);
}

const POLLIN = 0x1;

/** poll() over several fds for readability; returns the indexes that are ready (empty on timeout). */
export function pollReadable(fds: number[], timeoutMs: number): number[] {
  const buf = new ArrayBuffer(8 * fds.length);
  const view = new DataView(buf);
  fds.forEach((fd, i) => { view.setInt32(i * 8, fd, true); view.setInt16(i * 8 + 4, POLLIN, true); });
  const n = c.poll(ptr(buf), fds.length, Math.max(0, Math.min(timeoutMs, 2 ** 31 - 1)));
  if (n < 0) { const e = errno(); if (e === 4 /* EINTR */) return []; throw new SysError("poll", e); }
  return fds.map((_, i) => i).filter((i) => view.getInt16(i * 8 + 6, true) !== 0);
}

/** Waits until the process behind pidfd has exited (pidfds poll readable then). */
export function waitPidfdExit(pidfd: number, timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (pollReadable([pidfd], deadline - Date.now()).length) return true;
    if (Date.now() >= deadline) return false;
  }
}

export function mkfifo(path: string, mode: number): void {
  check(`mkfifo ${path}`, c.mkfifo(Buffer.from(path + "\0"), mode));
}

const PR_SET_CHILD_SUBREAPER = 36;
export function setChildSubreaper(): void {
  check("prctl(PR_SET_CHILD_SUBREAPER)", c.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
}

export const WNOHANG = 1;
export const __WALL = 0x40000000;

/** waitpid(); returns [pid, status] ([0, 0] when WNOHANG finds nothing). */
export function waitpid(pid: number, flags: number): [number, number] {
  const status = new Int32Array(1);
  const r = c.waitpid(pid, ptr(status), flags);
  if (r < 0) throw new SysError(`waitpid(${pid})`, errno());
  return [r, status[0]!];
}

export const PTRACE_CONT = 7;
export const PTRACE_DETACH = 17;
export const PTRACE_SEIZE = 0x4206;
export const PTRACE_O_TRACEEXEC = 0x10;
export const PTRACE_EVENT_EXEC = 4;

export function ptrace(request: number, pid: number, addr: number, data: number): void {
  check(`ptrace(${request}, ${pid})`, c.ptrace(request, pid, addr, data));
}

const O_PATH = 0o10000000;
const O_DIRECTORY = 0o200000;
const O_CLOEXEC = 0o2000000;
const RESOLVE_NO_MAGICLINKS = 0x02;
const RESOLVE_NO_SYMLINKS = 0x04;
const RESOLVE_IN_ROOT = 0x10;
const AT_SYMLINK_NOFOLLOW = 0x100;

/**
 * An O_PATH fd of the directory `path` beneath `rootFd`, resolved as if
 * rootFd were / and refusing any symlink on the way (openat2(2)).
 */
export function openDirectoryInRoot(rootFd: number, path: string): number {
  const how = new BigUint64Array([BigInt(O_PATH | O_DIRECTORY | O_CLOEXEC), 0n, BigInt(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)]);
  return check(`openat2 ${path}`, c.syscall(SYS_openat2, rootFd, ptr(Buffer.from(path + "\0")), ptr(how), how.byteLength, 0));
}

/** A symlink `name` → `target` in the directory `dirFd`, owned by uid:gid when given. */
export function symlinkAt(target: string, dirFd: number, name: string, owner?: { uid: number; gid: number }): void {
  const nameBuf = Buffer.from(name + "\0");
  check(`symlink ${name}`, c.syscall(SYS_symlinkat, ptr(Buffer.from(target + "\0")), dirFd, ptr(nameBuf), 0, 0));
  if (owner) check(`chown ${name}`, c.syscall(SYS_fchownat, dirFd, ptr(nameBuf), owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW));
}

const NS_GET_NSTYPE = 0xb703;

/**
 * The CLONE_NEW* flag of the namespace a file refers to (a /proc/<pid>/ns/*
 * link or a bind mount of one), "missing" when there is no such file, or
 * undefined when it is not a namespace.
 */
export function namespaceFileType(path: string): number | "missing" | undefined {
  const fs = require("node:fs") as typeof import("node:fs");
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    throw err;
  }
  try {
    const type = c.ioctl(fd, NS_GET_NSTYPE, 0);
    return type < 0 ? undefined : type;
  } finally {
    fs.closeSync(fd);
  }
}
