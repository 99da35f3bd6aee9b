// Reading a file that a caller or an image names (config.json, process.json,
// the environment file, an image's /etc/passwd): a regular file only, and only
// so much of it. A FIFO would block the runtime past every timeout and
// /dev/zero never ends.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";

export const MAX_INPUT_BYTES = 16 * 1024 * 1024;
const O_CLOEXEC = 0o2000000;

function kindOf(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  return "not a regular file";
}

/** The file's text; throws an Error saying what is wrong with it (its caller names the path). */
export function readRegularFile(path: string, limit = MAX_INPUT_BYTES): string {
  // O_NONBLOCK: opening a FIFO doesn't wait for a writer.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | O_CLOEXEC);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`is ${kindOf(st)}, not a regular file`);
    if (st.size > limit) throw new Error(`is larger than ${limit} bytes`);
    // Sized by fstat, plus room to notice a file that grows while we read it.
    let buf = Buffer.allocUnsafe(Math.min(st.size + 4096, limit + 1));
    let total = 0;
    for (;;) {
      if (total === buf.length) buf = Buffer.concat([buf, Buffer.allocUnsafe(Math.min(buf.length, limit + 1 - total))]);
      const n = readSync(fd, buf, total, buf.length - total, null);
      if (n === 0) break;
      total += n;
      if (total > limit) throw new Error(`is larger than ${limit} bytes`);
    }
    return buf.toString("utf8", 0, total);
  } finally {
    closeSync(fd);
  }
}
