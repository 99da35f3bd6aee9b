// Many containers created and started at once: wall time, failures, and (in a
// second, sampled pass, so sampling doesn't slow the timed one) peak memory.
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { call, type Runtime, runtimeEnv } from "./runtimes";
import { descendants, memoryOf } from "./memory";

export interface BurstResult {
  count: number;
  wallMs: number;
  /** Of the timed pass; the sampled pass's own are in sampledFailures. */
  failures: string[];
  sampledFailures: string[];
  peakPssMb: number;
}

async function spawnCall(rt: Runtime, args: string[], dir: string, errFile: string): Promise<number> {
  const errFd = openSync(errFile, "w");
  try {
    const p = Bun.spawn([...rt.argv, ...args], { stdin: "ignore", stdout: "ignore", stderr: errFd, env: runtimeEnv(dir) });
    return await p.exited;
  } finally {
    closeSync(errFd);
  }
}

/** create then start, one container; undefined on success, else why not. */
async function createAndStart(rt: Runtime, bundle: string, dir: string, id: string): Promise<string | undefined> {
  const errFile = join(dir, `${id}.stderr`);
  for (const args of [["create", "--bundle", bundle, "--pid-file", join(dir, `${id}.pid`), id], ["start", id]]) {
    const code = await spawnCall(rt, args, dir, errFile);
    if (code !== 0) return `${id} ${args[0]}: exit ${code}: ${readFileSync(errFile, "utf8").trim().split("\n").pop()}`;
  }
  return undefined;
}

/** Σ PSS of every process below us, sampled until `done` settles; the largest sum seen. */
async function samplePeakPss(done: Promise<unknown>): Promise<number> {
  let finished = false;
  void done.finally(() => { finished = true; });
  let peak = 0;
  while (!finished) {
    peak = Math.max(peak, descendants().reduce((sum, pid) => sum + memoryOf(pid).pssMb, 0));
    await Bun.sleep(10);
  }
  return peak;
}

function deleteAll(rt: Runtime, ids: string[], dir: string): void {
  for (const id of ids) call(rt, ["delete", "--force", id], dir);
}

async function oneBurst(rt: Runtime, bundle: string, dir: string, count: number, pass: string, sample: boolean) {
  const ids = Array.from({ length: count }, (_, i) => `bench-${process.pid}-${pass}-${rt.name}-${i}`);
  const t0 = performance.now();
  const all = Promise.all(ids.map((id) => createAndStart(rt, bundle, dir, id)));
  const [outcomes, peak] = await Promise.all([all, sample ? samplePeakPss(all) : Promise.resolve(0)]);
  const wallMs = performance.now() - t0;
  deleteAll(rt, ids, dir);
  return { wallMs, failures: outcomes.filter((o): o is string => o !== undefined), peak };
}

export async function burst(rt: Runtime, bundle: string, dir: string, count: number): Promise<BurstResult> {
  const timed = await oneBurst(rt, bundle, dir, count, "burst", false);
  const sampled = await oneBurst(rt, bundle, dir, count, "burstmem", true);
  return { count, wallMs: timed.wallMs, failures: timed.failures, sampledFailures: sampled.failures, peakPssMb: sampled.peak };
}
