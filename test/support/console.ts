// A console-socket receiver, as conmon runs one: a unix socket the runtime
// connects to during create to send the pty master (SCM_RIGHTS).
import { expect } from "bun:test";
import { closeSync, readFileSync, readSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { acceptUnix, listenUnix, recvFd } from "../../src/native/unix-socket";
import { pollReadable } from "../../src/sys";
import type { Sandbox } from "./runtime";

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

export interface ConsoleRun {
  /** The pty master create sent. */
  fd: number;
  /** The container's init (the pid-file). */
  pid: number;
  /** crio-lxc start, which must succeed. */
  start: () => void;
}

/** create with a console socket of its own, as conmon does, then `use` it; socket and master closed after. */
export async function withConsole(sb: Sandbox, bundle: string, id: string, use: (run: ConsoleRun) => Promise<void>): Promise<void> {
  const socket = new ConsoleSocket(sb.dir);
  const pidFile = join(sb.dir, `${id}.pid`);
  try {
    const created = sb.run(["create", "--bundle", bundle, "--console-socket", socket.path, "--pid-file", pidFile, id]);
    expect([created.code, created.stderr]).toEqual([0, ""]);
    const { fd } = socket.receive();
    try {
      await use({ fd, pid: Number(readFileSync(pidFile, "utf8")), start: () => expect(sb.run(["start", id]).code).toBe(0) });
    } finally {
      closeSync(fd);
    }
  } finally {
    socket.close();
  }
}
