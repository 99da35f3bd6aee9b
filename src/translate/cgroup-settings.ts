// linux.resources → cgroup v2 files and the values to write to them, in order.
// Pure: `create` hands them to liblxc as lxc.cgroup2.* items, `update` writes
// them itself. Device rules are not here: liblxc turns them into a BPF program.
// The v1 → v2 conversions are runc's and crun's, so a spec means the same here.
import { refuse, type JsonPathSegment } from "../oci/errors";
import type { LinuxResources } from "../oci/schema-linux";
import { refuseIfSet } from "./unsupported";

export interface CgroupSetting {
  /** File in the container's cgroup, e.g. `memory.max`; its controller is the part before the first dot. */
  file: string;
  value: string;
  /** The spec field it comes from, for errors. */
  from: JsonPathSegment[];
}

/** What the host's kernel offers that changes where a setting goes. */
export interface CgroupHost {
  /** io.bfq.weight exists (the BFQ I/O scheduler is loaded): blkio weights go there unconverted. */
  bfq: boolean;
}

type Memory = NonNullable<LinuxResources["memory"]>;
type Cpu = NonNullable<LinuxResources["cpu"]>;
type BlockIo = NonNullable<LinuxResources["blockIO"]>;

const V1_ONLY = "cgroup v1 only: cgroup v2 has no such setting";
/** The kernel's default CFS period (µs), used when only a quota is given. */
const DEFAULT_CPU_PERIOD = 100_000;
/** cgroup core files a spec may set; the others would break placement, freezing or killing. */
const WRITABLE_CORE_FILES = new Set(["cgroup.max.depth", "cgroup.max.descendants", "cgroup.pressure"]);
const UNIFIED_KEY = /^([a-z_]+)\.([A-Za-z0-9_.-]+)$/;
const CPU_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;
const PAGE_SIZE = /^\d+[KMG]B$/;

/** OCI limits: positive is a limit, negative is unlimited, 0 leaves it unset (as runc does). */
function limitValue(limit: number | undefined): string | undefined {
  if (limit == null || limit === 0) return undefined;
  return limit < 0 ? "max" : String(limit);
}

/**
 * cpu.shares (2…262144) → cpu.weight (1…10000), linearly as runc 1.1 (the
 * reference, Debian 12's) and crun before 1.23 do. runc 1.4 and crun 1.23
 * moved to a curve through the default (1024 → 100); the kubelet's e2e tests
 * accept either.
 */
export function cpuWeight(shares: number): number {
  const clamped = Math.min(Math.max(shares, 2), 262_144);
  return 1 + Math.floor(((clamped - 2) * 9999) / 262_142);
}

/** blkio.weight (10…1000) → io.weight (1…10000), linearly as runc does. */
export function ioWeight(weight: number): number {
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/** OCI swap is memory+swap; v2 limits swap alone. Throws the reason a combination can't be expressed. */
function swapValue(swap: number | undefined, limit: number | undefined, at: JsonPathSegment[]): string | undefined {
  // runc: an unlimited memory with swap unset means both unlimited.
  if (limit === -1 && !swap) return "max";
  if (!swap) return undefined;
  if (swap < 0) return "max";
  if (!limit || limit < 0) refuse([...at, "swap"], "needs a positive memory.limit: cgroup v2 limits swap alone, as swap - limit");
  if (swap < limit) refuse([...at, "swap"], `memory+swap (${swap}) must not be below memory.limit (${limit})`);
  return String(swap - limit);
}

function memorySettings(memory: Memory | undefined, at: JsonPathSegment[], out: CgroupSetting[]): void {
  if (!memory) return;
  refuseIfSet(memory, at, ["kernel", "kernelTCP", "swappiness"], V1_ONLY);
  if (memory.disableOOMKiller) refuse([...at, "disableOOMKiller"], "cgroup v2 has no way to disable the OOM killer");
  const add = (file: string, value: string | undefined, field: string) => {
    if (value !== undefined) out.push({ file, value, from: [...at, field] });
  };
  add("memory.max", limitValue(memory.limit), "limit");
  add("memory.swap.max", swapValue(memory.swap, memory.limit, at), "swap");
  add("memory.low", limitValue(memory.reservation), "reservation");
}

function cpuSettings(cpu: Cpu | undefined, at: JsonPathSegment[], out: CgroupSetting[]): void {
  if (!cpu) return;
  for (const field of ["realtimeRuntime", "realtimePeriod"] as const) {
    if (cpu[field]) refuse([...at, field], "cgroup v2 has no realtime CPU bandwidth (cpu.rt_*)");
  }
  const add = (file: string, value: string | number, field: string) => out.push({ file, value: String(value), from: [...at, field] });
  if (cpu.idle !== undefined) {
    if (cpu.idle !== 0 && cpu.idle !== 1) refuse([...at, "idle"], `expected 0 or 1, got ${cpu.idle}`);
    add("cpu.idle", cpu.idle, "idle");
  }
  if (cpu.shares) {
    if (cpu.idle === 1) refuse([...at, "shares"], "can't be set together with idle: 1 (an idle cgroup has no cpu.weight)");
    add("cpu.weight", cpuWeight(cpu.shares), "shares");
  }
  if (cpu.quota || cpu.period) {
    const quota = cpu.quota && cpu.quota > 0 ? String(cpu.quota) : "max";
    add("cpu.max", `${quota} ${cpu.period || DEFAULT_CPU_PERIOD}`, cpu.quota ? "quota" : "period");
  }
  // After cpu.max: the kernel wants the burst no larger than the quota.
  if (cpu.burst !== undefined) add("cpu.max.burst", cpu.burst, "burst");
  for (const [field, file] of [["cpus", "cpuset.cpus"], ["mems", "cpuset.mems"]] as const) {
    const list = cpu[field];
    if (!list) continue;
    if (!CPU_LIST.test(list)) refuse([...at, field], `expected a list like "0-2,4", got ${JSON.stringify(list)}`);
    add(file, list, field);
  }
}

function device(entry: { major: number; minor: number }, at: JsonPathSegment[]): string {
  if (entry.major < 0 || entry.minor < 0) refuse(at, "expected a major and minor number of a block device, not a wildcard");
  return `${entry.major}:${entry.minor}`;
}

const THROTTLES = [
  ["throttleReadBpsDevice", "rbps"], ["throttleWriteBpsDevice", "wbps"],
  ["throttleReadIOPSDevice", "riops"], ["throttleWriteIOPSDevice", "wiops"],
] as const;

function blockIoSettings(io: BlockIo | undefined, at: JsonPathSegment[], host: CgroupHost, out: CgroupSetting[]): void {
  if (!io) return;
  if (io.leafWeight) refuse([...at, "leafWeight"], V1_ONLY);
  const weightFile = host.bfq ? "io.bfq.weight" : "io.weight";
  const weight = (w: number, path: JsonPathSegment[]) => {
    if (w < 10 || w > 1000) refuse(path, `expected a weight from 10 to 1000, got ${w}`);
    return host.bfq ? w : ioWeight(w);
  };
  if (io.weight) out.push({ file: weightFile, value: String(weight(io.weight, [...at, "weight"])), from: [...at, "weight"] });
  (io.weightDevice ?? []).forEach((entry, i) => {
    const path = [...at, "weightDevice", i];
    if (entry.leafWeight) refuse([...path, "leafWeight"], V1_ONLY);
    if (!entry.weight) return;
    out.push({ file: weightFile, value: `${device(entry, path)} ${weight(entry.weight, [...path, "weight"])}`, from: path });
  });
  for (const [field, key] of THROTTLES) {
    (io[field] ?? []).forEach((entry, i) => {
      const path = [...at, field, i];
      // A rate of 0 removed the limit in cgroup v1.
      out.push({ file: "io.max", value: `${device(entry, path)} ${key}=${entry.rate || "max"}`, from: path });
    });
  }
}

function hugetlbSettings(limits: LinuxResources["hugepageLimits"], at: JsonPathSegment[], out: CgroupSetting[]): void {
  (limits ?? []).forEach(({ pageSize, limit }, i) => {
    if (!PAGE_SIZE.test(pageSize)) refuse([...at, i, "pageSize"], `expected a size like "2MB" or "1GB", got ${JSON.stringify(pageSize)}`);
    out.push({ file: `hugetlb.${pageSize}.max`, value: String(limit), from: [...at, i] });
  });
}

function rdmaSettings(rdma: LinuxResources["rdma"], at: JsonPathSegment[], out: CgroupSetting[]): void {
  for (const [name, { hcaHandles, hcaObjects }] of Object.entries(rdma ?? {})) {
    const path = [...at, name];
    if (!/^[^\s=]+$/.test(name)) refuse(path, "expected an RDMA device name without spaces or '='");
    const limits = [hcaHandles != null && `hca_handle=${hcaHandles}`, hcaObjects != null && `hca_object=${hcaObjects}`].filter(Boolean);
    if (limits.length) out.push({ file: "rdma.max", value: `${name} ${limits.join(" ")}`, from: path });
  }
}

function unifiedSettings(unified: LinuxResources["unified"], at: JsonPathSegment[], out: CgroupSetting[]): void {
  for (const [key, raw] of Object.entries(unified ?? {})) {
    const path = [...at, key];
    const match = UNIFIED_KEY.exec(key);
    if (!match) refuse(path, 'expected a cgroup file name "<controller>.<file>", e.g. "memory.high"');
    if (match[1] === "cgroup" && !WRITABLE_CORE_FILES.has(key)) {
      refuse(path, "crio-lxc manages this file: writing it would break the container's placement, freezing or killing");
    }
    const value = raw.replace(/\n$/, "");
    if (value.includes("\n")) refuse(path, "expected a single-line value");
    // liblxc reads an empty value as "clear every cgroup2 setting".
    if (value.trim() === "") refuse(path, "expected a value, got an empty string");
    out.push({ file: key, value, from: path });
  }
}

/**
 * The cgroup v2 writes for `resources` (found at `at` in its document), in the
 * order to make them; unified entries come last, so they win like in runc.
 * Throws SpecError naming the field that can't be expressed in cgroup v2.
 */
export function cgroupSettings(resources: LinuxResources | undefined, at: JsonPathSegment[], host: CgroupHost): CgroupSetting[] {
  if (!resources) return [];
  refuseIfSet(resources, at, ["network"], "cgroup v1 only (net_cls, net_prio): cgroup v2 has no network controller");
  const out: CgroupSetting[] = [];
  const pids = limitValue(resources.pids?.limit);
  if (pids) out.push({ file: "pids.max", value: pids, from: [...at, "pids", "limit"] });
  memorySettings(resources.memory, [...at, "memory"], out);
  cpuSettings(resources.cpu, [...at, "cpu"], out);
  blockIoSettings(resources.blockIO, [...at, "blockIO"], host, out);
  hugetlbSettings(resources.hugepageLimits, [...at, "hugepageLimits"], out);
  rdmaSettings(resources.rdma, [...at, "rdma"], out);
  unifiedSettings(resources.unified, [...at, "unified"], out);
  return out;
}

/** The controller a cgroup file belongs to (`cgroup` for the core files). */
export const controllerOf = (file: string): string => file.slice(0, file.indexOf("."));
