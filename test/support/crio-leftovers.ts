// What pods that are gone may have left in the CRI-O lane: pods or containers
// CRI-O still lists, runtime state directories, pinned namespaces, mounts,
// cgroups and processes. Empty lists mean the lane is as it was.
import { readdirSync, readFileSync, readlinkSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { BIN } from "./runtime";

const LANE_DIR = process.env.CRIO_LANE_DIR ?? "";
const CGROUP_ROOT = "/sys/fs/cgroup";
/** Where the pods' cgroups go (the kubelet's cgroupfs layout). */
const KUBEPODS = "kubepods";
/** CRI-O's cgroups for a container and its conmon (cgroupfs manager). */
const CRIO_CGROUP = /^crio-(conmon-)?[0-9a-f]{64}$/;
/** crio-lxc's default CRIO_LXC_MONITOR_CGROUP. */
const MONITOR_PARENT = "crio-lxc-monitor";

function list(dir: string): string[] {
  try { return readdirSync(dir); } catch { return []; }
}

function read(file: string): string {
  try { return readFileSync(file, "utf8"); } catch { return ""; }
}

function cgroupDirs(dir: string, out: string[] = []): string[] {
  for (const e of (() => { try { return readdirSync(dir, { withFileTypes: true }); } catch { return []; } })()) {
    if (!e.isDirectory()) continue;
    out.push(join(dir, e.name));
    cgroupDirs(join(dir, e.name), out);
  }
  return out;
}

/**
 * Removes the pods' cgroups under /kubepods as the kubelet does after CRI-O
 * removed a pod, deepest first; returns the ones that couldn't be (busy: a
 * container's cgroup or a process is still in them). A process that was just
 * killed may take a moment to leave its cgroup.
 */
export async function removePodCgroups(timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const failed: string[] = [];
    const dirs = cgroupDirs(join(CGROUP_ROOT, KUBEPODS)).reverse();
    for (const dir of [...dirs, join(CGROUP_ROOT, KUBEPODS)]) {
      try { rmdirSync(dir); } catch (err) { if ((err as NodeJS.ErrnoException).code !== "ENOENT") failed.push(`${dir}: ${(err as Error).message}`); }
    }
    if (!failed.length || Date.now() > deadline) return failed;
    await Bun.sleep(100);
  }
}

function processes(): string[] {
  const found: string[] = [];
  for (const pid of list("/proc").filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)) {
    const stat = read(`/proc/${pid}/stat`);
    if (!stat || stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z") continue;
    const cgroup = read(`/proc/${pid}/cgroup`).split("\n").find((l) => l.startsWith("0::")) ?? "";
    const args = read(`/proc/${pid}/cmdline`).replaceAll("\0", " ").trim();
    let exe = "";
    try { exe = readlinkSync(`/proc/${pid}/exe`); } catch { /* gone, or a kernel thread */ }
    const inPodCgroup = cgroup.includes(`/${KUBEPODS}`) || cgroup.split("/").some((part) => CRIO_CGROUP.test(part));
    if (inPodCgroup || exe === BIN || exe.endsWith("/conmon") || args.startsWith("/pause")) found.push(`process ${pid} (${exe}) ${args} [${cgroup}]`);
  }
  return found;
}

function crioLists(): string[] {
  const found: string[] = [];
  for (const [what, args] of [["pod", ["pods", "-q"]], ["container", ["ps", "-aq"]]] as const) {
    const p = Bun.spawnSync([process.env.CRICTL ?? "crictl", ...args], { stdout: "pipe", stderr: "pipe" });
    for (const id of p.stdout.toString().split("\n").filter(Boolean)) found.push(`CRI-O still lists ${what} ${id}`);
  }
  return found;
}

/** Everything pods left in the lane; [] when nothing is. */
export function leftoversNow(): string[] {
  const found = crioLists();
  for (const root of ["crio-lxc", "runc"]) {
    for (const entry of list(join(LANE_DIR, root))) found.push(`${root} state ${join(LANE_DIR, root, entry)}`);
  }
  for (const kind of list(join(LANE_DIR, "ns"))) {
    for (const pin of list(join(LANE_DIR, "ns", kind))) found.push(`pinned namespace ${join(LANE_DIR, "ns", kind, pin)}`);
  }
  for (const line of read("/proc/self/mountinfo").split("\n")) {
    const mountPoint = line.split(" ")[4] ?? "";
    // The lane's own image storage is a mount of its own.
    if (mountPoint.startsWith(`${LANE_DIR}/`) && mountPoint !== join(LANE_DIR, "storage")) found.push(`mount ${line}`);
  }
  for (const dir of cgroupDirs(CGROUP_ROOT)) {
    const name = dir.slice(dir.lastIndexOf("/") + 1);
    // crio-lxc's monitor parent (CRIO_LXC_MONITOR_CGROUP) and liblxc's pivot
    // cgroup in it are made once per node and kept, as /kubepods is.
    if (dir === join(CGROUP_ROOT, MONITOR_PARENT) || dir === join(CGROUP_ROOT, MONITOR_PARENT, "lxc.pivot")) continue;
    if (CRIO_CGROUP.test(name) || name === KUBEPODS || dir.startsWith(join(CGROUP_ROOT, MONITOR_PARENT))) found.push(`cgroup ${dir}`);
  }
  return [...found, ...processes()];
}

/** Waits (up to `timeoutMs`) for the lane to be clean; returns what is still left. */
export async function laneLeftovers(timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = leftoversNow();
    if (!left.length || Date.now() > deadline) return left;
    await Bun.sleep(100);
  }
}
