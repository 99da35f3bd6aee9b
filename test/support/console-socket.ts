// A console socket, as conmon listens on one (its C: console-socket.c):
// receives the pty master that `exec --tty --detach --console-socket` sends.
import { FFIType } from "bun:ffi";
import { closeSync, readFileSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { loadHelper } from "../../src/exec/helper";
import { compileC } from "../../src/native/cc";
import { pollReadable } from "../../src/sys";

let c: { test_listen: (path: Buffer) => number; test_accept: (fd: number) => number } | undefined;

export class ConsoleSocket {
  private readonly fd: number;

  constructor(readonly path: string) {
    c ??= compileC("test-console-socket.c", readFileSync(join(import.meta.dir, "console-socket.c"), "utf8"), {
      test_listen: { args: [FFIType.cstring], returns: FFIType.i32 },
      test_accept: { args: [FFIType.i32], returns: FFIType.i32 },
    }) as unknown as typeof c & {};
    this.fd = c.test_listen(Buffer.from(`${path}\0`));
    if (this.fd < 0) throw new Error(`cannot listen on ${path}`);
  }

  /** The pty master of the next connection (non-blocking). */
  receiveMaster(): number {
    const conn = c!.test_accept(this.fd);
    if (conn < 0) throw new Error("accept failed");
    try {
      const master = loadHelper().crio_lxc_recv_fd(conn);
      if (master < 0) throw new Error(`no fd received (${master})`);
      return master;
    } finally {
      closeSync(conn);
    }
  }

  close(): void { closeSync(this.fd); }
}

/** Writes `input` to the master and reads until every peer is closed (EIO). */
export function converse(master: number, input: string, timeoutMs = 5000): string {
  writeSync(master, input);
  const buf = Buffer.alloc(4096);
  let out = "";
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    pollReadable([master], 100);
    try {
      const n = readSync(master, buf);
      if (n === 0) break;
      out += buf.subarray(0, n).toString();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EIO") break;
      if (code !== "EAGAIN") throw err;
    }
  }
  return out;
}
