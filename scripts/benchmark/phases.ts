// Where the time of create, start, exec and delete goes, measured from outside:
// each call runs under `strace -f --seccomp-bpf -ttt -T` tracing only the
// syscalls that mark a phase (seccomp-bpf: the others don't stop the tracee,
// so the trace costs little); a phase ends at a marker syscall (the first
// of its kind after the previous marker). Medians over several runs. One
// create more is traced in full (every syscall) to tell what liblxc does.
import { closeSync, existsSync, openSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { call, mustCall, type Runtime, runtimeEnv } from "./runtimes";
import { median, reapOrphans } from "./timing";
import { waitpid } from "../../src/sys";

/** The syscalls traced: the markers' and the clones strace must see to follow children. */
export const TRACED_SYSCALLS = [
  "execve", "clone", "clone3", "vfork", "fork", "exit_group", "openat", "mkdir", "mkdirat", "rmdir", "mknodat", "rename",
  "pivot_root", "poll", "ppoll", "wait4", "waitid", "pidfd_open", "pidfd_send_signal", "ptrace", "memfd_create", "write", "unlinkat",
];

/** One syscall (an unfinished line joined with its resumption) or a process exit. */
export interface TraceEvent { pid: number; start: number; end: number; name: string; text: string; ret: string }

const LINE = /^(\d+) +(\d+\.\d+) (.*)$/;

export function parseStrace(text: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  const pending = new Map<number, { t: number; text: string }>();
  for (const line of text.split("\n")) {
    const m = LINE.exec(line);
    if (!m) continue;
    const pid = Number(m[1]), t = Number(m[2]);
    let body = m[3]!;
    if (body.startsWith("+++")) { events.push({ pid, start: t, end: t, name: "exited", text: body, ret: "" }); continue; }
    if (body.startsWith("---")) continue;
    let start = t, end: number | undefined = t;
    if (body.endsWith("<unfinished ...>")) { pending.set(pid, { t, text: body.slice(0, -"<unfinished ...>".length) }); continue; }
    const resumed = /^<\.\.\. \w+ resumed>(.*)$/.exec(body);
    if (resumed) {
      const first = pending.get(pid);
      pending.delete(pid);
      body = (first?.text ?? "") + resumed[1];
      start = first?.t ?? t;
    } else {
      const dur = /<(\d+\.\d+)>$/.exec(body);
      end = t + (dur ? Number(dur[1]) : 0);
    }
    const name = /^(\w+)\(/.exec(body)?.[1] ?? "?";
    const ret = / = (.*?)(?: <\d+\.\d+>)?$/.exec(body)?.[1] ?? "";
    events.push({ pid, start, end: end!, name, text: body, ret });
  }
  return events.sort((a, b) => a.start - b.start);
}

/** Thread → process, process → parent process, from the clones in the trace. */
export interface ProcessTree { tgid: Map<number, number>; parent: Map<number, number>; main: number }

export function processTree(events: TraceEvent[]): ProcessTree {
  const main = events.find((e) => e.name === "execve")?.pid ?? events[0]?.pid ?? 0;
  const tgid = new Map<number, number>([[main, main]]);
  const parent = new Map<number, number>();
  for (const e of events) {
    if (!["clone", "clone3", "fork", "vfork"].includes(e.name)) continue;
    const child = Number(/(\d+)$/.exec(e.ret)?.[1]);
    if (!child) continue;
    const self = tgid.get(e.pid) ?? e.pid;
    if (/CLONE_THREAD/.test(e.text)) tgid.set(child, self);
    else { tgid.set(child, child); parent.set(child, self); }
  }
  return { tgid, parent, main };
}

export type Role = "main" | "monitor" | "init" | "hook" | "other" | "any";

/** main: the traced call; monitor: main's first child process; init: the monitor's child in new namespaces; hook: the monitor's other child, which holds the container (no shell: monitor-hooks.c). */
export function rolesOf(events: TraceEvent[], tree: ProcessTree): (pid: number) => Role {
  const proc = (pid: number) => tree.tgid.get(pid) ?? pid;
  const children = (p: number) => [...tree.parent.entries()].filter(([, parent]) => parent === p).map(([c]) => c);
  const monitor = children(tree.main)[0];
  const fromMonitor = monitor === undefined ? [] : children(monitor);
  const init = fromMonitor.find((c) => events.some((e) => proc(e.pid) === monitor && /CLONE_NEWPID/.test(e.text) && e.ret.endsWith(String(c))));
  const hook = fromMonitor.find((c) => c !== init);
  return (pid) => {
    const p = proc(pid);
    if (p === tree.main) return "main";
    if (p === monitor) return "monitor";
    if (p === init) return "init";
    if (p === hook) return "hook";
    return "other";
  };
}

/** A phase ends at the first event of `role` matching `match` after the previous phase's end (`at`: the syscall's entry or return). */
export interface Marker {
  phase: string; role: Role; match: (e: TraceEvent) => boolean; group: string;
  /** The syscall's entry or (default) return ends the phase. */
  at?: "start" | "end";
  /** A call that blocks across the phase (a poll): it may have begun before the previous marker. */
  spans?: boolean;
}

const call_ = (name: string, re?: RegExp) => (e: TraceEvent) => e.name === name && (!re || re.test(e.text));
const exited = (e: TraceEvent) => e.name === "exited";

/** Phase durations (ms) of one trace; NaN where a marker was not found (its time goes to the next phase). */
export function phaseDurations(events: TraceEvent[], markers: Marker[]): { phases: number[]; total: number; stops: number[] } {
  const tree = processTree(events);
  const role = rolesOf(events, tree);
  const t0 = events.find((e) => e.name === "execve" && e.pid === tree.main)?.start ?? events[0]!.start;
  let prev = t0;
  const stops: number[] = [];
  const phases = markers.map((m) => {
    const e = events.find((ev) => (m.spans ? ev.end >= prev : ev.start >= prev) && (m.role === "any" || role(ev.pid) === m.role) && m.match(ev));
    if (!e) { stops.push(NaN); return NaN; }
    const t = m.at === "start" ? e.start : e.end;
    // Traced syscalls (each a stop or two of the tracee) that began in this phase.
    stops.push(events.filter((ev) => ev.name !== "exited" && ev.start > prev && ev.start <= t).length);
    const ms = (t - prev) * 1000;
    prev = t;
    return ms;
  });
  const end = events.find((e) => e.pid === tree.main && exited(e))?.start ?? prev;
  return { phases, total: (end - t0) * 1000, stops };
}

// ---- the markers of each call ----

const startOf: Pick<Marker, "at"> = { at: "start" };

export function createMarkers(bundle: string, root: string, id: string): Marker[] {
  const stateDir = `${root}/${id}`;
  return [
    { group: "Bun", phase: "Bun start, the bundle loaded (exec → main.ts's first syscall, the cgroup warm-up)", role: "main", match: call_("openat", /cgroup\.procs", O_WRONLY/), ...startOf },
    { group: "ours", phase: "CLI parse, settings (→ config.json opened)", role: "main", match: call_("openat", new RegExp(`"${bundle}/config\\.json"`)), ...startOf },
    { group: "ours", phase: "spec load + validation, rootfs realpath, placement, id claimed (→ state dir made)", role: "main", match: call_("mkdir", new RegExp(`"${stateDir}"`)), ...startOf },
    { group: "ours", phase: "spec copy, FIFOs, state.json (→ first cgroup mkdir)", role: "main", match: call_("mkdir", /"\/sys\/fs\/cgroup/), ...startOf },
    { group: "ours", phase: "cgroup set-up: parents, resources.json", role: "main", match: call_("rename", /resources\.json"/) },
    { group: "ours", phase: "translation, rootfs checks, lxc.conf written", role: "main", match: call_("openat", /\/lxc\.conf", O_WRONLY/) },
    { group: "ours", phase: "dlopen liblxc, container_new, set_config_item × N", role: "main", match: call_("memfd_create", /crio-lxc-native/), ...startOf },
    { group: "ours", phase: "native unit loaded, monitor forked (fork returns)", role: "main", match: (e) => e.name === "clone" && !/CLONE_THREAD/.test(e.text) },
    { group: "liblxc", phase: "monitor: liblxc start-up (fd sweep, command socket, probes) → first cgroup mkdir", role: "monitor", match: call_("mkdirat"), ...startOf },
    { group: "liblxc", phase: "monitor: cgroup made, monitor moved into it (write of its pid)", role: "monitor", match: (e) => e.name === "write" && /^write\(\d+, "\d+", \d+\)/.test(e.text) },
    { group: "liblxc", phase: "monitor: rootfs probe, container cgroup, clone of init (new namespaces)", role: "monitor", match: call_("clone3", /CLONE_NEWPID/) },
    { group: "liblxc", phase: "init: cgroup move, netns id, mounts (rootfs, /dev tmpfs, proc, device nodes) → pivot_root", role: "init", match: call_("pivot_root") },
    { group: "liblxc", phase: "init: after pivot (boot_id, capability drops, no_new_privs) → monitor forks the start-host hook", role: "monitor", match: (e) => e.name === "clone" && !/CLONE_THREAD/.test(e.text), ...startOf },
    { group: "hold", phase: "hook: liblxc's fork; the monitor's hold (no shell) opens the start FIFO", role: "hook", match: call_("openat", /\/start", O_RDWR/) },
    { group: "hold", phase: "hook: the ready FIFO opened, the container's mount operations applied in init's mount namespace (→ its write of init's pid)", role: "hook", match: call_("write"), ...startOf },
    { group: "hold", phase: "the write, and the runtime waking from its poll on `ready`", role: "main", match: (e) => (e.name === "poll" || e.name === "ppoll") && /revents/.test(e.text), spans: true },
    { group: "ours", phase: "after ready: state saved, /dev/core, seccomp check, pid file, log", role: "main", match: call_("exit_group"), ...startOf },
    { group: "exit", phase: "exit (exit_group → process gone)", role: "main", match: exited },
  ];
}

export function startMarkers(root: string, id: string): Marker[] {
  return [
    { group: "Bun", phase: "Bun start, the bundle loaded, CLI, settings (→ container lock taken)", role: "main", match: call_("openat", new RegExp(`"${root}/${id}"`)), ...startOf },
    { group: "ours", phase: "state loaded, status checked, hooks (→ ptrace seize of init)", role: "main", match: call_("ptrace", /PTRACE_SEIZE/), ...startOf },
    { group: "ours", phase: "`start` written to the hook's FIFO", role: "main", match: call_("openat", /\/start", O_WRONLY/) },
    { group: "hold", phase: "hook exits, liblxc finishes (monitor side), init execs (→ exec stop seen)", role: "main", match: call_("wait4", /PTRACE_EVENT_EXEC/) },
    { group: "ours", phase: "cwd check, monitor SIGKILLed", role: "main", match: call_("pidfd_send_signal"), ...startOf },
    { group: "hold", phase: "hand-over: wait until init is reparented, ptrace detach", role: "main", match: call_("ptrace", /PTRACE_DETACH/) },
    { group: "ours", phase: "state saved, poststart, monitor cgroup removed", role: "main", match: call_("exit_group"), ...startOf },
    { group: "exit", phase: "exit (exit_group → process gone)", role: "main", match: exited },
  ];
}

export function execMarkers(root: string, id: string): Marker[] {
  return [
    { group: "Bun", phase: "Bun start, the bundle loaded, CLI, settings (→ state.json opened)", role: "main", match: call_("openat", new RegExp(`"${root}/${id}/state\\.json"`)), ...startOf },
    { group: "ours", phase: "spec read, process planned (→ clone3 of the helper into the cgroup)", role: "main", match: (e) => /^clone3?$/.test(e.name) && !/CLONE_THREAD/.test(e.text), ...startOf },
    { group: "ours", phase: "helper: clone3(CLONE_INTO_CGROUP) returns", role: "main", match: (e) => /^clone3?$/.test(e.name) && !/CLONE_THREAD/.test(e.text) },
    { group: "ours", phase: "helper joins init's namespaces, clones the process, which execs", role: "any", match: call_("execve", /"\/bin\/true"/) },
    { group: "container", phase: "the process (/bin/true) runs and exits; runtime reaps it", role: "main", match: (e) => e.name === "wait4" && /WIFEXITED/.test(e.text), spans: true },
    { group: "ours", phase: "after the wait", role: "main", match: call_("exit_group"), ...startOf },
    { group: "exit", phase: "exit (exit_group → process gone)", role: "main", match: exited },
  ];
}

export function deleteMarkers(root: string, id: string): Marker[] {
  return [
    { group: "Bun", phase: "Bun start, the bundle loaded, CLI, settings (→ container lock taken)", role: "main", match: call_("openat", new RegExp(`"${root}/${id}"`)), ...startOf },
    { group: "ours", phase: "state loaded, processes signalled, cgroups killed (→ first cgroup rmdir)", role: "main", match: call_("rmdir", /"\/sys\/fs\/cgroup/), ...startOf },
    { group: "ours", phase: "cgroups removed (→ state dir removal starts)", role: "main", match: call_("unlinkat"), ...startOf },
    { group: "ours", phase: "state dir removed, poststop, log", role: "main", match: call_("exit_group"), ...startOf },
    { group: "exit", phase: "exit (exit_group → process gone)", role: "main", match: exited },
  ];
}

export function floorMarkers(): Marker[] {
  return [
    { group: "Bun", phase: "Bun start (exec → the program's write)", role: "main", match: call_("write", /"x\\n"/), ...startOf },
    { group: "exit", phase: "write, exit_group, process gone", role: "main", match: exited },
  ];
}

// ---- running the traces ----

export function straceArgv(out: string, full = false): string[] {
  return ["strace", "-f", "-q", "-ttt", "-T", "-s", "120", "-o", out, ...(full ? [] : ["--seccomp-bpf", "-e", `trace=${TRACED_SYSCALLS.join(",")}`])];
}

export interface PhaseTable { call: string; markers: Marker[]; runs: number[][]; totals: number[]; stops: number[][] }

/** A traced create (of a `sleep` bundle): strace follows the monitor, so it is left running until start and kill, and waited for after. */
async function tracedCreate(rt: Runtime, bundle: string, id: string, pidFile: string, out: string, dir: string, full: boolean): Promise<void> {
  const err = openSync(join(dir, "strace.stderr"), "w");
  const proc = Bun.spawn([...straceArgv(out, full), ...rt.argv, "create", "--bundle", bundle, "--pid-file", pidFile, id], { stdin: "ignore", stdout: "ignore", stderr: err, env: runtimeEnv(dir) });
  try {
    const deadline = Date.now() + 30_000;
    // Done when the create process (strace's only child) has exited: the monitor was reparented to us.
    const childrenFile = `/proc/${proc.pid}/task/${proc.pid}/children`;
    for (;;) {
      const kids = existsSync(childrenFile) ? readFileSync(childrenFile, "utf8").trim() : "";
      if (!kids && existsSync(pidFile)) break;
      if (proc.exitCode !== null) throw new Error(`traced create exited early: ${readFileSync(join(dir, "strace.stderr"), "utf8")}`);
      if (Date.now() > deadline) throw new Error("traced create did not finish");
      await Bun.sleep(2);
    }
    // start's ptrace of init fails (strace traces init): it waits for the exec instead, and then
    // can't check the cwd of an init that exited at once; so the bundle runs `sleep`, killed here.
    mustCall(rt, ["start", id], dir);
    mustCall(rt, ["kill", id, "9"], dir);
    waitpid(Number(readFileSync(pidFile, "utf8")), 0);
    await Promise.race([proc.exited, Bun.sleep(10_000)]);
  } finally {
    closeSync(err);
    if (proc.exitCode === null) proc.kill(9);
  }
}

export interface PhaseResults {
  tables: PhaseTable[];
  fullCreate: string;
  /** The monitor while a container is held: minor faults since its fork, its RSS. */
  monitorFaults?: { minflt: number; rssMb: number };
  /** How long create's fork() of the monitor took (clone entry → return, traced), per run. */
  forkMs: number[];
  /** The same calls under perf trace: coarse phases. */
  perf: PerfTable[];
}

/**
 * `runs` traced rounds: (a) create traced, start, delete traced; (b) create,
 * start traced, delete; (c) exec traced into a sleeping container; and the
 * floor program F traced the same way. Returns per-call phase samples and one
 * full trace of a create (every syscall) for the liblxc summary.
 */
export async function measurePhases(rt: Runtime, floorExe: string, trueBundle: string, sleepBundle: string, dir: string, runs: number): Promise<PhaseResults> {
  const root = rt.argv[rt.argv.indexOf("--root") + 1]!;
  const tables: Record<string, PhaseTable> = {};
  const forkMs: number[] = [];
  const add = (call: string, markers: Marker[], file: string) => {
    const events = parseStrace(readFileSync(file, "utf8"));
    const { phases, total, stops } = phaseDurations(events, markers);
    if (call === "create") {
      const main = processTree(events).main;
      const fork = events.find((e) => e.pid === main && e.name === "clone" && !/CLONE_THREAD/.test(e.text));
      if (fork) forkMs.push((fork.end - fork.start) * 1000);
    }
    tables[call] ??= { call, markers, runs: [], totals: [], stops: [] };
    tables[call].runs.push(phases);
    tables[call].stops.push(stops);
    tables[call].totals.push(total);
    rmSync(file, { force: true });
  };
  const traced = (args: string[], out: string) => {
    const r = call(rt, args, dir, { prefix: straceArgv(out) });
    if (r.code !== 0) throw new Error(`traced ${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
  };
  for (let i = 0; i < runs + 1; i++) {
    const keep = i > 0; // the first round warms the caches up
    const a = `bench-${process.pid}-phase-a${i}`, b = `bench-${process.pid}-phase-b${i}`;
    const out = join(dir, "phase.strace");
    await tracedCreate(rt, sleepBundle, a, join(dir, `${a}.pid`), out, dir, false);
    if (keep) add("create", createMarkers(sleepBundle, root, a), out);
    traced(["delete", a], out);
    if (keep) add("delete", deleteMarkers(root, a), out);
    mustCall(rt, ["create", "--bundle", trueBundle, "--pid-file", join(dir, `${b}.pid`), b], dir);
    traced(["start", b], out);
    if (keep) add("start", startMarkers(root, b), out);
    waitpid(Number(readFileSync(join(dir, `${b}.pid`), "utf8")), 0);
    mustCall(rt, ["delete", b], dir);
    reapOrphans();
    const f = Bun.spawnSync([...straceArgv(out), floorExe], { stdout: "ignore", stderr: "ignore" });
    if (f.exitCode !== 0) throw new Error("traced floor program failed");
    if (keep) add("F", floorMarkers(), out);
  }
  // exec, into one sleeping container
  const s = `bench-${process.pid}-phase-sleep`;
  mustCall(rt, ["create", "--bundle", sleepBundle, "--pid-file", join(dir, `${s}.pid`), s], dir);
  let monitorFaults: PhaseResults["monitorFaults"];
  try {
    // The monitor while the container is held: minor faults since its fork (copy-on-write of the Bun heap) and its RSS.
    const state = JSON.parse(readFileSync(join(root, s, "state.json"), "utf8")) as { monitor?: { pid: number } };
    const pid = state.monitor?.pid;
    if (pid) {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
      monitorFaults = { minflt: Number(fields[7]), rssMb: Number(rss) / 1024 };
    }
    mustCall(rt, ["start", s], dir);
    for (let i = 0; i < runs + 1; i++) {
      const out = join(dir, "phase.strace");
      traced(["exec", s, "/bin/true"], out);
      if (i > 0) add("exec", execMarkers(root, s), out);
    }
  } finally {
    call(rt, ["delete", "--force", s], dir);
    reapOrphans();
  }
  // The same calls under perf trace.
  const perfTables: Record<string, PerfTable> = {};
  const perfAdd = (callName: string, file: string) => {
    const { phases, total } = perfPhases(callName, readFileSync(file, "utf8"));
    perfTables[callName] ??= { call: callName, markers: PERF_MARKERS[callName]!, runs: [], totals: [] };
    perfTables[callName].runs.push(phases);
    perfTables[callName].totals.push(total);
    rmSync(file, { force: true });
  };
  const perfed = (args: string[], out: string) => {
    const r = call(rt, args, dir, { prefix: perfArgv(out) });
    if (r.code !== 0) throw new Error(`perf trace ${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
  };
  const pOut = join(dir, "phase.perf");
  for (let i = 0; i < runs + 1; i++) {
    const keep = i > 0;
    const a = `bench-${process.pid}-perf-a${i}`, b = `bench-${process.pid}-perf-b${i}`;
    perfed(["create", "--bundle", trueBundle, "--pid-file", join(dir, `${a}.pid`), a], pOut);
    if (keep) perfAdd("create", pOut);
    mustCall(rt, ["start", a], dir);
    waitpid(Number(readFileSync(join(dir, `${a}.pid`), "utf8")), 0);
    perfed(["delete", a], pOut);
    if (keep) perfAdd("delete", pOut);
    mustCall(rt, ["create", "--bundle", trueBundle, "--pid-file", join(dir, `${b}.pid`), b], dir);
    perfed(["start", b], pOut);
    if (keep) perfAdd("start", pOut);
    waitpid(Number(readFileSync(join(dir, `${b}.pid`), "utf8")), 0);
    mustCall(rt, ["delete", b], dir);
    reapOrphans();
    const f = Bun.spawnSync([...perfArgv(pOut), floorExe], { stdout: "ignore", stderr: "ignore" });
    if (f.exitCode !== 0) throw new Error("perf trace of the floor program failed");
    if (keep) perfAdd("F", pOut);
  }
  const ps = `bench-${process.pid}-perf-sleep`;
  mustCall(rt, ["create", "--bundle", sleepBundle, "--pid-file", join(dir, `${ps}.pid`), ps], dir);
  try {
    mustCall(rt, ["start", ps], dir);
    for (let i = 0; i < runs + 1; i++) {
      perfed(["exec", ps, "/bin/true"], pOut);
      if (i > 0) perfAdd("exec", pOut);
    }
  } finally {
    call(rt, ["delete", "--force", ps], dir);
    reapOrphans();
  }
  // One create traced in full, for what liblxc does.
  const fullOut = join(dir, "full.strace");
  const c = `bench-${process.pid}-phase-full`;
  await tracedCreate(rt, sleepBundle, c, join(dir, `${c}.pid`), fullOut, dir, true);
  mustCall(rt, ["delete", c], dir);
  reapOrphans();
  const fullCreate = readFileSync(fullOut, "utf8");
  rmSync(fullOut, { force: true });
  return { tables: ["F", "create", "start", "exec", "delete"].filter((k) => tables[k]).map((k) => tables[k]!), fullCreate, monitorFaults, forkMs,
    perf: ["F", "create", "start", "exec", "delete"].filter((k) => perfTables[k]).map((k) => perfTables[k]!) };
}

export const phaseMedians = (t: PhaseTable) => t.markers.map((_, i) => median(t.runs.map((r) => r[i]!).filter((x) => !Number.isNaN(x))));


// ---- the same calls under `perf trace`: coarse phases, nearly without overhead ----
//
// perf trace reads the syscall tracepoints: nothing stops the process, so the
// times are close to untraced ones, but it shows no path strings. The markers
// are then syscalls that need no path: forks, clone3, execve, pivot_root,
// flock, ptrace, poll, wait4, exit_group. Its clock starts at the exec.

export const PERF_SYSCALLS = ["execve", "clone", "clone3", "exit_group", "wait4", "poll", "ppoll", "pivot_root", "write", "ptrace", "pidfd_send_signal", "flock", "rmdir", "unlinkat"];

export const perfArgv = (out: string) => ["perf", "trace", "-e", PERF_SYSCALLS.join(","), "-o", out, "--"];

const PERF_LINE = /^\s*([\d.]+|\?) \(\s*(?:([\d.]+) ms)?\s*\): (.*?)\/(\d+) (.*)$/;

/** perf trace's lines as events (times in seconds, from the exec). */
export function parsePerf(text: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  const pending = new Map<number, string>();
  for (const line of text.split("\n")) {
    const m = PERF_LINE.exec(line);
    if (!m || m[1] === "?") continue;
    const t = Number(m[1]) / 1000, dur = m[2] ? Number(m[2]) / 1000 : 0, tid = Number(m[4]);
    let body = m[5]!.trim();
    if (/\)\s+\.\.\.$/.test(body)) { pending.set(tid, body.replace(/\s+\.\.\.$/, "")); continue; }
    const continued = /^\.\.\. \[continued\]: (\w+)\(\)\)\s*(.*)$/.exec(body);
    if (continued) body = (pending.get(tid) ?? `${continued[1]}()`) + " " + continued[2];
    pending.delete(tid);
    const name = /^(\w+)\(/.exec(body)?.[1] ?? "?";
    const ret = /\)\s+= (.*)$/.exec(body)?.[1]?.trim() ?? "";
    events.push({ pid: tid, start: t, end: t + dur, name, text: body, ret });
  }
  return events.sort((a, b) => a.start - b.start);
}

/** Who's who from perf's events: the call (main), the monitor, init, the hook, exec's process. */
export interface PerfCast { main: number; monitor?: number; init?: number; hook?: number; process?: number }

export function perfCast(events: TraceEvent[]): PerfCast {
  const main = events[0]?.pid ?? 0;
  const child = (e: TraceEvent | undefined) => (e ? Number(/^(\d+)/.exec(e.ret)?.[1]) || undefined : undefined);
  const monitor = child(events.find((e) => e.pid === main && e.name === "clone"));
  const init = child(events.find((e) => e.pid === monitor && e.name === "clone3"));
  const hook = child(events.find((e) => e.pid === monitor && e.name === "clone"));
  const process = events.find((e) => e.name === "execve" && e.pid !== main && e.pid !== hook && e.pid !== init)?.pid;
  return { main, monitor, init, hook, process };
}

export interface PerfMarker { phase: string; group: string; match: (e: TraceEvent, c: PerfCast) => boolean; at?: "start" | "end"; spans?: boolean }

export function perfPhaseDurations(events: TraceEvent[], markers: PerfMarker[]): { phases: number[]; total: number } {
  const cast = perfCast(events);
  let prev = 0;
  const phases = markers.map((m) => {
    const e = events.find((ev) => (m.spans ? ev.end >= prev : ev.start >= prev) && m.match(ev, cast));
    if (!e) return NaN;
    const t = m.at === "end" ? e.end : e.start;
    const ms = (t - prev) * 1000;
    prev = t;
    return ms;
  });
  return { phases, total: prev * 1000 };
}

const by = (who: keyof PerfCast, name: string, re?: RegExp) => (e: TraceEvent, c: PerfCast) => e.pid === c[who] && e.name === name && (!re || re.test(e.text));

export const PERF_MARKERS: Record<string, PerfMarker[]> = {
  F: [
    { group: "Bun", phase: "Bun start (exec → the program's write)", match: (e) => e.name === "write" },
    { group: "exit", phase: "→ exit_group", match: by("main", "exit_group") },
  ],
  create: [
    { group: "Bun", phase: "Bun start, the bundle loaded (→ main.ts's cgroup warm-up write, on a Bun thread)", match: (e) => e.name === "write" && /count: 1\)/.test(e.text) },
    { group: "ours", phase: "CLI, settings, spec load + validation, state dir, cgroup parents, translation, lxc.conf, liblxc loaded and configured (→ fork of the monitor)", match: by("main", "clone") },
    { group: "ours", phase: "the fork() syscall", match: by("main", "clone"), at: "end" },
    { group: "liblxc", phase: "monitor: liblxc start-up, its cgroup, moving itself into it (→ clone3 of init)", match: by("monitor", "clone3") },
    { group: "liblxc", phase: "init: cgroup, mounts (rootfs, /dev tmpfs, proc, device nodes) (→ pivot_root)", match: by("init", "pivot_root") },
    { group: "liblxc", phase: "init after pivot_root (boot_id, capabilities), monitor's last set-up (→ fork of the start-host hook)", match: by("monitor", "clone") },
    { group: "hold", phase: "hook: liblxc's fork; the monitor's hold (no shell) opens the FIFOs, applies the container's mount operations (→ its write to `ready`)", match: by("hook", "write") },
    { group: "hold", phase: "the runtime wakes (→ its poll returns)", match: (e, c) => e.pid === c.main && /^p?poll$/.test(e.name) && /^1/.test(e.ret), at: "end", spans: true },
    { group: "ours", phase: "after ready: state saved, /dev/core, seccomp check, pid file, log (→ exit_group)", match: by("main", "exit_group") },
  ],
  start: [
    { group: "Bun", phase: "Bun start, the bundle loaded, CLI, settings (→ the container lock: flock)", match: by("main", "flock") },
    { group: "ours", phase: "state loaded, status checked, hooks (→ ptrace seize of init)", match: by("main", "ptrace") },
    { group: "hold", phase: "`start` to the hook, hook exits, liblxc's last steps, init execs; cwd check (→ monitor SIGKILLed)", match: by("main", "pidfd_send_signal") },
    { group: "hold", phase: "hand-over: until init is reparented (→ ptrace detach)", match: by("main", "ptrace") },
    { group: "ours", phase: "state saved, poststart, monitor cgroup removed (→ exit_group)", match: by("main", "exit_group") },
  ],
  exec: [
    { group: "Bun", phase: "Bun start, the bundle loaded, CLI, state, spec, process planned (→ clone3 of the helper)", match: (e, c) => e.pid === c.main && e.name === "clone3" && !!c.process && e.end <= (execStart(e, c) ?? 0) && isLastClone3(e, c) },
    { group: "ours", phase: "helper: into the cgroup (clone3), joins init's namespaces, clones the process, which sets itself up (→ execve)", match: (e, c) => e.pid === c.process && e.name === "execve" },
    { group: "container", phase: "the process (/bin/true) runs (→ its exit_group)", match: (e, c) => e.pid === c.process && e.name === "exit_group" },
    { group: "ours", phase: "the runtime reaps it (→ wait4 returns it)", match: (e, c) => e.pid === c.main && e.name === "wait4" && e.ret.startsWith(String(c.process)), at: "end", spans: true },
    { group: "ours", phase: "→ exit_group", match: by("main", "exit_group") },
  ],
  delete: [
    { group: "Bun", phase: "Bun start, the bundle loaded, CLI, settings (→ the container lock: flock)", match: by("main", "flock") },
    { group: "ours", phase: "state loaded, processes killed (→ first cgroup rmdir)", match: by("main", "rmdir") },
    { group: "ours", phase: "cgroups removed (→ state dir removal: unlinkat)", match: by("main", "unlinkat") },
    { group: "ours", phase: "state dir removed, poststop, log (→ exit_group)", match: by("main", "exit_group") },
  ],
};

// exec's helper is the last clone3 of the runtime before the process's execve (the others start Bun's threads).
let castEvents: TraceEvent[] = [];
function execStart(_e: TraceEvent, c: PerfCast): number | undefined {
  return castEvents.find((ev) => ev.pid === c.process && ev.name === "execve")?.start;
}
function isLastClone3(e: TraceEvent, c: PerfCast): boolean {
  const before = execStart(e, c) ?? 0;
  const last = castEvents.filter((ev) => ev.pid === c.main && ev.name === "clone3" && ev.start < before).pop();
  return last === e;
}

export interface PerfTable { call: string; markers: PerfMarker[]; runs: number[][]; totals: number[] }

export function perfPhases(call: string, text: string): { phases: number[]; total: number } {
  const events = parsePerf(text);
  castEvents = events;
  return perfPhaseDurations(events, PERF_MARKERS[call]!);
}

// ---- what liblxc does: a summary of the full trace ----

export interface RoleSummary { role: Role; processes: number; syscalls: number; spanMs: number; byName: Array<[string, number]>; slowest: Array<{ ms: number; text: string }>; counts: Record<string, number> }

const CATEGORIES: Record<string, (e: TraceEvent) => boolean> = {
  "mount API (mount, umount2, fsopen/fsconfig/fsmount, move_mount, open_tree, mount_setattr, pivot_root)": (e) => /^(mount|umount2|fsopen|fsconfig|fsmount|move_mount|open_tree|mount_setattr|pivot_root)$/.test(e.name),
  "cgroup fs (openat2/mkdirat/faccessat2 in /sys/fs/cgroup or on its fds, writes of cgroup files)": (e) => /cgroup/.test(e.text) && !/^(read|close)$/.test(e.name),
  "fd sweep (/proc/self/fd listings, close)": (e) => (/"\/proc\/self\/fd"/.test(e.text) || (e.name === "getdents64")) || e.name === "close",
  "failed probes (ENOENT/EINVAL/EEXIST/EFAULT/EBADF returns)": (e) => /^-1 E(NOENT|INVAL|EXIST|FAULT|BADF)/.test(e.ret),
  "capability bounding-set drops (prctl PR_CAPBSET_DROP)": (e) => /PR_CAPBSET_DROP/.test(e.text),
  "device nodes and /dev symlinks (mknodat, symlinkat)": (e) => /^(mknodat|symlinkat)$/.test(e.name),
  "memory management (mmap, munmap, mprotect, madvise, brk)": (e) => /^(mmap|munmap|mprotect|madvise|brk)$/.test(e.name),
};

export function summarizeFullTrace(text: string): RoleSummary[] {
  const events = parseStrace(text);
  const tree = processTree(events);
  const role = rolesOf(events, tree);
  return (["main", "monitor", "init", "hook"] as Role[]).map((r) => {
    const mine = events.filter((e) => role(e.pid) === r && e.name !== "exited");
    const pids = new Set(mine.map((e) => tree.tgid.get(e.pid) ?? e.pid));
    const byName = new Map<string, number>();
    for (const e of mine) byName.set(e.name, (byName.get(e.name) ?? 0) + 1);
    const counts = Object.fromEntries(Object.entries(CATEGORIES).map(([k, f]) => [k, mine.filter(f).length]));
    const span = mine.length ? (mine[mine.length - 1]!.end - mine[0]!.start) * 1000 : 0;
    return {
      role: r, processes: pids.size, syscalls: mine.length, spanMs: span,
      byName: [...byName.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8),
      slowest: mine.filter((e) => !/^(poll|ppoll|wait4|waitid|read|recvmsg|recvfrom|futex|epoll_wait|clock_nanosleep|nanosleep)$/.test(e.name))
        .map((e) => ({ ms: (e.end - e.start) * 1000, text: e.text.replace(/ <\d+\.\d+>$/, "").slice(0, 110) }))
        .sort((a, b) => b.ms - a.ms).slice(0, 4),
      counts,
    };
  });
}
