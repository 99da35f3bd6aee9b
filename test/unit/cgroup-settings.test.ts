import { describe, expect, test } from "bun:test";
import { cgroupSettings, cpuWeight, ioWeight, type CgroupHost } from "../../src/translate/cgroup-settings";
import { SpecError, formatJsonPath } from "../../src/oci/errors";
import { parseResources } from "../../src/oci/schema";
import { run } from "./spec-fixtures";

const AT = ["linux", "resources"];
const NO_BFQ: CgroupHost = { bfq: false };

/** file = value lines, as liblxc would write them. */
function lines(resources: object, host = NO_BFQ): string[] {
  return cgroupSettings(parseResources(resources, "r.json"), AT, host).map(({ file, value }) => `${file} = ${value}`);
}

function refusal(resources: object, host = NO_BFQ): string {
  try {
    cgroupSettings(parseResources(resources, "r.json"), AT, host);
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return (err as Error).message;
  }
  throw new Error("expected a SpecError");
}

describe("conversions", () => {
  test("cpu shares → weight: linear from 2→1 to 262144→10000, as runc 1.1 (out of range: clamped)", () => {
    expect([2, 1024, 262_144, 1, 300_000].map(cpuWeight)).toEqual([1, 39, 10_000, 1, 10_000]);
    expect([3, 512, 2048, 100_000].map(cpuWeight)).toEqual([1, 20, 79, 3815]);
  });
  test("blkio weight → io.weight, linear from 10→1 to 1000→10000", () => {
    expect([10, 500, 750, 1000].map(ioWeight)).toEqual([1, 4950, 7475, 10_000]);
  });
});

describe("memory", () => {
  test("limit, reservation and swap (memory+swap minus limit)", () => {
    expect(lines({ memory: { limit: 33554432, reservation: 16777216, swap: 67108864 } }))
      .toEqual(["memory.max = 33554432", "memory.swap.max = 33554432", "memory.low = 16777216"]);
  });
  test("swap equal to the limit means no swap; -1 means unlimited; unlimited memory alone means unlimited swap", () => {
    expect(lines({ memory: { limit: 1000, swap: 1000 } })).toEqual(["memory.max = 1000", "memory.swap.max = 0"]);
    expect(lines({ memory: { limit: 1000, swap: -1 } })).toEqual(["memory.max = 1000", "memory.swap.max = max"]);
    expect(lines({ memory: { limit: -1 } })).toEqual(["memory.max = max", "memory.swap.max = max"]);
    expect(lines({ memory: { limit: 0, reservation: -1 } })).toEqual(["memory.low = max"]);
  });
  test("refusals", () => {
    expect(refusal({ memory: { swap: 2000 } })).toMatch(/^linux\.resources\.memory\.swap: needs a positive memory\.limit/);
    expect(refusal({ memory: { limit: 2000, swap: 1000 } })).toMatch(/^linux\.resources\.memory\.swap: memory\+swap \(1000\) must not be below memory\.limit \(2000\)/);
    expect(refusal({ memory: { kernel: 1 } })).toMatch(/^linux\.resources\.memory\.kernel: cgroup v1 only/);
    expect(refusal({ memory: { kernelTCP: 1 } })).toMatch(/^linux\.resources\.memory\.kernelTCP: cgroup v1 only/);
    expect(refusal({ memory: { swappiness: 0 } })).toMatch(/^linux\.resources\.memory\.swappiness: cgroup v1 only/);
    expect(refusal({ memory: { disableOOMKiller: true } })).toMatch(/^linux\.resources\.memory\.disableOOMKiller: cgroup v2 has no way/);
  });
  test("disableOOMKiller false, useHierarchy and checkBeforeUpdate need nothing written", () => {
    expect(lines({ memory: { disableOOMKiller: false, useHierarchy: true, checkBeforeUpdate: true } })).toEqual([]);
  });
});

describe("cpu", () => {
  test("every field", () => {
    expect(lines({ cpu: { shares: 2048, quota: 50000, period: 200000, burst: 10000, cpus: "0-1,3", mems: "0", idle: 0 } })).toEqual([
      "cpu.idle = 0", "cpu.weight = 79", "cpu.max = 50000 200000", "cpu.max.burst = 10000", "cpuset.cpus = 0-1,3", "cpuset.mems = 0",
    ]);
  });
  test("cpu.max: quota without period uses 100000; -1 or a period alone means max", () => {
    expect(lines({ cpu: { quota: 25000 } })).toEqual(["cpu.max = 25000 100000"]);
    expect(lines({ cpu: { quota: -1 } })).toEqual(["cpu.max = max 100000"]);
    expect(lines({ cpu: { period: 50000 } })).toEqual(["cpu.max = max 50000"]);
    expect(lines({ cpu: { shares: 0, quota: 0, period: 0 } })).toEqual([]);
  });
  test("refusals", () => {
    expect(refusal({ cpu: { realtimePeriod: 1000000 } })).toMatch(/^linux\.resources\.cpu\.realtimePeriod: cgroup v2 has no realtime/);
    expect(refusal({ cpu: { idle: 2 } })).toMatch(/^linux\.resources\.cpu\.idle: expected 0 or 1, got 2/);
    expect(refusal({ cpu: { idle: 1, shares: 1024 } })).toMatch(/^linux\.resources\.cpu\.shares: can't be set together with idle: 1/);
    expect(refusal({ cpu: { cpus: "0-1\nx" } })).toMatch(/^linux\.resources\.cpu\.cpus: expected a list like/);
  });
});

describe("block IO", () => {
  const devices = {
    weight: 500,
    weightDevice: [{ major: 8, minor: 0, weight: 200 }, { major: 8, minor: 16 }],
    throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
    throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 0 }],
    throttleReadIOPSDevice: [{ major: 8, minor: 16, rate: 100 }],
    throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 50 }],
  };
  test("without BFQ: weights converted into io.weight; throttles into io.max lines (rate 0 lifts the limit)", () => {
    expect(lines({ blockIO: devices })).toEqual([
      "io.weight = 4950", "io.weight = 8:0 1920",
      "io.max = 8:0 rbps=1048576", "io.max = 8:0 wbps=max", "io.max = 8:16 riops=100", "io.max = 8:16 wiops=50",
    ]);
  });
  test("with BFQ: weights unconverted into io.bfq.weight", () => {
    expect(lines({ blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 200 }] } }, { bfq: true }))
      .toEqual(["io.bfq.weight = 500", "io.bfq.weight = 8:0 200"]);
  });
  test("refusals", () => {
    expect(refusal({ blockIO: { leafWeight: 10 } })).toMatch(/^linux\.resources\.blockIO\.leafWeight: cgroup v1 only/);
    expect(refusal({ blockIO: { weightDevice: [{ major: 8, minor: 0, leafWeight: 10 }] } })).toMatch(/^linux\.resources\.blockIO\.weightDevice\[0\]\.leafWeight: cgroup v1 only/);
    expect(refusal({ blockIO: { weight: 5 } })).toMatch(/^linux\.resources\.blockIO\.weight: expected a weight from 10 to 1000, got 5/);
    expect(refusal({ blockIO: { throttleReadBpsDevice: [{ major: -1, minor: 0, rate: 1 }] } })).toMatch(/^linux\.resources\.blockIO\.throttleReadBpsDevice\[0\]: expected a major and minor/);
  });
});

describe("pids, hugetlb, rdma, network", () => {
  test("pids.max, hugetlb.<size>.max, rdma.max", () => {
    expect(lines({
      pids: { limit: 64 },
      hugepageLimits: [{ pageSize: "2MB", limit: 4194304 }, { pageSize: "1GB", limit: 0 }],
      rdma: { mlx5_0: { hcaHandles: 3, hcaObjects: 1000 }, mlx5_1: { hcaObjects: 10 }, mlx5_2: {} },
    })).toEqual([
      "pids.max = 64", "hugetlb.2MB.max = 4194304", "hugetlb.1GB.max = 0",
      "rdma.max = mlx5_0 hca_handle=3 hca_object=1000", "rdma.max = mlx5_1 hca_object=10",
    ]);
  });
  test("refusals", () => {
    expect(refusal({ hugepageLimits: [{ pageSize: "2M", limit: 1 }] })).toMatch(/^linux\.resources\.hugepageLimits\[0\]\.pageSize: expected a size like "2MB"/);
    expect(refusal({ rdma: { "a b": { hcaHandles: 1 } } })).toMatch(/^linux\.resources\.rdma\["a b"\]: expected an RDMA device name/);
    expect(refusal({ network: { classID: 1 } })).toMatch(/^linux\.resources\.network\.classID: cgroup v1 only \(net_cls, net_prio\)/);
  });
});

describe("unified", () => {
  test("passed through last, so it wins over the fields", () => {
    expect(lines({ memory: { limit: 1000 }, unified: { "memory.max": "2000", "memory.oom.group": "1\n", "hugetlb.2MB.rsvd.max": "max", "cgroup.max.depth": "3" } }))
      .toEqual(["memory.max = 1000", "memory.max = 2000", "memory.oom.group = 1", "hugetlb.2MB.rsvd.max = max", "cgroup.max.depth = 3"]);
  });
  test.each([
    ["memory", 'expected a cgroup file name "<controller>.<file>"'],
    ["../memory.max", 'expected a cgroup file name'],
    ["memory/x.max", 'expected a cgroup file name'],
    ["cgroup.procs", "crio-lxc manages this file"],
    ["cgroup.subtree_control", "crio-lxc manages this file"],
    ["cgroup.freeze", "crio-lxc manages this file"],
    ["cgroup.type", "crio-lxc manages this file"],
  ])("%s is refused", (key, reason) => {
    expect(refusal({ unified: { [key]: "1" } })).toStartWith(`${formatJsonPath([...AT, "unified", key])}: ${reason}`);
  });
  test("values: one line, not empty (liblxc reads empty as 'clear all')", () => {
    expect(refusal({ unified: { "io.max": "8:0 rbps=1\n8:16 rbps=2" } })).toMatch(/expected a single-line value/);
    expect(refusal({ unified: { "memory.high": "" } })).toMatch(/expected a value, got an empty string/);
  });
});

describe("translation", () => {
  test("lxc.cgroup2.* items after the device rules, BFQ as the context says", () => {
    const { items } = run({ linux: { resources: { devices: [{ allow: false }], cpu: { shares: 1024 }, blockIO: { weight: 100 } } } }, { bfq: true });
    const cgroup2 = items.filter(([k]) => k.startsWith("lxc.cgroup2.")).map(([k, v]) => `${k} = ${v}`);
    expect(cgroup2[0]).toBe("lxc.cgroup2.devices.deny = a");
    expect(cgroup2.slice(-2)).toEqual(["lxc.cgroup2.cpu.weight = 39", "lxc.cgroup2.io.bfq.weight = 100"]);
  });
});
