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

/** hyperfine -N of any named commands; milliseconds per run by name. */
export function hyperfineNamed(commands: Array<{ name: string; argv: string[] }>, opts: TimingOptions): Record<string, number[]> {
  const json = join(opts.dir, "hyperfine.json");
  const argv = ["hyperfine", "-N", "--style", "none", "--output", "null", "--warmup", String(opts.warmup), "--runs", String(opts.runs), "--export-json", json];
  for (const { name, argv: words } of commands) {
    if (words.some((w) => /\s/.test(w))) throw new Error(`hyperfine -N splits on spaces: ${words.join(" ")}`);
    argv.push("-n", name, words.join(" "));
  }
  const p = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe", env: runtimeEnv(opts.dir) });
  if (p.exitCode !== 0) throw new Error(`hyperfine failed: ${p.stderr.toString()}`);
  const results = JSON.parse(readFileSync(json, "utf8")).results as Array<{ command: string; times: number[] }>;
  rmSync(json);
  return Object.fromEntries(results.map((r) => [r.command, r.times.map((s) => s * 1000)]));
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

/** The calls a lifecycle is made of, timed one by one, and the whole (`lifecycle`). */
export { timed };

export const LIFECYCLE_PARTS = ["lifecycle", "create", "start", "delete"] as const;
export type LifecyclePart = (typeof LIFECYCLE_PARTS)[number];

const timed = (f: () => void) => { const t0 = performance.now(); f(); return performance.now() - t0; };

/** create → start → wait (this process is the subreaper: init is reaped here) → delete, each call timed. */
export function lifecycle(rt: Runtime, bundle: string, dir: string): Record<LifecyclePart, number> {
  const id = `bench-${process.pid}-${rt.name}-${++seq}`;
  const pidFile = join(dir, `${id}.pid`);
  const t0 = performance.now();
  const create = timed(() => mustCall(rt, ["create", "--bundle", bundle, "--pid-file", pidFile, id], dir));
  const start = timed(() => mustCall(rt, ["start", id], dir));
  waitpid(Number(readFileSync(pidFile, "utf8")), 0);
  const del = timed(() => mustCall(rt, ["delete", id], dir));
  const ms = performance.now() - t0;
  rmSync(pidFile, { force: true });
  reapOrphans();
  return { lifecycle: ms, create, start, delete: del };
}

/** One call timed, spawned as every call of the loops is (runtimes.ts's call: Bun.spawnSync, stderr to a file). */
export function spawnedMs(rt: Runtime, args: string[], dir: string): number {
  return timed(() => mustCall(rt, args, dir));
}

/**
 * Runs `fn` for each runtime in turn, round after round, so that a noisy
 * neighbour slows all three alike; the first `warmup` rounds are dropped.
 * `fn` returns several named times; the result has samples per name.
 */
export function interleaved<K extends string>(runtimes: Runtime[], opts: TimingOptions, fn: (rt: Runtime) => Record<K, number>): Record<K, Samples> {
  const out = {} as Record<K, Samples>;
  for (let round = 0; round < opts.warmup + opts.runs; round++) {
    for (const rt of runtimes) {
      const parts = fn(rt);
      if (round < opts.warmup) continue;
      for (const [k, ms] of Object.entries(parts) as Array<[K, number]>) {
        out[k] ??= Object.fromEntries(runtimes.map((r) => [r.name, [] as number[]])) as unknown as Samples;
        out[k][rt.name].push(ms);
      }
    }
  }
  return out;
}
