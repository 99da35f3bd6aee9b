// The results as markdown: one table of medians and ratios, the targets met
// or not, memory, the burst, the memory floor, and how the numbers were made.
import type { BurstResult } from "./burst";
import { FLOOR_PIDS, type FloorResult } from "./floor";
import { type CallName, type Leftovers, sumOf } from "./memory";
import { RUNTIME_NAMES, type RuntimeName } from "./runtimes";
import { median, type Samples } from "./timing";

export type MeasureKey = "lifecycle" | "run" | "exec" | "state";

export interface Timing { key: MeasureKey; title: string; method: string; samples: Samples }

export interface Results {
  date: string;
  machine: string;
  versions: string;
  runs: number;
  warmup: number;
  timings: Timing[];
  leftovers: Record<RuntimeName, Leftovers>;
  peakRss: Record<RuntimeName, Record<CallName, number>>;
  burst: Record<RuntimeName, BurstResult>;
  /** The QEMU lane's result, or why it is missing. */
  floor: FloorResult | string;
  fairness: string;
}

const ms = (x: number) => `${x.toFixed(1)} ms`;
const mb = (x: number) => `${x.toFixed(1)} MB`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

function medians(t: Timing): Record<RuntimeName, number> {
  return Object.fromEntries(RUNTIME_NAMES.map((n) => [n, median(t.samples[n])])) as Record<RuntimeName, number>;
}

function timingTable(timings: Timing[]): string[] {
  return [
    "| measure | crio-lxc | crun | runc | crio-lxc ÷ crun | crio-lxc ÷ runc |",
    "|---|---|---|---|---|---|",
    ...timings.map((t) => {
      const m = medians(t);
      return `| ${t.title} | ${ms(m["crio-lxc"])} | ${ms(m.crun)} | ${ms(m.runc)} | ${ratio(m["crio-lxc"], m.crun)} | ${ratio(m["crio-lxc"], m.runc)} |`;
    }),
  ];
}

const met = (ok: boolean) => (ok ? "**met**" : "**not met**");

function targets(r: Results): string[] {
  const m = (key: MeasureKey) => medians(r.timings.find((t) => t.key === key)!);
  const life = m("lifecycle"), exec = m("exec"), state = m("state");
  const runningUss = sumOf(r.leftovers["crio-lxc"].running, "ussMb");
  const burst = r.burst["crio-lxc"];
  const ok = burst.count - burst.failures.length;
  return [
    "| target | result | |",
    "|---|---|---|",
    `| (1) create→start→wait→delete ≤ 0.6× runc | ${ratio(life["crio-lxc"], life.runc)} runc | ${met(life["crio-lxc"] <= 0.6 * life.runc)} |`,
    `| (1) stretch: ≤ 1.0× crun | ${ratio(life["crio-lxc"], life.crun)} crun | ${met(life["crio-lxc"] <= life.crun)} |`,
    `| (3) exec ≤ 1.0× crun | ${ratio(exec["crio-lxc"], exec.crun)} crun | ${met(exec["crio-lxc"] <= exec.crun)} |`,
    `| (4) state ≤ 5 ms median | ${ms(state["crio-lxc"])} (${ratio(state["crio-lxc"], state.crun)} crun) | ${met(state["crio-lxc"] <= 5)} |`,
    `| (5) ≤ 1.5 MB USS per running container beyond conmon | ${mb(runningUss)} in ${r.leftovers["crio-lxc"].running.length} processes | ${met(runningUss <= 1.5)} |`,
    `| (6) ${burst.count}/${burst.count} concurrent create+start succeed | ${ok}/${burst.count} | ${met(ok === burst.count)} |`,
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
  return [
    `| peak RSS of one call | ${calls.join(" | ")} |`,
    `|---|${calls.map(() => "---").join("|")}|`,
    ...RUNTIME_NAMES.map((n) => `| ${n} | ${calls.map((c) => mb(r.peakRss[n][c])).join(" | ")} |`),
  ];
}

function burstTable(r: Results): string[] {
  return [
    "| runtime | wall time | failures | peak Σ PSS (sampled pass) |",
    "|---|---|---|---|",
    ...RUNTIME_NAMES.map((n) => {
      const b = r.burst[n];
      const failures = b.failures.length + (b.sampledFailures.length ? ` (+${b.sampledFailures.length} in the sampled pass)` : "");
      return `| ${n} | ${ms(b.wallMs)} | ${failures} | ${mb(b.peakPssMb)} |`;
    }),
    ...RUNTIME_NAMES.flatMap((n) => [...r.burst[n].failures, ...r.burst[n].sampledFailures].slice(0, 3).map((f) => `- ${n}: ${f}`)),
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

export function renderReport(r: Results, chartFile: string): string {
  return [
    `# crio-lxc benchmark, ${r.date}`,
    "",
    `Machine: ${r.machine}. ${r.versions}.`,
    `Timings: medians of ${r.runs} runs after ${r.warmup} warm-up runs; the ratios are crio-lxc's median over the other's, measured in the same run.`,
    "",
    ...timingTable(r.timings),
    "",
    `Distributions: [${chartFile}](${chartFile}).`,
    "",
    "## Targets",
    "",
    ...targets(r),
    "",
    "## Memory",
    "",
    "Processes a runtime leaves alive (USS = private pages, PSS = shared pages split between their users):",
    "",
    ...leftoverLines(r),
    "",
    ...rssTable(r),
    "",
    `## ${r.burst["crio-lxc"].count} containers created and started at once`,
    "",
    ...burstTable(r),
    "",
    "## Memory floor",
    "",
    ...floorLines(r),
    "",
    "## How",
    "",
    ...r.timings.map((t) => `- ${t.title}: ${t.method}`),
    `- Fair bundle: ${r.fairness}`,
    "",
  ].join("\n");
}
