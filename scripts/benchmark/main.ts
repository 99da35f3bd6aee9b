// Benchmarks crio-lxc against crun and runc in the same run, on the same
// bundle, in the same cgroup2 lane; writes bench/results-<date>.md and .svg.
// Asserts nothing: it reports medians, ratios and the targets met or not.
// Run through scripts/bench (it sets up the machine, the lane and the QEMU part).
//   BENCH_RUNS (30)  BENCH_WARMUP (3)  BENCH_BURST (50)  BENCH_OUT_DIR (bench/)
//   BENCH_FLOOR: a file holding scripts/qemu-lane's output of floor.ts
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, totalmem, tmpdir } from "node:os";
import { join } from "node:path";
import { setChildSubreaper } from "../../src/sys";
import { burst } from "./burst";
import { renderChart } from "./chart";
import { FLOOR_MARK, type FloorResult } from "./floor";
import { leftovers, peakRssPerCall } from "./memory";
import { renderReport, type Results, type Timing } from "./report";
import { CRIO_LXC, REPO, type Runtime, call, copyRootfs, mustCall, runtimesIn, toolVersion, writeBundle } from "./runtimes";
import { hyperfine, interleaved, lifecycle, median, reapOrphans, type TimingOptions } from "./timing";

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

/** Bun's floor: the median of a program compiled as dist/crio-lxc is (same flags) that only writes a line. */
function bunFloorMs(opts: TimingOptions): number {
  const source = join(opts.dir, "bun-floor.ts");
  const exe = join(opts.dir, "bun-floor");
  writeFileSync(source, 'require("node:fs").writeSync(1, "ok\\n");\n');
  const build = Bun.spawnSync([process.execPath, "build", source, "--compile", "--minify", "--bytecode", "--no-compile-autoload-dotenv",
    "--no-compile-autoload-bunfig", "--outfile", exe], { stdout: "pipe", stderr: "pipe" });
  if (build.exitCode !== 0) throw new Error(`building the Bun floor program: ${build.stderr.toString()}`);
  const floor = { name: "bun-floor", argv: [exe] } as unknown as Runtime;
  return median(hyperfine([{ rt: floor, args: [] }], opts)[floor.name]);
}

/** Starts a long-running container per runtime, for exec and state. */
function startSleepers(runtimes: Runtime[], bundle: string, dir: string): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const rt of runtimes) {
    const id = `bench-${process.pid}-sleep-${rt.name}`;
    mustCall(rt, ["create", "--bundle", bundle, "--pid-file", join(dir, `${id}.pid`), id], dir);
    mustCall(rt, ["start", id], dir);
    ids[rt.name] = id;
  }
  return ids;
}

function timings(runtimes: Runtime[], opts: TimingOptions, trueBundle: string, sleepBundle: string): Timing[] {
  const { dir } = opts;
  const result: Timing[] = [{
    key: "lifecycle", title: "create→start→wait→delete of /bin/true",
    method: "an in-process loop (this process is the subreaper that reaps init), the three runtimes taking turns round after round; each call spawned by Bun",
    samples: interleaved(runtimes, opts, (rt) => lifecycle(rt, trueBundle, dir)),
  }];
  reapOrphans();
  result.push({
    key: "run", title: "run of /bin/true (foreground, deletes after)",
    method: "hyperfine -N: `RT run --bundle B ID` (crio-lxc, crun and runc all have `run`)",
    samples: hyperfine(runtimes.map((rt) => ({ rt, args: ["run", "--bundle", trueBundle, `bench-${process.pid}-run-${rt.name}`] })), opts),
  });
  reapOrphans();
  const sleepers = startSleepers(runtimes, sleepBundle, dir);
  try {
    result.push({
      key: "exec", title: "exec of /bin/true into a running container",
      method: "hyperfine -N: `RT exec ID /bin/true`, in the foreground (the liveness-probe case)",
      samples: hyperfine(runtimes.map((rt) => ({ rt, args: ["exec", sleepers[rt.name]!, "/bin/true"] })), opts),
    });
    result.push({
      key: "state", title: "state of a running container",
      method: "hyperfine -N: `RT state ID`",
      samples: hyperfine(runtimes.map((rt) => ({ rt, args: ["state", sleepers[rt.name]!] })), opts),
    });
  } finally {
    for (const rt of runtimes) call(rt, ["delete", "--force", sleepers[rt.name]!], dir);
    reapOrphans();
  }
  return result;
}

async function main(): Promise<void> {
  if (!existsSync(CRIO_LXC)) throw new Error(`${CRIO_LXC} is missing: build it first`);
  setChildSubreaper();
  const dir = mkdtempSync(join(tmpdir(), "crio-lxc-bench-"));
  const opts: TimingOptions = { runs: Number(process.env.BENCH_RUNS ?? 30), warmup: Number(process.env.BENCH_WARMUP ?? 3), dir };
  const runtimes = runtimesIn(dir);
  const rootfs = copyRootfs(dir);
  const trueBundle = writeBundle(join(dir, "bundle-true"), { args: ["/bin/true"], rootfs });
  const sleepBundle = writeBundle(join(dir, "bundle-sleep"), { args: ["sleep", "600"], rootfs });
  const started = { date: new Date().toISOString().slice(0, 10), machine: machine(), versions: versions() };
  try {
    const timed = timings(runtimes, opts, trueBundle, sleepBundle);
    const byName = <T>(f: (rt: Runtime) => T) => Object.fromEntries(runtimes.map((rt) => [rt.name, f(rt)])) as Record<Runtime["name"], T>;
    const left = byName((rt) => leftovers(rt, sleepBundle, dir));
    const rss = byName((rt) => peakRssPerCall(rt, sleepBundle, trueBundle, dir, 5));
    reapOrphans();
    const count = Number(process.env.BENCH_BURST ?? 50);
    const bursts = {} as Results["burst"];
    for (const rt of runtimes) { bursts[rt.name] = await burst(rt, sleepBundle, dir, count); reapOrphans(); }
    const results: Results = {
      ...started, runs: opts.runs, warmup: opts.warmup, timings: timed, bunFloorMs: bunFloorMs(opts), leftovers: left, peakRss: rss, burst: bursts,
      floor: floorResult(), fairness: FAIRNESS,
    };
    const outDir = process.env.BENCH_OUT_DIR ?? join(REPO, "bench");
    mkdirSync(outDir, { recursive: true });
    const base = `results-${started.date}`;
    writeFileSync(join(outDir, `${base}.svg`), renderChart(`crio-lxc vs crun vs runc, ${started.date}`, timed.map((t) => ({ title: t.title, samples: t.samples }))));
    const report = renderReport(results, `${base}.svg`);
    writeFileSync(join(outDir, `${base}.md`), report);
    console.log(report);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
