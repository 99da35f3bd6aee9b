// ps: the container's processes, from cgroup.procs of its cgroup and the
// cgroups below it. `table` filters the host's `ps` output to them, as runc does.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { cgroupPath, cgroupProcs } from "../cgroup";
import { statusOf } from "../state";
import { RuntimeError, type RuntimeContext } from "./context";

function allPids(dir: string): number[] {
  let children: string[] = [];
  try {
    children = readdirSync(cgroupPath(dir), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    // Gone: no processes.
  }
  return [...cgroupProcs(dir), ...children.flatMap((child) => allPids(join(dir, child)))];
}

export function containerPids(ctx: RuntimeContext, id: string): number[] {
  const record = ctx.store.load(id);
  if (statusOf(record) === "stopped") throw new RuntimeError(`container ${id} is not running`);
  return allPids(record.cgroupDir).sort((a, b) => a - b);
}

/** The header and the lines of `ps <psArgs>` whose PID column is one of `pids`. */
export function psTable(pids: number[], psArgs: string[]): string {
  const ps = Bun.spawnSync(["ps", ...(psArgs.length ? psArgs : ["-ef"])], { stdout: "pipe", stderr: "pipe" });
  if (ps.exitCode !== 0) throw new RuntimeError(`ps ${psArgs.join(" ")} failed: ${ps.stderr.toString().trim()}`);
  const [header = "", ...lines] = ps.stdout.toString().split("\n");
  const column = header.trim().split(/\s+/).indexOf("PID");
  if (column < 0) throw new RuntimeError(`ps ${psArgs.join(" ")}: its output has no PID column`);
  const wanted = new Set(pids);
  return [header, ...lines.filter((line) => wanted.has(Number(line.trim().split(/\s+/)[column])))].join("\n") + "\n";
}
