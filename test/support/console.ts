// A console-socket receiver, as conmon runs one: a unix socket the runtime
// connects to during create to send the pty master (SCM_RIGHTS).
import { closeSync, readSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { acceptUnix, listenUnix, recvFd } from "../../src/native/unix-socket";
import { pollReadable } from "../../src/sys";

let sockets = 0;

export class ConsoleSocket {
  readonly path: string;
  private readonly fd: number;

  constructor(dir: string) {
    this.path = join(dir, `console-${process.pid}-${++sockets}.sock`);
    this.fd = listenUnix(this.path);
  }

  /** The fd the runtime sent, once it connected (within `timeoutMs`). */
  receive(timeoutMs = 5000): { fd: number; name: string } {
    if (!pollReadable([this.fd], timeoutMs).length) throw new Error(`nothing connected to ${this.path} within ${timeoutMs} ms`);
    const conn = acceptUnix(this.fd);
    try {
      return recvFd(conn);
    } finally {
      closeSync(conn);
    }
  }

  close(): void {
    closeSync(this.fd);
    rmSync(this.path, { force: true });
  }
}

/** Reads a pty master until `done` matches the text, the slave side is gone (EIO), or the timeout. */
export function readTerminal(fd: number, done: RegExp, timeoutMs = 5000): string {
  const deadline = Date.now() + timeoutMs;
  const buf = Buffer.alloc(4096);
  let text = "";
  while (!done.test(text) && Date.now() < deadline) {
    if (!pollReadable([fd], deadline - Date.now()).length) continue;
    let n: number;
    try { n = readSync(fd, buf); } catch (err) { if ((err as NodeJS.ErrnoException).code === "EIO") break; throw err; }
    if (n === 0) break;
    text += buf.subarray(0, n).toString();
  }
  return text;
}

export function writeTerminal(fd: number, text: string): void {
  writeSync(fd, text);
}
