// The container's process must start inside the container. liblxc's init
// chdirs to lxc.init.cwd while it still holds liblxc's fds (the host's
// /sys/fs/cgroup among them), so a cwd that goes through /proc/self/fd/N would
// land on the host (CVE-2024-21626). create refuses such paths; start checks
// the outcome at init's exec stop, before the program's first instruction.
import { closeSync, constants, openSync, readFileSync, readlinkSync } from "node:fs";
import { isAlive, processRef } from "../state";
import { RuntimeError } from "./context";

const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;

/**
 * Throws unless the mount of `pid`'s cwd is one of the mounts of its mount
 * namespace. A process already gone (start couldn't ptrace it, and a short
 * program ran to its end) has nothing left to check.
 */
export function requireCwdInContainer(pid: number): void {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/cwd`, O_PATH | O_CLOEXEC | constants.O_DIRECTORY);
  } catch (err) {
    // Gone, or a zombie: its /proc entry has no cwd any more.
    if ((err as NodeJS.ErrnoException).code === "ENOENT" && !isAlive(processRef(pid))) return;
    throw err;
  }
  let mountId: string | undefined;
  try {
    mountId = /^mnt_id:\s*(\d+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"))?.[1];
  } finally {
    closeSync(fd);
  }
  const containerMounts = readFileSync(`/proc/${pid}/mountinfo`, "utf8").split("\n").map((line) => line.split(" ", 1)[0]);
  if (mountId && containerMounts.includes(mountId)) return;
  throw new RuntimeError(`process.cwd: the container's process would start in ${readlinkSync(`/proc/${pid}/cwd`)}, outside the container; it was stopped`);
}
