// Translates a validated OCI spec into the ordered liblxc config items of one
// container. Pure: no liblxc, no writes, and the filesystem is only looked at
// through ctx.bindSourceKind (bind sources) and ctx.resolvePath (the rootfs);
// so it runs anywhere, unprivileged.
import { posix } from "node:path";
import { statSync } from "node:fs";
import { arch } from "node:os";
import { refuse } from "../oci/errors";
import { translateCapabilities, type InitCapabilities } from "./capabilities";
import type { BpfInstruction } from "./seccomp-abi";
import { devIsFresh, translateDevices } from "./devices";
import { mountsDevTmpfs, translateMounts } from "./mounts";
import {
  isolates, monitorJoins, planNamespaces, translateNamespaces, type NamespaceFileType, type NamespaceJoin, type NamespacePlan,
} from "./namespaces";
import { Translation, type ConfigItem, type FileOwner, type MountOperation, type NativeHook, type StateFile } from "./output";
import { literalPath, type BindSourceKind, type MountedPath, type MountPoint, type ResolvePath, type SharedBind } from "./paths";
import { refuseUnsupportedProcessFields, translateCwd, translateInit, type InitGroups } from "./process";
import { baselinePropagation, translateRootfsPropagation } from "./propagation";
import { protectedPaths, translateProtectedPaths } from "./protected-paths";
import { translateResources } from "./resources";
import type { Spec } from "../oci/schema";
import type { Process } from "../oci/schema-process";
import { translateSeccomp } from "./seccomp";
import { translateAppArmor, type FeatureSwitches } from "./security";
import { translateSysctls } from "./sysctl";
import { translatePersonality, translateUts } from "./uts";
import { NOT_SUPPORTED_YET, refuseIfSet } from "./unsupported";

export type { ConfigItem, StateFile } from "./output";
export type { NamespaceJoin } from "./namespaces";
export type { BindSourceKind, MountPoint, MountedPath, ResolvePath, ResolvedPath } from "./paths";
export type { FeatureSwitches } from "./security";
export type { InitCapabilities } from "./capabilities";
export { dedupeEnv } from "./process";
export { deviceRuleValue } from "./resources";
export { fstabEscape, fstabLine } from "./fstab";

export interface TranslateContext {
  /** Container id, also the liblxc container name. */
  id: string;
  /** Absolute bundle directory; spec.root.path and bind sources are relative to it unless absolute. */
  bundle: string;
  /** Absolute state directory of the container: files the translation returns are written there. */
  stateDir: string;
  /** Full value of lxc.hook.start-host. */
  startHostHook: string;
  logFile: string;
  containerLogLevel: string;
  /** lxc.cgroup.dir.container, already resolved (relative to the cgroup2 root). */
  cgroupDir: string;
  /** lxc.cgroup.dir.monitor. */
  monitorCgroupDir: string;
  /** Operator switches: when one is off the matching spec fields are skipped, with a note. */
  features: FeatureSwitches;
  hostHasAppArmor: boolean;
  /** The host's CPU architecture (os.arch(), the default): the ABIs liblxc's seccomp filter covers. */
  hostArch?: string;
  /** io.bfq.weight exists on this host: blkio weights go there, as runc does (default: io.weight). */
  bfq?: boolean;
  /** How to tell a bind source's kind; defaults to stat(2) via statBindSource. Inject for tests. */
  bindSourceKind?: (hostPath: string) => BindSourceKind;
  /** ro/nosuid/nodev/noexec of the mount a bind source lies on; default: none known. */
  bindSourceFlags?: (hostPath: string) => readonly string[];
  /**
   * Resolves container paths (mount destinations, masked and read-only paths,
   * cwd) inside the rootfs. Without it paths are taken literally and nothing
   * is known about them: both mask entries are emitted, nothing is created.
   */
  resolvePath?: ResolvePath;
  /** A uid's home directory in the container's /etc/passwd, for a default HOME. */
  homeDirectory?: (uid: number) => string | undefined;
  /** What a joined namespace's path is; without it only the path's shape is checked. */
  namespaceFileType?: NamespaceFileType;
}

/** stat(2) of a bind mount source, following symlinks as mount(2) does. */
export function statBindSource(hostPath: string): BindSourceKind {
  try {
    return statSync(hostPath).isDirectory() ? "directory" : "file";
  } catch {
    return "missing";
  }
}

function refuseUnsupportedFields(spec: Spec): void {
  refuseIfSet(spec.linux, ["linux"], ["mountLabel"], "SELinux is not supported by crio-lxc");
  refuseIfSet(spec.linux, ["linux"], ["netDevices", "intelRdt", "memoryPolicy"]);
  // An entry asks to move a host device into the container even without a new name.
  const device = Object.keys(spec.linux?.netDevices ?? {})[0];
  if (device !== undefined) refuse(["linux", "netDevices", device], NOT_SUPPORTED_YET);
}

function requireProcess(spec: Spec): Process {
  if (!spec.process) refuse(["process"], "required to create a container");
  refuseUnsupportedProcessFields(spec.process);
  return spec.process;
}

/**
 * The kernel's own limit of a devpts instance (NR_UNIX98_PTY_MAX): liblxc
 * passes lxc.pty.max as its devpts' max=, which mountinfo shows unless it is
 * this, as on runc's devpts.
 */
const DEVPTS_DEFAULT_MAX = 1 << 20;

function translateBase(spec: Spec, ctx: TranslateContext, plan: NamespacePlan, out: Translation): void {
  translateUts(spec, plan, out);
  out.add("lxc.rootfs.path", `dir:${posix.resolve(ctx.bundle, spec.root.path)}`);
  if (spec.root.readonly) out.add("lxc.rootfs.options", "ro");
  out.add("lxc.autodev", mountsDevTmpfs(spec) ? 0 : 1);
  // With a terminal liblxc allocates the console pty from a devpts instance of
  // its own on /dev/pts and makes it init's stdin, stdout and stderr (see
  // runtime/terminal.ts). Without, it mounts no devpts: the spec's stays.
  out.add("lxc.pty.max", spec.process?.terminal ? DEVPTS_DEFAULT_MAX : 0);
  out.add("lxc.tty.max", 0);
  if (!spec.process?.terminal) out.add("lxc.console.path", "none");
  // The runtime kills the monitor once the container started; init must survive that.
  out.add("lxc.monitor.signal.pdeath", 0);
  out.add("lxc.log.file", ctx.logFile);
  out.add("lxc.log.level", ctx.containerLogLevel);
  out.add("lxc.cgroup.dir.container", ctx.cgroupDir);
  out.add("lxc.cgroup.dir.monitor", ctx.monitorCgroupDir);
  // Where a monitor that cleans up after itself moves before removing its cgroup;
  // liblxc's default is a lxc.pivot cgroup at the cgroup2 root.
  const monitorParent = posix.dirname(ctx.monitorCgroupDir);
  if (monitorParent !== ".") out.add("lxc.cgroup.dir.monitor.pivot", monitorParent);
  // Version 1: liblxc runs the hook as `exec <value>`, with no arguments appended.
  out.add("lxc.hook.version", 1);
}

export interface TranslationResult {
  items: ConfigItem[];
  /** Written into the state directory before liblxc reads the config. */
  files: StateFile[];
  /** For the log, at debug. */
  notes: string[];
  warnings: string[];
  /** Namespaces the monitor joins before liblxc starts. */
  joins: NamespaceJoin[];
  /** Host ids liblxc runs its hooks as inside a user namespace (see Translation.hookOwner). */
  hookOwner?: FileOwner;
  /** Missing in the image: the runtime creates them before starting the monitor. */
  mountPoints: MountPoint[];
  /** Shared (Bidirectional) bind mounts the runtime attaches once liblxc has set the container up. */
  sharedBinds: SharedBind[];
  /** What the runtime does to the container's mounts once liblxc has set it up, in order (the shared binds after the propagation). */
  mountOperations: MountOperation[];
  /** Every mount of the container in order, for looking at paths as the container will see them. */
  mounted: MountedPath[];
  /** lxc.autodev is on: liblxc runs the autodev hooks, the last ones before pivot_root (else the mount hooks are). */
  autodev: boolean;
  /** For the monitor to set on itself before liblxc clones the init; undefined: leave them. */
  initCapabilities?: InitCapabilities;
  /** Supplementary groups the init sets itself in its user namespace. */
  initGroups?: InitGroups;
  /** A seccomp filter the monitor loads before liblxc starts: kills the syscalls of host ABIs the profile doesn't list. */
  abiFilter?: BpfInstruction[];
  /** Hooks the monitor carries out itself when liblxc runs them (the device nodes). */
  nativeHooks: NativeHook[];
}

/**
 * The config items for one container, in the order to set them. Throws
 * SpecError naming the JSON path of anything crio-lxc can't honour.
 * process.args and process.user.umask are not config items: the caller applies them.
 */
export function translate(spec: Spec, ctx: TranslateContext): TranslationResult {
  if (!posix.isAbsolute(ctx.bundle)) throw new Error(`bundle directory must be absolute, got ${ctx.bundle}`);
  const process = requireProcess(spec);
  refuseUnsupportedFields(spec);
  const plan = planNamespaces(spec.linux, ctx.namespaceFileType);
  const paths = protectedPaths(spec);
  const out = new Translation();
  translateBase(spec, ctx, plan, out);
  translateNamespaces(plan, spec, out);
  translatePersonality(spec, out);
  const initGroups = translateInit(process, plan, out, ctx.homeDirectory);
  translateAppArmor(process, ctx.features, ctx.hostHasAppArmor, out);
  const initCapabilities = translateCapabilities(process, ctx.features, isolates(plan, "user"), out);
  const abiFilter = translateSeccomp(spec.linux?.seccomp, { features: ctx.features, stateDir: ctx.stateDir, hostArch: ctx.hostArch ?? arch() }, out);
  translateSysctls(spec, plan, out);
  translateResources(spec.linux?.resources, ctx.features, out, { bfq: ctx.bfq ?? false });
  const resolvePath = ctx.resolvePath ?? literalPath;
  const mounted = translateMounts(spec, {
    bundle: ctx.bundle, rootfs: posix.resolve(ctx.bundle, spec.root.path), stateDir: ctx.stateDir,
    bindSourceKind: ctx.bindSourceKind ?? statBindSource, bindSourceFlags: ctx.bindSourceFlags ?? (() => []), resolvePath,
    userNamespace: isolates(plan, "user"), cgroupNamespace: isolates(plan, "cgroup"), terminal: !!process.terminal,
  }, out);
  const autodev = !mountsDevTmpfs(spec);
  translateDevices(spec, { autodev, userNamespace: isolates(plan, "user") }, mounted, out);
  baselinePropagation(out);
  translateRootfsPropagation(spec, out);
  // runc's /dev/ptmx, whether or not a devpts is mounted; with a terminal it
  // replaces liblxc's bind of its devpts' ptmx. Made once liblxc is done: no hook's shell for it.
  if (devIsFresh(mounted)) out.mountOperations.push({ kind: "ptmx-symlink" });
  translateProtectedPaths(paths, resolvePath, mounted, out);
  translateCwd(process, resolvePath, mounted, out);
  out.finishHooks(ctx.stateDir);
  // Last: liblxc runs start-host hooks in order, and this one holds the container until `start`.
  out.add("lxc.hook.start-host", ctx.startHostHook);
  return {
    items: out.items, files: out.files, notes: out.notes, warnings: out.warnings, joins: monitorJoins(plan, spec.linux), hookOwner: out.hookOwner,
    mountPoints: out.mountPoints, sharedBinds: out.sharedBinds, mountOperations: out.mountOperations, mounted, autodev, initCapabilities, initGroups, abiFilter,
    nativeHooks: out.nativeHooks,
  };
}
