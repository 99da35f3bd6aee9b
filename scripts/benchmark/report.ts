// The results as markdown: the floors, one table of medians, own work and
// ratios per pass (quiet, then both cores busy) and how the ratios move, the
// targets met or not, memory, the burst, the per-phase breakdown, what liblxc
// does, the build variants, the memory floor, and how the numbers were made.
import type { BurstResult } from "./burst";
import { FLOOR_PIDS, type FloorResult } from "./floor";
import { type CallName, type Leftovers, sumOf } from "./memory";
import { type PhaseResults, phaseMedians, summarizeFullTrace } from "./phases";
import { RUNTIME_NAMES, type RuntimeName } from "./runtimes";
import type { FloorCommand } from "./start-floor";
import { median, type Samples } from "./timing";
import type { VariantResults } from "./variants";

export type MeasureKey = "lifecycle" | "create" | "start" | "delete" | "run" | "exec" | "state" | "version";

export interface Timing {
  key: MeasureKey; title: string; method: string; samples: Samples;
  /** How many runtime calls one sample is: its own work is the sample minus that many floors. */
  calls: number;
  /** Each runtime's floor, timed in the same rounds the same way. */
  floor: Samples;
}

export interface Floors {
  /** hyperfine: F's variants, G, C, by name. */
  samples: Record<string, number[]>;
  /** The fastest F variant. */
  F: FloorCommand;
  /** Each runtime's floor spawned as the calls are (F for crio-lxc, G for runc, C for crun), in the lifecycle loop and in the loop of running containers. */
  spawned: Samples;
  spawnedRunning: Samples;
}

export interface Pass { name: string; loadBefore: string; loadBeforeBurst: string; loadAfter: string; timings: Timing[]; floors: Floors; burst: Record<RuntimeName, BurstResult> }

export interface Results {
  date: string;
  machine: string;
  versions: string;
  runs: number;
  warmup: number;
  quiet: Pass;
  busy?: Pass;
  leftovers: Record<RuntimeName, Leftovers>;
  peakRss: Record<RuntimeName, Record<CallName, number>>;
  /** Peak RSS and minor faults of each runtime's floor program. */
  floorRss: Record<RuntimeName, { rssMb: number; minorFaults: number }>;
  phases: PhaseResults;
  variants?: VariantResults;
  /** The QEMU lane's result, or why it is missing. */
  floor: FloorResult | string;
  fairness: string;
  durationS: number;
}

const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : "—");
const mb = (x: number) => `${x.toFixed(1)} MB`;
/** A ratio, or — where the denominator is too small to divide by (own work under 0.3 ms is noise). */
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b >= 0.3 ? `${(a / b).toFixed(2)}×` : "—");
const G_NAME = "G: runc --version", C_NAME = "C: crun --version";

type ByRuntime = Record<RuntimeName, number>;

function medians(t: Timing): ByRuntime {
  return Object.fromEntries(RUNTIME_NAMES.map((n) => [n, median(t.samples[n])])) as ByRuntime;
}

const mediansOf = (s: Samples) => Object.fromEntries(RUNTIME_NAMES.map((n) => [n, median(s[n])])) as ByRuntime;

/** Each runtime's floor by hyperfine. */
function hyperfineFloors(p: Pass): ByRuntime {
  const s = p.floors.samples;
  return { "crio-lxc": median(s[p.floors.F.name]!), runc: median(s[G_NAME]!), crun: median(s[C_NAME]!) };
}

function ownWork(t: Timing): ByRuntime {
  const m = medians(t), f = mediansOf(t.floor);
  return Object.fromEntries(RUNTIME_NAMES.map((n) => [n, m[n] - t.calls * f[n]])) as ByRuntime;
}

const timingOf = (p: Pass, key: MeasureKey) => p.timings.find((t) => t.key === key)!;

function floorTable(p: Pass): string[] {
  const s = p.floors.samples;
  const spawned = mediansOf(p.floors.spawned), running = mediansOf(p.floors.spawnedRunning);
  const cells = (n: RuntimeName) => `${ms(spawned[n])} | ${ms(running[n])}`;
  return [
    "| floor program | hyperfine median | spawned in the lifecycle loop | spawned in the running-container loop |",
    "|---|---|---|---|",
    ...Object.keys(s).filter((k) => k.startsWith("F: ")).map((k) =>
      `| ${k === p.floors.F.name ? `**${k}** (F: the fastest in the quiet pass)` : k} | ${ms(median(s[k]!))} | ${k === p.floors.F.name ? cells("crio-lxc") : " | "} |`),
    `| G: \`runc --version\` | ${ms(median(s[G_NAME]!))} | ${cells("runc")} |`,
    `| C: \`crun --version\` | ${ms(median(s[C_NAME]!))} | ${cells("crun")} |`,
  ];
}

function timingTable(p: Pass): string[] {
  return [
    "| measure | crio-lxc | crun | runc | own: crio-lxc | own: crun | own: runc | own ÷ crun's | own ÷ runc's | total ÷ crun | total ÷ runc |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    ...p.timings.map((t) => {
      const m = medians(t), o = ownWork(t);
      return `| ${t.title} | ${ms(m["crio-lxc"])} | ${ms(m.crun)} | ${ms(m.runc)} | ${ms(o["crio-lxc"])} | ${ms(o.crun)} | ${ms(o.runc)} | ` +
        `${ratio(o["crio-lxc"], o.crun)} | ${ratio(o["crio-lxc"], o.runc)} | ${ratio(m["crio-lxc"], m.crun)} | ${ratio(m["crio-lxc"], m.runc)} |`;
    }),
  ];
}

function movesTable(q: Pass, b: Pass): string[] {
  const arrow = (x: string, y: string) => `${x} → ${y}`;
  const fq = mediansOf(q.floors.spawned), fb = mediansOf(b.floors.spawned);
  return [
    "| measure | crio-lxc quiet → busy | slowdown crio-lxc / crun / runc | own ÷ runc's | own ÷ crun's | total ÷ runc | total ÷ crun |",
    "|---|---|---|---|---|---|---|",
    `| floors F / C / G (lifecycle loop) | ${arrow(ms(fq["crio-lxc"]), ms(fb["crio-lxc"]))} | ${RUNTIME_NAMES.map((n) => ratio(fb[n], fq[n])).join(" / ")} | | | | |`,
    ...q.timings.map((t) => {
      const tb = timingOf(b, t.key);
      const mq = medians(t), mb_ = medians(tb), oq = ownWork(t), ob = ownWork(tb);
      return `| ${t.title} | ${arrow(ms(mq["crio-lxc"]), ms(mb_["crio-lxc"]))} | ${RUNTIME_NAMES.map((n) => ratio(mb_[n], mq[n])).join(" / ")} | ` +
        `${arrow(ratio(oq["crio-lxc"], oq.runc), ratio(ob["crio-lxc"], ob.runc))} | ${arrow(ratio(oq["crio-lxc"], oq.crun), ratio(ob["crio-lxc"], ob.crun))} | ` +
        `${arrow(ratio(mq["crio-lxc"], mq.runc), ratio(mb_["crio-lxc"], mb_.runc))} | ${arrow(ratio(mq["crio-lxc"], mq.crun), ratio(mb_["crio-lxc"], mb_.crun))} |`;
    }),
    `| ${q.burst["crio-lxc"].count} concurrent create+start, wall | ${arrow(ms(q.burst["crio-lxc"].wallMs), ms(b.burst["crio-lxc"].wallMs))} | ` +
      `${RUNTIME_NAMES.map((n) => ratio(b.burst[n].wallMs, q.burst[n].wallMs)).join(" / ")} | | | ` +
      `${arrow(ratio(q.burst["crio-lxc"].wallMs, q.burst.runc.wallMs), ratio(b.burst["crio-lxc"].wallMs, b.burst.runc.wallMs))} | ` +
      `${arrow(ratio(q.burst["crio-lxc"].wallMs, q.burst.crun.wallMs), ratio(b.burst["crio-lxc"].wallMs, b.burst.crun.wallMs))} |`,
  ];
}

const met = (ok: boolean) => (ok ? "**met**" : "**not met**");

function targetCells(r: Results, p: Pass): Array<[string, string, boolean]> {
  const life = ownWork(timingOf(p, "lifecycle")), exec = ownWork(timingOf(p, "exec"));
  const stateT = timingOf(p, "state");
  const state = medians(stateT)["crio-lxc"], F = mediansOf(stateT.floor)["crio-lxc"];
  const burst = p.burst["crio-lxc"], ok = burst.count - burst.failures.length;
  const rssMax = Math.max(...Object.values(r.peakRss["crio-lxc"]));
  const running = r.leftovers["crio-lxc"].running;
  return [
    ["(1) lifecycle own work ≤ runc's own work", `${ratio(life["crio-lxc"], life.runc)} (${ms(life["crio-lxc"])} vs ${ms(life.runc)})`, life["crio-lxc"] <= life.runc],
    ["(1) stretch: ≤ 1.5× crun's own work", `${ratio(life["crio-lxc"], life.crun)} (crun ${ms(life.crun)})`, life["crio-lxc"] <= 1.5 * life.crun],
    ["(2) state ≤ 1.1 × F", `${ratio(state, F)} (${ms(state)} vs F ${ms(F)})`, state <= 1.1 * F],
    ["(2) exec own work ≤ 0.5 × runc's", `${ratio(exec["crio-lxc"], exec.runc)} (${ms(exec["crio-lxc"])} vs ${ms(exec.runc)})`, exec["crio-lxc"] <= 0.5 * exec.runc],
    ["(3) peak RSS of any call ≤ 1.25 × F's", `${ratio(rssMax, r.floorRss["crio-lxc"].rssMb)} (${mb(rssMax)} vs F ${mb(r.floorRss["crio-lxc"].rssMb)}; memory is not re-measured busy)`, rssMax <= 1.25 * r.floorRss["crio-lxc"].rssMb],
    [`(4) ${burst.count} at once: wall time ≤ runc's`, `${ratio(burst.wallMs, p.burst.runc.wallMs)} (${ms(burst.wallMs)} vs ${ms(p.burst.runc.wallMs)}; ${ok}/${burst.count} ok; peak Σ PSS ${mb(burst.peakPssMb)} vs runc ${mb(p.burst.runc.peakPssMb)})`, burst.wallMs <= p.burst.runc.wallMs && ok === burst.count],
    ["(5) nothing of crio-lxc's resident for a running container", `${running.length} processes, ${mb(sumOf(running, "ussMb"))} USS`, running.length === 0],
  ];
}

function targets(r: Results): string[] {
  const q = targetCells(r, r.quiet), b = r.busy ? targetCells(r, r.busy) : undefined;
  return [
    `| target | quiet | | ${b ? "both cores busy | |" : ""}`,
    `|---|---|---|${b ? "---|---|" : ""}`,
    ...q.map(([name, value, ok], i) => `| ${name} | ${value} | ${met(ok)} | ${b ? `${b[i]![1]} | ${met(b[i]![2])} |` : ""}`),
  ];
}

function leftoverLines(r: Results): string[] {
  const describe = (ps: Leftovers["created"]) => ps.length === 0 ? "none" :
    ps.map((p) => `${p.comm}${p.isInit ? " (the container's init, not yet exec'd)" : ""} USS ${mb(p.ussMb)} / PSS ${mb(p.pssMb)}`).join("; ") +
    ` — total USS ${mb(sumOf(ps, "ussMb"))}, PSS ${mb(sumOf(ps, "pssMb"))}`;
  return RUNTIME_NAMES.flatMap((n) => [
    `- **${n}**, created (not started): ${describe(r.leftovers[n].created)}`,
    `- **${n}**, running (besides the container's own process): ${describe(r.leftovers[n].running)}`,
  ]);
}

function rssTable(r: Results): string[] {
  const calls: CallName[] = ["create", "start", "state", "exec", "delete", "run"];
  const floorName: Record<RuntimeName, string> = { "crio-lxc": "F", crun: "C", runc: "G" };
  return [
    `| peak RSS of one call | ${calls.join(" | ")} | its floor | largest ÷ floor |`,
    `|---|${calls.map(() => "---").join("|")}|---|---|`,
    ...RUNTIME_NAMES.map((n) => {
      const max = Math.max(...calls.map((c) => r.peakRss[n][c]));
      return `| ${n} | ${calls.map((c) => mb(r.peakRss[n][c])).join(" | ")} | ${floorName[n]} ${mb(r.floorRss[n].rssMb)} | ${ratio(max, r.floorRss[n].rssMb)} |`;
    }),
    `| crio-lxc ÷ F | ${calls.map((c) => ratio(r.peakRss["crio-lxc"][c], r.floorRss["crio-lxc"].rssMb)).join(" | ")} | | |`,
  ];
}

function burstTable(p: Pass): string[] {
  return [
    "| runtime | wall time | ÷ runc | failures | peak Σ PSS (sampled pass) |",
    "|---|---|---|---|---|",
    ...RUNTIME_NAMES.map((n) => {
      const b = p.burst[n];
      const failures = b.failures.length + (b.sampledFailures.length ? ` (+${b.sampledFailures.length} in the sampled pass)` : "");
      return `| ${n} | ${ms(b.wallMs)} | ${ratio(b.wallMs, p.burst.runc.wallMs)} | ${failures} | ${mb(b.peakPssMb)} |`;
    }),
    ...RUNTIME_NAMES.flatMap((n) => [...p.burst[n].failures, ...p.burst[n].sampledFailures].slice(0, 3).map((f) => `- ${n}: ${f}`)),
  ];
}

function untracedOf(r: Results): Record<string, number> {
  const spawned = (key: MeasureKey) => medians(timingOf(r.quiet, key))["crio-lxc"];
  return { F: mediansOf(r.quiet.floors.spawned)["crio-lxc"], create: spawned("create"), start: spawned("start"), exec: spawned("exec"), delete: spawned("delete") };
}

const groupSums = (markers: Array<{ group: string }>, m: number[]) => {
  const groups = new Map<string, number>();
  markers.forEach((mk, i) => { if (Number.isFinite(m[i])) groups.set(mk.group, (groups.get(mk.group) ?? 0) + m[i]!); });
  return [...groups.entries()].map(([g, v]) => `${g} ${ms(v)}`).join(", ");
};

/** Coarse phases under perf trace: nearly the untraced times. */
function perfSection(r: Results): string[] {
  const untraced = untracedOf(r);
  const out: string[] = [];
  for (const t of r.phases.perf) {
    const m = t.markers.map((_, i) => median(t.runs.map((run) => run[i]!).filter((x) => Number.isFinite(x))));
    const total = median(t.totals);
    out.push(`**${t.call === "F" ? "F (the floor program)" : t.call}**: exec → exit_group ${ms(total)} under perf trace (median of ${t.totals.length}); ` +
      `untraced, spawned from the loops: ${ms(untraced[t.call]!)} (which adds the spawn, the exit and the wait). By group: ${groupSums(t.markers, m)}.`, "",
      "| phase (ends at the marker) | who | median under perf | share | ≈ untraced (share × untraced median) |", "|---|---|---|---|---|",
      ...t.markers.map((mk, i) => Number.isFinite(m[i])
        ? `| ${mk.phase} | ${mk.group} | ${ms(m[i]!)} | ${((m[i]! / total) * 100).toFixed(0)}% | ${ms((m[i]! / total) * untraced[t.call]!)} |`
        : `| ${mk.phase} | ${mk.group} | marker not seen | | |`), "");
  }
  return out;
}

/** Fine phases under strace (inflated by its stops; the stop counts say where). */
function straceSection(r: Results): string[] {
  const untraced = untracedOf(r);
  const out: string[] = [];
  for (const t of r.phases.tables) {
    const m = phaseMedians(t);
    const stops = t.markers.map((_, i) => median(t.stops.map((s) => s[i]!).filter((x) => Number.isFinite(x))));
    const total = median(t.totals);
    out.push(`**${t.call === "F" ? "F (the floor program)" : t.call}**: traced ${ms(total)} (median of ${t.totals.length}), untraced ${ms(untraced[t.call]!)}. By group: ${groupSums(t.markers, m)}.`, "",
      "| phase (ends at the marker) | who | median, traced | traced syscalls in it |", "|---|---|---|---|",
      ...t.markers.map((mk, i) => `| ${mk.phase} | ${mk.group} | ${Number.isFinite(m[i]) ? ms(m[i]!) : "marker not seen"} | ${Number.isFinite(stops[i]) ? stops[i] : ""} |`), "");
  }
  const { phases } = r;
  out.push(`Fork of the monitor (the clone syscall in create, under strace): median ${(median(phases.forkMs) * 1000).toFixed(0)} µs` +
    (phases.monitorFaults ? `; the held monitor has taken ${phases.monitorFaults.minflt} minor faults since its fork (copy-on-write of the Bun process) and has ${mb(phases.monitorFaults.rssMb)} RSS.` : "."), "");
  return out;
}

function liblxcSection(r: Results): string[] {
  const roles = summarizeFullTrace(r.phases.fullCreate);
  const who: Record<string, string> = { main: "crio-lxc create", monitor: "monitor (liblxc lxc_start)", init: "init until exec", hook: "start-host hook (sh)" };
  const cats = Object.keys(roles[0]!.counts);
  return [
    "One create traced in full (`strace -f -T`, every syscall; the times are inflated by the tracing, the counts are not):",
    "",
    `| process | syscalls | ${cats.join(" | ")} | most frequent |`,
    `|---|---|${cats.map(() => "---").join("|")}|---|`,
    ...roles.map((s) => `| ${who[s.role]} | ${s.syscalls} | ${cats.map((c) => s.counts[c]).join(" | ")} | ${s.byName.slice(0, 5).map(([n, c]) => `${n} ${c}`).join(", ")} |`),
    "",
    "Slowest syscalls (traced):",
    ...roles.flatMap((s) => s.slowest.slice(0, 3).map((x) => `- ${who[s.role]}: ${x.ms.toFixed(2)} ms \`${x.text.replace(/`/g, "'")}\``)),
    "",
  ];
}

function variantsSection(v: VariantResults | undefined): string[] {
  if (!v) return ["Not measured (BENCH_SKIP_VARIANTS=1)."];
  const base = v.crioLxc[0]!;
  const delta = (x: number, b: number) => (Number.isFinite(x) ? `${ms(x)} (${x - b >= 0 ? "+" : ""}${(x - b).toFixed(1)})` : "—");
  const fBase = v.floor[0]!.ms;
  return [
    "Each built into the temp dir from the same source (scripts/build.ts unchanged); timed in the same run as the build as it is, the variants taking turns call by call (`--version`, `state` of a running container, a create→start→wait→delete lifecycle), each spawned as in the loops above.",
    "",
    "| crio-lxc build | size | --version | state | lifecycle |",
    "|---|---|---|---|---|",
    ...v.crioLxc.map((row) => `| ${row.name}${row.error ? ` (${row.error})` : ""} | ${Number.isFinite(row.sizeMb) ? `${row.sizeMb.toFixed(1)} MB` : "—"} | ${delta(row.version, base.version)} | ${delta(row.state, base.state)} | ${delta(row.lifecycle, base.lifecycle)} |`),
    "",
    "| F build | median |",
    "|---|---|",
    ...v.floor.map((f) => `| ${f.name} | ${delta(f.ms, fBase)} |`),
    "",
    `What Bun does before main (strace -f -c of F): ${v.straceF.total} syscalls, ${v.straceF.threads} threads started (clone3); most frequent: ${v.straceF.byName.map(([n, c]) => `${n} ${c}`).join(", ")}.`,
    "",
    `A cgroup move (a pid written to cgroup.procs of a new cgroup): median ${ms(median(v.migration.idle))} after 200 ms without one ` +
      `(${v.migration.idle.map((x) => x.toFixed(1)).join(", ")}), ${ms(median(v.migration.backToBack))} right after another — the kernel waits for an RCU grace period ` +
      "(cgroup_threadgroup_rwsem) unless one just passed. liblxc moves the monitor and then init this way (main.ts's warm-up write pays the wait ahead, on a Bun thread, while holding cgroup_mutex); runc moves its init; crun clones into the cgroup (CLONE_INTO_CGROUP).",
    "",
    `fork()+_exit+waitpid: ${v.fork.cUs.toFixed(0)} µs from a small C program, ${v.fork.bunUs.toFixed(0)} µs from a Bun program compiled as dist/crio-lxc (the same C function through bun:ffi): forking a Bun process costs ${(v.fork.bunUs - v.fork.cUs).toFixed(0)} µs more.`,
  ];
}

function floorLines(r: Results): string[] {
  if (typeof r.floor === "string") return [`Not measured: ${r.floor}`];
  const floor = r.floor;
  const limits = floor["crio-lxc"]!.map((a) => a.memoryMb);
  const cell = (n: RuntimeName, mbLimit: number) => {
    const a = floor[n]!.find((x) => x.memoryMb === mbLimit)!;
    return a.code === 0 ? "ok" : `exit ${a.code}`;
  };
  return [
    `\`run\` of /bin/true with pids.max = ${FLOOR_PIDS} and memory.max as given, in scripts/qemu-lane (Debian's kernel, every controller):`,
    "",
    `| memory.max | ${RUNTIME_NAMES.join(" | ")} |`,
    `|---|${RUNTIME_NAMES.map(() => "---").join("|")}|`,
    ...limits.map((l) => `| ${l} MB | ${RUNTIME_NAMES.map((n) => cell(n, l)).join(" | ")} |`),
    "",
    ...RUNTIME_NAMES.flatMap((n) => floor[n]!.filter((a) => a.code !== 0).slice(0, 2).map((a) => `- ${n} at ${a.memoryMb} MB: ${a.error || "(no message)"}`)),
  ];
}

const passHeader = (p: Pass) => `Load average ${p.loadBefore} before this pass's timings, ${p.loadBeforeBurst} after them (before its burst), ${p.loadAfter} after the burst.`;

export function renderReport(r: Results, chartFile: string): string {
  return [
    `# crio-lxc benchmark, ${r.date}`,
    "",
    `Machine: ${r.machine}. ${r.versions}.`,
    `Timings: medians of ${r.runs} runs after ${r.warmup} warm-up runs; every ratio is of two medians measured in the same pass. ` +
      "**Own work** = a call's median minus its runtime's floor (F for crio-lxc, G for runc, C for crun; a lifecycle is three calls, so minus three floors), " +
      "each floor spawned the same way as the calls, in the same rounds (the runtimes and their floors take turns call by call). A ratio whose denominator is under 0.3 ms is shown as —. " +
      `The whole run took ${r.durationS.toFixed(0)} s.`,
    "",
    "## Floors",
    "",
    `F is the fastest of three one-line programs compiled exactly as dist/crio-lxc is (same Bun, scripts/build.ts's flags, checked against its text); G = \`runc --version\`, C = \`crun --version\`. ${passHeader(r.quiet)}`,
    "",
    ...floorTable(r.quiet),
    "",
    "## Quiet machine",
    "",
    ...timingTable(r.quiet),
    "",
    `Distributions: [${chartFile}](${chartFile}).`,
    "",
    ...(r.busy ? [
      "## Both cores busy",
      "",
      `${r.busy.name}. ${passHeader(r.busy)}`,
      "",
      ...floorTable(r.busy),
      "",
      ...timingTable(r.busy),
      "",
      "How the ratios move (quiet → busy):",
      "",
      ...movesTable(r.quiet, r.busy),
      "",
    ] : []),
    "## Targets (issue 13)",
    "",
    ...targets(r),
    "",
    "## Memory",
    "",
    "Processes a runtime leaves alive (USS = private pages, PSS = shared pages split between their users):",
    "",
    ...leftoverLines(r),
    "",
    "Peak RSS (GNU time, median of 5) of each call and of the runtime's floor program:",
    "",
    ...rssTable(r),
    "",
    `## ${r.quiet.burst["crio-lxc"].count} containers created and started at once`,
    "",
    ...burstTable(r.quiet),
    "",
    ...(r.busy ? ["Both cores busy:", "", ...burstTable(r.busy), ""] : []),
    "## Where the time goes: crio-lxc's calls phase by phase",
    "",
    "Measured from outside, on the quiet machine, twice. A phase ends at its marker syscall, the first of its kind (and process) after the previous marker; medians over the runs.",
    "",
    "### Coarse phases: perf trace",
    "",
    "`perf trace -e execve,clone,clone3,pivot_root,poll,wait4,flock,ptrace,…` reads the syscall tracepoints: nothing stops the traced processes, so these times are close to untraced ones; " +
      "but it shows no paths, so only syscalls that need none mark a phase. Its clock starts at the exec; a call ends here at its exit_group. " +
      "perf's own work competes for the two cores, so the calls still come out slower than untraced: the share of each phase is the figure to use, and the last column scales it to the untraced median.",
    "",
    ...perfSection(r),
    "### Fine phases: strace",
    "",
    "`strace -f --seccomp-bpf -ttt -T` tracing only the marker syscalls (execve, clone, openat, mkdir, rename, write, poll, wait4, ptrace, …; with seccomp-bpf the others don't stop the process), " +
      "so paths can mark phases (config.json opened, lxc.conf written, …). Each traced syscall stops the process (~0.1–0.2 ms here), and strace attaching to each new process costs more: " +
      "use these for the split of our own code, the perf table for absolute times. create is traced with the monitor, init and the hook (-f), on a `sleep` bundle: its start then runs untraced " +
      "(it can't ptrace an init that strace traces and waits for the exec instead).",
    "",
    ...straceSection(r),
    "### What liblxc does in create",
    "",
    ...liblxcSection(r),
    "## Worth measuring: build variants, Bun's start, fork",
    "",
    ...variantsSection(r.variants),
    "",
    "## Memory floor",
    "",
    ...floorLines(r),
    "",
    "## How",
    "",
    ...r.quiet.timings.map((t) => `- ${t.title}: ${t.method}`),
    `- Fair bundle: ${r.fairness}`,
    "",
  ].join("\n");
}
