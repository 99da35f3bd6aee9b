// Schema of config.json's `linux` section.
import * as v from "valibot";
import {
  IdMappingSchema, absolutePath, int64, optional, stringMap, strings, uint16, uint32, uint64,
} from "./schema-primitives";

export const NAMESPACE_TYPES = ["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"] as const;
export type NamespaceType = (typeof NAMESPACE_TYPES)[number];

const NamespaceSchema = v.object({
  type: v.picklist(NAMESPACE_TYPES),
  path: optional(v.string()),
});

const DeviceSchema = v.object({
  path: absolutePath,
  type: v.picklist(["c", "b", "u", "p"]),
  major: optional(int64),
  minor: optional(int64),
  fileMode: optional(uint32),
  uid: optional(uint32),
  gid: optional(uint32),
});

const DeviceRuleSchema = v.object({
  allow: v.boolean(),
  type: optional(v.picklist(["a", "b", "c"])),
  major: optional(int64),
  minor: optional(int64),
  access: optional(v.pipe(v.string(), v.regex(/^[rwm]*$/, 'expected a combination of "r", "w" and "m"'))),
});

const MemorySchema = v.object({
  limit: optional(int64),
  reservation: optional(int64),
  swap: optional(int64),
  kernel: optional(int64),
  kernelTCP: optional(int64),
  swappiness: optional(uint64),
  disableOOMKiller: optional(v.boolean()),
  useHierarchy: optional(v.boolean()),
  checkBeforeUpdate: optional(v.boolean()),
});

const CpuSchema = v.object({
  shares: optional(uint64),
  quota: optional(int64),
  burst: optional(uint64),
  period: optional(uint64),
  realtimeRuntime: optional(int64),
  realtimePeriod: optional(uint64),
  cpus: optional(v.string()),
  mems: optional(v.string()),
  idle: optional(int64),
});

const BlockIoDevice = { major: int64, minor: int64 };
const ThrottleDevices = optional(v.array(v.object({ ...BlockIoDevice, rate: uint64 })));

const BlockIoSchema = v.object({
  weight: optional(uint16),
  leafWeight: optional(uint16),
  weightDevice: optional(v.array(v.object({
    ...BlockIoDevice, weight: optional(uint16), leafWeight: optional(uint16),
  }))),
  throttleReadBpsDevice: ThrottleDevices,
  throttleWriteBpsDevice: ThrottleDevices,
  throttleReadIOPSDevice: ThrottleDevices,
  throttleWriteIOPSDevice: ThrottleDevices,
});

export const ResourcesSchema = v.object({
  devices: optional(v.array(DeviceRuleSchema)),
  memory: optional(MemorySchema),
  cpu: optional(CpuSchema),
  pids: optional(v.object({ limit: optional(int64) })),
  blockIO: optional(BlockIoSchema),
  hugepageLimits: optional(v.array(v.object({ pageSize: v.string(), limit: uint64 }))),
  network: optional(v.object({
    classID: optional(uint32),
    priorities: optional(v.array(v.object({ name: v.string(), priority: uint32 }))),
  })),
  rdma: optional(v.record(v.string(), v.object({ hcaHandles: optional(uint32), hcaObjects: optional(uint32) }))),
  unified: optional(stringMap),
});

export const SECCOMP_ACTIONS = [
  "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
] as const;

export const SECCOMP_OPERATORS = [
  "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
] as const;

const SeccompSchema = v.object({
  defaultAction: v.picklist(SECCOMP_ACTIONS),
  defaultErrnoRet: optional(uint32),
  architectures: optional(strings),
  flags: optional(strings),
  listenerPath: optional(v.string()),
  listenerMetadata: optional(v.string()),
  syscalls: optional(v.array(v.object({
    names: v.pipe(strings, v.minLength(1, "expected at least one syscall name")),
    action: v.picklist(SECCOMP_ACTIONS),
    errnoRet: optional(uint32),
    args: optional(v.array(v.object({
      index: uint32,
      value: uint64,
      valueTwo: optional(uint64),
      op: v.picklist(SECCOMP_OPERATORS),
    }))),
  }))),
});

const IntelRdtSchema = v.object({
  closID: optional(v.string()),
  schemata: optional(strings),
  l3CacheSchema: optional(v.string()),
  memBwSchema: optional(v.string()),
  enableMonitoring: optional(v.boolean()),
  enableCMT: optional(v.boolean()),
  enableMBM: optional(v.boolean()),
});

export const LinuxSchema = v.object({
  namespaces: optional(v.array(NamespaceSchema)),
  uidMappings: optional(v.array(IdMappingSchema)),
  gidMappings: optional(v.array(IdMappingSchema)),
  timeOffsets: optional(v.record(v.string(), v.object({ secs: optional(int64), nanosecs: optional(uint32) }))),
  devices: optional(v.array(DeviceSchema)),
  netDevices: optional(v.record(v.string(), v.object({ name: optional(v.string()) }))),
  cgroupsPath: optional(v.string()),
  resources: optional(ResourcesSchema),
  intelRdt: optional(IntelRdtSchema),
  memoryPolicy: optional(v.object({ mode: v.string(), nodes: optional(v.string()), flags: optional(strings) })),
  sysctl: optional(stringMap),
  seccomp: optional(SeccompSchema),
  rootfsPropagation: optional(v.string()),
  maskedPaths: optional(strings),
  readonlyPaths: optional(strings),
  mountLabel: optional(v.string()),
  personality: optional(v.object({ domain: v.picklist(["LINUX", "LINUX32"]), flags: optional(strings) })),
});

export type Linux = v.InferOutput<typeof LinuxSchema>;
export type LinuxResources = v.InferOutput<typeof ResourcesSchema>;
export type DeviceRule = v.InferOutput<typeof DeviceRuleSchema>;
