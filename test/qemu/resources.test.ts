// linux.resources in the cgroup files of a running container, and `update`
// rewriting them, on a real cgroup2 (run with scripts/qemu-lane).
import { describe, expect, test } from "bun:test";
import { BIN, type Sandbox, hugepageBytes, hugepageSizes, waitExit } from "../support/runtime";
import { cgroupFile, createContainer, guestSuite, ramDisk, spec } from "./guest";

const MiB = 1024 * 1024;
/** The guest's smallest hugepage size: hugetlb files are named after the sizes the machine has. */
const PAGE = hugepageSizes()[0] ?? "2MB";
let sb: Sandbox;
const { top: TOP, newId } = guestSuite("qres", (made) => { sb = made; });

describe("every resource field lands in its cgroup v2 file", () => {
  test("memory, cpu, cpuset, pids, io, hugetlb and unified", async () => {
    const id = newId();
    const dir = `${TOP}/${id}`;
    const disk = ramDisk();
    const { pid } = createContainer(sb, id, {
      args: ["sleep", "60"], cgroupsPath: `/${dir}`, resources: {
        memory: { limit: 64 * MiB, reservation: 32 * MiB, swap: 96 * MiB },
        cpu: { shares: 512, quota: 50000, period: 100000, burst: 10000, cpus: "1", mems: "0" },
        pids: { limit: 50 },
        blockIO: {
          weight: 300,
          throttleReadBpsDevice: [{ major: Number(disk.split(":")[0]), minor: Number(disk.split(":")[1]), rate: MiB }],
          throttleWriteIOPSDevice: [{ major: Number(disk.split(":")[0]), minor: Number(disk.split(":")[1]), rate: 100 }],
        },
        hugepageLimits: [{ pageSize: PAGE, limit: 2 * hugepageBytes(PAGE) }],
        unified: { "memory.high": String(60 * MiB), "memory.oom.group": "1" },
      },
    });
    const file = (name: string) => cgroupFile(dir, name);
    expect([file("memory.max"), file("memory.low"), file("memory.swap.max")]).toEqual([`${64 * MiB}`, `${32 * MiB}`, `${32 * MiB}`]);
    expect([file("cpu.weight"), file("cpu.max"), file("cpu.max.burst")]).toEqual(["20", "50000 100000", "10000"]);
    expect([file("cpuset.cpus"), file("cpuset.mems")]).toEqual(["1", "0"]);
    expect(file("pids.max")).toBe("50");
    expect(file("io.weight")).toBe("default 2930");
    expect(file("io.max")).toBe(`${disk} rbps=${MiB} wbps=max riops=max wiops=100`);
    expect(file(`hugetlb.${PAGE}.max`)).toBe(`${2 * hugepageBytes(PAGE)}`);
    expect([file("memory.high"), file("memory.oom.group")]).toEqual([`${60 * MiB}`, "1"]);
    // The container itself runs on the CPU it was given.
    expect(require("node:fs").readFileSync(`/proc/${pid}/status`, "utf8")).toMatch(/^Cpus_allowed_list:\s+1$/m);
    expect(sb.run(["delete", "--force", id]).code).toBe(0);
    expect(await waitExit(pid)).toBe(137);
  });

  test("cpu.idle; a missing controller's field is refused naming it", async () => {
    const id = newId();
    const { pid } = createContainer(sb, id, { args: ["sleep", "60"], cgroupsPath: `/${TOP}/${id}`, resources: { cpu: { idle: 1 } } });
    expect(cgroupFile(`${TOP}/${id}`, "cpu.idle")).toBe("1");
    sb.run(["delete", "--force", id]);
    await waitExit(pid);
    const bundle = sb.bundle(spec(sb, { args: ["true"], cgroupsPath: `/${TOP}/x-${id}`, resources: { unified: { "nosuch.max": "1" } } }));
    const refused = sb.run(["create", "--bundle", bundle, `x-${id}`]);
    expect(refused.stderr).toContain('linux.resources.unified["nosuch.max"]: needs the nosuch controller');
  });
});

describe("update", () => {
  test("flags and --resources - rewrite the files; later updates build on the stored values", async () => {
    const id = newId();
    const dir = `${TOP}/${id}`;
    const { pid } = createContainer(sb, id, {
      args: ["sleep", "60"], cgroupsPath: `/${dir}`, resources: { memory: { limit: 64 * MiB, checkBeforeUpdate: true }, pids: { limit: 50 } },
    });
    const file = (name: string) => cgroupFile(dir, name);
    const update = (...args: string[]) => sb.run(["update", ...args, id]);
    expect(update("--memory", "128m", "--memory-swap", "256m", "--cpu-share", "2048", "--cpu-quota", "20000", "--pids-limit", "30").stderr).toBe("");
    expect([file("memory.max"), file("memory.swap.max"), file("cpu.weight"), file("cpu.max"), file("pids.max")])
      .toEqual([`${128 * MiB}`, `${128 * MiB}`, "79", "20000 100000", "30"]);
    // Swap is memory+swap: a new limit alone moves memory.swap.max with it; the period alone keeps the quota.
    expect(update("--memory", "200m", "--cpu-period", "50000", "--cpuset-cpus", "0").stderr).toBe("");
    expect([file("memory.max"), file("memory.swap.max"), file("cpu.max"), file("cpuset.cpus")])
      .toEqual([`${200 * MiB}`, `${56 * MiB}`, "20000 50000", "0"]);
    const stdin = Bun.spawnSync([BIN, "--root", sb.root, "update", "--resources", "-", id], {
      env: sb.env(), stdin: new Blob([JSON.stringify({ memory: { reservation: 16 * MiB }, unified: { "memory.high": String(180 * MiB) } })]), stderr: "pipe",
    });
    expect(stdin.stderr.toString()).toBe("");
    expect([file("memory.low"), file("memory.high"), file("memory.max")]).toEqual([`${16 * MiB}`, `${180 * MiB}`, `${200 * MiB}`]);
    // memory.checkBeforeUpdate: no limit below what the container uses now.
    const below = update("--memory", "4096");
    expect(below.stderr).toMatch(/^--memory: 4096 is below the container's current memory usage \d+/);
    expect(file("memory.max")).toBe(`${200 * MiB}`);
    const stats = JSON.parse(sb.run(["events", "--stats", id]).stdout);
    expect(stats.data.memory.usage.limit).toBe(200 * MiB);
    expect(stats.data.pids).toMatchObject({ limit: 30 });
    expect(stats.data.cpu.usage.total).toBeGreaterThan(0);
    expect(sb.run(["delete", "--force", id]).code).toBe(0);
    expect(await waitExit(pid)).toBe(137);
  });
});
