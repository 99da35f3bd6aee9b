// One sample of a container's cgroup v2 statistics, in the shape `runc events`
// prints ({"type":"stats","id":…,"data":{cpu,memory,pids,blkio,hugetlb,…}}),
// read the way runc reads cgroup v2: usec counters in ns, swap as memory+swap.
import { readdirSync } from "node:fs";
import { readCgroupFile, readKeyedFile } from "../cgroup";

/** Go's math.MaxUint64, which runc reports for "max". */
const UNLIMITED = 18446744073709551615n;

const int = (text: string | undefined): bigint => (text === undefined || text === "" ? 0n : text === "max" ? UNLIMITED : BigInt(text));

/** Go's `omitempty`: runc leaves out zero numbers and empty lists/maps. */
function omitEmpty<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) =>
    !(v === 0n || (Array.isArray(v) && !v.length) || (v instanceof Object && !Array.isArray(v) && !Object.keys(v).length)))) as Partial<T>;
}

function cpuStats(dir: string) {
  const stat = readKeyedFile(dir, "cpu.stat");
  const usec = (key: string) => int(stat.get(key)) * 1000n;
  return {
    usage: { ...omitEmpty({ total: usec("usage_usec") }), kernel: usec("system_usec"), user: usec("user_usec") },
    throttling: omitEmpty({
      periods: int(stat.get("nr_periods")), throttledPeriods: int(stat.get("nr_throttled")), throttledTime: usec("throttled_usec"),
    }),
  };
}

const memoryEntry = (limit: bigint, usage: bigint, max: bigint) => ({ limit, ...omitEmpty({ usage, max }), failcnt: 0n });

function memoryStats(dir: string) {
  const raw = Object.fromEntries([...readKeyedFile(dir, "memory.stat")].map(([k, v]) => [k, int(v)]));
  const usage = int(readCgroupFile(dir, "memory.current"));
  const limit = int(readCgroupFile(dir, "memory.max"));
  const swapLimit = int(readCgroupFile(dir, "memory.swap.max"));
  return {
    ...omitEmpty({ cache: raw.file ?? 0n }),
    usage: memoryEntry(limit, usage, int(readCgroupFile(dir, "memory.peak"))),
    // cgroup v1 counted swap as memory+swap; runc keeps that meaning.
    swap: memoryEntry(swapLimit === UNLIMITED || limit === UNLIMITED ? UNLIMITED : swapLimit + limit,
      int(readCgroupFile(dir, "memory.swap.current")) + usage, 0n),
    kernel: memoryEntry(0n, 0n, 0n),
    kernelTCP: memoryEntry(0n, 0n, 0n),
    ...omitEmpty({ raw }),
  };
}

function pidsStats(dir: string) {
  const limit = int(readCgroupFile(dir, "pids.max"));
  // runc reports "no limit" as 0.
  return omitEmpty({ current: int(readCgroupFile(dir, "pids.current")), limit: limit === UNLIMITED ? 0n : limit });
}

const IO_OPS: Record<string, [table: "ioServiceBytesRecursive" | "ioServicedRecursive", op: string]> = {
  rbytes: ["ioServiceBytesRecursive", "Read"], wbytes: ["ioServiceBytesRecursive", "Write"],
  rios: ["ioServicedRecursive", "Read"], wios: ["ioServicedRecursive", "Write"],
};

function blkioStats(dir: string) {
  const tables = { ioServiceBytesRecursive: [] as object[], ioServicedRecursive: [] as object[] };
  for (const line of (readCgroupFile(dir, "io.stat") ?? "").split("\n").filter(Boolean)) {
    const [device, ...pairs] = line.split(" ");
    const [major, minor] = device!.split(":").map((n) => BigInt(n));
    for (const pair of pairs) {
      const [key, value] = pair.split("=");
      const target = IO_OPS[key!];
      if (target) tables[target[0]].push(omitEmpty({ major: major!, minor: minor!, op: target[1], value: int(value) }));
    }
  }
  return omitEmpty(tables);
}

/** "hugepages-2048kB" → "2MB", the names hugetlb.<size>.* files use. */
function hugePageSizes(): string[] {
  try {
    return readdirSync("/sys/kernel/mm/hugepages").map((name) => {
      const kb = Number(/(\d+)kB$/.exec(name)?.[1] ?? 0);
      return kb % 2 ** 20 === 0 ? `${kb / 2 ** 20}GB` : kb % 2 ** 10 === 0 ? `${kb / 2 ** 10}MB` : `${kb}KB`;
    });
  } catch {
    return [];
  }
}

function hugetlbStats(dir: string) {
  return Object.fromEntries(hugePageSizes().map((size) => [size, {
    ...omitEmpty({ usage: int(readCgroupFile(dir, `hugetlb.${size}.current`)) }),
    failcnt: int(readKeyedFile(dir, `hugetlb.${size}.events`).get("max")),
  }]));
}

export function containerStats(dir: string) {
  return {
    cpu: cpuStats(dir),
    memory: memoryStats(dir),
    pids: pidsStats(dir),
    blkio: blkioStats(dir),
    hugetlb: hugetlbStats(dir),
    intel_rdt: {},
    network_interfaces: null,
  };
}

/** JSON with 64-bit counters as exact numbers (JavaScript numbers stop at 2^53). */
export function eventJson(event: { type: string; id: string; data?: unknown }): string {
  const marked = JSON.stringify(event, (_, value) => (typeof value === "bigint" ? `\u0000${value}` : value));
  return marked.replace(/"\\u0000(\d+)"/g, "$1");
}
