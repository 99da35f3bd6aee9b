// Translates a validated OCI spec into the ordered liblxc config items of one
// container. Pure: no liblxc, no writes, and the filesystem is only looked at
// through ctx.bindSourceKind (bind sources); so it runs anywhere, unprivileged.
import { posix } from "node:path";
import { statSync } from "node:fs";
import { refuse } from "./errors";
import { protectedPaths, translateMounts, translateProtectedPaths, type BindSourceKind } from "./mounts";
import { planNamespaces, translateNamespaces, type NamespacePlan } from "./namespaces";
import { Translation, type ConfigItem, type StateFile } from "./output";
import { refuseUnsupportedProcessFields, translateInit } from "./process";
import { translateResources } from "./resources";
import type { Spec } from "./schema";
import type { Process } from "./schema-process";
import {
  translateAppArmor, translateCapabilities, translateSeccomp, type FeatureSwitches,
} from "./security";
import { translateSysctls } from "./sysctl";
import { NOT_SUPPORTED_YET, refuseIfSet } from "./unsupported";

export type { ConfigItem, StateFile } from "./output";
export type { BindSourceKind } from "./mounts";
export type { FeatureSwitches } from "./security";
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
  /** io.bfq.weight exists on this host: blkio weights go there, as runc does (default: io.weight). */
  bfq?: boolean;
  /** How to tell a bind source's kind; defaults to stat(2) via statBindSource. Inject for tests. */
  bindSourceKind?: (hostPath: string) => BindSourceKind;
  /** Kind of a masked path as the container will see it; without it both mask entries are emitted. */
  maskedPathKind?: (containerPath: string) => BindSourceKind;
}

/** stat(2) of a bind mount source, following symlinks as mount(2) does. */
export function statBindSource(hostPath: string): BindSourceKind {
  try {
    return statSync(hostPath).isDirectory() ? "directory" : "file";
  } catch {
    return "missing";
  }
}

/** liblxc's utsname holds at most 64 bytes. */
const MAX_HOSTNAME = 64;

function refuseUnsupportedFields(spec: Spec): void {
  refuseIfSet(spec, [], ["hooks"], "OCI hooks are " + NOT_SUPPORTED_YET);
  refuseIfSet(spec, [], ["domainname"], "not supported by crio-lxc (liblxc has no setting for it)");
  refuseIfSet(spec.linux, ["linux"], ["mountLabel"], "SELinux is not supported by crio-lxc");
  refuseIfSet(spec.linux, ["linux"], [
    "timeOffsets", "devices", "netDevices", "intelRdt", "memoryPolicy", "personality",
  ]);
  const propagation = spec.linux?.rootfsPropagation;
  // liblxc leaves the rootfs a slave of the host's mounts (and a peer group of its own).
  if (propagation && propagation !== "slave" && propagation !== "rslave") {
    refuse(["linux", "rootfsPropagation"], `"${propagation}" is ${NOT_SUPPORTED_YET}`);
  }
}

function requireProcess(spec: Spec): Process {
  if (!spec.process) refuse(["process"], "required to create a container");
  refuseUnsupportedProcessFields(spec.process);
  return spec.process;
}

function hostname(spec: Spec, ctx: TranslateContext, plan: NamespacePlan): string | undefined {
  if (!plan.created.includes("uts")) {
    // liblxc would call sethostname() in whatever UTS namespace the container is in.
    if (spec.hostname) refuse(["hostname"], "requires a new uts namespace in linux.namespaces");
    return undefined;
  }
  if (!spec.hostname) return ctx.id.slice(0, MAX_HOSTNAME);
  if (new TextEncoder().encode(spec.hostname).length > MAX_HOSTNAME) refuse(["hostname"], `longer than ${MAX_HOSTNAME} bytes`);
  return spec.hostname;
}

function translateBase(spec: Spec, ctx: TranslateContext, plan: NamespacePlan, out: Translation): void {
  const uts = hostname(spec, ctx, plan);
  if (uts) out.add("lxc.uts.name", uts);
  out.add("lxc.rootfs.path", `dir:${posix.resolve(ctx.bundle, spec.root.path)}`);
  if (spec.root.readonly) out.add("lxc.rootfs.options", "ro");
  out.add("lxc.autodev", 1);
  out.add("lxc.pty.max", 1024);
  out.add("lxc.tty.max", 0);
  out.add("lxc.console.path", "none");
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
  out.add("lxc.hook.start-host", ctx.startHostHook);
}

/**
 * The config items for one container, in the order to set them. Throws
 * SpecError naming the JSON path of anything crio-lxc can't honour.
 * process.args and process.user.umask are not config items: the caller applies them.
 */
export function translate(spec: Spec, ctx: TranslateContext): { items: ConfigItem[]; files: StateFile[]; notes: string[] } {
  if (!posix.isAbsolute(ctx.bundle)) throw new Error(`bundle directory must be absolute, got ${ctx.bundle}`);
  const process = requireProcess(spec);
  refuseUnsupportedFields(spec);
  const plan = planNamespaces(spec.linux);
  const paths = protectedPaths(spec);
  const out = new Translation();
  translateBase(spec, ctx, plan, out);
  translateNamespaces(plan, spec.linux, out);
  translateInit(process, plan, out);
  translateAppArmor(process, ctx.features, ctx.hostHasAppArmor, out);
  translateCapabilities(process, ctx.features, out);
  translateSeccomp(spec, ctx.features, out);
  translateSysctls(spec, plan, [...paths.readonly, ...paths.masked], out);
  translateResources(spec.linux?.resources, ctx.features, out, { bfq: ctx.bfq ?? false });
  translateMounts(spec, { bundle: ctx.bundle, bindSourceKind: ctx.bindSourceKind ?? statBindSource }, out);
  translateProtectedPaths(paths, out, ctx.maskedPathKind);
  out.finishHooks(ctx.stateDir);
  return { items: out.items, files: out.files, notes: out.notes };
}
