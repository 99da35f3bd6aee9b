// What /proc, /sys and plain file descriptors tell, without FFI: the calls
// that only look (state, its fast path) don't load bun:ffi or libc (sys.ts).
import { readFileSync, statSync, writeSync } from "node:fs";

/** Field 22 of /proc/<pid>/stat: with the pid, identifies one process across pid reuse. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Device and inode of the program a process runs, or undefined when it is gone. */
export function exeIdentity(pid: number): string | undefined {
  try {
    const st = statSync(`/proc/${pid}/exe`);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** Parent pid from /proc/<pid>/status, or undefined when the process is gone. */
export function parentPid(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /^PPid:\s+(\d+)/m.exec(status);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes to stdout (1) or stderr (2) directly. Touching process.stdout or
 * process.stderr sets up Node's stream machinery, ~8 ms of every call.
 */
export function writeOut(fd: 1 | 2, text: string): void {
  writeSync(fd, text);
}

export function hostHasAppArmor(): boolean {
  try {
    return readFileSync("/sys/module/apparmor/parameters/enabled", "utf8").trim() === "Y";
  } catch {
    return false;
  }
}
