// Where a container's cgroups go, checked before anything is created: the
// path (cgroupfs, relative or systemd form), a target that must not be in use,
// and a controller for every resource the spec sets.
import { existsSync, readdirSync, readFileSync, rmdirSync } from "node:fs";
import { posix } from "node:path";
import {
  CGROUP2_ROOT, CgroupError, availableControllers, cgroupPath, cgroupProcs, createParents, hasChildCgroups,
  lxcBaseCgroup, resolveCgroupDir,
} from "../cgroup";
import { cgroupSettings, controllerOf } from "../translate/cgroup-settings";
import { refuse } from "../oci/errors";
import type { Spec } from "../oci/schema";
import { StateError } from "../state";
import type { RuntimeContext } from "./context";
import { saveResources } from "./resources-file";

export interface Placement {
  /** The container's cgroup, relative to the cgroup2 root. */
  cgroupDir: string;
  /** The liblxc monitor's cgroup while the container is created. */
  monitorCgroupDir: string;
  /** The same two relative to liblxc's base cgroup, for lxc.cgroup.dir.*. */
  lxcCgroupDir: string;
  lxcMonitorCgroupDir: string;
  /** io.bfq.weight exists: blkio weights go there. */
  bfq: boolean;
  /** Existing empty cgroups in the way: liblxc insists on making both itself, so they are removed first. */
  leftovers: string[];
}

/** Resolves and checks the placement; creates nothing. Throws naming the spec field at fault. */
export function planPlacement(ctx: RuntimeContext, spec: Spec, id: string): Placement {
  // Checked first: an existing container's cgroup would look like a target in use.
  if (ctx.store.exists(id)) throw new StateError(`container ${id} already exists`);
  const cgroupDir = placementDir(() => resolveCgroupDir(spec.linux?.cgroupsPath, id, ctx.systemdCgroup));
  const monitorCgroupDir = `${ctx.settings.monitorCgroup}/${id}`;
  const base = lxcBaseCgroup();
  const bfq = bfqLoaded();
  checkControllers(spec, base, bfq);
  return {
    cgroupDir, monitorCgroupDir, bfq,
    lxcCgroupDir: underBase(base, cgroupDir) ?? refuse(["linux", "cgroupsPath"], outsideBase(base, cgroupDir)),
    lxcMonitorCgroupDir: underBase(base, monitorCgroupDir) ?? fail(`CRIO_LXC_MONITOR_CGROUP: ${outsideBase(base, monitorCgroupDir)}`),
    leftovers: [
      ...unused(cgroupDir, (why) => refuse(["linux", "cgroupsPath"], why)),
      ...unused(monitorCgroupDir, (why) => fail(`CRIO_LXC_MONITOR_CGROUP: ${why} (a monitor of another container ${id}?)`)),
    ],
  };
}

/** Makes the parents (marked as ours), clears an empty target, and keeps the resources for `update`. */
export function prepareCgroups(ctx: RuntimeContext, id: string, placement: Placement, spec: Spec): void {
  for (const dir of [placement.cgroupDir, placement.monitorCgroupDir]) {
    const { made, unmarked } = createParents(dir);
    if (made.length) ctx.log.debug("parent cgroups created", { cgroups: made.join(" ") });
    for (const why of unmarked) ctx.log.warn(`cannot mark a parent cgroup as made by crio-lxc, so no delete will remove it: ${why}`);
  }
  for (const dir of placement.leftovers) rmdirSync(cgroupPath(dir));
  saveResources(ctx.store, id, spec.linux?.resources ?? {});
}

function placementDir(resolve: () => string): string {
  try {
    return resolve();
  } catch (err) {
    if (err instanceof CgroupError) refuse(["linux", "cgroupsPath"], err.message.replace(/^linux\.cgroupsPath: /, ""));
    throw err;
  }
}

/** liblxc creates lxc.cgroup.dir.* below its base cgroup (init's): the path relative to it, if it lies there. */
function underBase(base: string, dir: string): string | undefined {
  if (!base) return dir;
  const relative = posix.relative(`/${base}`, `/${dir}`);
  return relative && !relative.startsWith("..") ? relative : undefined;
}

const outsideBase = (base: string, dir: string) =>
  `cgroup /${dir} is not below /${base}, the cgroup of PID 1, where liblxc creates cgroups`;

function fail(message: string): never {
  throw new CgroupError(message);
}

/**
 * An existing cgroup is taken over only when nothing uses it (runc refuses one
 * with processes, too): [dir] if it is there to be removed, [] if absent.
 */
function unused(dir: string, refuseBusy: (why: string) => never): string[] {
  if (!existsSync(cgroupPath(dir))) return [];
  const procs = cgroupProcs(dir);
  if (procs.length) refuseBusy(`cgroup /${dir} already holds processes (${procs.slice(0, 5).join(", ")})`);
  if (hasChildCgroups(dir)) refuseBusy(`cgroup /${dir} already exists and has child cgroups`);
  return [dir];
}

/** liblxc enables in every parent the controllers of its base cgroup: each setting needs its controller there. */
function checkControllers(spec: Spec, base: string, bfq: boolean): void {
  const settings = cgroupSettings(spec.linux?.resources, ["linux", "resources"], { bfq });
  if (!settings.length) return;
  const available = availableControllers(base);
  for (const { file, from } of settings) {
    const controller = controllerOf(file);
    if (controller === "cgroup" || available.has(controller)) continue;
    refuse(from, `needs the ${controller} controller for ${file}, which this host's cgroup2 doesn't offer `
      + `(${posix.join(CGROUP2_ROOT, base, "cgroup.controllers")}: ${[...available].join(" ") || "empty"})`);
  }
}

/** BFQ registers io.bfq.weight when loaded; it is then listed as a scheduler of the block devices. */
function bfqLoaded(): boolean {
  try {
    return readdirSync("/sys/block").some((dev) => {
      try {
        return /\bbfq\b/.test(readFileSync(`/sys/block/${dev}/queue/scheduler`, "utf8"));
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}
