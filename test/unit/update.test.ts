import { describe, expect, test } from "bun:test";
import { eventJson } from "../../src/runtime/stats";
import { mergeResources } from "../../src/runtime/update";
import { parseBytes, resourcesFromFlags } from "../../src/runtime/update-flags";

describe("update flags", () => {
  test("sizes as runc takes them", () => {
    expect(["512", "64k", "64K", "10m", "1.5g", "100MiB", "2gb", "-1"].map(parseBytes))
      .toEqual([512, 65536, 65536, 10485760, 1610612736, 104857600, 2147483648, -1]);
    expect(["", "ten", "10x", "-2", "1e3"].map(parseBytes)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
  test("flags become LinuxResources", () => {
    expect(resourcesFromFlags({ memory: "32m", "memory-swap": "-1", "cpu-share": "512", "cpu-quota": "-1", "cpuset-cpus": "0-1", "pids-limit": "20", "blkio-weight": "300" }))
      .toEqual({
        memory: { limit: 33554432, swap: -1 }, cpu: { shares: 512, quota: -1, cpus: "0-1" }, pids: { limit: 20 }, blockIO: { weight: 300 },
      });
  });
  test("bad values name the flag", () => {
    expect(() => resourcesFromFlags({ memory: "lots" })).toThrow(/^--memory: expected a size like 512m, got "lots"$/);
    expect(() => resourcesFromFlags({ "cpu-share": "1.5" })).toThrow(/^--cpu-share: expected an integer/);
    expect(() => resourcesFromFlags({ "blkio-weight": "70000" })).toThrow(/^--blkio-weight: expected a number <=65535/);
    expect(() => resourcesFromFlags({ "cpu-period": "-5" })).toThrow(/^--cpu-period: expected a number >=0/);
  });
});

describe("merging an update into the stored resources", () => {
  const stored = {
    memory: { limit: 1000, swap: 2000 },
    cpu: { shares: 1024, quota: 50000, period: 100000, idle: 1 },
    hugepageLimits: [{ pageSize: "2MB", limit: 10 }, { pageSize: "1GB", limit: 0 }],
    blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 5 }] },
    unified: { "memory.high": "900" },
  };
  test("set fields replace, 0 and absent leave the old value (burst and idle: only absent)", () => {
    const merged = mergeResources(stored, { memory: { limit: 1500, swap: 0 }, cpu: { quota: 0, period: 200000, idle: 0 } });
    expect(merged.memory).toEqual({ limit: 1500, swap: 2000 });
    expect(merged.cpu).toEqual({ shares: 1024, quota: 50000, period: 200000, idle: 0 });
  });
  test("lists merge by device or page size, maps by key", () => {
    const merged = mergeResources(stored, {
      hugepageLimits: [{ pageSize: "2MB", limit: 20 }],
      blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 16, rate: 7 }] },
      unified: { "memory.oom.group": "1" },
    });
    expect(merged.hugepageLimits).toEqual([{ pageSize: "2MB", limit: 20 }, { pageSize: "1GB", limit: 0 }]);
    expect(merged.blockIO?.throttleReadBpsDevice).toEqual([{ major: 8, minor: 0, rate: 5 }, { major: 8, minor: 16, rate: 7 }]);
    expect(merged.unified).toEqual({ "memory.high": "900", "memory.oom.group": "1" });
  });
});

describe("events JSON", () => {
  test("64-bit counters stay exact", () => {
    expect(eventJson({ type: "stats", id: "c", data: { memory: { usage: { limit: 18446744073709551615n } } } }))
      .toBe('{"type":"stats","id":"c","data":{"memory":{"usage":{"limit":18446744073709551615}}}}');
    expect(eventJson({ type: "oom", id: "c" })).toBe('{"type":"oom","id":"c"}');
  });
});
