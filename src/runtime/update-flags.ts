// runc's `update` flags, and --resources (a LinuxResources JSON file, `-` for
// stdin, as CRI-O sends it), both turned into LinuxResources.
import { readFileSync } from "node:fs";
import { SpecError } from "../oci/errors";
import { parseResources, readJsonFile, type LinuxResources } from "../oci/schema";
import { RuntimeError } from "./context";

type Kind = "integer" | "bytes" | "string";

/** Flag → where its value goes in LinuxResources, and how it is written. */
export const UPDATE_FLAGS = {
  "blkio-weight": { path: ["blockIO", "weight"], kind: "integer", help: "block IO weight, 10 to 1000" },
  "cpu-period": { path: ["cpu", "period"], kind: "integer", help: "CPU CFS period (µs)" },
  "cpu-quota": { path: ["cpu", "quota"], kind: "integer", help: "CPU CFS quota (µs) per period, -1 for none" },
  "cpu-burst": { path: ["cpu", "burst"], kind: "integer", help: "CPU CFS burst (µs)" },
  "cpu-share": { path: ["cpu", "shares"], kind: "integer", help: "CPU shares (relative weight), as cgroup v1 counts them" },
  "cpu-rt-period": { path: ["cpu", "realtimePeriod"], kind: "integer", help: "CPU realtime period (refused: cgroup v2 has none)" },
  "cpu-rt-runtime": { path: ["cpu", "realtimeRuntime"], kind: "integer", help: "CPU realtime runtime (refused: cgroup v2 has none)" },
  "cpu-idle": { path: ["cpu", "idle"], kind: "integer", help: "1: SCHED_IDLE for the container, 0: normal" },
  "cpuset-cpus": { path: ["cpu", "cpus"], kind: "string", help: "CPUs to use, e.g. 0-2,4" },
  "cpuset-mems": { path: ["cpu", "mems"], kind: "string", help: "memory nodes to use" },
  memory: { path: ["memory", "limit"], kind: "bytes", help: "memory limit (bytes, or with k/m/g), -1 for none" },
  "memory-reservation": { path: ["memory", "reservation"], kind: "bytes", help: "memory reservation (memory.low)" },
  "memory-swap": { path: ["memory", "swap"], kind: "bytes", help: "memory plus swap limit, -1 for unlimited swap" },
  "kernel-memory": { path: ["memory", "kernel"], kind: "bytes", help: "obsolete (refused: cgroup v1 only)" },
  "kernel-memory-tcp": { path: ["memory", "kernelTCP"], kind: "bytes", help: "obsolete (refused: cgroup v1 only)" },
  "pids-limit": { path: ["pids", "limit"], kind: "integer", help: "maximum number of pids, -1 for none" },
} as const satisfies Record<string, { path: readonly [string, string]; kind: Kind; help: string }>;

export type UpdateFlag = keyof typeof UPDATE_FLAGS;

/** Intel RDT flags runc has; crio-lxc refuses them by name. */
export const RDT_FLAGS = ["l3-cache-schema", "mem-bw-schema"] as const;

const UNITS: Record<string, number> = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/** A size as runc (docker's RAMInBytes) takes it: 512, 64k, 1.5g, 100MiB; -1 for unlimited. */
export function parseBytes(text: string): number | undefined {
  if (text.trim() === "-1") return -1;
  const match = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(text.trim());
  return match ? Math.floor(Number(match[1]) * UNITS[(match[2] ?? "").toLowerCase()]!) : undefined;
}

function parseFlag(flag: UpdateFlag, text: string): number | string {
  const { kind } = UPDATE_FLAGS[flag];
  if (kind === "string") return text;
  const value = kind === "bytes" ? parseBytes(text) : /^-?\d+$/.test(text.trim()) ? Number(text) : undefined;
  if (value === undefined) throw new RuntimeError(`--${flag}: expected ${kind === "bytes" ? "a size like 512m" : "an integer"}, got ${JSON.stringify(text)}`);
  return value;
}

/** The resources the given flags ask for; the schema checks them as it checks config.json. */
export function resourcesFromFlags(values: Partial<Record<UpdateFlag, string>>): LinuxResources {
  const resources: Record<string, Record<string, unknown>> = {};
  for (const [flag, text] of Object.entries(values) as [UpdateFlag, string][]) {
    const [section, field] = UPDATE_FLAGS[flag].path;
    (resources[section] ??= {})[field] = parseFlag(flag, text);
  }
  try {
    return parseResources(resources, "");
  } catch (err) {
    throw err instanceof SpecError ? asFlagError(err) : err;
  }
}

/** A SpecError about a field a flag set, reworded to name the flag. */
export function asFlagError(err: SpecError): Error {
  const entry = Object.entries(UPDATE_FLAGS).find(([, { path }]) => path.join(".") === err.jsonPath);
  return entry ? new RuntimeError(`--${entry[0]}: ${err.reason}`) : err;
}

/** --resources: a file, or `-` for stdin. */
export function readResourcesFile(file: string): LinuxResources {
  if (file !== "-") return parseResources(readJsonFile(file), file);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(0, "utf8"));
  } catch (err) {
    throw new SpecError("", `not valid JSON: ${(err as Error).message}`, "stdin");
  }
  return parseResources(json, "stdin");
}
