// The host ABIs a seccomp profile doesn't list. liblxc 5.0 adds every rule
// to a filter for each ABI the host can run (x86_64: also i386 and x32) and
// can't make an unlisted one's syscalls fail, while runc's filter (libseccomp)
// kills the thread making a syscall of an ABI it doesn't list. So the monitor
// stacks one small classic BPF filter of its own before liblxc starts: it
// kills the syscalls of the unlisted ABIs and lets everything else on to
// liblxc's filter. The kernel runs every filter and takes the strictest answer.

/** AUDIT_ARCH_* (linux/audit.h) of each ABI a host runs, native first. */
const HOST_ABIS: Record<string, readonly (readonly [name: string, audit: number])[]> = {
  x64: [["SCMP_ARCH_X86_64", 0xc000003e], ["SCMP_ARCH_X86", 0x40000003], ["SCMP_ARCH_X32", 0xc000003e]],
  arm64: [["SCMP_ARCH_AARCH64", 0xc00000b7], ["SCMP_ARCH_ARM", 0x40000028]],
};

/** x32 syscalls come with x86_64's audit arch and this bit set in their number. */
const X32_SYSCALL_BIT = 0x40000000;

/** struct sock_filter: code, jt, jf, k. */
export type BpfInstruction = readonly [code: number, jt: number, jf: number, k: number];

const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const RET_K = 0x06;
const SECCOMP_RET_ALLOW = 0x7fff0000;
const SECCOMP_RET_KILL_THREAD = 0;
/** offsetof(struct seccomp_data, nr / arch). */
const NR = 0;
const ARCH = 4;

/** The ABIs crio-lxc knows on a host (process.arch); undefined for other hosts. */
export const hostAbis = (hostArch: string) => HOST_ABIS[hostArch]?.map(([name]) => name);

/**
 * The filter killing the syscalls of the host's ABIs `listed` leaves out
 * (none listed: only the native one, as libseccomp does); undefined when it
 * lists them all.
 */
export function unlistedAbiFilter(listed: readonly string[], hostArch: string): BpfInstruction[] | undefined {
  const abis = HOST_ABIS[hostArch];
  if (!abis) return undefined;
  const [[nativeName, native], ...compat] = abis as [readonly [string, number], ...(readonly [string, number])[]];
  const allowed = listed.length ? new Set(listed) : new Set([nativeName]);
  const compatArches = compat.filter(([name]) => name !== "SCMP_ARCH_X32" && allowed.has(name)).map(([, audit]) => audit);
  const killX32 = compat.some(([name]) => name === "SCMP_ARCH_X32") && !allowed.has("SCMP_ARCH_X32");
  if (compatArches.length === compat.filter(([name]) => name !== "SCMP_ARCH_X32").length && !killX32) return undefined;
  const nativeBlock: BpfInstruction[] = killX32
    ? [[LD_W_ABS, 0, 0, NR], [JGE_K, 0, 1, X32_SYSCALL_BIT], [RET_K, 0, 0, SECCOMP_RET_KILL_THREAD], [RET_K, 0, 0, SECCOMP_RET_ALLOW]]
    : [[RET_K, 0, 0, SECCOMP_RET_ALLOW]];
  // Jumps count from the next instruction; the last one allows.
  const compatChecks = compatArches.map((audit, i): BpfInstruction => [JEQ_K, compatArches.length - i + nativeBlock.length - 1, 0, audit]);
  return [
    [LD_W_ABS, 0, 0, ARCH],
    [JEQ_K, compatArches.length + 1, 0, native],
    ...compatChecks,
    [RET_K, 0, 0, SECCOMP_RET_KILL_THREAD],
    ...nativeBlock,
  ];
}
