// The three runtimes and the one bundle they all run.
//
// Fairness: all three get the same config.json, and it holds only what each of
// them can do on this machine. They run in the same pure-cgroup2 lane (crun
// refuses the host's hybrid layout); the bundle has no linux.resources.devices
// (crun 1.8 raises RLIMIT_MEMLOCK to load its device BPF program, which fails
// under this machine's 8 MiB hard limit) and no cgroup limits (the lane has no
// memory/pids/cpu controllers; the QEMU floor test adds them for all three).
// Same read-only busybox rootfs (a copy: crun and runc make device nodes in
// its /dev, liblxc a marker file at its top), namespaces, capabilities, user, environment,
// no seccomp profile, no terminal; each runtime has its own --root and its
// default cgroup placement under a unique container id.
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const REPO = resolve(import.meta.dir, "../..");
export const CRIO_LXC = join(REPO, "dist/crio-lxc");
export const ROOTFS = join(REPO, ".cache/busybox-rootfs");

export const RUNTIME_NAMES = ["crio-lxc", "crun", "runc"] as const;
export type RuntimeName = (typeof RUNTIME_NAMES)[number];

export interface Runtime {
  name: RuntimeName;
  /** The executable and its global flags; a subcommand and its arguments follow. */
  argv: string[];
}

export function runtimesIn(dir: string, crioLxc = CRIO_LXC): Runtime[] {
  return [
    { name: "crio-lxc", argv: [crioLxc, "--root", join(dir, "crio-lxc")] },
    { name: "crun", argv: ["crun", "--root", join(dir, "crun")] },
    { name: "runc", argv: ["runc", "--root", join(dir, "runc")] },
  ];
}

/** The environment every runtime call gets: crio-lxc's log and no environment file, nothing else. */
export function runtimeEnv(dir: string): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", CRIO_LXC_LOG_FILE: join(dir, "crio-lxc.log"), CRIO_LXC_ENV_FILE: "" };
}

/** A private copy of the busybox rootfs (cp -a keeps symlinks and modes exactly). */
export function copyRootfs(dir: string): string {
  const copy = join(dir, "rootfs");
  const p = Bun.spawnSync(["cp", "-a", ROOTFS, copy], { stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`cp -a ${ROOTFS} ${copy}: ${p.stderr.toString()}`);
  return copy;
}

export interface BundleOptions {
  args: string[];
  rootfs: string;
  resources?: Record<string, unknown>;
}

const CAPABILITIES = ["CAP_KILL", "CAP_CHOWN"];

export function writeBundle(dir: string, opts: BundleOptions): string {
  mkdirSync(dir, { recursive: true });
  const linux: Record<string, unknown> = { namespaces: ["pid", "mount", "ipc", "uts", "network"].map((type) => ({ type })) };
  if (opts.resources) linux.resources = opts.resources;
  writeFileSync(join(dir, "config.json"), JSON.stringify({
    ociVersion: "1.0.2",
    root: { path: opts.rootfs, readonly: true },
    process: {
      user: { uid: 0, gid: 0 }, args: opts.args, env: ["PATH=/bin"], cwd: "/", noNewPrivileges: true,
      capabilities: Object.fromEntries(["bounding", "effective", "permitted"].map((set) => [set, CAPABILITIES])),
    },
    hostname: "bench",
    mounts: [{ destination: "/proc", type: "proc", source: "proc" }],
    linux,
  }, null, 2));
  return dir;
}

export interface CallResult { code: number; stderr: string }

/**
 * One runtime call, synchronously. stderr goes to a file, not a pipe: a
 * container inherits it, and a pipe would stay open until the container exits.
 */
export function call(rt: Runtime, args: string[], dir: string, opts: { prefix?: string[]; timeoutMs?: number } = {}): CallResult {
  const errFile = join(dir, "last.stderr");
  const errFd = openSync(errFile, "w");
  try {
    const p = Bun.spawnSync([...opts.prefix ?? [], ...rt.argv, ...args], {
      stdin: "ignore", stdout: "ignore", stderr: errFd, env: runtimeEnv(dir), timeout: opts.timeoutMs, killSignal: "SIGKILL",
    });
    return { code: p.exitCode ?? 128 + 9, stderr: readFileSync(errFile, "utf8").trim() };
  } finally {
    closeSync(errFd);
  }
}

/** A call that must succeed. */
export function mustCall(rt: Runtime, args: string[], dir: string): void {
  const r = call(rt, args, dir);
  if (r.code !== 0) throw new Error(`${rt.name} ${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
}

export function toolVersion(argv: string[]): string {
  const p = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  return p.stdout.toString().split("\n")[0]!.trim();
}
