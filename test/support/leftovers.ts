// What a container can leave behind on the host, found by a marker string
// (the test's sandbox directory and its container ids): cgroups, mounts,
// processes, state directories. Fault tests compare these before and after.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BIN, reapOrphans, type Sandbox } from "./runtime";

const CGROUP_ROOT = "/sys/fs/cgroup";

/** cgroup directories (up to 3 levels down) whose name contains `marker`. */
export function cgroupsMatching(marker: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries;
    try { entries = readdirSync(join(CGROUP_ROOT, dir), { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const path = dir ? `${dir}/${e.name}` : e.name;
      if (e.name.includes(marker)) found.push(path);
      else if (depth < 3) walk(path, depth + 1);
    }
  };
  walk("", 1);
  return found;
}

/** Lines of our mount table that mention `marker`. */
export function mountsMatching(marker: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => l.includes(marker));
}

export interface HostProcess { pid: number; state: string; cmdline: string; cgroup: string }

function readProcess(pid: number): HostProcess | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return {
      pid,
      state: stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3),
      cmdline: readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim(),
      cgroup: readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n").find((l) => l.startsWith("0::")) ?? "",
    };
  } catch {
    return undefined;
  }
}

/** Live (not zombie) processes whose command line or cgroup mentions `marker`, after reaping what reached us. */
export function processesMatching(marker: string): HostProcess[] {
  reapOrphans();
  const all = readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map(Number);
  return all.map(readProcess).filter((p): p is HostProcess =>
    !!p && p.pid !== process.pid && p.state !== "Z" && (p.cmdline.includes(marker) || p.cgroup.includes(marker)));
}

export function stateDirs(sb: Sandbox): string[] {
  return existsSync(sb.root) ? readdirSync(sb.root) : [];
}

export interface Leftovers { cgroups: string[]; mounts: string[]; processes: string[]; stateDirs: string[] }

/**
 * Everything the sandbox's containers left: cgroups named after `idMarker`,
 * mounts of the sandbox, processes that name it (monitors, holds, hooks whose
 * paths name the id) or are in its cgroups, state directories named after it.
 */
export function leftovers(sb: Sandbox, idMarker: string): Leftovers {
  return {
    cgroups: cgroupsMatching(idMarker),
    mounts: mountsMatching(sb.dir),
    processes: processesMatching(idMarker).map((p) => `${p.pid} ${p.state} ${p.cmdline} [${p.cgroup}]`),
    stateDirs: stateDirs(sb).filter((dir) => dir.includes(idMarker)),
  };
}

export const NOTHING_LEFT: Leftovers = { cgroups: [], mounts: [], processes: [], stateDirs: [] };

/** Waits (up to `timeoutMs`) until nothing is left, and returns what still is. */
export async function settledLeftovers(sb: Sandbox, idMarker: string, timeoutMs = 5_000): Promise<Leftovers> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = leftovers(sb, idMarker);
    const empty = Object.values(left).every((list) => list.length === 0);
    if (empty || Date.now() > deadline) return left;
    await Bun.sleep(20);
  }
}

/** The runtime started in the background, e.g. to be stopped at a CRIO_LXC_TEST_PAUSE_AT step. */
export function spawnRuntime(sb: Sandbox, args: string[], env: Record<string, string> = {}, outFile?: string) {
  const out = outFile ?? join(sb.dir, `bg-${Date.now()}-${Math.random().toString(36).slice(2)}.out`);
  const fd = require("node:fs").openSync(out, "w");
  const proc = Bun.spawn([BIN, "--root", sb.root, ...args], { env: sb.env(env), stdout: fd, stderr: fd, stdin: "ignore" });
  require("node:fs").closeSync(fd);
  return { proc, out: () => readFileSync(out, "utf8") };
}

/** Waits until `pid` is stopped (SIGSTOP: state T) or has exited; true if stopped. */
export async function waitStopped(pid: number, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const p = readProcess(pid);
    if (!p || p.state === "Z") return false;
    if (p.state === "T") return true;
    await Bun.sleep(5);
  }
  return false;
}
