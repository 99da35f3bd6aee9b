// The memory floor, run inside scripts/qemu-lane (a real cgroup2 with the
// memory and pids controllers): can each runtime `run` /bin/true in a
// container limited to memory.max = M and pids.max = 1? Tried for several M,
// largest first. Prints one line, FLOOR_MARK + JSON, for scripts/bench to pick up.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { call, copyRootfs, runtimesIn, writeBundle } from "./runtimes";

export const FLOOR_MARK = "BENCH-FLOOR ";
export const FLOOR_LIMITS_MB = [8, 4, 2, 1, 0.5];
export const FLOOR_PIDS = 1;

export interface FloorAttempt { memoryMb: number; code: number; error: string }
export type FloorResult = Record<string, FloorAttempt[]>;

function requireControllers(): void {
  const controllers = readFileSync("/sys/fs/cgroup/cgroup.controllers", "utf8");
  if (!/\bmemory\b/.test(controllers) || !/\bpids\b/.test(controllers)) throw new Error("no memory/pids controller: run this in scripts/qemu-lane");
}

function main(): void {
  requireControllers();
  const dir = mkdtempSync(join(tmpdir(), "crio-lxc-floor-"));
  const rootfs = copyRootfs(dir); // the guest's / is read-only
  const result: FloorResult = {};
  for (const rt of runtimesIn(dir)) {
    result[rt.name] = FLOOR_LIMITS_MB.map((memoryMb) => {
      const bundle = writeBundle(join(dir, `bundle-${memoryMb}`), {
        args: ["/bin/true"], rootfs,
        resources: { memory: { limit: memoryMb * 1024 * 1024 }, pids: { limit: FLOOR_PIDS } },
      });
      const r = call(rt, ["run", "--bundle", bundle, `floor-${rt.name}-${memoryMb}`], dir, { timeoutMs: 180_000 });
      call(rt, ["delete", "--force", `floor-${rt.name}-${memoryMb}`], dir);
      return { memoryMb, code: r.code, error: r.code === 0 ? "" : r.stderr.split("\n").slice(-2).join(" ") };
    });
  }
  console.log(FLOOR_MARK + JSON.stringify(result));
}

if (import.meta.main) main();
