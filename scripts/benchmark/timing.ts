// Timing: hyperfine for single commands, an in-process loop where the
// container's init must be reaped by a subreaper (this process).
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { waitpid, WNOHANG } from "../../src/sys";
import { mustCall, type Runtime, type RuntimeName, runtimeEnv } from "./runtimes";

/** Milliseconds per run, per runtime. */
export type Samples = Record<RuntimeName, number[]>;

export interface TimingOptions { runs: number; warmup: number; dir: string }

export function median(xs: number[]): number {
  return quantile(xs, 0.5);
}

/** Linear interpolation between the closest ranks. */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
}

/**
 * hyperfine without a shell (-N), each command `warmup` + `runs` times; the
 * commands' output goes to /dev/null. A failing run fails the benchmark.
 */
export function hyperfine(commands: Array<{ rt: Runtime; args: string[] }>, opts: TimingOptions): Samples {
  const json = join(opts.dir, "hyperfine.json");
  const argv = ["hyperfine", "-N", "--style", "none", "--output", "null", "--warmup", String(opts.warmup), "--runs", String(opts.runs), "--export-json", json];
  for (const { rt, args } of commands) {
    const words = [...rt.argv, ...args];
    if (words.some((w) => /\s/.test(w))) throw new Error(`hyperfine -N splits on spaces: ${words.join(" ")}`);
    argv.push("-n", rt.name, words.join(" "));
  }
  const p = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe", env: runtimeEnv(opts.dir) });
  if (p.exitCode !== 0) throw new Error(`hyperfine failed: ${p.stderr.toString()}`);
  const results = JSON.parse(readFileSync(json, "utf8")).results as Array<{ command: string; times: number[] }>;
  rmSync(json);
  return Object.fromEntries(results.map((r) => [r.command, r.times.map((s) => s * 1000)])) as Samples;
}

/** Reaps what reached us as the subreaper: killed monitors, exited containers. */
export function reapOrphans(): void {
  try {
    for (;;) if (waitpid(-1, WNOHANG)[0] <= 0) return;
  } catch {
    // ECHILD: nothing left.
  }
}

let seq = 0;

/** create → start → wait (this process is the subreaper: init is reaped here) → delete. */
export function lifecycle(rt: Runtime, bundle: string, dir: string): number {
  const id = `bench-${process.pid}-${rt.name}-${++seq}`;
  const pidFile = join(dir, `${id}.pid`);
  const t0 = performance.now();
  mustCall(rt, ["create", "--bundle", bundle, "--pid-file", pidFile, id], dir);
  mustCall(rt, ["start", id], dir);
  waitpid(Number(readFileSync(pidFile, "utf8")), 0);
  mustCall(rt, ["delete", id], dir);
  const ms = performance.now() - t0;
  rmSync(pidFile, { force: true });
  reapOrphans();
  return ms;
}

/**
 * Runs `fn` for each runtime in turn, round after round, so that a noisy
 * neighbour slows all three alike; the first `warmup` rounds are dropped.
 */
export function interleaved(runtimes: Runtime[], opts: TimingOptions, fn: (rt: Runtime) => number): Samples {
  const samples = Object.fromEntries(runtimes.map((rt) => [rt.name, [] as number[]])) as unknown as Samples;
  for (let round = 0; round < opts.warmup + opts.runs; round++) {
    for (const rt of runtimes) {
      const ms = fn(rt);
      if (round >= opts.warmup) samples[rt.name].push(ms);
    }
  }
  return samples;
}
