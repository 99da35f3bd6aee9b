// spec.mounts → lxc.mount.entry, with destinations resolved inside the rootfs.
import { posix } from "node:path";
import { refuse, type JsonPathSegment } from "../oci/errors";
import { fstabLine, type FstabEntry } from "./fstab";
import { orFail, shellQuote, type Translation } from "./output";
import { coveringMount, type SharedBind, type BindSourceKind, type MountedPath, type ResolvePath, type ResolvedPath } from "./paths";
import { propagationOf } from "./propagation";
import type { Mount, Spec } from "../oci/schema";
import { refuseIfSet } from "./unsupported";

export interface MountContext {
  /** Absolute bundle directory; relative bind sources are resolved against it (as runc does). */
  bundle: string;
  /** The rootfs on the host (spec.root.path resolved), where tmpcopyup finds the image's content. */
  rootfs: string;
  /** The container's state directory: tmpcopyup's scratch mount point. */
  stateDir: string;
  /** Decides create=dir vs create=file for a bind mount's target. */
  bindSourceKind: (hostPath: string) => BindSourceKind;
  /** ro/nosuid/nodev/noexec of the mount a bind source is on (locked in a user namespace). */
  bindSourceFlags: (hostPath: string) => readonly string[];
  resolvePath: ResolvePath;
  /** The container has a user namespace of its own. */
  userNamespace: boolean;
  /** The container has a cgroup namespace of its own. */
  cgroupNamespace: boolean;
  /** process.terminal: liblxc then mounts its own devpts on /dev/pts for the console. */
  terminal: boolean;
}

/** Filesystem types whose name liblxc gets changed (cgroup v1 asked for on a cgroup2-only runtime). */
const FILESYSTEMS: Record<string, string> = {
  proc: "proc", sysfs: "sysfs", tmpfs: "tmpfs", devpts: "devpts", mqueue: "mqueue", cgroup: "cgroup2", cgroup2: "cgroup2",
};

/** Where the content of a fresh kernel filesystem can be looked at from the host (same kernel). */
const HOST_VIEW: Record<string, string> = { proc: "/proc", sysfs: "/sys", cgroup2: "/sys/fs/cgroup" };

/**
 * Flag options liblxc turns into mount flags (conf.c mount_opt and
 * propagation_opt). As runc does, liblxc hands any other option to the
 * filesystem as data, which the kernel validates.
 */
const FLAG_OPTIONS = new Set([
  "ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "noatime", "atime", "nodiratime", "diratime",
  "relatime", "norelatime", "strictatime", "nostrictatime", "sync", "async", "dirsync", "lazytime", "mand", "nomand",
  "remount", "defaults", "bind", "rbind",
  "private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable",
]);

/** Flags runc knows that change nothing a container can observe; liblxc would pass them as data, so they are left out. */
const NO_EFFECT_OPTIONS = new Set(["silent", "loud", "nolazytime", "iversion", "noiversion"]);

/** Flags runc knows and liblxc doesn't (it would pass them to the filesystem as data, which fails). */
const UNSUPPORTED_FLAGS = new Set([
  "nosymfollow", "symfollow",
  ...["ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "noatime", "atime", "nodiratime", "diratime",
    "relatime", "norelatime", "strictatime", "nostrictatime", "nosymfollow", "symfollow"].map((flag) => `r${flag}`),
]);

/** tmpfs only: the destination's content is copied into the new tmpfs (runc's extension). */
const TMPCOPYUP = "tmpcopyup";

/** The flag options a mount may carry (propagation that can't be honoured left out), for `crio-lxc features`. */
export function supportedMountOptions(): string[] {
  return [...FLAG_OPTIONS, TMPCOPYUP, "idmap", "ridmap"].sort();
}

/** Per-mount flags a bind mount gets by a remount (MS_BIND | MS_REMOUNT). */
const VFS_FLAGS = new Set([
  "ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "noatime", "atime", "nodiratime", "diratime",
  "relatime", "norelatime", "strictatime", "nostrictatime",
]);

/** liblxc finds its own options anywhere in the option string (strstr), so none may contain them. */
const LXC_OWN_OPTION = /create=|optional|relative|idmap=/;

/**
 * With a terminal, liblxc replaces whatever is on /dev/pts with its own devpts
 * instance (lxc.pty.max), mounted like this; a spec asking for the same is honoured.
 */
const LXC_DEVPTS_OPTIONS = new Set([
  "rw", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "ptmxmode=666", "mode=0620", "mode=620", "gid=5",
]);

/** lxc.autodev mounts a tmpfs on /dev before any mount entry. */
const AUTODEV: MountedPath = { target: "dev" };

/**
 * The spec mounts a tmpfs on /dev, as every engine's bundle does: then
 * lxc.autodev is off (its own tmpfs would lie beneath it) and the mount hook
 * makes the device nodes, as runc makes them (devices.ts).
 */
export function mountsDevTmpfs(spec: Spec): boolean {
  return (spec.mounts ?? []).some((m) => m.type === "tmpfs" && !isBindMount(m) && posix.normalize(`${m.destination}/`) === "/dev/");
}

/**
 * Without a terminal (lxc.pty.max 0) liblxc mounts no devpts, but still
 * detaches the topmost mount on /dev/pts once it has run the hooks
 * (lxc_finish_devpts_child). This bind of /dev/pts onto itself, the last
 * mount entry, is what it detaches, leaving the spec's mount in place.
 */
const DEVPTS_DECOY: FstabEntry = { source: "dev/pts", target: "dev/pts", type: "none", options: ["bind", "relative"] };

function checkOption(option: string, type: string | undefined, at: JsonPathSegment[]): void {
  if (LXC_OWN_OPTION.test(option)) refuse(at, `"${option}" clashes with liblxc's own mount options`);
  if (option === TMPCOPYUP) {
    if (type !== "tmpfs") refuse(at, `"${TMPCOPYUP}" applies to tmpfs mounts only`);
    return;
  }
  if (UNSUPPORTED_FLAGS.has(option)) refuse(at, `"${option}" is not supported yet by crio-lxc`);
  // Anything else is filesystem data ("size=64m", "userxattr"), which the kernel validates.
}

function isBindMount(mount: Mount): boolean {
  return mount.type === "bind" || (mount.options ?? []).some((o) => o === "bind" || o === "rbind");
}

/** A bind source that is a file can't cover a directory, nor the reverse. */
function checkBindTarget(source: BindSourceKind, target: ResolvedPath, at: JsonPathSegment[]): void {
  if (target.kind === "missing" || target.kind === "unknown" || target.kind === source) return;
  refuse(at, `/${target.target} is a ${target.kind} but the bind source is a ${source}`);
}

function bindEntry(mount: Mount, target: ResolvedPath, ctx: MountContext, at: JsonPathSegment[]): FstabEntry {
  if (!mount.source) refuse([...at, "source"], "required for a bind mount");
  const source = posix.resolve(ctx.bundle, mount.source);
  const kind = ctx.bindSourceKind(source);
  if (kind === "missing") refuse([...at, "source"], `bind mount source ${JSON.stringify(source)} does not exist`);
  checkBindTarget(kind, target, [...at, "destination"]);
  const options = (mount.options ?? []).filter((o) => !NO_EFFECT_OPTIONS.has(o));
  const bindOption = options.some((o) => o === "bind" || o === "rbind") ? [] : ["bind"];
  const create = kind === "directory" ? "create=dir" : "create=file";
  return { source, target: target.target, type: "none", options: [...bindOption, ...options, create] };
}

/**
 * liblxc 5.0 remounts a bind mount to apply its flags only when it is
 * read-only (mount_entry skips the remount otherwise), so nosuid, nodev,
 * noexec… on a writable bind would be lost: the mount hook remounts it,
 * keeping the source mount's flags as liblxc's own remount does (a user
 * namespace couldn't clear them anyway).
 */
function applyBindFlags(options: readonly string[], entry: FstabEntry, ctx: MountContext, out: Translation): void {
  const flags = options.filter((o) => VFS_FLAGS.has(o));
  if (!flags.length || flags.findLast((o) => o === "ro" || o === "rw") === "ro") return;
  const carried = ctx.bindSourceFlags(entry.source).filter((f) => !flags.includes(f) && !(f === "nodev" && flags.includes("dev")));
  const all = ["remount", "bind", ...flags, ...carried];
  out.hookLine("mount", `mount -o ${shellQuote(all.join(","))} "$LXC_ROOTFS_MOUNT"/${shellQuote(entry.target)}`);
}

function filesystemEntry(mount: Mount, target: string, at: JsonPathSegment[]): FstabEntry {
  if (!mount.type) refuse([...at, "type"], "required unless the mount is a bind mount");
  // Like runc, any other type goes to mount(2) as it is (overlay, a FUSE or block filesystem…).
  const type = FILESYSTEMS[mount.type] ?? mount.type;
  if (!/^[\w.+-]+$/.test(type)) refuse([...at, "type"], `"${mount.type}" is not a filesystem type`);
  const options = (mount.options ?? []).filter((o) => o !== TMPCOPYUP && !NO_EFFECT_OPTIONS.has(o));
  return { source: mount.source || mount.type, target, type, options: [...options, "create=dir"] };
}

/** The scratch mount point tmpcopyup binds each tmpfs to, in the state directory. */
const COPYUP_DIR = "copyup";

/**
 * Where on the host lies what the container sees at `target` just before its
 * tmpcopyup tmpfs is mounted there, which is what runc copies. Below a fresh
 * filesystem that is nothing (undefined): only the mount points liblxc made
 * there. Below another tmpcopyup tmpfs it is what was copied there from below that one.
 */
function copyUpSource(target: string, mounted: readonly MountedPath[], ctx: MountContext, at: JsonPathSegment[]): string | undefined {
  const i = mounted.findLastIndex((m) => target === m.target || target.startsWith(`${m.target}/`));
  if (i < 0) return posix.join(ctx.rootfs, ctx.resolvePath(`/${target}`, []).target);
  const covering = mounted[i]!;
  if (covering.copyUp) return copyUpSource(target, mounted.slice(0, i), ctx, at);
  if (!covering.hostSource && covering !== AUTODEV) return undefined;
  const what = covering === AUTODEV ? "lxc.autodev's tmpfs on /dev" : `the mount on /${covering.target}`;
  refuse(at, `"${TMPCOPYUP}" on /${target} is not supported: its content would come from ${what}, not the image`);
}

/**
 * tmpcopyup: the image's content of the destination copied into the fresh
 * tmpfs. liblxc has no such option, so the mount hook (after every mount
 * entry) copies it from the rootfs on the host, which the tmpfs doesn't cover
 * there. The copy goes through a non-recursive bind of the tmpfs, so mounts
 * that later entries placed inside it are neither copied over nor written to.
 */
function copyUp(target: string, i: number, ctx: MountContext, mounted: readonly MountedPath[], out: Translation): void {
  const from = copyUpSource(target, mounted, ctx, ["mounts", i, "options"]);
  if (from === undefined) return;
  const source = shellQuote(from);
  const scratch = shellQuote(out.directory(ctx.stateDir, COPYUP_DIR));
  const copy = `mount --bind "$LXC_ROOTFS_MOUNT"/${shellQuote(target)} ${scratch} && cp -a ${source}/. ${scratch}/ && umount ${scratch}`;
  out.hookLine("mount", orFail(`{ [ ! -d ${source} ] || { ${copy}; }; }`, `mounts[${i}]: copying /${target} of the image into its tmpfs (${TMPCOPYUP}) failed`));
}

/**
 * cgroup2 can be mounted only from a cgroup namespace that the container's
 * user namespace owns. Without one, runc binds the host's /sys/fs/cgroup
 * instead, with the flags asked for (read-only, as engines ask); so does crio-lxc.
 */
function cgroupAsBind(mount: Mount, ctx: MountContext): Mount {
  if (FILESYSTEMS[mount.type ?? ""] !== "cgroup2" || !ctx.userNamespace || ctx.cgroupNamespace) return mount;
  return { ...mount, type: "bind", source: HOST_VIEW.cgroup2 };
}

function isLxcOwnDevpts(mount: Mount, target: string, at: JsonPathSegment[]): boolean {
  if (mount.type !== "devpts" || target !== "dev/pts") return false;
  (mount.options ?? []).forEach((option, j) => {
    if (!LXC_DEVPTS_OPTIONS.has(option)) {
      refuse([...at, "options", j], `"${option}" can't be honoured: liblxc mounts /dev/pts itself with nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5`);
    }
  });
  return true;
}

function resolveDestination(mount: Mount, ctx: MountContext, mounted: readonly MountedPath[], at: JsonPathSegment[]): ResolvedPath {
  const { destination } = mount;
  if (!destination.startsWith("/")) refuse(at, `expected an absolute path, got ${JSON.stringify(destination)}`);
  if (destination.split("/").every((part) => part === "" || part === ".")) refuse(at, "cannot be the container's root");
  const resolved = ctx.resolvePath(destination, mounted);
  if (!resolved.target) refuse(at, `${JSON.stringify(destination)} resolves to the container's root directory`);
  return resolved;
}

/** Per-mount flags an attached bind may carry: set on the clone before it is attached. */
const ATTACHED_BIND_FLAGS = new Set(["ro", "nosuid", "nodev", "noexec"]);
/** Accepted on an attached bind: the flags above, their defaults (the clone keeps its source's atime), propagation and idmapping. */
const ATTACHED_BIND_OPTIONS = new Set([
  ...ATTACHED_BIND_FLAGS, "rw", "suid", "dev", "exec", "relatime", "atime", "diratime", "bind", "rbind",
  "shared", "rshared", "private", "rprivate", "slave", "rslave", "idmap", "ridmap",
]);

const isShared = (mount: Mount) => (mount.options ?? []).some((o) => o === "shared" || o === "rshared");
const isIdmapped = (mount: Mount) => !!(mount.uidMappings?.length || mount.gidMappings?.length) || (mount.options ?? []).some((o) => o === "idmap" || o === "ridmap");

/** How an idmapped bind maps ids: its own mappings (both required, as runc), or the container's. */
function idmapOf(mount: Mount, ctx: MountContext, at: JsonPathSegment[]): NonNullable<SharedBind["idmap"]> {
  const uidMappings = mount.uidMappings ?? [];
  const gidMappings = mount.gidMappings ?? [];
  if (uidMappings.length || gidMappings.length) {
    if (!uidMappings.length) refuse([...at, "uidMappings"], "required with gidMappings");
    if (!gidMappings.length) refuse([...at, "gidMappings"], "required with uidMappings");
    return { uidMappings, gidMappings };
  }
  if (!ctx.userNamespace) refuse([...at, "options"], "idmap without uidMappings/gidMappings maps through the container's user namespace, and it has none");
  return "container";
}

/** An attached bind's propagation: its last propagation option; without one a private clone, as runc's rprivate default. */
function attachedPropagation(options: readonly string[]): SharedBind["propagation"] {
  const last = options.findLast((o) => /^r?(shared|slave|private)$/.test(o));
  return last?.endsWith("shared") ? "shared" : last?.endsWith("slave") ? "slave" : "private";
}

/**
 * A bind the runtime attaches itself once liblxc has set the container up:
 * "shared"/"rshared" (propagation.ts says why); idmapped (uidMappings, or the
 * idmap/ridmap options: liblxc 5.0's own idmapped mounts take only the
 * container's mappings); and every bind of a container with a user
 * namespace, where liblxc mounts as the container's root, which can't reach
 * a source below a directory only the host's root may enter (CRI-O's
 * runroot): the runtime clones the source as the host's root, as runc opens
 * it before its init enters the namespace.
 */
function attachedBind(mount: Mount, target: ResolvedPath, ctx: MountContext, at: JsonPathSegment[], out: Translation): string {
  const idmap = isIdmapped(mount) ? idmapOf(mount, ctx, at) : undefined;
  const options = mount.options ?? [];
  const what = idmap ? "an idmapped bind mount" : isShared(mount) ? "a shared bind mount" : "a bind mount in a user namespace";
  options.forEach((option, j) => {
    if (!ATTACHED_BIND_OPTIONS.has(option)) refuse([...at, "options", j], `"${option}" is not supported by crio-lxc on ${what}`);
  });
  const { source, options: entryOptions } = bindEntry(mount, target, ctx, at);
  const kind = entryOptions.includes("create=file") ? "file" : "directory";
  // Missing in the image: made there now; below another mount: by the runtime, in the container, before it attaches.
  if (target.kind === "missing" && !target.belowMount) out.mountPoint({ target: target.target, kind, at: [...at, "destination"] });
  const createTarget = target.kind === "missing" && target.belowMount ? kind : undefined;
  const flags = options.filter((o) => ATTACHED_BIND_FLAGS.has(o));
  const lastRo = options.findLast((o) => o === "ro" || o === "rw");
  out.sharedBinds.push({
    source, target: target.target, at, propagation: attachedPropagation(options),
    recursive: options.includes("rbind") || options.includes("ridmap"),
    flags: lastRo === "rw" ? flags.filter((f) => f !== "ro") : flags,
    ...(idmap && { idmap }),
    ...(createTarget && { createTarget }),
  });
  return source;
}

function translateMount(specMount: Mount, i: number, ctx: MountContext, mounted: MountedPath[], out: Translation): void {
  const at: JsonPathSegment[] = ["mounts", i];
  const mount = cgroupAsBind(specMount, ctx);
  if (mount.source?.startsWith("#")) refuse([...at, "source"], 'must not start with "#" (getmntent(3) would skip the line)');
  const target = resolveDestination(mount, ctx, mounted, [...at, "destination"]);
  const bind = isBindMount(mount);
  const attached = bind && (isShared(mount) || isIdmapped(mount) || ctx.userNamespace);
  // Attached binds go on in order after every mount liblxc makes: only another attached one may lie below.
  if (!attached && coveringMount(target.target, mounted)?.shared) {
    refuse([...at, "destination"], `lies below a bind mount crio-lxc attaches after every other mount (shared, idmapped, or in a user namespace): not supported yet`);
  }
  if (!bind && isIdmapped(mount)) refuse([...at, "uidMappings"], `idmapped mounts are bind mounts (runtime-spec), not "${mount.type}" mounts`);
  (mount.options ?? []).forEach((option, j) => checkOption(option, mount.type ?? undefined, [...at, "options", j]));
  if (attached) {
    mounted.push({ target: target.target, hostSource: attachedBind(mount, target, ctx, at, out), shared: true });
    return;
  }
  if (!bind && ctx.terminal && isLxcOwnDevpts(mount, target.target, at)) {
    out.note(`mounts[${i}] (devpts on /dev/pts) left to liblxc, which mounts its own devpts instance there for the terminal`);
    return;
  }
  const entry = bind ? bindEntry(mount, target, ctx, at) : filesystemEntry(mount, target.target, at);
  const copied = !bind && (mount.options ?? []).includes(TMPCOPYUP);
  if (bind) applyBindFlags(mount.options ?? [], entry, ctx, out);
  else if (copied) copyUp(target.target, i, ctx, mounted, out);
  if (target.kind === "missing" && !target.belowMount) {
    out.mountPoint({ target: target.target, kind: entry.options.includes("create=file") ? "file" : "directory", at: [...at, "destination"] });
  }
  out.add("lxc.mount.entry", fstabLine(entry));
  const propagation = propagationOf(mount.options ?? []);
  if (propagation !== undefined) out.mountOperations.push({ kind: "propagation", path: `/${target.target}`, flags: propagation });
  mounted.push({ target: target.target, hostSource: bind ? entry.source : HOST_VIEW[entry.type], ...(copied && { copyUp: true }) });
}

/** Returns every mount in order (lxc.autodev's /dev first, if on), for resolving the paths that come after them. */
export function translateMounts(spec: Spec, ctx: MountContext, out: Translation): MountedPath[] {
  const autodev = !mountsDevTmpfs(spec);
  // liblxc makes /dev itself for lxc.autodev, which fails on a read-only
  // rootfs (CRI-O's pause image has nothing but /pause): make it beforehand.
  if (autodev && ctx.resolvePath("/dev", []).kind === "missing") out.mountPoint({ target: AUTODEV.target, kind: "directory", at: ["root", "path"] });
  const mounted: MountedPath[] = autodev ? [AUTODEV] : [];
  (spec.mounts ?? []).forEach((mount, i) => translateMount(mount, i, ctx, mounted, out));
  if (!ctx.terminal && mounted.some((m) => m.target === "dev/pts" && !m.shared)) out.add("lxc.mount.entry", fstabLine(DEVPTS_DECOY));
  return mounted;
}
