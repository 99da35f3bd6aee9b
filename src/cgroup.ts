// cgroup v2 (unified) paths and cleanup. liblxc creates the cgroups from
// lxc.cgroup.dir.{container,monitor}; after the monitor is gone its own cleanup
// never runs, so removing them is ours.
import { existsSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

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
 * systemd form (`slice:prefix:name`, with --systemd-cgroup) expands the slice
 * the way systemd nests it and puts the container in `prefix-name.scope`.
 */
export function resolveCgroupDir(cgroupsPath: string | undefined, id: string, systemd: boolean): string {
  if (!cgroupsPath) return systemd ? `system.slice/crio-lxc-${id}.scope` : `crio-lxc/${id}`;
  if (systemd) return systemdCgroupDir(cgroupsPath);
  const dir = cgroupsPath.replace(/^\/+/, "").replace(/\/+$/, "");
  if (!dir || dir.split("/").some((part) => part === ".." || part === ".")) {
    throw new CgroupError(`linux.cgroupsPath: invalid cgroup path ${JSON.stringify(cgroupsPath)}`);
  }
  return dir;
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
