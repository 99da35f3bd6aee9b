// update: new resource limits for a live container. The monitor is gone once a
// container runs, so the runtime writes the cgroup files itself: every setting
// the merged resources imply (as runc's Set does), all or nothing.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cgroupPath, readCgroupFile } from "../cgroup";
import { cgroupSettings, controllerOf, type CgroupSetting } from "../translate/cgroup-settings";
import { SpecError, formatJsonPath, refuse } from "../oci/errors";
import type { LinuxResources } from "../oci/schema";
import { type ContainerRecord, statusOf } from "../state";
import { withContainerLock } from "../container-lock";
import { RuntimeError, type RuntimeContext } from "./context";
import { loadResources, saveResources } from "./resources-file";

type Keyed<T> = readonly T[] | undefined;

/** Entries of `update` replace those of `base` with the same key; the others stay. */
function mergeBy<T>(base: Keyed<T>, update: Keyed<T>, key: (entry: T) => string): T[] | undefined {
  if (!update?.length) return base ? [...base] : undefined;
  const merged = new Map((base ?? []).map((entry) => [key(entry), entry]));
  for (const entry of update) merged.set(key(entry), entry);
  return [...merged.values()];
}

/** Keeps the fields of `update` that are set: as in runc, 0 and "" mean "leave as is" (burst and idle: absent does). */
function setFields<T extends object>(update: T | undefined, keepZero: readonly string[] = []): Partial<T> {
  return Object.fromEntries(Object.entries(update ?? {}).filter(([key, value]) =>
    value !== undefined && value !== "" && (value !== 0 || keepZero.includes(key)))) as Partial<T>;
}

export function mergeResources(base: LinuxResources, update: LinuxResources): LinuxResources {
  const device = (d: { major: number; minor: number }) => `${d.major}:${d.minor}`;
  const baseIo = base.blockIO ?? {};
  const io = update.blockIO ?? {};
  return {
    ...base,
    memory: { ...base.memory, ...setFields(update.memory) },
    cpu: { ...base.cpu, ...setFields(update.cpu, ["burst", "idle"]) },
    pids: { ...base.pids, ...setFields(update.pids) },
    blockIO: {
      ...baseIo,
      ...setFields({ weight: io.weight, leafWeight: io.leafWeight }),
      weightDevice: mergeBy(baseIo.weightDevice, io.weightDevice, device),
      throttleReadBpsDevice: mergeBy(baseIo.throttleReadBpsDevice, io.throttleReadBpsDevice, device),
      throttleWriteBpsDevice: mergeBy(baseIo.throttleWriteBpsDevice, io.throttleWriteBpsDevice, device),
      throttleReadIOPSDevice: mergeBy(baseIo.throttleReadIOPSDevice, io.throttleReadIOPSDevice, device),
      throttleWriteIOPSDevice: mergeBy(baseIo.throttleWriteIOPSDevice, io.throttleWriteIOPSDevice, device),
    },
    hugepageLimits: mergeBy(base.hugepageLimits, update.hugepageLimits, (l) => l.pageSize),
    rdma: { ...base.rdma, ...update.rdma },
    unified: { ...base.unified, ...update.unified },
    network: update.network ?? base.network,
  };
}

export function updateContainer(ctx: RuntimeContext, id: string, update: LinuxResources): void {
  withContainerLock(ctx.store, id, Date.now() + ctx.settings.killTimeout, () => updateLocked(ctx, ctx.store.load(id), update));
}

function updateLocked(ctx: RuntimeContext, record: ContainerRecord, update: LinuxResources): void {
  const id = record.id;
  const status = statusOf(record);
  if (status === "stopped" || status === "creating") throw new RuntimeError(`cannot update a container in the ${status} state`);
  if (update.devices?.length) {
    refuse(["devices"], "can't be changed by update: liblxc attached the device rules as a BPF program at create");
  }
  const merged = mergeResources(loadResources(ctx.store, id), update);
  const dir = record.cgroupDir;
  const settings = cgroupSettings(merged, [], { bfq: existsSync(join(cgroupPath(dir), "io.bfq.weight")) });
  checkMemoryUsage(dir, merged, update);
  writeAll(dir, settings);
  saveResources(ctx.store, id, merged);
  ctx.log.info("resources updated", { files: settings.map((s) => s.file).join(" ") });
}

/** memory.checkBeforeUpdate: refuse a limit below what the container uses now, instead of reclaiming or OOM-killing. */
function checkMemoryUsage(dir: string, merged: LinuxResources, update: LinuxResources): void {
  const limit = update.memory?.limit;
  if (!merged.memory?.checkBeforeUpdate || !limit || limit < 0) return;
  const usage = Number(readCgroupFile(dir, "memory.current") ?? 0);
  if (usage > limit) refuse(["memory", "limit"], `${limit} is below the container's current memory usage ${usage} (memory.checkBeforeUpdate is set)`);
}

/** Writes every setting, or, when one fails, puts back what was written before and throws naming the field. */
function writeAll(dir: string, settings: CgroupSetting[]): void {
  for (const { file, from } of settings) {
    if (readCgroupFile(dir, file) === undefined) {
      refuse(from, `needs ${file}, which the container's cgroup /${dir} doesn't have (is the ${controllerOf(file)} controller enabled, does the kernel have the file?)`);
    }
  }
  const written: { file: string; previous: string; value: string }[] = [];
  for (const { file, value, from } of settings) {
    const previous = readCgroupFile(dir, file) ?? "";
    try {
      writeFileSync(join(cgroupPath(dir), file), value);
    } catch (err) {
      for (const done of written.reverse()) restore(dir, done);
      throw new SpecError(formatJsonPath(from), `writing ${JSON.stringify(value)} to ${file} failed: ${(err as Error).message} (nothing was changed)`);
    }
    written.push({ file, previous, value });
  }
}

/** Best effort: writes back each line the file showed, and lifts an io.max limit on a device it didn't list. */
function restore(dir: string, { file, previous, value }: { file: string; previous: string; value: string }): void {
  const lines = previous.split("\n");
  if (file === "io.max" && !lines.some((line) => line.startsWith(`${value.split(" ")[0]} `))) {
    lines.push(`${value.split(" ")[0]} rbps=max wbps=max riops=max wiops=max`);
  }
  for (const line of lines) {
    try {
      writeFileSync(join(cgroupPath(dir), file), line);
    } catch {
      // Not every file takes back what it shows (io.weight's "default" line does, a blank one doesn't).
    }
  }
}
