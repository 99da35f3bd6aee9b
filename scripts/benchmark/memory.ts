// Memory: what a runtime leaves alive per created and per running container
// (USS and PSS from smaps_rollup), and the peak RSS of each CLI call.
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { call, mustCall, type Runtime } from "./runtimes";
import { median, reapOrphans } from "./timing";

export interface ProcessMemory { pid: number; comm: string; isInit: boolean; ussMb: number; pssMb: number }

/** USS (private pages) and PSS (shared pages split between their users), in MB. */
export function memoryOf(pid: number): { ussMb: number; pssMb: number } {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(rollup)?.[1] ?? 0);
    return { ussMb: (kb("Private_Clean") + kb("Private_Dirty")) / 1024, pssMb: kb("Pss") / 1024 };
  } catch {
    return { ussMb: 0, pssMb: 0 };
  }
}

/** The parent of a living process; undefined for zombies (they hold no memory) and the gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return state === "Z" ? undefined : Number(ppid);
  } catch {
    return undefined;
  }
}

/** Every living process below `root` (orphans of runtime calls are reparented to us, the subreaper). */
export function descendants(root = process.pid): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = parentOf(Number(name));
    if (ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const found: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length) {
    const pid = queue.shift()!;
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

const commOf = (pid: number) => { try { return readFileSync(`/proc/${pid}/comm`, "utf8").trim(); } catch { return "?"; } };

function snapshot(initPid: number, includeInit: boolean): ProcessMemory[] {
  return descendants()
    .filter((pid) => includeInit || pid !== initPid)
    .map((pid) => ({ pid, comm: commOf(pid), isInit: pid === initPid, ...memoryOf(pid) }));
}

export interface Leftovers { created: ProcessMemory[]; running: ProcessMemory[] }

/**
 * Creates a container of `bundle` and lists every process alive below us once
 * `create` returned (the container's future init included: for crio-lxc and
 * runc it is still a copy of the runtime), then after `start` every process
 * but the container's own.
 */
export function leftovers(rt: Runtime, bundle: string, dir: string): Leftovers {
  const id = `bench-${process.pid}-mem-${rt.name}`;
  const pidFile = join(dir, `${id}.pid`);
  reapOrphans();
  mustCall(rt, ["create", "--bundle", bundle, "--pid-file", pidFile, id], dir);
  try {
    const init = Number(readFileSync(pidFile, "utf8"));
    Bun.sleepSync(100); // let the runtime's own helpers settle
    const created = snapshot(init, true);
    mustCall(rt, ["start", id], dir);
    Bun.sleepSync(100);
    return { created, running: snapshot(init, false) };
  } finally {
    call(rt, ["delete", "--force", id], dir);
    rmSync(pidFile, { force: true });
  }
}

export const sumOf = (ps: ProcessMemory[], key: "ussMb" | "pssMb") => ps.reduce((s, p) => s + p[key], 0);

/** Peak RSS (MB) of one call, through GNU time: its fork()ed child starts small, unlike a vfork from Bun. */
export function peakRss(rt: Runtime, args: string[], dir: string): number {
  const out = join(dir, "time.out");
  const r = call(rt, args, dir, { prefix: ["/usr/bin/time", "-f", "%M", "-o", out] });
  if (r.code !== 0) throw new Error(`${rt.name} ${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
  return Number(readFileSync(out, "utf8").trim().split("\n").pop()) / 1024;
}

export type CallName = "create" | "start" | "state" | "exec" | "delete" | "run";

/** Median peak RSS of each call over `runs` lifecycles of `bundle` (a long-running process, for state and exec). */
export function peakRssPerCall(rt: Runtime, bundle: string, trueBundle: string, dir: string, runs: number): Record<CallName, number> {
  const rss: Record<CallName, number[]> = { create: [], start: [], state: [], exec: [], delete: [], run: [] };
  for (let i = 0; i < runs; i++) {
    const id = `bench-${process.pid}-rss-${rt.name}-${i}`;
    rss.create.push(peakRss(rt, ["create", "--bundle", bundle, "--pid-file", join(dir, `${id}.pid`), id], dir));
    rss.start.push(peakRss(rt, ["start", id], dir));
    rss.state.push(peakRss(rt, ["state", id], dir));
    rss.exec.push(peakRss(rt, ["exec", id, "/bin/true"], dir));
    mustCall(rt, ["kill", id, "9"], dir);
    Bun.sleepSync(50);
    reapOrphans();
    rss.delete.push(peakRss(rt, ["delete", "--force", id], dir));
    rss.run.push(peakRss(rt, ["run", "--bundle", trueBundle, `${id}-run`], dir));
    rmSync(join(dir, `${id}.pid`), { force: true });
  }
  return Object.fromEntries(Object.entries(rss).map(([k, v]) => [k, median(v)])) as Record<CallName, number>;
}
