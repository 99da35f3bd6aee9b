// Forking the liblxc monitor.
//
// liblxc refuses a foreground start from a threaded process, and fork() from
// JavaScript crashes the child (JavaScriptCore maps its JIT region, where the
// FFI trampolines live, MADV_DONTFORK). So a tiny C function (a native unit,
// see native/unit.ts; src/native/c/monitor.c) forks; the single-threaded child
// resets the signal state Bun changed, prepares what liblxc can't
// (src/native/c/monitor-init.c), calls lxc_container->start() in the
// foreground and never returns to JavaScript. It becomes the monitor: the
// parent of init.
import { FFIType, ptr } from "bun:ffi";
import { CAPS_AT, CAPS_WORD } from "../native/shared";
import { loadUnit, nativeUnit } from "../native/unit";
import type { InitCapabilities } from "../translate/capabilities";
import type { InitGroups } from "../translate/process";
import type { NativeHook } from "../translate/output";
import type { BpfInstruction } from "../translate/seccomp-abi";
import type { Container } from "./liblxc";

export { CAPS_FAILED, SECCOMP_FAILED } from "../native/shared";

export const MONITOR_UNIT = nativeUnit({
  name: "monitor",
  sources: ["monitor.c", "monitor-init.c", "monitor-hooks.c", "mount-ops.c", "child.c"],
  symbols: {
    crio_lxc_fork_monitor: {
      args: [FFIType.ptr, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.ptr, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.ptr, FFIType.ptr],
      returns: FFIType.i32,
    },
  },
});

let forkMonitorC: ReturnType<typeof loadUnit<typeof MONITOR_UNIT.symbols>>["crio_lxc_fork_monitor"] | undefined;

/** NULL-terminated char*[] for argv; the buffers must stay alive until fork() returns. */
function cArgv(args: string[]) {
  const strings = args.map((a) => Buffer.from(a + "\0"));
  const table = new BigUint64Array(args.length + 1);
  strings.forEach((s, i) => { table[i] = BigInt(ptr(s)); });
  return { table, strings };
}

export interface MonitorOptions {
  /**
   * Whenever newuidmap/newgidmap are on PATH, liblxc writes a user
   * namespace's id maps through them, even as root, and they refuse ranges
   * root has no /etc/subuid entry for. Without PATH liblxc finds neither
   * and writes the maps itself, as runc does (hooks run by /bin/sh get the
   * shell's default PATH; init's environment is lxc.environment alone).
   */
  hideIdmapHelpers?: boolean;
  /**
   * Namespaces the monitor joins before liblxc starts, so init inherits them.
   * (Through lxc.namespace.share.* liblxc 5.0 would also give init a new
   * cgroup namespace, asked for or not.)
   */
  joins?: readonly MonitorJoin[];
  /** Where the monitor writes the label of a join that failed. */
  errorFd?: number;
  /** The init's inheritable and ambient sets, set on the monitor (liblxc has no item for them). */
  capabilities?: InitCapabilities;
  /** The caller's fds 3 … 3+N-1 the init gets (create --preserve-fds). */
  preserveFds?: number;
  /** Supplementary groups the init sets itself in its user namespace (liblxc ignores lxc.init.groups there). */
  initGroups?: InitGroups;
  /** A classic BPF seccomp filter the monitor loads before liblxc starts (init inherits it). */
  seccompFilter?: readonly BpfInstruction[];
  /** Hooks liblxc would run through /bin/sh that the monitor does itself (src/native/c/monitor-hooks.c). */
  nativeHooks?: readonly NativeHook[];
}

/** The strings of each record, NULL after each and an empty record at the end (monitor-hooks.c). */
function nativeHookStrings(hooks: readonly NativeHook[]): Array<string | null> {
  const fields = (hook: NativeHook): string[] => hook.kind === "hold"
    ? [hook.kind, hook.command, hook.startFifo, hook.readyFifo, ...(hook.mountOperations ?? []).flatMap((m) => [`${m.op} ${m.flags}`, m.path])]
    : [hook.kind, hook.command, hook.errorsFile, ...hook.nodes.flatMap((n) =>
      [n.path, `${n.type} ${n.mode.toString(8)} ${n.major} ${n.minor} ${n.uid} ${n.gid}`, n.label])];
  return [...hooks.flatMap((hook) => [...fields(hook), null]), null];
}

/** char*[] of nativeHookStrings; the buffers must stay alive until fork() returns. */
function nativeHookTable(hooks: readonly NativeHook[]) {
  const entries = nativeHookStrings(hooks);
  const strings = entries.map((s) => (s === null ? undefined : Buffer.from(s + "\0")));
  const table = new BigUint64Array(entries.length);
  strings.forEach((s, i) => { table[i] = s ? BigInt(ptr(s)) : 0n; });
  return { table, strings };
}

/** struct sock_filter[]: u16 code, u8 jt, u8 jf, u32 k. */
function sockFilters(program: readonly BpfInstruction[]): Buffer {
  const buf = Buffer.alloc(8 * program.length);
  program.forEach(([code, jt, jf, k], i) => {
    buf.writeUInt16LE(code, 8 * i);
    buf.writeUInt8(jt, 8 * i + 2);
    buf.writeUInt8(jf, 8 * i + 3);
    buf.writeUInt32LE(k, 8 * i + 4);
  });
  return buf;
}

export interface MonitorJoin {
  /** An open namespace file; the monitor closes its copy. */
  fd: number;
  /** CLONE_NEW* flag: setns() checks the file is that type. */
  type: number;
  /** Written to errorFd when setns() fails. */
  label: string;
}

/** Capability numbers as a 64-bit mask in two 32-bit words. */
function maskWords(caps: readonly number[]): [number, number] {
  const words: [number, number] = [0, 0];
  for (const cap of caps) words[cap >> 5] = (words[cap >> 5]! | (1 << (cap & 31))) >>> 0;
  return words;
}

/** The words monitor-init.c's init_caps reads, laid out as CAPS_WORD says. */
function capabilityWords(caps: InitCapabilities | undefined) {
  if (!caps) return undefined;
  const words = new Uint32Array(CAPS_WORD.COUNT);
  words.set(maskWords(caps.inheritable), CAPS_WORD.INHERITABLE);
  words.set(maskWords(caps.ambient), CAPS_WORD.AMBIENT);
  words[CAPS_WORD.KEEP_AMBIENT] = caps.keepAmbientOnSetuid ? 1 : 0;
  words.set(maskWords(caps.effective), CAPS_WORD.EFFECTIVE);
  words.set(maskWords(caps.permitted), CAPS_WORD.PERMITTED);
  words[CAPS_WORD.AT] = (caps.atExec ? CAPS_AT.EXEC : 0) | (caps.atSetuid ? CAPS_AT.SETUID : 0);
  words[CAPS_WORD.UID] = caps.initUid;
  return words;
}

/** Forks the monitor, which starts the container in the foreground; returns its pid. */
export function forkMonitor(container: Container, args: string[], opts: MonitorOptions = {}): number {
  forkMonitorC ??= loadUnit(MONITOR_UNIT).crio_lxc_fork_monitor;
  const argv = cArgv(args);
  const joins = opts.joins ?? [];
  const joinTable = new Int32Array(joins.flatMap(({ fd, type }) => [fd, type]).concat(0));
  const labels = cArgv(joins.map(({ label }) => label));
  const caps = capabilityWords(opts.capabilities);
  const filter = opts.seccompFilter?.length ? sockFilters(opts.seccompFilter) : undefined;
  const groups = opts.initGroups ? new Uint32Array([opts.initGroups.uid, opts.initGroups.gids.length, ...opts.initGroups.gids]) : undefined;
  const hooks = opts.nativeHooks?.length ? nativeHookTable(opts.nativeHooks) : undefined;
  const pid = forkMonitorC(
    container.ptr, container.member("start"), container.member("wantCloseAllFds"), container.member("wantDaemonize"), ptr(argv.table), container.errorNumOffset, opts.hideIdmapHelpers ? 1 : 0,
    ptr(joinTable), ptr(labels.table), joins.length, opts.errorFd ?? -1, caps ? ptr(caps) : null, opts.preserveFds ?? 0,
    filter ? ptr(filter) : null, opts.seccompFilter?.length ?? 0, groups ? ptr(groups) : null, hooks ? ptr(hooks.table) : null,
  );
  if (pid < 0) throw new Error("fork of the liblxc monitor failed");
  void argv.strings;
  void filter;
  void groups;
  void hooks?.strings;
  void labels.strings;
  return pid;
}
