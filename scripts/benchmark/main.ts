// Benchmarks crio-lxc against crun and runc in the same run, on the same
// bundle, in the same cgroup2 lane; writes bench/results-<date>.md and .svg.
// Asserts nothing: it reports medians, ratios, each runtime's own work (a
// call's time minus its runtime's floor: start-floor.ts), the targets met or
// not, a per-phase breakdown of crio-lxc's calls (phases.ts), everything
// timed once more with every core busy, and the build variants (variants.ts).
// Run through scripts/bench (it sets up the machine, the lane and the QEMU part).
//   BENCH_RUNS (20)  BENCH_WARMUP (3)  BENCH_BURST (50)  BENCH_OUT_DIR (bench/)
//   BENCH_PHASE_RUNS (10)  BENCH_SKIP_BUSY=1  BENCH_SKIP_VARIANTS=1
//   BENCH_FLOOR: a file holding scripts/qemu-lane's output of floor.ts
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, totalmem, tmpdir } from "node:os";
import { join } from "node:path";
import { setChildSubreaper } from "../../src/sys";
import { burst } from "./burst";
import { renderChart } from "./chart";
import { FLOOR_MARK, type FloorResult } from "./floor";
import { leftovers, peakRssPerCall } from "./memory";
import { measurePhases } from "./phases";
import { renderReport, type Floors, type Pass, type Results, type Timing } from "./report";
import { CRIO_LXC, REPO, RUNTIME_NAMES, type Runtime, type RuntimeName, call, copyRootfs, mustCall, runtimesIn, toolVersion, writeBundle } from "./runtimes";
import { floorCommands, type FloorCommand } from "./start-floor";
import { hyperfineNamed, interleaved, lifecycle, median, reapOrphans, spawnedMs, type TimingOptions } from "./timing";
import { measureVariants } from "./variants";

const FAIRNESS = "all three run the same config.json in the same pure-cgroup2 lane (crun 1.8 refuses the host's hybrid layout): " +
  "a read-only copy of the busybox rootfs, pid/mount/ipc/uts/network namespaces, /proc only, uid 0 with CAP_KILL+CAP_CHOWN, noNewPrivileges, " +
  "no seccomp profile, no terminal; no linux.resources.devices (crun raises RLIMIT_MEMLOCK to load its device BPF program, " +
  "which fails under this machine's 8 MiB hard limit) and no cgroup limits (the lane has no memory/pids/cpu controller; " +
  "the memory floor adds them for all three in QEMU). Each runtime has its own --root and its default cgroup placement; " +
  "crio-lxc gets CRIO_LXC_LOG_FILE in the temp dir and no environment file; the temp dir (roots, bundles, logs) is a tmpfs, as /run is on a node. " +
  "All three make the default device nodes; liblxc (autodev) also mounts a tmpfs on /dev and a devpts first, where crun and runc make the nodes in the rootfs's own /dev.";

function machine(): string {
  const uname = Bun.spawnSync(["uname", "-r"]).stdout.toString().trim();
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  return `${cpus()[0]?.model.trim() ?? "unknown CPU"}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, kernel ${uname}, load average ${load} at start (a machine shared with other work)`;
}

function versions(): string {
  const commit = Bun.spawnSync(["git", "-C", REPO, "rev-parse", "--short", "HEAD"]).stdout.toString().trim();
  const dirty = Bun.spawnSync(["git", "-C", REPO, "status", "--porcelain", "src"]).stdout.toString().trim() ? "+changes" : "";
  const liblxc = Bun.spawnSync(["dpkg-query", "-W", "-f=${Version}", "liblxc1"]).stdout.toString().trim();
  return [`crio-lxc ${commit}${dirty} (Bun ${Bun.version}, liblxc ${liblxc})`, toolVersion(["crun", "--version"]),
    toolVersion(["runc", "--version"]), toolVersion(["hyperfine", "--version"])].join(", ");
}

function floorResult(): FloorResult | string {
  const file = process.env.BENCH_FLOOR;
  if (!file || !existsSync(file)) return "BENCH_FLOOR not given (scripts/bench runs it in scripts/qemu-lane)";
  const line = readFileSync(file, "utf8").split("\n").find((l) => l.startsWith(FLOOR_MARK));
  return line ? JSON.parse(line.slice(FLOOR_MARK.length)) as FloorResult : `no result in the QEMU lane's output (${file})`;
}

/** Starts a long-running container per runtime, for exec and state. */
function startSleepers(runtimes: Runtime[], bundle: string, dir: string): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const rt of runtimes) {
    const id = `bench-${process.pid}-sleep-${rt.name}-${Date.now()}`;
    mustCall(rt, ["create", "--bundle", bundle, "--pid-file", join(dir, `${id}.pid`), id], dir);
    mustCall(rt, ["start", id], dir);
    ids[rt.name] = id;
  }
  return ids;
}

/** The floors by hyperfine (F's variants, G, C); F is the fastest variant. */
function hyperfineFloors(commands: { variants: FloorCommand[]; G: FloorCommand; C: FloorCommand }, opts: TimingOptions): Omit<Floors, "spawned" | "spawnedRunning"> {
  const samples = hyperfineNamed([...commands.variants, commands.G, commands.C], opts);
  const fastest = commands.variants.reduce((a, b) => (median(samples[a.name]!) <= median(samples[b.name]!) ? a : b));
  return { samples, F: fastest };
}

const floorArgv = (floors: Omit<Floors, "spawned" | "spawnedRunning">, commands: { G: FloorCommand; C: FloorCommand }): Record<RuntimeName, string[]> =>
  ({ "crio-lxc": floors.F.argv, runc: commands.G.argv, crun: commands.C.argv });

/**
 * Every timing, and the floors measured the same way in the same rounds: two
 * loops (a lifecycle loop; exec, state, run and --version into running
 * containers) in which the runtimes take turns call by call and each round
 * also spawns each runtime's floor, so a call and its floor see the same load.
 */
function timings(runtimes: Runtime[], opts: TimingOptions, trueBundle: string, sleepBundle: string, commands: ReturnType<typeof floorCommands>, fixedF?: FloorCommand): { timed: Timing[]; floors: Floors } {
  const { dir } = opts;
  // The busy pass keeps the quiet pass's F: the same program as the floor in both.
  const hf = { ...hyperfineFloors(commands, opts), ...(fixedF ? { F: fixedF } : {}) };
  const floorRt = (rt: Runtime): Runtime => ({ name: rt.name, argv: floorArgv(hf, commands)[rt.name] });
  const loop = interleaved(runtimes, opts, (rt) => ({ ...lifecycle(rt, trueBundle, dir), floor: spawnedMs(floorRt(rt), [], dir) }));
  reapOrphans();
  const method = "an in-process loop (this process is the subreaper that reaps init), the three runtimes taking turns call by call, round after round; " +
    "each call spawned by Bun.spawnSync and timed alone, and each round also spawns each runtime's floor the same way";
  const result: Timing[] = [
    { key: "lifecycle", title: "create→start→wait→delete of /bin/true", method, samples: loop.lifecycle, calls: 3, floor: loop.floor },
    { key: "create", title: "create (of /bin/true)", method, samples: loop.create, calls: 1, floor: loop.floor },
    { key: "start", title: "start", method, samples: loop.start, calls: 1, floor: loop.floor },
    { key: "delete", title: "delete (of the stopped container)", method, samples: loop.delete, calls: 1, floor: loop.floor },
  ];
  const sleepers = startSleepers(runtimes, sleepBundle, dir);
  try {
    const running = interleaved(runtimes, opts, (rt) => ({
      exec: spawnedMs(rt, ["exec", sleepers[rt.name]!, "/bin/true"], dir),
      state: spawnedMs(rt, ["state", sleepers[rt.name]!], dir),
      run: spawnedMs(rt, ["run", "--bundle", trueBundle, `bench-${process.pid}-run-${rt.name}`], dir),
      version: spawnedMs({ ...rt, argv: [rt.argv[0]!] }, ["--version"], dir),
      floor: spawnedMs(floorRt(rt), [], dir),
    }));
    const method2 = "a second loop like the first, with a running container per runtime: exec, state, run and --version, the runtimes taking turns call by call, and each runtime's floor once a round";
    result.push(
      { key: "run", title: "run of /bin/true (foreground, deletes after)", method: method2, samples: running.run, calls: 1, floor: running.floor },
      { key: "exec", title: "exec of /bin/true into a running container (foreground)", method: method2, samples: running.exec, calls: 1, floor: running.floor },
      { key: "state", title: "state of a running container", method: method2, samples: running.state, calls: 1, floor: running.floor },
      { key: "version", title: "--version (for runc and crun: their floor itself)", method: method2, samples: running.version, calls: 1, floor: running.floor },
    );
  } finally {
    for (const rt of runtimes) call(rt, ["delete", "--force", sleepers[rt.name]!], dir);
    reapOrphans();
  }
  return { timed: result, floors: { ...hf, spawned: loop.floor, spawnedRunning: result.find((t) => t.key === "state")!.floor } };
}

/** Peak RSS (MB) and minor faults of one run of argv, through GNU time. */
function peakRssOf(argv: string[], dir: string): { rssMb: number; minorFaults: number } {
  const out = join(dir, "time-floor.out");
  const p = Bun.spawnSync(["/usr/bin/time", "-f", "%M %R", "-o", out, ...argv], { stdout: "ignore", stderr: "ignore" });
  if (p.exitCode !== 0) throw new Error(`${argv.join(" ")}: exit ${p.exitCode}`);
  const [rss, faults] = readFileSync(out, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
  return { rssMb: rss! / 1024, minorFaults: faults! };
}

const median3 = (f: () => { rssMb: number; minorFaults: number }) => {
  const xs = [f(), f(), f(), f(), f()];
  return { rssMb: median(xs.map((x) => x.rssMb)), minorFaults: median(xs.map((x) => x.minorFaults)) };
};

/** A CPU hog per core (bounded by timeout(1) should this process die), for the busy pass. */
function startHogs(): { stop: () => Promise<void>; count: number } {
  const hogs = cpus().map(() => Bun.spawn(["timeout", "900", "sh", "-c", "while :; do :; done"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" }));
  return {
    count: hogs.length,
    stop: async () => {
      for (const h of hogs) h.kill("SIGTERM"); // timeout passes it on to its sh
      await Promise.all(hogs.map((h) => h.exited));
    },
  };
}

const loadAverage = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

async function pass(name: string, runtimes: Runtime[], opts: TimingOptions, trueBundle: string, sleepBundle: string, commands: ReturnType<typeof floorCommands>, count: number, fixedF?: FloorCommand): Promise<Pass> {
  const loadBefore = loadAverage();
  const { timed, floors } = timings(runtimes, opts, trueBundle, sleepBundle, commands, fixedF);
  reapOrphans();
  const loadBeforeBurst = loadAverage();
  const bursts = {} as Pass["burst"];
  for (const rt of runtimes) { bursts[rt.name] = await burst(rt, sleepBundle, opts.dir, count); reapOrphans(); }
  return { name, loadBefore, loadBeforeBurst, loadAfter: loadAverage(), timings: timed, floors, burst: bursts };
}

async function main(): Promise<void> {
  if (!existsSync(CRIO_LXC)) throw new Error(`${CRIO_LXC} is missing: build it first`);
  setChildSubreaper();
  const began = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "crio-lxc-bench-"));
  const opts: TimingOptions = { runs: Number(process.env.BENCH_RUNS ?? 20), warmup: Number(process.env.BENCH_WARMUP ?? 3), dir };
  const runtimes = runtimesIn(dir);
  const rootfs = copyRootfs(dir);
  const trueBundle = writeBundle(join(dir, "bundle-true"), { args: ["/bin/true"], rootfs });
  const sleepBundle = writeBundle(join(dir, "bundle-sleep"), { args: ["sleep", "600"], rootfs });
  const started = { date: new Date().toISOString().slice(0, 10), machine: machine(), versions: versions() };
  const count = Number(process.env.BENCH_BURST ?? 50);
  const log = (m: string) => console.error(`bench: ${m} (${((performance.now() - began) / 1000).toFixed(0)} s, load ${loadAverage()})`);
  try {
    const commands = floorCommands(dir);
    log("quiet pass");
    const quiet = await pass("quiet", runtimes, opts, trueBundle, sleepBundle, commands, count);
    log("memory");
    const byName = <T>(f: (rt: Runtime) => T) => Object.fromEntries(runtimes.map((rt) => [rt.name, f(rt)])) as Record<Runtime["name"], T>;
    const left = byName((rt) => leftovers(rt, sleepBundle, dir));
    const rss = byName((rt) => peakRssPerCall(rt, sleepBundle, trueBundle, dir, 5));
    const floorArgvs = floorArgv(quiet.floors, commands);
    const floorRss = Object.fromEntries(RUNTIME_NAMES.map((n) => [n, median3(() => peakRssOf(floorArgvs[n], dir))])) as Results["floorRss"];
    reapOrphans();
    log("phases");
    const phases = await measurePhases(runtimes[0]!, quiet.floors.F.argv[0]!, trueBundle, sleepBundle, dir, Number(process.env.BENCH_PHASE_RUNS ?? 10));
    let busy: Pass | undefined;
    if (process.env.BENCH_SKIP_BUSY !== "1") {
      const hogs = startHogs();
      log(`busy pass (${hogs.count} CPU hogs)`);
      try {
        busy = await pass(`busy (${hogs.count} CPU hogs, \`sh -c 'while :; do :; done'\`, one per core)`, runtimes, opts, trueBundle, sleepBundle, commands, count, quiet.floors.F);
      } finally {
        await hogs.stop();
      }
    }
    log("variants");
    const variants = process.env.BENCH_SKIP_VARIANTS === "1" ? undefined : await measureVariants(dir, runtimes[0]!, trueBundle, sleepBundle, quiet.floors.F, { ...opts, runs: Math.min(opts.runs, 15) });
    log("done");
    const results: Results = {
      ...started, runs: opts.runs, warmup: opts.warmup, quiet, busy, leftovers: left, peakRss: rss, floorRss, phases, variants,
      floor: floorResult(), fairness: FAIRNESS, durationS: (performance.now() - began) / 1000,
    };
    const outDir = process.env.BENCH_OUT_DIR ?? join(REPO, "bench");
    mkdirSync(outDir, { recursive: true });
    const base = `results-${started.date}`;
    const panels = [
      ...quiet.timings.map((t) => ({ title: t.title, samples: t.samples })),
      ...(busy ? busy.timings.filter((t) => t.key === "lifecycle" || t.key === "exec" || t.key === "state").map((t) => ({ title: `${t.title} — both cores busy`, samples: t.samples })) : []),
    ];
    writeFileSync(join(outDir, `${base}.svg`), renderChart(`crio-lxc vs crun vs runc, ${started.date}`, panels));
    const report = renderReport(results, `${base}.svg`);
    writeFileSync(join(outDir, `${base}.md`), report);
    console.log(report);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
