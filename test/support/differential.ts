// One OCI bundle run under runc and under dist/crio-lxc (`run`, in the
// foreground, as a client would), with test/differential/probe.sh as the
// container's process; what it observed comes back as a ProbeRecord.
import { chmodSync, closeSync, existsSync, linkSync, mkdirSync, openSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import type { Spec } from "./inside";
import { settledLeftovers, type Leftovers } from "./leftovers";
import { type Placeholders, type ProbeRecord, parseProbe, placeholders, replacePlaceholders } from "./probe-record";
import { BIN, REPO, ROOTFS, type Sandbox } from "./runtime";

export const RUNC = "/usr/sbin/runc";
export type Runtime = "runc" | "crio-lxc";

const PROBE = readFileSync(join(REPO, "test/differential/probe.sh"), "utf8");
/** Where the probe lies in each run's rootfs copy (the root directory itself is never compared). */
const PROBE_PATH = "/.probe.sh";
/** Longer than crio-lxc's create timeout below, so a hanging create shows as its own error. */
const RUN_TIMEOUT_MS = 40_000;
/** A hanging create (e.g. on a FIFO) gives up after this, not after the default 60 s. */
const CREATE_TIMEOUT = "10s";

export interface BundleCase {
  name: string;
  /**
   * The config.json. Strings may hold placeholders, replaced per run:
   * <bundle> (the bundle directory), <rootfs> (<bundle>/rootfs, a fresh copy of
   * the busybox rootfs), <userdata> (files a podman or CRI-O bundle binds:
   * hosts, hostname, resolv.conf, .containerenv, shm/, catatonit), <volume>
   * (a directory with one file), <id> (the container id).
   */
  spec: () => Spec;
  /** Makes what the bundle needs beyond that (FIFOs, sockets in the rootfs) before the run. */
  prepare?: (dirs: { rootfs: string; bundle: string }) => void;
  /** Extra arguments of `run`; `passFile` is given to the runtime as fd 3 (for --preserve-fds). */
  runArgs?: string[];
  passFile?: string;
  /**
   * Runs each runtime in a mount namespace of its own: a bundle without a mount
   * namespace has runc mount in its caller's, which must not be the test's.
   */
  isolate?: boolean;
  /**
   * Runs each runtime in a mount namespace of its own where the bundle
   * directory is a shared mount (as on a systemd host), so propagation shows:
   * without, this lane's mounts are all private and slave looks like private.
   */
  sharedBundle?: boolean;
  /** cgroup2 controllers the bundle's resources need; without them in this lane it is skipped (scripts/qemu-lane has all). */
  controllers?: string[];
  /** How the probe ends: exit 0 unless told. `signal` sleeps until `<runtime> kill <id> <signal>`. */
  finish?: { exit: number } | { signal: string };
}

export interface Outcome {
  runtime: Runtime;
  id: string;
  /** "ran", or "refused: <the runtime's error>" when the probe never started. */
  outcome: string;
  record: ProbeRecord;
  /** The container's and the runtime's output, for failure messages. */
  stdout: string;
  stderr: string;
}

/** Makes a UNIX socket file at `path` (a listener's socket stays as a file when linked elsewhere before it closes). */
export function makeSocketFile(path: string): void {
  const temporary = `${path}.listening`;
  const server = Bun.listen({ unix: temporary, socket: { data() {} } });
  try { linkSync(temporary, path); } finally { server.stop(true); rmSync(temporary, { force: true }); }
}

const signals = constants.signals;
const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** Where the runtime's caller writes its namespaces ("<type>=<link> ..."), for the probe to compare. */
const CALLER_NS_PATH = "/.probe-caller-ns";
/** sh -c WRAPPER <file> <runtime argv>: the caller as the runtime sees it, then the runtime in its place. */
const CALLER_WRAPPER = 'cd /proc/$$/ns && for n in *; do printf "%s=%s " "$n" "$(readlink "$n")"; done > "$0" && cd / && exec "$@"';

function probeScript(spec: Spec, finish: BundleCase["finish"]): string {
  const linux = (spec.linux ?? {}) as { maskedPaths?: string[]; readonlyPaths?: string[]; sysctl?: Record<string, string> };
  const params = {
    PROBE_MASKED: (linux.maskedPaths ?? []).join("\n"),
    PROBE_READONLY: (linux.readonlyPaths ?? []).join("\n"),
    PROBE_SYSCTL: Object.keys(linux.sysctl ?? {}).join("\n"),
    PROBE_FINISH: !finish ? "exit 0" : "exit" in finish ? `exit ${finish.exit}` : "wait",
  };
  return Object.entries(params).map(([k, v]) => `${k}=${quote(v)}\n`).join("") + `PROBE_HOST_NS=$(cat ${CALLER_NS_PATH})\n` + PROBE;
}

function makeUserdata(dir: string, id: string): void {
  mkdirSync(join(dir, "shm"), { recursive: true });
  writeFileSync(join(dir, "hosts"), "127.0.0.1 localhost\n");
  writeFileSync(join(dir, "hostname"), "probe-host\n");
  writeFileSync(join(dir, "resolv.conf"), "nameserver 127.0.0.1\n");
  writeFileSync(join(dir, ".containerenv"), `engine="differential"\nid="${id}"\n`);
  // podman --init binds catatonit here; the probe replaces the program it would run.
  writeFileSync(join(dir, "catatonit"), "");
}

/**
 * A user namespace's root owns the image, as an engine's storage would have
 * it (podman chowns the layers for --uidmap): the container's root must be
 * able to create mount points in it.
 */
function chownForUserNamespace(spec: Spec, rootfs: string): void {
  const linux = (spec.linux ?? {}) as { uidMappings?: Array<Record<string, number>>; gidMappings?: Array<Record<string, number>> };
  const root = (mappings?: Array<Record<string, number>>) => mappings?.find((m) => m.containerID === 0)?.hostID;
  const [uid, gid] = [root(linux.uidMappings), root(linux.gidMappings)];
  if (uid === undefined) return;
  const r = Bun.spawnSync(["chown", "-R", "-h", `${uid}:${gid ?? uid}`, rootfs], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`chown -R ${uid}:${gid} ${rootfs}: ${r.stderr.toString()}`);
}

/** runc's `time=… level=error msg="…"` lines as their messages; crio-lxc's as they are. */
function errorText(stderr: string): string {
  const messages = [...stderr.matchAll(/level=error msg="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replaceAll('\\"', '"'));
  return (messages.length ? messages.join("; ") : stderr).trim().replace(/\s+/g, " ");
}

export class DifferentialRunner {
  readonly runcRoot: string;
  private seq = 0;

  constructor(readonly sb: Sandbox) {
    this.runcRoot = join(sb.dir, "runc-state");
    // A container's root in a user namespace (host uid 100000) must get through to its rootfs.
    chmodSync(sb.dir, 0o711);
  }

  private argv(runtime: Runtime, args: string[]): string[] {
    return runtime === "runc" ? [RUNC, "--root", this.runcRoot, ...args] : [BIN, "--root", this.sb.root, ...args];
  }

  private env(runtime: Runtime): Record<string, string> {
    return runtime === "runc" ? { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" } : this.sb.env({ CRIO_LXC_CREATE_TIMEOUT: CREATE_TIMEOUT });
  }

  /** The bundle directory of a run: config.json, rootfs/, userdata/, volume/. */
  private makeBundle(c: BundleCase, id: string): { dir: string; ph: Placeholders } {
    const dir = join(this.sb.dir, id);
    const rootfs = join(dir, "rootfs");
    mkdirSync(dir);
    const cp = Bun.spawnSync(["cp", "-a", ROOTFS, rootfs], { stderr: "pipe" });
    if (cp.exitCode !== 0) throw new Error(`cp -a ${ROOTFS} ${rootfs}: ${cp.stderr.toString()}`);
    makeUserdata(join(dir, "userdata"), id);
    mkdirSync(join(dir, "volume"));
    writeFileSync(join(dir, "volume/file"), "volume\n");
    const toPath = { "<rootfs>": rootfs, "<userdata>": join(dir, "userdata"), "<volume>": join(dir, "volume"), "<bundle>": dir, "<id>": id };
    const spec = JSON.parse(replacePlaceholders(JSON.stringify(c.spec()), Object.entries(toPath))) as Spec;
    const proc = (spec.process ?? {}) as Spec;
    spec.process = { ...proc, terminal: false, args: ["/bin/sh", PROBE_PATH] };
    spec.linux = { ...(spec.linux as Spec | undefined), cgroupsPath: `/crio-lxc-test/${id}` };
    writeFileSync(join(rootfs, PROBE_PATH), probeScript(spec, c.finish), { mode: 0o644 });
    chownForUserNamespace(spec, rootfs);
    c.prepare?.({ rootfs, bundle: dir });
    writeFileSync(join(dir, "config.json"), JSON.stringify(spec, null, 2));
    // The other way round for what the container prints: longest first (the rootfs lies in the bundle).
    const ph = placeholders({ [rootfs]: "<rootfs>", [join(dir, "userdata")]: "<userdata>", [join(dir, "volume")]: "<volume>", [dir]: "<bundle>", [this.sb.dir]: "<sandbox>", [id]: "<id>" });
    return { dir, ph };
  }

  /** One run; others may go on meanwhile (so no reapOrphans(): its waitpid(-1) would take their runtimes from Bun). */
  async run(runtime: Runtime, c: BundleCase): Promise<Outcome> {
    const id = `df-${process.pid}-${++this.seq}-${runtime === "runc" ? "runc" : "lxc"}`;
    const { dir, ph } = this.makeBundle(c, id);
    const rootfs = join(dir, "rootfs");
    const outFile = join(dir, "stdout");
    const errFile = join(dir, "stderr");
    const out = openSync(outFile, "w");
    const err = openSync(errFile, "w");
    const env = this.env(runtime);
    let code: number;
    try {
      // stdout and stderr are files, not pipes: the container inherits them.
      const isolation = c.isolate || c.sharedBundle ? ["unshare", "-m", "--propagation", "private"] : [];
      const share = c.sharedBundle ? ["sh", "-c", 'mount --bind "$0" "$0" && mount --make-rshared "$0" && exec "$@"', dir] : [];
      const argv = [...isolation, ...share, "sh", "-c", CALLER_WRAPPER, join(rootfs, CALLER_NS_PATH), ...this.argv(runtime, ["run", ...(c.runArgs ?? []), "--bundle", dir, id])];
      const passed = c.passFile ? [openSync(replacePlaceholders(c.passFile, [["<bundle>", dir]]), "r")] : [];
      const proc = Bun.spawn(argv, { env, stdio: ["ignore", out, err, ...passed] });
      for (const fd of passed) closeSync(fd);
      const deadline = Date.now() + RUN_TIMEOUT_MS;
      let killed = false;
      while (proc.exitCode === null && proc.signalCode === null && Date.now() < deadline) {
        if (c.finish && "signal" in c.finish && !killed && readFileSync(outFile, "utf8").includes("@@ end")) {
          killed = true;
          Bun.spawnSync(this.argv(runtime, ["kill", id, c.finish.signal]), { env, stdout: "ignore", stderr: "ignore" });
        }
        await Bun.sleep(20);
      }
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGKILL");
        await proc.exited;
        code = -1;
      } else {
        code = proc.exitCode ?? 128 + (signals[proc.signalCode as keyof typeof signals] ?? 0);
      }
    } finally {
      closeSync(out);
      closeSync(err);
    }
    const stdout = readFileSync(outFile, "utf8");
    const stderr = readFileSync(errFile, "utf8");
    // `run` deletes what it ran; this is for a run that failed half-way or timed out.
    Bun.spawnSync(this.argv(runtime, ["delete", "--force", id]), { env, stdout: "ignore", stderr: "ignore" });
    const started = stdout.includes("@@ mountinfo");
    const outcome = code === -1 && !started ? `refused: timed out after ${RUN_TIMEOUT_MS / 1000} s`
      : started ? "ran" : `refused: ${replacePlaceholders(errorText(stderr), ph)}`;
    const record = started ? parseProbe(stdout, ph) : {};
    if (started) record.exit = code === -1 ? `timed out after ${RUN_TIMEOUT_MS / 1000} s` : code > 128 ? `${code} (signal ${code - 128})` : String(code);
    return { runtime, id, outcome, record, stdout, stderr };
  }

  /**
   * What run `id` left on the host, after giving it time to go; then removes
   * its bundle. Called once no other run is under way: the mount check takes
   * every mount of the sandbox.
   */
  async leftovers(id: string): Promise<string[]> {
    const left: Leftovers = await settledLeftovers(this.sb, id);
    const found = [
      ...left.cgroups.map((c) => `cgroup ${c}`), ...left.mounts.map((m) => `mount ${m}`),
      ...left.processes.map((p) => `process ${p}`), ...left.stateDirs.map((s) => `crio-lxc state ${s}`),
    ];
    if (existsSync(join(this.runcRoot, id))) found.push(`runc state ${join(this.runcRoot, id)}`);
    for (const c of left.cgroups) try { rmdirSync(join("/sys/fs/cgroup", c)); } catch { /* busy: reported */ }
    if (!left.mounts.length) rmSync(join(this.sb.dir, id), { recursive: true, force: true });
    return found;
  }
}
