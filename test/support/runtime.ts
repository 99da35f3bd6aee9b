// Drives dist/crio-lxc the way a client does, from a test process that is a
// child subreaper (as conmon is), so container inits become our children.
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setChildSubreaper, waitpid, WNOHANG } from "../../src/sys";

export const REPO = resolve(import.meta.dir, "../..");
export const BIN = join(REPO, "dist/crio-lxc");
export const ROOTFS = join(REPO, ".cache/busybox-rootfs");

export function requireBuilt(): void {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run scripts/setup first`);
  if (!existsSync(join(ROOTFS, "bin/busybox"))) throw new Error(`${ROOTFS} is missing: run scripts/setup first`);
}

let subreaper = false;
export function becomeSubreaper(): void {
  if (!subreaper) setChildSubreaper();
  subreaper = true;
}

/** Reaps `pid` (our child via the subreaper) and returns its exit code, 128+n for signal n. */
export async function waitExit(pid: number, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [got, status] = waitpid(pid, WNOHANG);
    if (got === pid) return (status & 0x7f) === 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
    if (Date.now() > deadline) throw new Error(`process ${pid} did not exit within ${timeoutMs} ms`);
    await Bun.sleep(5);
  }
}

/** A host shell command that must succeed (mounts the tests make and undo). */
export function sh(command: string): void {
  const r = Bun.spawnSync(["sh", "-c", command], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${command}: ${r.stderr.toString()}`);
}

/** Polls `check` every 10 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

/** Reaps whatever orphans reached us (monitors, hooks) so they don't pile up as zombies. */
export function reapOrphans(): void {
  try {
    for (;;) { const [got] = waitpid(-1, WNOHANG); if (got <= 0) return; }
  } catch {
    // ECHILD: nothing left.
  }
}

export interface SpecOptions {
  args: string[];
  env?: string[];
  namespaces?: string[];
  cgroupsPath?: string;
  extra?: Record<string, unknown>;
}

export function busyboxSpec(opts: SpecOptions): Record<string, unknown> {
  return {
    ociVersion: "1.2.0",
    root: { path: ROOTFS, readonly: false },
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: opts.args,
      env: opts.env ?? ["PATH=/bin:/usr/bin", "TERM=xterm"],
      cwd: "/",
      noNewPrivileges: true,
    },
    hostname: "crio-lxc-test",
    mounts: [
      { destination: "/proc", type: "proc", source: "proc" },
      { destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1777"] },
    ],
    linux: {
      namespaces: (opts.namespaces ?? ["pid", "mount", "ipc", "uts", "network"]).map((type) => ({ type })),
      ...(opts.cgroupsPath ? { cgroupsPath: opts.cgroupsPath } : {}),
    },
    ...opts.extra,
  };
}

/** A scratch world for one test file: state root, log file, bundles. */
export class Sandbox {
  readonly dir = mkdtempSync(join(tmpdir(), "crio-lxc-test-"));
  readonly root = join(this.dir, "root");
  readonly logFile = join(this.dir, "crio-lxc.log");
  readonly envFile = join(this.dir, "env");
  private bundles = 0;

  constructor() { writeFileSync(this.envFile, ""); }

  bundle(spec: Record<string, unknown>): string {
    const dir = join(this.dir, `bundle-${++this.bundles}`);
    mkdirSync(dir);
    writeFileSync(join(dir, "config.json"), JSON.stringify(spec, null, 2));
    return dir;
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return { PATH: process.env.PATH ?? "/usr/bin:/bin", CRIO_LXC_ENV_FILE: this.envFile, CRIO_LXC_LOG_FILE: this.logFile, CRIO_LXC_LOG_LEVEL: "debug", CRIO_LXC_CONTAINER_LOG_LEVEL: "info", ...extra };
  }

  /**
   * Runs crio-lxc synchronously. stdout/stderr go to files, not pipes: the
   * container inherits them, so a pipe would not see EOF until it exits.
   * With `stdout: fd` both go to that fd (the container's output lands there too).
   */
  run(args: string[], opts: { env?: Record<string, string>; stdout?: number } = {}) {
    const errFile = join(this.dir, "last.stderr");
    const outFile = join(this.dir, "last.stdout");
    const errFd = opts.stdout ?? openSync(errFile, "w");
    const outFd = opts.stdout ?? openSync(outFile, "w");
    try {
      const proc = Bun.spawnSync([BIN, "--root", this.root, ...args], { env: this.env(opts.env), stdout: outFd, stderr: errFd });
      if (opts.stdout !== undefined) return { code: proc.exitCode, stdout: "", stderr: "" };
      return { code: proc.exitCode, stdout: readFileSync(outFile, "utf8"), stderr: readFileSync(errFile, "utf8") };
    } finally {
      if (opts.stdout === undefined) { closeSync(errFd); closeSync(outFd); }
    }
  }

  state(id: string): { status: string; pid: number; [k: string]: unknown } {
    const r = this.run(["state", id]);
    if (r.code !== 0) throw new Error(`state ${id} failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  log(): string { return existsSync(this.logFile) ? readFileSync(this.logFile, "utf8") : ""; }

  /** Force-deletes whatever a failed test left, then the test's own cgroup parent. */
  cleanup(): void {
    for (const id of existsSync(this.root) ? readdirSync(this.root) : []) this.run(["delete", "--force", id]);
    reapOrphans();
    try { rmdirSync("/sys/fs/cgroup/crio-lxc-test"); } catch { /* other test files still use it, or never made */ }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A mount namespace where `files` are /dev/null (libraries a node lacks), held
 * by a sleeping process; `enter` prefixes a command line to run there.
 */
export async function withoutFiles(files: readonly string[]): Promise<{ enter: string[]; close(): Promise<void> }> {
  const script = `${files.map((f) => `mount --bind /dev/null ${f}`).join(" && ")} && echo ready && exec sleep 3600`;
  const holder = Bun.spawn(["unshare", "--mount", "--propagation", "private", "sh", "-c", script], { stdout: "pipe", stderr: "pipe" });
  const reader = holder.stdout.getReader();
  const first = await reader.read();
  if (!new TextDecoder().decode(first.value).includes("ready")) throw new Error(`hiding ${files.join(" ")} failed: ${await new Response(holder.stderr).text()}`);
  return {
    enter: ["nsenter", `--target=${holder.pid}`, "--mount"],
    async close() {
      holder.kill("SIGKILL");
      await holder.exited;
    },
  };
}

/** Hugepage sizes of this machine, smallest first, as the kubelet and cgroup files name them ("2MB", "1GB"). */
export function hugepageSizes(): string[] {
  const dir = "/sys/kernel/mm/hugepages";
  if (!existsSync(dir)) return [];
  const kib = readdirSync(dir).map((d) => Number(d.replace(/^hugepages-|kB$/g, ""))).sort((a, b) => a - b);
  return kib.map((kb) => (kb >= 1024 * 1024 ? `${kb / (1024 * 1024)}GB` : kb >= 1024 ? `${kb / 1024}MB` : `${kb}KB`));
}

/** Bytes in a hugepage size named as hugepageSizes() names it. */
export function hugepageBytes(size: string): number {
  return Number(size.slice(0, -2)) * { KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[size.slice(-2)]!;
}

export function cgroupExists(dir: string): boolean {
  return existsSync(join("/sys/fs/cgroup", dir));
}
