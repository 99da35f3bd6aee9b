// Driving the real CRI-O of scripts/crio-lane through crictl, with pod and
// container configs shaped like the kubelet's, against crio-lxc (the lane's
// default runtime) and runc (the runtime handler "runc") alike.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { laneLeftovers, removePodCgroups } from "./crio-leftovers";
import { merge } from "./inside";

export const LANE_DIR = process.env.CRIO_LANE_DIR ?? "";
const CRICTL = process.env.CRICTL ?? "crictl";

/** Why the CRI-O suites can't run here, or undefined when they can. */
export const SKIP_REASON = process.env.CRIO_LANE_SKIP
  ?? (LANE_DIR ? undefined : "not run inside scripts/crio-lane (CRIO_LANE_DIR is unset)");
if (SKIP_REASON) console.log(`CRI-O suite skipped: ${SKIP_REASON}`);

export const RUNTIMES = ["crio-lxc", "runc"] as const;
export type Runtime = (typeof RUNTIMES)[number];

/** CRI enum values. */
export const NS = { POD: 0, CONTAINER: 1, NODE: 2 } as const;
export const SECCOMP = { RuntimeDefault: 0, Unconfined: 1, Localhost: 2 } as const;
export const PROPAGATION = { PRIVATE: 0, HOST_TO_CONTAINER: 1, BIDIRECTIONAL: 2 } as const;

export interface CrictlResult { code: number; stdout: string; stderr: string; ms: number }

/** crictl with the lane's endpoint; stdin from `input` (a string) or nothing. */
export function crictl(args: string[], opts: { input?: string; timeoutMs?: number } = {}): CrictlResult {
  const started = performance.now();
  const p = Bun.spawnSync([CRICTL, ...args], {
    stdin: opts.input === undefined ? "ignore" : new Blob([opts.input]),
    stdout: "pipe", stderr: "pipe", timeout: opts.timeoutMs ?? 120_000,
  });
  return { code: p.exitCode ?? 128 + 9, stdout: p.stdout.toString(), stderr: p.stderr.toString(), ms: performance.now() - started };
}

/** crictl that must succeed; returns its trimmed stdout. */
export function crictlOk(args: string[], opts: { input?: string } = {}): string {
  const r = crictl(args, opts);
  if (r.code !== 0) throw new Error(`crictl ${args.join(" ")} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** A running crictl (port-forward, attach, a streaming exec fed while it runs). */
export function crictlSpawn(args: string[]) {
  return Bun.spawn([CRICTL, ...args], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
}

type Json = Record<string, unknown>;

/** What the kubelet masks and makes read-only in a container that isn't privileged (ProcMount Default). */
export const KUBELET_MASKED_PATHS = [
  "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
  "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
];
export const KUBELET_READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

let seq = 0;

export type QosClass = "besteffort" | "burstable" | "guaranteed";

/** A pod sandbox as the kubelet asks CRI-O for one (cgroupfs driver, BestEffort). */
export class Pod {
  readonly uid: string;
  readonly dir: string;
  readonly config: Json;
  id = "";
  readonly containers: Container[] = [];
  readonly timings: Record<string, number> = {};

  /** `qos`: the kubelet's QoS class, which names the pod's cgroup parent. */
  constructor(readonly runtime: Runtime, readonly name: string, patch: Json = {}, qos: QosClass = "besteffort") {
    this.uid = `${process.pid}-${++seq}-${Math.random().toString(36).slice(2, 8)}`;
    this.dir = join(LANE_DIR, "pods", this.uid);
    mkdirSync(join(this.dir, "logs"), { recursive: true });
    // The kubelet's per-pod files that every container mounts.
    writeFileSync(join(this.dir, "etc-hosts"), `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n`);
    this.config = merge({
      metadata: { name, uid: this.uid, namespace: "default", attempt: 0 },
      hostname: name,
      log_directory: join(this.dir, "logs"),
      dns_config: { servers: ["10.96.0.10"], searches: ["default.svc.cluster.local", "svc.cluster.local"], options: ["ndots:5"] },
      labels: { "io.kubernetes.pod.name": name, "io.kubernetes.pod.namespace": "default", "io.kubernetes.pod.uid": this.uid },
      annotations: { "kubernetes.io/config.source": "api" },
      linux: {
        cgroup_parent: qos === "guaranteed" ? `/kubepods/pod${this.uid}` : `/kubepods/${qos}/pod${this.uid}`,
        security_context: { namespace_options: { network: NS.POD, pid: NS.CONTAINER, ipc: NS.POD }, seccomp: { profile_type: SECCOMP.Unconfined } },
      },
    }, patch);
  }

  /** The config as a file for crictl. */
  file(): string {
    const path = join(this.dir, "pod.json");
    writeFileSync(path, JSON.stringify(this.config));
    return path;
  }

  runp(): this {
    const r = crictl(["runp", "--runtime", this.runtime, this.file()]);
    this.timings.runp = r.ms;
    if (r.code !== 0) throw new Error(`runp (${this.runtime}) failed: ${r.stderr.trim()}`);
    this.id = r.stdout.trim();
    live.add(this);
    return this;
  }

  /** A container of this pod, created (not started). */
  create(name: string, patch: Json = {}): Container {
    const c = new Container(this, name, patch);
    c.create();
    this.containers.push(c);
    return c;
  }

  /** create + start. */
  run(name: string, patch: Json = {}): Container {
    return this.create(name, patch).start();
  }

  inspect(): Json {
    return JSON.parse(crictlOk(["inspectp", this.id]));
  }

  /** As the kubelet does when the pod goes: each container stopped (its grace period) and removed, then the sandbox. */
  remove(): void {
    if (!this.id) return;
    for (const c of this.containers.filter((c) => !c.removed)) {
      c.stop();
      c.rm();
    }
    const stop = crictl(["stopp", this.id]);
    this.timings.stopp = stop.ms;
    if (stop.code !== 0) throw new Error(`stopp failed: ${stop.stderr.trim()}`);
    const rm = crictl(["rmp", this.id]);
    this.timings.rmp = rm.ms;
    if (rm.code !== 0) throw new Error(`rmp failed: ${rm.stderr.trim()}`);
    live.delete(this);
    this.id = "";
  }
}

export class Container {
  id = "";
  removed = false;
  readonly config: Json;

  constructor(readonly pod: Pod, readonly name: string, patch: Json) {
    this.config = merge({
      metadata: { name, attempt: 0 },
      image: { image: "localhost/busybox:latest" },
      // A well-behaved workload: exits on SIGTERM (as pid 1, the default action would be ignored).
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"],
      labels: { "io.kubernetes.container.name": name, "io.kubernetes.pod.name": pod.name, "io.kubernetes.pod.namespace": "default", "io.kubernetes.pod.uid": pod.uid },
      annotations: { "io.kubernetes.container.terminationMessagePath": "/dev/termination-log", "io.kubernetes.container.restartCount": "0" },
      log_path: `${name}/0.log`,
      mounts: [
        { container_path: "/etc/hosts", host_path: join(pod.dir, "etc-hosts") },
        { container_path: "/dev/termination-log", host_path: this.hostFile(`termination-log-${name}`) },
      ],
      linux: {
        resources: { oom_score_adj: 1000 },
        security_context: {
          namespace_options: (pod.config.linux as Json & { security_context: Json }).security_context.namespace_options,
          seccomp: { profile_type: SECCOMP.Unconfined },
          masked_paths: KUBELET_MASKED_PATHS,
          readonly_paths: KUBELET_READONLY_PATHS,
        },
      },
    }, patch);
  }

  private hostFile(name: string): string {
    const path = join(this.pod.dir, name);
    writeFileSync(path, "");
    return path;
  }

  create(): this {
    // The kubelet makes each container's log directory; CRI-O doesn't.
    mkdirSync(join(this.pod.dir, "logs", this.name), { recursive: true });
    const file = join(this.pod.dir, `${this.name}.json`);
    writeFileSync(file, JSON.stringify(this.config));
    const r = crictl(["create", this.pod.id, file, this.pod.file()]);
    this.pod.timings.create ??= r.ms;
    if (r.code !== 0) throw new Error(`create ${this.name} (${this.pod.runtime}) failed: ${r.stderr.trim()}`);
    this.id = r.stdout.trim();
    return this;
  }

  start(): this {
    const r = crictl(["start", this.id]);
    this.pod.timings.start ??= r.ms;
    if (r.code !== 0) throw new Error(`start ${this.name} (${this.pod.runtime}) failed: ${r.stderr.trim()}`);
    return this;
  }

  /** `crictl stop -t timeout`; returns how long it took (ms). */
  stop(timeoutSec = 30): number {
    const r = crictl(["stop", "-t", String(timeoutSec), this.id]);
    this.pod.timings.stop ??= r.ms;
    if (r.code !== 0) throw new Error(`stop ${this.name} failed: ${r.stderr.trim()}`);
    return r.ms;
  }

  rm(force = false): void {
    const r = crictl(["rm", ...(force ? ["-f"] : []), this.id]);
    this.pod.timings.rm ??= r.ms;
    if (r.code !== 0) throw new Error(`rm ${this.name} failed: ${r.stderr.trim()}`);
    this.removed = true;
  }

  /** ExecSync, as the kubelet's probes and `kubectl exec` without a stream do it. */
  execSync(command: string[], timeoutSec = 0): CrictlResult {
    return crictl(["exec", "-s", "--timeout", String(timeoutSec), this.id, ...command]);
  }

  /** `sh -c script` through ExecSync; must exit 0; its stdout without trailing line breaks (crictl adds some). */
  sh(script: string): string {
    const r = this.execSync(["sh", "-c", script]);
    if (r.code !== 0) throw new Error(`exec in ${this.name} (${this.pod.runtime}) exited ${r.code}: ${r.stdout}${r.stderr}`);
    return r.stdout.trimEnd();
  }

  status(): Json & { state: string; exitCode?: number; reason?: string; pid?: number } {
    const out = JSON.parse(crictlOk(["inspect", this.id]));
    return { ...out.status, pid: out.info?.pid };
  }

  /** Polls until the container is in `state` (CONTAINER_EXITED, …). */
  async waitState(state: string, timeoutMs = 60_000): Promise<ReturnType<Container["status"]>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = this.status();
      if (s.state === state) return s;
      if (Date.now() > deadline) throw new Error(`${this.name} is ${s.state}, not ${state}, after ${timeoutMs} ms`);
      await Bun.sleep(100);
    }
  }

  logs(): string {
    return crictlOk(["logs", this.id]) + "\n";
  }

  /** Waits until the container's log holds `text`. */
  async waitLog(text: string, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = crictl(["logs", this.id]);
      const all = r.stdout + r.stderr;
      if (all.includes(text)) return all;
      if (Date.now() > deadline) throw new Error(`${this.name}'s log has no "${text}" after ${timeoutMs} ms: ${all}`);
      await Bun.sleep(100);
    }
  }
}

/** Pods a test made and hasn't removed: afterEach removes them before it checks the lane. */
const live = new Set<Pod>();

interface Row { scenario: string; runtime: Runtime; timings: Record<string, number> }
const rows: Row[] = [];
const observations = new Map<string, Partial<Record<Runtime, string>>>();

export interface ScenarioOptions {
  /** Runtimes it runs with (default: both). */
  runtimes?: readonly Runtime[];
  /** Also a test that crio-lxc's observation is runc's (default: true when both run). */
  compare?: boolean;
  timeoutMs?: number;
}

/**
 * One kubelet scenario, as a test per runtime. `body` makes its pods with
 * `pod()` (removed afterwards, and the lane then checked for leftovers) and
 * returns what it observed inside; with both runtimes a third test holds
 * crio-lxc's observation to runc's.
 */
export function scenario(name: string, body: (rt: Runtime, pod: (podName?: string, patch?: Json, qos?: QosClass) => Pod) => Promise<string | void>, opts: ScenarioOptions = {}): void {
  const runtimes = opts.runtimes ?? RUNTIMES;
  for (const rt of runtimes) {
    test(`${name} [${rt}]`, async () => {
      const pods: Pod[] = [];
      const make = (podName = "web", patch: Json = {}, qos: QosClass = "besteffort") => {
        const p = new Pod(rt, podName, patch, qos).runp();
        pods.push(p);
        return p;
      };
      const observed = await body(rt, make);
      for (const p of pods) p.remove();
      for (const p of pods) rows.push({ scenario: name, runtime: rt, timings: p.timings });
      if (typeof observed === "string") observations.set(name, { ...observations.get(name), [rt]: observed });
    }, opts.timeoutMs);
  }
  if ((opts.compare ?? true) && runtimes.length === RUNTIMES.length) {
    test(`${name}: crio-lxc shows what runc shows`, () => {
      const seen = observations.get(name) ?? {};
      if (seen.runc === undefined || seen["crio-lxc"] === undefined) throw new Error(`${name}: no observation from ${seen.runc === undefined ? "runc" : "crio-lxc"} (its test failed)`);
      expect(seen["crio-lxc"]).toBe(seen.runc);
    });
  }
}

/** Registers the per-test cleanup and leftover check, and the timing table at the end of the file. */
export function crioSuite(): void {
  // Test files run one after another in one process: this file's rows start here.
  let firstRow = 0;
  beforeAll(() => { firstRow = rows.length; });
  afterEach(async () => {
    const stuck: Pod[] = [...live];
    for (const p of stuck) {
      crictl(["rmp", "-f", p.id]);
      live.delete(p);
    }
    // The kubelet removes a pod's cgroup once CRI-O has removed the pod: that
    // fails while anything (a container's cgroup or process) is left in it.
    const notRemoved = await removePodCgroups();
    const left = await laneLeftovers();
    expect({ notRemoved, left }).toEqual({ notRemoved: [], left: [] });
  });
  afterAll(() => {
    if (rows.length > firstRow) console.log(timingTable(rows.slice(firstRow)));
  });
}

const OPS = ["runp", "create", "start", "stop", "rm", "stopp", "rmp"];

function timingTable(all: Row[]): string {
  const lines = [`| scenario | runtime | ${OPS.join(" | ")} |`, `|---|---|${OPS.map(() => "---:").join("|")}|`];
  for (const { scenario: s, runtime, timings } of all) {
    lines.push(`| ${s} | ${runtime} | ${OPS.map((op) => (timings[op] === undefined ? "" : Math.round(timings[op]!).toString())).join(" | ")} |`);
  }
  return `CRI-O call wall times (ms, crictl round trip):\n${lines.join("\n")}`;
}
