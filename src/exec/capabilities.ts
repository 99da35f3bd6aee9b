// Capability names (as in the OCI spec) and the bit masks the kernel takes.
import { readFileSync } from "node:fs";

/** Numbers from linux/capability.h. */
export const CAPABILITY_NUMBERS: Readonly<Record<string, number>> = Object.fromEntries([
  "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
  "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
  "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
  "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
  "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
  "CHECKPOINT_RESTORE",
].map((name, number) => [`CAP_${name}`, number]));

export const CAPABILITY_SETS = ["bounding", "effective", "permitted", "inheritable", "ambient"] as const;
export type CapabilitySet = (typeof CAPABILITY_SETS)[number];
export type CapabilityMasks = Record<CapabilitySet, bigint>;

/** The highest capability this kernel knows. */
export function lastCapability(): number {
  try {
    return Number(readFileSync("/proc/sys/kernel/cap_last_cap", "utf8").trim());
  } catch {
    return CAPABILITY_NUMBERS.CAP_CHECKPOINT_RESTORE!;
  }
}

/** The capability's number, or a reason it can't be used here. */
export function capabilityNumber(name: string, last: number): number | string {
  const number = CAPABILITY_NUMBERS[name];
  if (number === undefined) return `unknown capability "${name}"`;
  if (number > last) return `capability "${name}" is not supported by this kernel`;
  return number;
}

export function maskOf(numbers: readonly number[]): bigint {
  return numbers.reduce((mask, n) => mask | (1n << BigInt(n)), 0n);
}

export function namesOf(mask: bigint): string[] {
  return Object.entries(CAPABILITY_NUMBERS).filter(([, n]) => (mask >> BigInt(n)) & 1n).map(([name]) => name);
}
