// cgroup v2 (unified) paths and cleanup. liblxc creates the cgroups from
// lxc.cgroup.dir.{container,monitor}; after the monitor is gone its own cleanup
// never runs, so removing them is ours.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFile, writeFileSync } from "node:fs";
import { join, posix } from "node:path";

/** Only creating and removing parents needs xattrs: `state` and its fast path load no FFI. */
const xattr = () => require("./xattr") as typeof import("./xattr");

export const CGROUP2_ROOT = "/sys/fs/cgroup";

export class CgroupError extends Error {}

/** The unified hierarchy must be mounted at /sys/fs/cgroup: crio-lxc supports cgroup v2 only. */
export function requireUnifiedHierarchy(): void {
  if (!existsSync(join(CGROUP2_ROOT, "cgroup.controllers"))) {
    throw new CgroupError(`${CGROUP2_ROOT} is not a cgroup2 (unified) mount: crio-lxc supports cgroup v2 only`);
  }
}

/**
 * linux.cgroupsPath → a path relative to the cgroup2 root.
 * cgroupfs form: absolute from the root; relative (as runc does) from the
 * parent of `ownCgroup`, the runtime's cgroup, which holds processes and so
 * can't have children with controllers. Absent: `crio-lxc/<id>` there.
 * systemd form (`slice:prefix:name`, with --systemd-cgroup) expands the slice
 * the way systemd nests it and puts the container in `prefix-name.scope`.
 */
export function resolveCgroupDir(cgroupsPath: string | undefined, id: string, systemd: boolean, ownCgroup?: string): string {
  const dir = systemd ? (cgroupsPath ? systemdCgroupDir(cgroupsPath) : `system.slice/crio-lxc-${id}.scope`) : cgroupfsDir(cgroupsPath, id, ownCgroup);
  // liblxc refuses ".." anywhere in lxc.cgroup.dir.container, also inside a name.
  if (dir.includes("..")) throw new CgroupError(`linux.cgroupsPath: ".." in ${JSON.stringify(dir)} is not allowed`);
  return dir;
}

function cgroupfsDir(cgroupsPath: string | undefined, id: string, ownCgroup?: string): string {
  const path = cgroupsPath || `crio-lxc/${id}`;
  const parts = path.split("/").filter(Boolean);
  if (!parts.length || parts.some((part) => part === ".." || part === ".")) {
    throw new CgroupError(`linux.cgroupsPath: invalid cgroup path ${JSON.stringify(cgroupsPath)}`);
  }
  if (path.startsWith("/")) return parts.join("/");
  return posix.join(posix.dirname(`/${ownCgroup ?? selfCgroup()}`), ...parts).slice(1);
}

/** A process's cgroup v2 path relative to the root, from the "0::" line of /proc/<pid>/cgroup. */
export function processCgroup(pid: number | "self"): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n").find((l) => l.startsWith("0::"));
  if (!line) throw new CgroupError(`/proc/${pid}/cgroup has no cgroup v2 (0::) entry`);
  return line.slice(3).replace(/^\/+/, "");
}

export const selfCgroup = () => processCgroup("self");

/**
 * Moves this process into the cgroup it is already in, from a worker thread
 * (fs.writeFile). The first write to any cgroup.procs after a quiet spell waits
 * for an RCU grace period (~10 ms here, without the favordynmods mount
 * option), and liblxc's monitor makes one when it enters its cgroup. Started
 * first thing by create and run (main.ts), ours pays that wait while the spec
 * is being loaded and translated, and liblxc's write then finds the grace
 * period passed. It changes nothing, so a failure is ignored.
 */
export function startCgroupWriteWarmUp(): void {
  try {
    writeFile(join(cgroupPath(selfCgroup()), "cgroup.procs"), "0", () => {});
  } catch {
    // No cgroup v2 entry: create fails on its own later.
  }
}

/** Where liblxc (run as root) roots lxc.cgroup.dir.*: init's cgroup, without a trailing init.scope. */
export function lxcBaseCgroup(): string {
  return processCgroup(1).replace(/(^|\/)init\.scope$/, "");
}

function systemdCgroupDir(cgroupsPath: string): string {
  const parts = cgroupsPath.split(":");
  if (parts.length !== 3) {
    throw new CgroupError(`linux.cgroupsPath: expected "slice:prefix:name" with --systemd-cgroup, got ${JSON.stringify(cgroupsPath)}`);
  }
  const [slice, prefix, name] = parts as [string, string, string];
  const scope = name.endsWith(".slice") ? name : `${prefix ? `${prefix}-` : ""}${name}.scope`;
  return [...expandSlice(slice || "system.slice"), scope].join("/");
}

/** `a-b-c.slice` → `a.slice/a-b.slice/a-b-c.slice`, as systemd nests slices. */
export function expandSlice(slice: string): string[] {
  if (!slice.endsWith(".slice") || slice.includes("/")) throw new CgroupError(`linux.cgroupsPath: invalid slice name ${JSON.stringify(slice)}`);
  const base = slice.slice(0, -".slice".length);
  if (slice === "-.slice") return []; // the root slice
  const words = base.split("-");
  if (words.some((w) => w === "")) throw new CgroupError(`linux.cgroupsPath: invalid slice name ${JSON.stringify(slice)}`);
  return words.map((_, i) => `${words.slice(0, i + 1).join("-")}.slice`);
}

export function cgroupPath(dir: string): string { return join(CGROUP2_ROOT, dir); }

/** A cgroup file's content without the trailing newline; undefined if it (or the cgroup) is gone. */
export function readCgroupFile(dir: string, file: string): string | undefined {
  try {
    return readFileSync(join(cgroupPath(dir), file), "utf8").replace(/\n$/, "");
  } catch {
    return undefined;
  }
}

/** `key value` lines (cgroup.events, memory.events, cpu.stat, …) as a map. */
export function readKeyedFile(dir: string, file: string): Map<string, string> {
  const lines = (readCgroupFile(dir, file) ?? "").split("\n").filter(Boolean);
  return new Map(lines.map((line) => [line.slice(0, line.indexOf(" ")), line.slice(line.indexOf(" ") + 1)]));
}

export function availableControllers(dir: string): Set<string> {
  return new Set((readCgroupFile(dir, "cgroup.controllers") ?? "").split(" ").filter(Boolean));
}

/** True if the cgroup has child cgroups. */
export function hasChildCgroups(dir: string): boolean {
  try {
    return readdirSync(cgroupPath(dir), { withFileTypes: true }).some((e) => e.isDirectory());
  } catch {
    return false;
  }
}

export function cgroupProcs(dir: string): number[] {
  try {
    return readFileSync(join(cgroupPath(dir), "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Kills everything in the cgroup at once (cgroup.kill, kernel ≥ 5.14); false if unsupported. */
export function killCgroup(dir: string): boolean {
  const file = join(cgroupPath(dir), "cgroup.kill");
  if (!existsSync(file)) return false;
  try {
    writeFileSync(file, "1");
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return true;
    throw err;
  }
}

/** Removes a cgroup and its children, deepest first; a cgroup that is already gone is fine. */
export function removeCgroup(dir: string, deadline: number): void {
  const path = cgroupPath(dir);
  if (!existsSync(path)) return;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.isDirectory()) removeCgroup(join(dir, entry.name), deadline);
  }
  for (;;) {
    try {
      rmdirSync(path);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return;
      // EBUSY: processes are still leaving (the kernel frees them asynchronously).
      if (code !== "EBUSY" || Date.now() > deadline) {
        throw new CgroupError(`cannot remove cgroup ${path}: ${(err as Error).message}`);
      }
      Bun.sleepSync(2);
    }
  }
}

/**
 * Marks a parent cgroup crio-lxc created; see createParents. A user xattr, which
 * cgroupfs keeps since Linux 5.7 and which needs no CAP_SYS_ADMIN in the host's
 * user namespace (as trusted.* would), only write access to the cgroup.
 */
const CREATED_MARK = "user.crio-lxc.created";

const ancestors = (dir: string) => dir.split("/").slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join("/"));

/**
 * Creates the missing ancestors of `dir` (not `dir` itself) and marks them, so
 * that whichever delete leaves one empty removes it, but never a parent
 * someone else made. Returns the ones it made, and why one couldn't be marked.
 */
export function createParents(dir: string): { made: string[]; unmarked: string[] } {
  const made: string[] = [];
  const unmarked: string[] = [];
  for (const parent of ancestors(dir)) {
    const path = cgroupPath(parent);
    try {
      mkdirSync(path, { mode: 0o755 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw new CgroupError(`cannot create cgroup ${path}: ${(err as Error).message}`);
    }
    made.push(parent);
    try {
      xattr().setXattr(path, CREATED_MARK, "1");
    } catch (err) {
      unmarked.push(`${path}: ${(err as Error).message}`);
    }
  }
  return { made, unmarked };
}

/** Removes the empty ancestors of `dir` that crio-lxc created, deepest first; stops at the first other one. */
export function removeCreatedParents(dir: string): void {
  for (const parent of ancestors(dir).reverse()) {
    const path = cgroupPath(parent);
    if (!existsSync(path)) continue;
    if (xattr().getXattr(path, CREATED_MARK) === undefined || hasChildCgroups(parent)) return;
    try {
      rmdirSync(path);
    } catch (err) {
      // EBUSY: another container's cgroup or a process arrived meanwhile: it is theirs to remove now.
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") return;
    }
  }
}

/** A cgroup and the empty parents crio-lxc made for it. */
export function removeCgroupAndParents(dir: string, deadline: number): void {
  removeCgroup(dir, deadline);
  removeCreatedParents(dir);
}

/** cgroup.freeze as requested (runc reports "paused" from it, too). */
export const isFrozen = (dir: string): boolean => readCgroupFile(dir, "cgroup.freeze") === "1";

/**
 * Freezes or thaws every process of the cgroup and waits until cgroup.events
 * says it is done; a cgroup that vanishes meanwhile (the container ended) is fine.
 */
export function setFrozen(dir: string, frozen: boolean, deadline: number): void {
  const want = frozen ? "1" : "0";
  try {
    writeFileSync(join(cgroupPath(dir), "cgroup.freeze"), want);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new CgroupError(`cannot ${frozen ? "freeze" : "thaw"} cgroup ${cgroupPath(dir)}: ${(err as Error).message}`);
  }
  for (;;) {
    if (!existsSync(cgroupPath(dir)) || readKeyedFile(dir, "cgroup.events").get("frozen") === want) return;
    if (Date.now() > deadline) throw new CgroupError(`cgroup ${cgroupPath(dir)} did not ${frozen ? "freeze" : "thaw"} in time`);
    Bun.sleepSync(1);
  }
}
