// What the tests in test/qemu share. They run in scripts/qemu-lane: a guest
// kernel with a real cgroup2 and every controller, this machine's / read-only.
import { afterAll, beforeAll, setDefaultTimeout } from "bun:test";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { REPO, ROOTFS, Sandbox, becomeSubreaper, busyboxSpec, requireBuilt } from "../support/runtime";

export const CG = "/sys/fs/cgroup";

export function requireQemuLane(): void {
  const controllers = readFileSync(join(CG, "cgroup.controllers"), "utf8");
  if (!/\bmemory\b/.test(controllers) || !/\bpids\b/.test(controllers)) {
    throw new Error(`no memory/pids controller in ${CG}: run these tests with scripts/qemu-lane`);
  }
}

/**
 * A test file's setup in the guest: a sandbox (given to `use` once made), a
 * cgroup subtree of its own, removed afterwards, and ids unique to the file.
 * Software emulation: a container takes seconds, not milliseconds.
 */
export function guestSuite(prefix: string, use: (sb: Sandbox) => void): { top: string; newId: () => string } {
  const top = `crio-lxc-${prefix}-${process.pid}`;
  let sb: Sandbox | undefined;
  setDefaultTimeout(120_000);
  beforeAll(() => { requireQemuLane(); requireBuilt(); becomeSubreaper(); sb = new Sandbox(); use(sb); makeCgroup(top); });
  afterAll(() => { sb?.cleanup(); removeTree(top); });
  let seq = 0;
  return { top, newId: () => `${prefix}-${process.pid}-${++seq}` };
}

/** The busybox rootfs copied where the guest can write (its / is read-only). */
export function writableRootfs(sb: Sandbox): string {
  const copy = join(sb.dir, "rootfs");
  // cp -a: keeps symlinks, modes and any special files exactly.
  if (!existsSync(copy) && Bun.spawnSync(["cp", "-a", ROOTFS, copy]).exitCode !== 0) throw new Error(`cannot copy ${ROOTFS} to ${copy}`);
  return copy;
}

/** A RAM disk from the guest kernel's brd module, so io.max has a block device; its "major:minor". */
export function ramDisk(): string {
  if (!existsSync("/sys/block/ram0")) {
    const modules = join(REPO, ".cache/qemu/kernel/lib/modules");
    const ko = join(modules, readdirSync(modules)[0]!, "kernel/drivers/block/brd.ko");
    const r = Bun.spawnSync(["insmod", ko, "rd_nr=1", "rd_size=1024"], { stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`insmod ${ko}: ${r.stderr.toString()}`);
  }
  return readFileSync("/sys/block/ram0/dev", "utf8").trim();
}

export interface ContainerSpec {
  args: string[];
  cgroupsPath: string;
  resources?: Record<string, unknown>;
  /** process.capabilities' bounding, effective and permitted sets (none: every set empty, as with runc). */
  capabilities?: string[];
}

export function spec(sb: Sandbox, opts: ContainerSpec): Record<string, unknown> {
  const config = busyboxSpec({ args: opts.args, cgroupsPath: opts.cgroupsPath }) as { root: object; linux: Record<string, unknown>; process: Record<string, unknown> };
  config.root = { path: writableRootfs(sb), readonly: false };
  const caps = opts.capabilities;
  if (caps) config.process.capabilities = { bounding: caps, effective: caps, permitted: caps };
  if (opts.resources) config.linux.resources = opts.resources;
  return config;
}

/** create (and start) with the container's stdout and stderr in `<id>.out`; init's pid. */
export function createContainer(sb: Sandbox, id: string, opts: ContainerSpec & { start?: boolean; env?: Record<string, string> }) {
  const out = join(sb.dir, `${id}.out`);
  const fd = openSync(out, "w");
  const pidFile = join(sb.dir, `${id}.pid`);
  const r = sb.run(["create", "--bundle", sb.bundle(spec(sb, opts)), "--pid-file", pidFile, id], { stdout: fd, env: opts.env });
  closeSync(fd);
  if (r.code !== 0) throw new Error(`create ${id} failed: ${readFileSync(out, "utf8")}`);
  if (opts.start !== false) {
    const started = sb.run(["start", id], { env: opts.env });
    if (started.code !== 0) throw new Error(`start ${id} failed: ${started.stderr}`);
  }
  return { pid: Number(readFileSync(pidFile, "utf8")), out };
}

export const cgroupFile = (dir: string, file: string) => readFileSync(join(CG, dir, file), "utf8").trim();

export function keyed(dir: string, file: string): Record<string, number> {
  return Object.fromEntries(cgroupFile(dir, file).split("\n").map((l) => l.split(" ")).map(([k, v]) => [k, Number(v)]));
}

export function removeTree(dir: string): void {
  if (!existsSync(join(CG, dir))) return;
  for (const e of readdirSync(join(CG, dir), { withFileTypes: true })) if (e.isDirectory()) removeTree(join(dir, e.name));
  rmdirSync(join(CG, dir));
}

export function makeCgroup(dir: string): void {
  mkdirSync(join(CG, dir), { recursive: true });
}
