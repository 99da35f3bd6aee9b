// Benchmarks crio-lxc against crun and runc in the same run, on the same busybox
// bundle, in the same cgroup2 lane. Prints medians and ratios; asserts nothing.
// Run through scripts/bench (it sets up the machine and the lane).
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setChildSubreaper, waitpid } from "../src/sys";

const REPO = resolve(import.meta.dir, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const WARMUP = 3;
const dir = mkdtempSync(join(tmpdir(), "crio-lxc-bench-"));
setChildSubreaper();

// The same bundle for all three: no device rules (crun 1.8 can't load its device
// BPF under this machine's MEMLOCK limit) and no cgroup limits (the lane has no
// controllers); each runtime gets its own cgroupsPath.
function bundle(args: string[]): string {
  const b = mkdtempSync(join(dir, "bundle-"));
  writeFileSync(join(b, "config.json"), JSON.stringify({
    ociVersion: "1.0.2",
    root: { path: join(REPO, ".cache/busybox-rootfs"), readonly: true },
    process: { user: { uid: 0, gid: 0 }, args, env: ["PATH=/bin"], cwd: "/", noNewPrivileges: true,
      capabilities: Object.fromEntries(["bounding", "effective", "permitted"].map((k) => [k, ["CAP_KILL", "CAP_CHOWN"]])) },
    hostname: "bench",
    mounts: [{ destination: "/proc", type: "proc", source: "proc" }],
    linux: { namespaces: ["pid", "mount", "ipc", "uts", "network"].map((type) => ({ type })) },
  }));
  return b;
}

interface Runtime { name: string; cmd: string[] }
const runtimes: Runtime[] = [
  { name: "crio-lxc", cmd: [join(REPO, "dist/crio-lxc"), "--root", join(dir, "crio-lxc")] },
  { name: "crun", cmd: ["crun", "--root", join(dir, "crun")] },
  { name: "runc", cmd: ["runc", "--root", join(dir, "runc")] },
];

const errFile = join(dir, "stderr");
/** stderr goes to a file: a container inherits it, and a pipe would stay open until it exits. */
function sh(rt: Runtime, args: string[]): void {
  const errFd = openSync(errFile, "w");
  const p = Bun.spawnSync([...rt.cmd, ...args], { stdout: "ignore", stderr: errFd, env: { PATH: process.env.PATH!, CRIO_LXC_LOG_FILE: join(dir, "crio-lxc.log"), CRIO_LXC_ENV_FILE: "" } });
  closeSync(errFd);
  if (p.exitCode !== 0) throw new Error(`${rt.name} ${args.join(" ")}: ${readFileSync(errFile, "utf8").trim()}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

let seq = 0;
/** create → start → wait (we are the subreaper: init is reaped here) → delete. */
function lifecycle(rt: Runtime, b: string): number {
  const id = `bench-${rt.name}-${++seq}`;
  const pidFile = join(dir, `${id}.pid`);
  const t0 = performance.now();
  sh(rt, ["create", "--bundle", b, "--pid-file", pidFile, id]);
  sh(rt, ["start", id]);
  waitpid(Number(readFileSync(pidFile, "utf8")), 0);
  sh(rt, ["delete", id]);
  return performance.now() - t0;
}

function measure(label: string, fn: (rt: Runtime) => number) {
  const row: Record<string, number> = {};
  for (const rt of runtimes) {
    for (let i = 0; i < WARMUP; i++) fn(rt);
    const times: number[] = [];
    // Interleaving would be fairer on a noisy machine, but each runtime's
    // caches warm up separately; we measure them back to back.
    for (let i = 0; i < RUNS; i++) times.push(fn(rt));
    row[rt.name] = median(times);
  }
  return { label, row };
}

function stateOf(rt: Runtime, id: string): number {
  const t0 = performance.now();
  sh(rt, ["state", id]);
  return performance.now() - t0;
}

/** USS and PSS in MB, from smaps_rollup. */
function memoryOf(pid: number): { uss: number; pss: number } {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(rollup)?.[1] ?? 0);
    return { uss: (kb("Private_Clean") + kb("Private_Dirty")) / 1024, pss: kb("Pss") / 1024 };
  } catch {
    return { uss: 0, pss: 0 };
  }
}
const mb = ({ uss, pss }: { uss: number; pss: number }) => `USS ${uss.toFixed(1)} MB / PSS ${pss.toFixed(1)} MB`;

const trueBundle = bundle(["/bin/true"]);
const sleepBundle = bundle(["sleep", "600"]);
const results = [measure("create→start→wait→delete /bin/true", (rt) => lifecycle(rt, trueBundle))];

// state of a running container
const running: Record<string, string> = {};
for (const rt of runtimes) {
  const id = `bench-state-${rt.name}`;
  sh(rt, ["create", "--bundle", sleepBundle, "--pid-file", join(dir, `${id}.pid`), id]);
  sh(rt, ["start", id]);
  running[rt.name] = id;
}
results.push(measure("state of a running container", (rt) => stateOf(rt, running[rt.name]!)));

// Memory: what each runtime leaves alive per created, and per running, container.
const memory: string[] = [];
const createdId = "bench-mem-created";
sh(runtimes[0]!, ["create", "--bundle", sleepBundle, "--pid-file", join(dir, "mem.pid"), createdId]);
const record = JSON.parse(readFileSync(join(dir, "crio-lxc", createdId, "state.json"), "utf8"));
const hookPids = Bun.spawnSync(["pgrep", "-P", String(record.monitor.pid)]).stdout.toString().trim().split("\n").filter(Boolean).map(Number)
  .filter((p) => p !== record.init.pid);
// While created, the monitor and the not-yet-exec'd init share most pages (init is a
// fork of the monitor), so USS alone understates them: PSS splits shared pages fairly.
memory.push(`created container: monitor ${mb(memoryOf(record.monitor.pid))}; init before exec ${mb(memoryOf(record.init.pid))}; start-host hook (sh) ${hookPids.map((p) => mb(memoryOf(p))).join(", ")}`);
memory.push("running container: 0 crio-lxc processes (the monitor is gone after start; conmon reaps init)");
sh(runtimes[0]!, ["delete", "--force", createdId]);

for (const rt of runtimes) sh(rt, ["delete", "--force", running[rt.name]!]);
try { for (;;) waitpid(-1, 0); } catch { /* all reaped */ }

const lines = [
  `# crio-lxc benchmark — ${new Date().toISOString()}, ${RUNS} runs (+${WARMUP} warm-up), medians, ${Bun.spawnSync(["uname", "-r"]).stdout.toString().trim()}, ${navigator.hardwareConcurrency} cores`,
  "",
  "| measure | crio-lxc | crun | runc | ×crun | ×runc |",
  "|---|---|---|---|---|---|",
  ...results.map(({ label, row }) => `| ${label} | ${row["crio-lxc"]!.toFixed(1)} ms | ${row.crun!.toFixed(1)} ms | ${row.runc!.toFixed(1)} ms | ${(row["crio-lxc"]! / row.crun!).toFixed(2)} | ${(row["crio-lxc"]! / row.runc!).toFixed(2)} |`),
  "",
  ...memory.map((m) => `- ${m}`),
];
console.log(lines.join("\n"));
if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, `${lines.join("\n")}\n`);
rmSync(dir, { recursive: true, force: true });

