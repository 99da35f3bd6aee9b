// What containers that are gone may have left behind on the host: cgroups,
// mounts, crio-lxc state directories, processes (conmon, the liblxc monitor,
// a start-host hook, crio-lxc itself).
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { BIN } from "./runtime";

/** The default --root, which podman uses (it passes none). */
export const STATE_ROOT = "/run/crio-lxc";

function cgroupDirs(dir: string, out: string[] = []): string[] {
  let entries;
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return out; } // removed meanwhile
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    out.push(join(dir, e.name));
    cgroupDirs(join(dir, e.name), out);
  }
  return out;
}

function readOrEmpty(file: string): string {
  try { return readFileSync(file, "utf8"); } catch { return ""; }
}

/**
 * One line per thing on the host that names one of `needles` (container ids,
 * paths such as an overlay's merged directory), and per process running
 * dist/crio-lxc; [] when nothing is left.
 */
export function leftovers(needles: string[]): string[] {
  const found: string[] = [];
  const names = (s: string) => needles.some((n) => s.includes(n));
  for (const dir of cgroupDirs("/sys/fs/cgroup")) if (names(dir)) found.push(`cgroup ${dir}`);
  for (const line of readOrEmpty("/proc/self/mountinfo").split("\n")) if (line && names(line)) found.push(`mount ${line}`);
  for (const id of needles) if (existsSync(join(STATE_ROOT, id))) found.push(`state directory ${join(STATE_ROOT, id)}`);
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)) {
    const args = readOrEmpty(`/proc/${pid}/cmdline`).replaceAll("\0", " ").trim();
    let exe = "";
    try { exe = readlinkSync(`/proc/${pid}/exe`); } catch { /* gone, or a kernel thread */ }
    if (names(args) || exe === BIN) found.push(`process ${pid} (${exe}): ${args}`);
  }
  return found;
}

/**
 * leftovers() once nothing is left, or what is still there after `timeoutMs`:
 * conmon exits, and runs podman's exit command, after `podman rm` returned.
 */
export async function leftoversOnceSettled(needles: string[], timeoutMs = 15_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = leftovers(needles);
    if (found.length === 0 || Date.now() > deadline) return found;
    await Bun.sleep(100);
  }
}
