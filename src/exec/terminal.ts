// A foreground exec with --tty (CRI-O's streaming exec): the process's pty
// master comes back to the runtime, which relays between it and its own
// stdio, as runc does: our stdin in raw mode, window size followed on SIGWINCH.
import { closeSync, readSync, writeSync } from "node:fs";
import { ptr } from "bun:ffi";
import { ExecError } from "./errors";
import { loadHelper } from "./helper";
import { errnoText, pollReadable } from "../sys";

function check(what: string, ret: number): number {
  if (ret < 0) throw new ExecError(`exec failed: ${what}: ${errnoText(-ret)}`);
  return ret;
}

/** A connected unix socket to the caller's --console-socket. */
export function connectConsoleSocket(path: string): number {
  return check(`failed to connect to console socket ${path}`, loadHelper().crio_lxc_connect_unix(Buffer.from(`${path}\0`)));
}

/** [ours, the process's] ends of a socket pair to receive the pty master on. */
export function masterSocketPair(): [number, number] {
  const fds = new Int32Array(2);
  check("socketpair", loadHelper().crio_lxc_socketpair(ptr(fds)));
  return [fds[0]!, fds[1]!];
}

/** The pty master the process sent (non-blocking). */
export function receiveMaster(socket: number): number {
  return check("receiving the pty master", loadHelper().crio_lxc_recv_fd(socket));
}

const CHUNK = 64 * 1024;
const DRAIN_TIMEOUT_MS = 1000;

/** node:tty costs a cold process ~1.5 ms (it loads Node's streams): only a relay needs it. */
const isatty = (fd: number): boolean => (require("node:tty") as typeof import("node:tty")).isatty(fd);

function readSome(fd: number, buf: Buffer): number | "again" | "closed" {
  try {
    return readSync(fd, buf, 0, buf.length, null) || "closed";
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EAGAIN" || code === "EINTR") return "again";
    if (code === "EIO") return "closed"; // every peer of the pty is closed
    throw err;
  }
}

export class TerminalRelay {
  private readonly saved = Buffer.alloc(128);
  private raw = false;
  private stdinOpen = true;
  private masterOpen = true;
  private pending = Buffer.alloc(0);
  private readonly buf = Buffer.alloc(CHUNK);
  private readonly resize = () => {
    const from = isatty(1) ? 1 : isatty(0) ? 0 : -1;
    if (from >= 0) loadHelper().crio_lxc_copy_winsize(from, this.master);
  };

  constructor(readonly master: number) {
    if (isatty(0)) this.raw = loadHelper().crio_lxc_make_raw(0, ptr(this.saved)) === 0;
    this.resize();
    process.on("SIGWINCH", this.resize);
  }

  /** The fds to poll: the master, and our stdin while it has input to take. */
  pollFds(): number[] {
    return [...(this.masterOpen ? [this.master] : []), ...(this.stdinOpen && !this.pending.length ? [0] : [])];
  }

  pump(ready: readonly number[]): void {
    if (ready.includes(this.master)) this.copyOut();
    if (ready.includes(0)) this.readIn();
    this.flushIn();
  }

  /**
   * Everything the process wrote before it exited. The pty hands the slave's
   * output to the master asynchronously, so a read right after the exit may
   * find nothing yet: read until the master says every slave is closed (EIO),
   * or for `timeoutMs` when something else (a background process) keeps one open.
   */
  drain(timeoutMs = DRAIN_TIMEOUT_MS): void {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.copyOut();
      const left = deadline - Date.now();
      if (!this.masterOpen || left <= 0 || !pollReadable([this.master], left).length) return;
    }
  }

  private copyOut(): void {
    while (this.masterOpen) {
      const n = readSome(this.master, this.buf);
      if (n === "again") return;
      if (n === "closed") { this.masterOpen = false; return; }
      writeSync(1, this.buf, 0, n);
    }
  }

  private readIn(): void {
    const n = readSome(0, this.buf);
    if (n === "closed") this.stdinOpen = false;
    else if (n !== "again") this.pending = Buffer.concat([this.pending, this.buf.subarray(0, n)]);
  }

  /** The master is non-blocking: what the pty can't take now stays pending (we stop reading stdin meanwhile). */
  private flushIn(): void {
    while (this.pending.length && this.masterOpen) {
      let n: number;
      try {
        n = writeSync(this.master, this.pending);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EAGAIN") return;
        throw err;
      }
      this.pending = this.pending.subarray(n);
    }
  }

  close(): void {
    process.off("SIGWINCH", this.resize);
    if (this.raw) loadHelper().crio_lxc_restore_termios(0, ptr(this.saved));
    closeSync(this.master);
  }
}
