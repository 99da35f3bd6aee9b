// What exec reads about a running container and the runtime from /proc and
// the cgroup2 tree: which namespaces to join, paused or not, HOME of a user.
import { existsSync, fstatSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { cgroupPath } from "../cgroup";
import { readRegularFile } from "../files";
import { resolveInRoot } from "../runtime/rootfs";
import { ExecError } from "./errors";

const NAMESPACE_FLAGS: Record<string, number> = {
  user: 0x10000000, mnt: 0x00020000, pid: 0x20000000, net: 0x40000000,
  ipc: 0x08000000, uts: 0x04000000, cgroup: 0x02000000, time: 0x00000080,
};
export const CLONE_NEWUSER = NAMESPACE_FLAGS.user!;

function nsIdentity(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** CLONE_NEW* flags of every namespace of `pid` that is not the runtime's own (as lxc attach decides). */
export function namespacesToJoin(pid: number): { flags: number; names: string[] } {
  let flags = 0;
  const names: string[] = [];
  for (const [name, flag] of Object.entries(NAMESPACE_FLAGS)) {
    const theirs = nsIdentity(`/proc/${pid}/ns/${name}`);
    if (theirs && theirs !== nsIdentity(`/proc/self/ns/${name}`)) {
      flags |= flag;
      names.push(name);
    }
  }
  return { flags, names };
}

/** The cgroup to run the process in: the container's, or with --cgroup an existing sub-cgroup of it. */
export function execCgroupDir(containerDir: string, subCgroups: readonly string[]): string {
  if (!subCgroups.length) return containerDir;
  if (subCgroups.length > 1) throw new ExecError("crio-lxc exec: --cgroup: only one path can be given (cgroup v2)", 1);
  const sub = subCgroups[0]!;
  if (sub.includes(":")) throw new ExecError(`crio-lxc exec: --cgroup ${sub}: controller:path is cgroup v1; crio-lxc supports cgroup v2 only (give a path)`, 1);
  const parts = sub.split("/").filter(Boolean);
  if (!parts.length || parts.includes("..")) throw new ExecError(`crio-lxc exec: --cgroup ${sub}: expected a path below the container's cgroup`, 1);
  const dir = join(containerDir, ...parts);
  if (!existsSync(cgroupPath(dir))) throw new ExecError(`crio-lxc exec: --cgroup ${sub}: ${cgroupPath(dir)} does not exist`, 1);
  return dir;
}

export function isFrozen(cgroupDir: string): boolean {
  try {
    return readFileSync(join(cgroupPath(cgroupDir), "cgroup.freeze"), "utf8").trim() === "1";
  } catch {
    return false;
  }
}

/** HOME of `uid` in the container's /etc/passwd, seen through init's root (symlinks kept inside it). */
export function homeInContainer(initPid: number, uid: number): string | undefined {
  try {
    const passwd = readRegularFile(resolveInRoot(`/proc/${initPid}/root`, "/etc/passwd"));
    for (const line of passwd.split("\n")) {
      const fields = line.split(":");
      if (fields.length >= 7 && fields[2] === String(uid)) return fields[5];
    }
  } catch {
    // No /etc/passwd in the image: runc's default applies.
  }
  return undefined;
}

function nofileOf(pid: number | "self"): { soft: bigint; hard: bigint } | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    const [soft, hard] = line!.slice("Max open files".length).trim().split(/\s+/);
    const value = (text: string) => (text === "unlimited" ? (1n << 64n) - 1n : BigInt(text));
    return { soft: value(soft!), hard: value(hard!) };
  } catch {
    return undefined;
  }
}

/**
 * The RLIMIT_NOFILE the runtime was started with. Bun raises its soft limit to
 * the hard one at start-up; the process must get the caller's, as with runc.
 */
export function callerNofile(): { soft: bigint; hard: bigint } | undefined {
  const caller = nofileOf(process.ppid);
  const own = nofileOf("self");
  if (!caller || !own) return undefined;
  const hard = caller.hard < own.hard ? caller.hard : own.hard;
  return { soft: caller.soft < hard ? caller.soft : hard, hard };
}

const DEV_NULL_RDEV = (1 << 8) | 3;

/** Which of fds 0–2 runc would chown to the process's user: not /dev/null, not already theirs. */
export function stdioToChown(uid: number): number {
  let mask = 0;
  for (const fd of [0, 1, 2]) {
    try {
      const st = fstatSync(fd);
      if (st.uid !== uid && !(st.isCharacterDevice() && st.rdev === DEV_NULL_RDEV)) mask |= 1 << fd;
    } catch {
      // Closed: nothing to chown.
    }
  }
  return mask;
}

/**
 * runc: every fd 3 … 3+N-1 must be open. As with runc, an fd the caller did
 * not pass but the runtime opened itself (Bun's epoll, eventfd) can't be told
 * apart: Bun even marks inherited fds from 4 on close-on-exec.
 */
export function checkPreservedFds(count: number): void {
  for (let fd = 3; fd < 3 + count; fd++) {
    try {
      fstatSync(fd);
    } catch (err) {
      throw new ExecError(`crio-lxc exec: --preserve-fds ${count}: unable to stat preserved-fd ${fd - 3} (fd ${fd}): ${(err as NodeJS.ErrnoException).code}`, 1);
    }
  }
}
