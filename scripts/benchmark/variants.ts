// The "worth measuring": build variants of dist/crio-lxc and of the
// floor program F (into the temp dir; scripts/build.ts is not changed), what
// Bun does before main (strace -c of F), and the cost of forking from a Bun
// process. Each variant's calls are timed in the same run as the build as it is.
import { mkdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { waitpid } from "../../src/sys";
import { join } from "node:path";
import { call, CRIO_LXC, mustCall, type Runtime, runtimeEnv } from "./runtimes";
import { BUILD_FLAGS, compile, FLOOR_PROGRAMS, type FloorCommand } from "./start-floor";
import { lifecycle, median, reapOrphans, spawnedMs, type TimingOptions } from "./timing";

export interface VariantRow { name: string; flags: string; sizeMb: number; version: number; state: number; lifecycle: number; error?: string }
export interface FloorVariantRow { name: string; flags: string; ms: number }
export interface VariantResults {
  crioLxc: VariantRow[];
  floor: FloorVariantRow[];
  /** strace -f -c of F: syscalls by count, the total and the threads Bun starts. */
  straceF: { total: number; byName: Array<[string, number]>; threads: number };
  /** µs per fork()+_exit+waitpid, from a small C program and from a Bun program compiled as dist/crio-lxc is. */
  fork: { cUs: number; bunUs: number };
  /** ms to move a process into a new cgroup (a write to cgroup.procs): after 200 ms without one, and right after another. */
  migration: { idle: number[]; backToBack: number[] };
}

const without = (flag: string) => BUILD_FLAGS.filter((f) => f !== flag);

const CRIO_VARIANTS: Array<{ name: string; flags: (orderFile: string) => string[] }> = [
  { name: "no --sourcemap", flags: () => without("--sourcemap") },
  { name: "no --minify", flags: () => without("--minify") },
  { name: "no --bytecode", flags: () => without("--bytecode") },
  { name: "--compile-exec-argv=--smol", flags: () => [...BUILD_FLAGS, "--compile-exec-argv=--smol"] },
  { name: "--bytecode-order (recorded create, start, exec, state, delete)", flags: (order) => [...BUILD_FLAGS, `--bytecode-order=${order}`] },
  { name: "no --splitting (one ESM bundle: every call loads all of it)", flags: () => without("--splitting") },
  { name: "Bun's JIT policy (no --compile-jit-policy=10)", flags: () => without("--compile-jit-policy=10") },
];

/** Records the bytecode order of each kind of call (BUN_BYTECODE_ORDER_OUT), most frequent first. */
function recordBytecodeOrder(rt: Runtime, trueBundle: string, sleepBundle: string, dir: string): string {
  const files: string[] = [];
  const run = (name: string, args: string[]) => {
    const out = join(dir, `order-${name}.txt`);
    const p = Bun.spawnSync([...rt.argv, ...args], { stdin: "ignore", stdout: "ignore", stderr: "ignore", env: { ...runtimeEnv(dir), BUN_BYTECODE_ORDER_OUT: out } });
    if (p.exitCode !== 0) throw new Error(`recording the bytecode order of ${name}: exit ${p.exitCode}`);
    files.push(out);
  };
  const id = `bench-${process.pid}-order`;
  run("create", ["create", "--bundle", sleepBundle, "--pid-file", join(dir, `${id}.pid`), id]);
  run("start", ["start", id]);
  run("exec", ["exec", id, "/bin/true"]);
  run("state", ["state", id]);
  run("delete", ["delete", "--force", id]);
  reapOrphans();
  void trueBundle;
  // Most important first: state and exec are the frequent calls.
  return ["state", "exec", "create", "start", "delete"].map((n) => files.find((f) => f.endsWith(`order-${n}.txt`))!).join(",");
}

function straceOfF(exe: string, dir: string): VariantResults["straceF"] {
  const out = join(dir, "strace-c.txt");
  Bun.spawnSync(["strace", "-f", "-c", "-o", out, exe], { stdout: "ignore", stderr: "ignore" });
  const rows = readFileSync(out, "utf8").split("\n").map((l) => l.trim().split(/\s+/)).filter((w) => w.length >= 5 && /^\d/.test(w[0]!));
  // % time, seconds, usecs/call, calls, [errors], syscall
  const byName = rows.filter((w) => w[w.length - 1] !== "total").map((w) => [w[w.length - 1]!, Number(w[3])] as [string, number]).sort((a, b) => b[1] - a[1]);
  const total = Number(rows.find((w) => w[w.length - 1] === "total")?.[3] ?? 0);
  const threads = byName.find(([n]) => n === "clone3")?.[1] ?? 0;
  rmSync(out, { force: true });
  return { total, byName: byName.slice(0, 10), threads };
}

/**
 * A cgroup move (a pid written to cgroup.procs) waits for an RCU grace period
 * unless another move happened just before: what liblxc pays for the monitor
 * and init, runc for its init, and main.ts's cgroup warm-up pays ahead.
 */
function migrationCost(): VariantResults["migration"] {
  const base = `/sys/fs/cgroup/crio-lxc-bench-migration-${process.pid}`;
  mkdirSync(base);
  const idle: number[] = [], backToBack: number[] = [];
  try {
    for (let i = 0; i < 12; i++) {
      const child = Bun.spawn(["sleep", "10"], { stdio: ["ignore", "ignore", "ignore"] });
      const dir = `${base}/c${i}`;
      mkdirSync(dir);
      if (i % 2 === 0) Bun.sleepSync(200);
      const t0 = performance.now();
      writeFileSync(`${dir}/cgroup.procs`, String(child.pid));
      (i % 2 === 0 ? idle : backToBack).push(performance.now() - t0);
      child.kill(9);
      waitpid(child.pid, 0);
      rmdirSync(dir);
    }
  } finally {
    rmdirSync(base);
  }
  return { idle, backToBack };
}

const FORK_C = `#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
double fork_wait_us(int n) {
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0) _exit(0);
		waitpid(p, 0, 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 / n;
}
#ifdef MAIN
int main(void) { fork_wait_us(20); printf("%f\\n", fork_wait_us(200)); return 0; }
#endif
`;

function forkCost(dir: string): VariantResults["fork"] {
  const src = join(dir, "fork.c");
  writeFileSync(src, FORK_C);
  const so = join(dir, "fork.so"), exe = join(dir, "fork-c");
  for (const argv of [["gcc", "-O2", "-shared", "-fPIC", "-o", so, src], ["gcc", "-O2", "-DMAIN", "-o", exe, src]]) {
    const p = Bun.spawnSync(argv, { stderr: "pipe" });
    if (p.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${p.stderr.toString()}`);
  }
  const bunExe = compile(dir, "fork-bun", `const { dlopen, FFIType } = require("bun:ffi");
const lib = dlopen(${JSON.stringify(so)}, { fork_wait_us: { args: [FFIType.i32], returns: FFIType.f64 } });
lib.symbols.fork_wait_us(20);
require("node:fs").writeSync(1, String(lib.symbols.fork_wait_us(200)) + "\\n");
`);
  const run = (argv: string[]) => Number(Bun.spawnSync(argv, { stdout: "pipe" }).stdout.toString().trim());
  const c = [run([exe]), run([exe]), run([exe])], b = [run([bunExe]), run([bunExe]), run([bunExe])];
  return { cUs: median(c), bunUs: median(b) };
}

export async function measureVariants(dir: string, base: Runtime, trueBundle: string, sleepBundle: string, F: FloorCommand, opts: TimingOptions): Promise<VariantResults> {
  const order = recordBytecodeOrder(base, trueBundle, sleepBundle, dir);
  const builds: Array<{ name: string; flags: string; exe: string; error?: string }> = [{ name: "as built (scripts/build.ts)", flags: BUILD_FLAGS.join(" "), exe: CRIO_LXC }];
  for (const [i, v] of CRIO_VARIANTS.entries()) {
    const flags = v.flags(order);
    try {
      builds.push({ name: v.name, flags: flags.join(" "), exe: compile(dir, `crio-lxc-variant-${i}`, "", flags, "src/main.ts") });
    } catch (err) {
      builds.push({ name: v.name, flags: flags.join(" "), exe: "", error: (err as Error).message.split("\n")[0] });
    }
  }
  const runtimeOf = (exe: string): Runtime => ({ ...base, argv: [exe, ...base.argv.slice(1)] });
  // A running container for state, created by the build as it is.
  const id = `bench-${process.pid}-variants`;
  mustCall(base, ["create", "--bundle", sleepBundle, "--pid-file", join(dir, `${id}.pid`), id], dir);
  mustCall(base, ["start", id], dir);
  const ok = builds.filter((b) => b.exe);
  const times: Record<string, { version: number[]; state: number[]; lifecycle: number[] }> = {};
  try {
    // The variants take turns call by call, round after round: the same load for all.
    for (let round = 0; round < opts.warmup + opts.runs; round++) {
      for (const b of ok) {
        if (b.error) continue;
        const rt = runtimeOf(b.exe);
        try {
          const version = spawnedMs({ ...rt, argv: [b.exe] }, ["--version"], dir);
          const state = spawnedMs(rt, ["state", id], dir);
          const life = lifecycle(rt, trueBundle, dir).lifecycle;
          if (round < opts.warmup) continue;
          const t = (times[b.name] ??= { version: [], state: [], lifecycle: [] });
          t.version.push(version); t.state.push(state); t.lifecycle.push(life);
        } catch (err) {
          b.error = `failed: ${(err as Error).message.split("\n")[0]}`;
        }
      }
    }
  } finally {
    call(base, ["delete", "--force", id], dir);
    reapOrphans();
  }
  const crioLxc: VariantRow[] = builds.map((b) => {
    const t = times[b.name];
    return {
      name: b.name, flags: b.flags, sizeMb: b.exe ? statSync(b.exe).size / 1e6 : NaN,
      version: t ? median(t.version) : NaN, state: t ? median(t.state) : NaN, lifecycle: t ? median(t.lifecycle) : NaN,
      ...(b.error ? { error: b.error } : {}),
    };
  });
  for (const b of builds) if (b.exe && b.exe !== CRIO_LXC) rmSync(b.exe, { force: true });
  // F in the same variants.
  const fSource = FLOOR_PROGRAMS[F.name.replace(/^F: /, "")] ?? FLOOR_PROGRAMS["console.log"]!;
  const fBuilds = [
    { name: "F as built", flags: BUILD_FLAGS },
    { name: "F, no --sourcemap", flags: without("--sourcemap") },
    { name: "F, no --minify", flags: without("--minify") },
    { name: "F, no --bytecode", flags: without("--bytecode") },
    { name: "F, --compile-exec-argv=--smol", flags: [...BUILD_FLAGS, "--compile-exec-argv=--smol"] },
  ].map((b, i) => ({ ...b, exe: compile(dir, `floor-variant-${i}`, fSource, b.flags) }));
  const fTimes: Record<string, number[]> = {};
  for (let round = 0; round < opts.warmup + Math.max(opts.runs, 20); round++) {
    for (const b of fBuilds) {
      const t = spawnedMs({ ...base, argv: [b.exe] }, [], dir);
      if (round >= opts.warmup) (fTimes[b.name] ??= []).push(t);
    }
  }
  const floor = fBuilds.map((b) => ({ name: b.name, flags: b.flags.join(" "), ms: median(fTimes[b.name]!) }));
  return { crioLxc, floor, straceF: straceOfF(F.argv[0]!, dir), fork: forkCost(dir), migration: migrationCost() };
}
