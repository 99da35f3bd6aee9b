// cgroup placement and the cgroup commands (pause, resume, ps, events, update)
// through dist/crio-lxc, in the pure cgroup2 view of scripts/cgroup2-lane, where
// freezing and cgroup.kill work but only the hugetlb controller is available
// (limits and OOM kills are tested in test/qemu).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BIN, Sandbox, becomeSubreaper, busyboxSpec, hugepageBytes, hugepageSizes, requireBuilt, waitExit } from "../support/runtime";

const CG = "/sys/fs/cgroup";
/** Every cgroup this file makes is below this one. */
const TOP = `crio-lxc-cgt-${process.pid}`;
// The machine's smallest hugepage size: the hugetlb files are named after the sizes it has.
const PAGE = hugepageSizes()[0] ?? "2MB";
/** Two pages, in bytes: hugetlb limits are kept in whole pages. */
const TWO_PAGES = 2 * hugepageBytes(PAGE);

let sb: Sandbox;
beforeAll(() => { requireBuilt(); becomeSubreaper(); sb = new Sandbox(); mkdirSync(join(CG, TOP)); });
afterAll(() => { sb.cleanup(); removeTree(TOP); });

let seq = 0;
const newId = () => `cgt-${process.pid}-${++seq}`;
const cg = (dir: string, file: string) => readFileSync(join(CG, dir, file), "utf8").trim();
const exists = (dir: string) => existsSync(join(CG, dir));
const procs = (dir: string) => cg(dir, "cgroup.procs").split("\n").filter(Boolean).map(Number);

function removeTree(dir: string) {
  if (!exists(dir)) return;
  for (const entry of require("node:fs").readdirSync(join(CG, dir), { withFileTypes: true })) if (entry.isDirectory()) removeTree(join(dir, entry.name));
  rmdirSync(join(CG, dir));
}

/** create (+ start) with the container's output in a file; returns init's pid. */
function create(id: string, args: string[], opts: { cgroupsPath?: string; start?: boolean; env?: Record<string, string>; from?: string } = {}) {
  const bundle = sb.bundle(busyboxSpec({ args, cgroupsPath: opts.cgroupsPath ?? `/${TOP}/${id}` }));
  const pidFile = join(sb.dir, `${id}.pid`);
  const argv = ["create", "--bundle", bundle, "--pid-file", pidFile, id];
  const r = opts.from ? runFrom(opts.from, argv, opts.env) : sb.run(argv, { env: opts.env });
  if (r.code !== 0) throw new Error(`create failed: ${r.stderr}`);
  if (opts.start !== false) expect(sb.run(["start", id]).code).toBe(0);
  return Number(readFileSync(pidFile, "utf8"));
}

/** Runs crio-lxc from inside cgroup `dir` (made if missing), as a runtime started by a client there would be. */
function runFrom(dir: string, args: string[], env: Record<string, string> = {}) {
  mkdirSync(join(CG, dir), { recursive: true });
  const script = 'echo $$ > "$0/cgroup.procs" && exec "$@"';
  // Files, not pipes: the container inherits them, and a pipe would not see EOF until it exits.
  const [out, err] = [join(sb.dir, "from.stdout"), join(sb.dir, "from.stderr")];
  const fds = [openSync(out, "w"), openSync(err, "w")];
  const p = Bun.spawnSync(["sh", "-c", script, join(CG, dir), BIN, "--root", sb.root, ...args], { env: sb.env(env), stdout: fds[0], stderr: fds[1], stdin: "ignore" });
  fds.forEach((fd) => closeSync(fd));
  return { code: p.exitCode, stdout: readFileSync(out, "utf8"), stderr: readFileSync(err, "utf8") };
}

describe("placement", () => {
  test("a relative cgroupsPath and the default go beside the runtime's own cgroup; made parents go with delete", async () => {
    const [a, b] = [newId(), newId()];
    const runtime = `${TOP}/clients/${a}/runtime`;
    const pidA = create(a, ["sleep", "30"], { cgroupsPath: `rel/${a}`, from: runtime });
    expect(readFileSync(`/proc/${pidA}/cgroup`, "utf8")).toContain(`0::/${TOP}/clients/${a}/rel/${a}\n`);
    const bundle = sb.bundle({ ...busyboxSpec({ args: ["sleep", "30"] }) });
    expect(runFrom(runtime, ["create", "--bundle", bundle, b]).code).toBe(0);
    expect(procs(`${TOP}/clients/${a}/crio-lxc/${b}`)).toHaveLength(1);
    for (const id of [a, b]) expect(sb.run(["delete", "--force", id]).code).toBe(0);
    expect(await waitExit(pidA)).toBe(137);
    // rel/ and crio-lxc/ were made by crio-lxc and are gone; the client's cgroups were not.
    expect(exists(`${TOP}/clients/${a}/rel`)).toBe(false);
    expect(exists(`${TOP}/clients/${a}/crio-lxc`)).toBe(false);
    expect(exists(runtime)).toBe(true);
  });

  test("a parent made for one container is removed by whichever delete leaves it empty", async () => {
    const [a, b] = [newId(), newId()];
    mkdirSync(join(CG, TOP, "theirs"));
    const pidA = create(a, ["sleep", "30"], { cgroupsPath: `/${TOP}/theirs/made/${a}` });
    const pidB = create(b, ["sleep", "30"], { cgroupsPath: `/${TOP}/theirs/made/${b}` });
    expect(sb.run(["delete", "--force", a]).code).toBe(0);
    expect(exists(`${TOP}/theirs/made`)).toBe(true);
    expect(sb.run(["delete", "--force", b]).code).toBe(0);
    expect(exists(`${TOP}/theirs/made`)).toBe(false);
    expect(exists(`${TOP}/theirs`)).toBe(true);
    expect([await waitExit(pidA), await waitExit(pidB)]).toEqual([137, 137]);
  });

  test("a target cgroup that holds processes is refused, and left as it was", async () => {
    const id = newId();
    const target = `${TOP}/busy-${id}`;
    mkdirSync(join(CG, target));
    const sleeper = Bun.spawn(["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec sleep 30', join(CG, target)]);
    while (procs(target).length === 0) await Bun.sleep(5);
    const bundle = sb.bundle(busyboxSpec({ args: ["true"], cgroupsPath: `/${target}` }));
    const r = sb.run(["create", "--bundle", bundle, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`linux.cgroupsPath: cgroup /${target} already holds processes (${sleeper.pid})`);
    expect(procs(target)).toEqual([sleeper.pid]);
    expect(existsSync(join(sb.root, id))).toBe(false);
    sleeper.kill(9);
    await sleeper.exited;
  });

  test("an existing empty target is taken over", () => {
    const id = newId();
    mkdirSync(join(CG, TOP, id));
    const pid = create(id, ["sleep", "30"]);
    expect(procs(`${TOP}/${id}`)).toEqual([pid]);
    expect(sb.run(["delete", "--force", id]).code).toBe(0);
    expect(exists(`${TOP}/${id}`)).toBe(false);
  });

  test("CRIO_LXC_MONITOR_CGROUP holds the monitor; the container's cgroup holds only the container", async () => {
    const id = newId();
    const monitorCgroup = `${TOP}/monitors/${id}`;
    const env = { CRIO_LXC_MONITOR_CGROUP: monitorCgroup };
    const pid = create(id, ["sh", "-c", "sleep 30 & sleep 30"], { env, start: false });
    expect(procs(`${TOP}/${id}`)).toEqual([pid]);
    expect(procs(`${monitorCgroup}/${id}`).length).toBeGreaterThan(0);
    expect(procs(`${monitorCgroup}/${id}`)).not.toContain(pid);
    expect(sb.run(["start", id], { env }).code).toBe(0);
    // The monitor is gone, and with its cgroup the parents crio-lxc made for it.
    expect(exists(`${TOP}/monitors`)).toBe(false);
    for (const p of procs(`${TOP}/${id}`)) expect(readFileSync(`/proc/${p}/cmdline`, "utf8")).toMatch(/^(sh|sleep)\0/);
    expect(sb.run(["delete", "--force", id], { env }).code).toBe(0);
    expect(await waitExit(pid)).toBe(137);
    expect(exists(`${TOP}/${id}`)).toBe(false);
  });
});

describe("leftover monitor cgroups", () => {
  test("an empty one of the same id is cleared; one with processes is refused naming CRIO_LXC_MONITOR_CGROUP", async () => {
    const id = newId();
    const monitorCgroup = `${TOP}/stale-monitors`;
    const env = { CRIO_LXC_MONITOR_CGROUP: monitorCgroup };
    mkdirSync(join(CG, monitorCgroup, id), { recursive: true });
    const pid = create(id, ["sleep", "30"], { env });
    expect(sb.run(["delete", "--force", id], { env }).code).toBe(0);
    expect(await waitExit(pid)).toBe(137);
    const busy = newId();
    mkdirSync(join(CG, monitorCgroup, busy));
    const sleeper = Bun.spawn(["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec sleep 30', join(CG, monitorCgroup, busy)]);
    while (procs(`${monitorCgroup}/${busy}`).length === 0) await Bun.sleep(5);
    const r = sb.run(["create", "--bundle", sb.bundle(busyboxSpec({ args: ["true"], cgroupsPath: `/${TOP}/${busy}` })), busy], { env });
    expect(r.stderr).toContain(`CRIO_LXC_MONITOR_CGROUP: cgroup /${monitorCgroup}/${busy} already holds processes (${sleeper.pid})`);
    expect(exists(`${TOP}/${busy}`)).toBe(false);
    sleeper.kill(9);
    await sleeper.exited;
  });
});

describe("pause and resume", () => {
  test("running → paused (frozen) → running; state says so; only a running container can be paused", async () => {
    const id = newId();
    const pid = create(id, ["sleep", "30"], { start: false });
    expect(sb.run(["pause", id]).stderr).toBe("cannot pause a container in the created state\n");
    expect(sb.run(["start", id]).code).toBe(0);
    expect(sb.run(["resume", id]).stderr).toBe("cannot resume a container in the running state\n");
    expect(sb.run(["pause", id]).code).toBe(0);
    expect(sb.state(id)).toMatchObject({ status: "paused", pid });
    expect(cg(`${TOP}/${id}`, "cgroup.events")).toContain("frozen 1");
    expect(sb.run(["delete", id]).stderr).toContain("that is not stopped: paused");
    expect(sb.run(["resume", id]).code).toBe(0);
    expect(sb.state(id)).toMatchObject({ status: "running", pid });
    expect(cg(`${TOP}/${id}`, "cgroup.events")).toContain("frozen 0");
    expect(sb.run(["kill", id, "KILL"]).code).toBe(0);
    expect(await waitExit(pid)).toBe(137);
    expect(sb.run(["pause", id]).stderr).toBe("cannot pause a container in the stopped state\n");
    expect(sb.run(["delete", id]).code).toBe(0);
  });

  test("a paused container is killed by kill --all KILL and by delete --force", async () => {
    const [a, b] = [newId(), newId()];
    const pidA = create(a, ["sh", "-c", "sleep 30 & wait"]);
    const pidB = create(b, ["sleep", "30"]);
    for (const id of [a, b]) expect(sb.run(["pause", id]).code).toBe(0);
    expect(sb.run(["kill", "--all", a, "9"]).code).toBe(0);
    expect(await waitExit(pidA)).toBe(137);
    expect(sb.run(["delete", "--force", b]).code).toBe(0);
    expect(await waitExit(pidB)).toBe(137);
    expect(sb.run(["delete", a]).code).toBe(0);
    expect([exists(`${TOP}/${a}`), exists(`${TOP}/${b}`)]).toEqual([false, false]);
  });
});

describe("ps and events", () => {
  test("ps lists the container's processes as json or as ps's table", async () => {
    const id = newId();
    const pid = create(id, ["sh", "-c", "sleep 31 & sleep 32"]);
    while (procs(`${TOP}/${id}`).length < 2) await Bun.sleep(5);
    const json = JSON.parse(sb.run(["ps", "--format", "json", id]).stdout);
    expect(json).toEqual(procs(`${TOP}/${id}`).sort((x, y) => x - y));
    expect(json).toContain(pid);
    const table = sb.run(["ps", id, "--", "-o", "pid,args"]).stdout.trim().split("\n");
    expect(table[0]).toMatch(/PID/);
    expect(table.slice(1).map((l) => l.trim().replace(/^\d+ +/, "")).sort()).toEqual(["sleep 31", "sleep 32"]);
    expect(sb.run(["ps", "--format", "yaml", id]).stderr).toContain("--format: expected table or json");
    sb.run(["delete", "--force", id]);
    await waitExit(pid);
  });

  test("events --stats prints one sample in runc's shape", async () => {
    const id = newId();
    const pid = create(id, ["sleep", "30"]);
    const r = sb.run(["events", "--stats", id]);
    expect(r.code).toBe(0);
    const event = JSON.parse(r.stdout);
    expect(event).toMatchObject({ type: "stats", id });
    expect(Object.keys(event.data)).toEqual(expect.arrayContaining(["cpu", "memory", "pids", "blkio", "hugetlb"]));
    expect(event.data.cpu.usage).toHaveProperty("kernel");
    expect(event.data.hugetlb[PAGE]).toHaveProperty("failcnt", 0);
    sb.run(["delete", "--force", id]);
    await waitExit(pid);
  });

  test("events streams stats every --interval and ends when the container's processes are gone", async () => {
    const id = newId();
    const pid = create(id, ["sleep", "30"]);
    const out = join(sb.dir, `${id}.events`);
    const fd = openSync(out, "w");
    const events = Bun.spawn([BIN, "--root", sb.root, "events", "--interval", "50ms", id], { env: sb.env(), stdout: fd, stderr: fd });
    closeSync(fd);
    while (readFileSync(out, "utf8").split("\n").filter(Boolean).length < 2) await Bun.sleep(10);
    expect(sb.run(["kill", id, "9"]).code).toBe(0);
    expect(await waitExit(pid)).toBe(137);
    expect(await events.exited).toBe(0);
    const lines = readFileSync(out, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
    expect(lines.every((e) => e.type === "stats" && e.id === id)).toBe(true);
    expect(sb.run(["events", "--interval", "0s", id]).stderr).toContain("--interval: expected a duration greater than zero");
    sb.run(["delete", id]);
  });
});

describe("update", () => {
  const hugetlbMax = (id: string) => cg(`${TOP}/${id}`, `hugetlb.${PAGE}.max`);
  // A new cgroup shows the page-rounded maximum, one written "max" the word.
  const unlimited = (value: string) => value === "max" || BigInt(value) > 2n ** 62n;

  test("--resources FILE and - (stdin) write the cgroup and are kept for later updates", async () => {
    const id = newId();
    const pid = create(id, ["sleep", "30"]);
    const file = join(sb.dir, `${id}.resources.json`);
    writeFileSync(file, JSON.stringify({ hugepageLimits: [{ pageSize: PAGE, limit: TWO_PAGES }] }));
    expect(sb.run(["update", "--resources", file, id]).code).toBe(0);
    expect(hugetlbMax(id)).toBe(String(TWO_PAGES));
    const stdin = Bun.spawnSync([BIN, "--root", sb.root, "update", "--resources", "-", id], {
      env: sb.env(), stdin: new Blob([JSON.stringify({ unified: { [`hugetlb.${PAGE}.rsvd.max`]: String(TWO_PAGES / 2) } })]), stderr: "pipe",
    });
    expect(stdin.stderr.toString()).toBe("");
    expect(cg(`${TOP}/${id}`, `hugetlb.${PAGE}.rsvd.max`)).toBe(String(TWO_PAGES / 2));
    expect(JSON.parse(readFileSync(join(sb.root, id, "resources.json"), "utf8"))).toMatchObject({
      hugepageLimits: [{ pageSize: PAGE, limit: TWO_PAGES }], unified: { [`hugetlb.${PAGE}.rsvd.max`]: String(TWO_PAGES / 2) },
    });
    sb.run(["delete", "--force", id]);
    await waitExit(pid);
  });

  test("a failing write leaves every file as it was and names the field", async () => {
    const id = newId();
    const pid = create(id, ["sleep", "30"]);
    const file = join(sb.dir, `${id}.bad.json`);
    writeFileSync(file, JSON.stringify({ hugepageLimits: [{ pageSize: PAGE, limit: TWO_PAGES }], unified: { [`hugetlb.${PAGE}.rsvd.max`]: "lots" } }));
    const r = sb.run(["update", "-r", file, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}: unified["hugetlb.${PAGE}.rsvd.max"]: writing "lots" to hugetlb.${PAGE}.rsvd.max failed`);
    expect(unlimited(hugetlbMax(id))).toBe(true);
    sb.run(["delete", "--force", id]);
    await waitExit(pid);
  });

  test("refusals name the flag or the field, and change nothing", async () => {
    const id = newId();
    const pid = create(id, ["sleep", "30"]);
    const cases: [string[], string][] = [
      [["--pids-limit", "10"], "--pids-limit: needs pids.max, which the container's cgroup"],
      [["--memory", "ten"], '--memory: expected a size like 512m, got "ten"'],
      [["--memory-swap", "64m"], "--memory-swap: needs a positive memory.limit"],
      // -1 is the flag's value, not a flag.
      [["--memory-swap", "-1"], "--memory-swap: needs memory.swap.max, which the container's cgroup"],
      [["--cpu-rt-period", "1000"], "--cpu-rt-period: cgroup v2 has no realtime"],
      [["--l3-cache-schema", "L3:0=f"], "--l3-cache-schema: Intel RDT is not supported"],
      [["--resources", "x.json", "--memory", "1g"], "--resources can't be combined with --memory"],
      [[], "nothing to update"],
    ];
    for (const [flags, message] of cases) {
      const r = sb.run(["update", ...flags, id]);
      expect([r.code, r.stderr]).toEqual([1, expect.stringContaining(message)]);
    }
    const devices = join(sb.dir, `${id}.devices.json`);
    writeFileSync(devices, JSON.stringify({ devices: [{ allow: false, access: "rwm" }] }));
    expect(sb.run(["update", "-r", devices, id]).stderr).toContain(`${devices}: devices: can't be changed by update`);
    writeFileSync(devices, JSON.stringify({ memory: { limit: "1g" } }));
    expect(sb.run(["update", "-r", devices, id]).stderr).toContain(`${devices}: memory.limit: expected a number, got "1g"`);
    expect(unlimited(hugetlbMax(id))).toBe(true);
    sb.run(["kill", id, "9"]);
    await waitExit(pid);
    expect(sb.run(["update", "--cpu-share", "100", id]).stderr).toContain("cannot update a container in the stopped state");
    sb.run(["delete", id]);
  });
});
