// liblxc writes its own `lxc …` lines into the runtime's log file. When liblxc
// fails (a create, an init that can't exec), its ERROR lines since the call
// began are the only account of why: they go into the runtime's error.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/** The log's size now: where this call's lines will start. */
export function logSize(file: string): number {
  try {
    const fd = openSync(file, "r");
    try { return fstatSync(fd).size; } finally { closeSync(fd); }
  } catch {
    return 0;
  }
}

/** The log's lines written since `offset` (at most 64 KiB of them). */
function linesSince(file: string, offset: number): string[] {
  try {
    const fd = openSync(file, "r");
    try {
      const buf = Buffer.alloc(Math.min(64 * 1024, Math.max(0, fstatSync(fd).size - offset)));
      readSync(fd, buf, 0, buf.length, offset);
      return buf.toString().split("\n");
    } finally {
      closeSync(fd);
    }
  } catch {
    return [];
  }
}

/** The messages of liblxc's ERROR (and worse) lines written since `offset`, without their source location. */
export function lxcErrorsSince(file: string, offset: number): string[] {
  return linesSince(file, offset)
    .filter((line) => line.startsWith("lxc ") && / (ERROR|CRIT|ALERT|FATAL) /.test(line))
    .map((line) => line.replace(/^.* - [^ ]+:\d+ - /, ""));
}

/**
 * liblxc's account of an init whose execve failed ("No such file or directory
 * - Failed to exec "/x""), worded as runc words it, so that engines map it the
 * same way (podman: "no such file or directory" → 127, "permission denied" → 126).
 */
export function initExecFailure(messages: readonly string[]): string | undefined {
  for (const message of messages) {
    const m = /^(.+) - Failed to exec "(.*)"$/.exec(message);
    if (m) return `exec: ${JSON.stringify(m[2])}: ${m[1]!.toLowerCase()}`;
  }
  return undefined;
}

/**
 * The mount liblxc failed on ("No such device - Failed to mount "x" onto
 * "<rootfs mount>/mnt""): its errno text and its target inside the container.
 */
export function failedMount(messages: readonly string[]): { why: string; target: string } | undefined {
  for (const message of messages) {
    const m = /^(.+) - Failed to mount ".*" onto "(?:[^"]*\/lxc\/rootfs)?(\/[^"]*)"$/.exec(message);
    if (m) return { why: m[1]!, target: m[2]! };
  }
  return undefined;
}

/**
 * Whether liblxc could not open the ptmx of the container's devpts for its
 * console (a warning, then "Failed to allocate console…"): EPERM there comes
 * from a device cgroup program of the container's cgroup or a parent's
 * (podman 4.3 attaches a deny-all one to a pod's cgroup).
 */
export function consoleDeniedSince(file: string, offset: number): boolean {
  return linesSince(file, offset).some((line) => line.startsWith("lxc ") && line.includes("Operation not permitted - Failed to open terminal multiplexer device"));
}
