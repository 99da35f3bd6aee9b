// Schema of config.json's `process` (also the process.json given to `exec`).
import * as v from "valibot";
import { parseWith } from "./parse";
import { absolutePath, cString, int32, optional, strings, uint32, uint64 } from "./schema-primitives";

const NON_EMPTY_ARGS = "expected a non-empty array of strings";

const UserSchema = v.object({
  // Go leaves a missing uid/gid at 0, and runc accepts that; so do we.
  uid: v.nullish(uint32, 0),
  gid: v.nullish(uint32, 0),
  umask: optional(uint32),
  additionalGids: optional(v.array(uint32)),
  username: optional(v.string()),
});

const CapabilitiesSchema = v.object({
  bounding: optional(strings),
  effective: optional(strings),
  inheritable: optional(strings),
  permitted: optional(strings),
  ambient: optional(strings),
});

const RlimitSchema = v.object({
  type: v.string(),
  hard: uint64,
  soft: uint64,
});

const SchedulerSchema = v.object({
  policy: v.picklist([
    "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE",
  ]),
  nice: optional(int32),
  priority: optional(int32),
  flags: optional(strings),
  runtime: optional(uint64),
  deadline: optional(uint64),
  period: optional(uint64),
});

const IoPrioritySchema = v.object({
  class: v.picklist(["IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"]),
  priority: int32,
});

export const ProcessSchema = v.object({
  terminal: optional(v.boolean()),
  consoleSize: optional(v.object({ height: uint32, width: uint32 })),
  user: v.nullish(UserSchema, { uid: 0, gid: 0 }),
  args: v.pipe(v.array(cString, NON_EMPTY_ARGS), v.minLength(1, NON_EMPTY_ARGS)),
  commandLine: optional(v.string()),
  env: optional(v.array(v.pipe(v.string(), v.regex(/^[^=]+=/, 'expected "KEY=value"')))),
  cwd: absolutePath,
  capabilities: optional(CapabilitiesSchema),
  rlimits: optional(v.array(RlimitSchema)),
  noNewPrivileges: optional(v.boolean()),
  apparmorProfile: optional(v.string()),
  oomScoreAdj: optional(v.pipe(int32, v.minValue(-1000, "expected -1000 to 1000"), v.maxValue(1000, "expected -1000 to 1000"))),
  scheduler: optional(SchedulerSchema),
  selinuxLabel: optional(v.string()),
  ioPriority: optional(IoPrioritySchema),
  execCPUAffinity: optional(v.object({ initial: optional(v.string()), final: optional(v.string()) })),
});

export type Process = v.InferOutput<typeof ProcessSchema>;

/** Validates a parsed process.json (as given to `exec`). */
export function parseProcess(json: unknown, file: string): Process {
  return parseWith(ProcessSchema, json, file);
}
