// Making the console the controlling terminal of a terminal container's init.
// liblxc's init calls setsid() and never TIOCSCTTY, and nothing of ours runs
// in init between the two. But `start` holds init with ptrace at its exec
// (start.ts), so it can make the new program's first system call an
// ioctl(0, TIOCSCTTY, 0) instead, and then let that call run as written:
// at its syscall-entry stop the syscall number and arguments are swapped; at
// the exit stop the registers are restored with the instruction pointer back
// on the 2-byte syscall instruction, which then runs again. No memory of the
// process is written, and the kernel checks the swapped call (seccomp too).
import { ptr } from "bun:ffi";
import { libc } from "../native/libc";
import * as sys from "../sys";
import { RuntimeError } from "./context";

const PTRACE_GETREGS = 12;
const PTRACE_SETREGS = 13;
const PTRACE_SYSCALL = 24;
const PTRACE_GET_SYSCALL_INFO = 0x420e;
export const PTRACE_O_TRACESYSGOOD = 0x1;
const SYSCALL_STOP = 0x80 | 5; // SIGTRAP | 0x80 with PTRACE_O_TRACESYSGOOD
const SYSCALL_ENTRY = 1;
const SYSCALL_EXIT = 2;
const TIOCSCTTY = 0x540e;

// struct user_regs_struct (x86_64), in 8-byte slots.
const RAX = 10, RCX = 11, RDX = 12, RSI = 13, RDI = 14, ORIG_RAX = 15, RIP = 16, RBX = 5;
const AUDIT_ARCH_I386 = 0x40000003;
/** ioctl's number and argument registers, for 64-bit and 32-bit programs. */
const IOCTL_CALL = {
  x86_64: { nr: 16n, args: [RDI, RSI, RDX] },
  i386: { nr: 54n, args: [RBX, RCX, RDX] },
};

/** With init stopped at its exec (PTRACE_EVENT_EXEC), makes its stdin tty its controlling terminal. */
export function makeControllingTerminal(pid: number, deadline: number): void {
  let signal = 0;
  for (;;) {
    ptrace(PTRACE_SYSCALL, pid, 0, signal);
    const stop = waitStop(pid, deadline);
    signal = stop.signal;
    if (stop.syscall && syscallInfo(pid).op === SYSCALL_ENTRY) return swapInIoctl(pid, deadline);
  }
}

function swapInIoctl(pid: number, deadline: number): void {
  const saved = new BigUint64Array(27);
  ptrace(PTRACE_GETREGS, pid, 0, saved);
  const call = syscallInfo(pid).arch === AUDIT_ARCH_I386 ? IOCTL_CALL.i386 : IOCTL_CALL.x86_64;
  const regs = saved.slice();
  regs[ORIG_RAX] = call.nr;
  [0n, BigInt(TIOCSCTTY), 0n].forEach((value, i) => { regs[call.args[i]!] = value; });
  ptrace(PTRACE_SETREGS, pid, 0, regs);
  let result: bigint;
  for (;;) {
    ptrace(PTRACE_SYSCALL, pid, 0, 0);
    if (!waitStop(pid, deadline).syscall) continue;
    const info = syscallInfo(pid);
    if (info.op !== SYSCALL_EXIT) continue;
    result = info.rval;
    break;
  }
  saved[RIP] = saved[RIP]! - 2n;
  saved[RAX] = saved[ORIG_RAX]!;
  ptrace(PTRACE_SETREGS, pid, 0, saved);
  if (result < 0n) {
    throw new RuntimeError(`process.terminal: cannot make the console the controlling terminal of the container's process: ${new sys.SysError("ioctl(TIOCSCTTY)", Number(-result)).message}`);
  }
}

function ptrace(request: number, pid: number, addr: number, data: number | BigUint64Array | Uint8Array): number {
  const ret = Number(libc.ptrace(request, pid, addr, typeof data === "number" ? data : ptr(data)));
  if (ret < 0) throw new sys.SysError(`ptrace(${request}, ${pid})`, sys.errno());
  return ret;
}

function syscallInfo(pid: number) {
  const buf = new Uint8Array(88);
  ptrace(PTRACE_GET_SYSCALL_INFO, pid, buf.length, buf);
  const view = new DataView(buf.buffer);
  return { op: buf[0], arch: view.getUint32(4, true), rval: view.getBigInt64(24, true) };
}

/** Waits for the tracee's next stop: a syscall stop, or a signal to pass on when resuming it. */
function waitStop(pid: number, deadline: number): { syscall: boolean; signal: number } {
  for (let polls = 0; ; polls++) {
    const [got, status] = sys.waitpid(pid, sys.__WALL | sys.WNOHANG);
    if (got === pid) {
      if ((status & 0xff) !== 0x7f) throw new RuntimeError(`container init exited while its terminal was set up (status ${status})`);
      const signal = (status >> 8) & 0xff;
      const event = status >> 16;
      if (signal === SYSCALL_STOP) return { syscall: true, signal: 0 };
      return { syscall: false, signal: event === 0 && signal !== 5 ? signal : 0 };
    }
    if (Date.now() > deadline) throw new RuntimeError("container init did not reach its first system call in time to set up its terminal");
    if (polls > 200) Bun.sleepSync(1);
  }
}
