// mounts, linux.readonlyPaths and linux.maskedPaths → lxc.mount.entry, in that order.
import { posix } from "node:path";
import { refuse, type JsonPathSegment } from "./errors";
import { containerPath, fstabLine, type FstabEntry } from "./fstab";
import type { Translation } from "./output";
import type { Mount, Spec } from "./schema";
import { refuseIfSet } from "./unsupported";

/** What a bind mount's source is on the host, following symlinks (as mount(2) does). */
export type BindSourceKind = "directory" | "file" | "missing";

export interface MountContext {
  /** Absolute bundle directory; relative bind sources are resolved against it (as runc does). */
  bundle: string;
  /** Decides create=dir vs create=file for a bind mount's target. */
  bindSourceKind: (hostPath: string) => BindSourceKind;
}

/** Filesystem types crio-lxc mounts, and the type handed to liblxc. */
const FILESYSTEMS: Record<string, string> = {
  proc: "proc", sysfs: "sysfs", tmpfs: "tmpfs", devpts: "devpts", mqueue: "mqueue", cgroup: "cgroup2", cgroup2: "cgroup2",
};

/**
 * Flag options liblxc turns into mount flags (conf.c mount_opt and
 * propagation_opt). liblxc silently drops any other option without "=", so
 * those are refused rather than lost.
 */
const FLAG_OPTIONS = new Set([
  "ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "noatime", "atime", "nodiratime", "diratime",
  "relatime", "norelatime", "strictatime", "nostrictatime", "async", "nomand", "defaults", "bind", "rbind",
  "private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable",
]);

/** liblxc finds its own options anywhere in the option string (strstr), so none may contain them. */
const LXC_OWN_OPTION = /create=|optional|relative|idmap=/;

/**
 * liblxc replaces whatever is on /dev/pts with its own devpts instance
 * (lxc.pty.max), mounted like this; a spec asking for the same is honoured.
 */
const LXC_DEVPTS_OPTIONS = new Set([
  "rw", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "ptmxmode=666", "mode=0620", "mode=620", "gid=5",
]);

function checkOption(option: string, type: string | undefined, at: JsonPathSegment[]): void {
  if (LXC_OWN_OPTION.test(option)) refuse(at, `"${option}" clashes with liblxc's own mount options`);
  // Filesystem data ("size=64m") is passed to the kernel, which validates it.
  if (option.includes("=") || FLAG_OPTIONS.has(option)) return;
  // devpts instances have been independent since Linux 4.7; liblxc drops the flag harmlessly.
  if (option === "newinstance" && type === "devpts") return;
  refuse(at, `unsupported mount option "${option}"`);
}

function isBindMount(mount: Mount): boolean {
  return mount.type === "bind" || (mount.options ?? []).some((o) => o === "bind" || o === "rbind");
}

function bindEntry(mount: Mount, target: string, ctx: MountContext, at: JsonPathSegment[]): FstabEntry {
  if (!mount.source) refuse([...at, "source"], "required for a bind mount");
  const source = posix.resolve(ctx.bundle, mount.source);
  const kind = ctx.bindSourceKind(source);
  if (kind === "missing") refuse([...at, "source"], `bind mount source ${JSON.stringify(source)} does not exist`);
  const options = mount.options ?? [];
  const bindOption = options.some((o) => o === "bind" || o === "rbind") ? [] : ["bind"];
  const create = kind === "directory" ? "create=dir" : "create=file";
  return { source, target, type: "none", options: [...bindOption, ...options, create] };
}

function filesystemEntry(mount: Mount, target: string, at: JsonPathSegment[]): FstabEntry {
  if (!mount.type) refuse([...at, "type"], "required unless the mount is a bind mount");
  const type = FILESYSTEMS[mount.type];
  if (!type) refuse([...at, "type"], `unsupported filesystem type "${mount.type}"`);
  return { source: mount.source || mount.type, target, type, options: [...(mount.options ?? []), "create=dir"] };
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

function mountEntry(mount: Mount, i: number, ctx: MountContext, out: Translation): FstabEntry | undefined {
  const at: JsonPathSegment[] = ["mounts", i];
  refuseIfSet(mount, at, ["uidMappings", "gidMappings"]);
  const target = containerPath(mount.destination, [...at, "destination"]);
  if (mount.source?.startsWith("#")) refuse([...at, "source"], 'must not start with "#" (getmntent(3) would skip the line)');
  const bind = isBindMount(mount);
  (mount.options ?? []).forEach((option, j) => checkOption(option, mount.type ?? undefined, [...at, "options", j]));
  if (!bind && isLxcOwnDevpts(mount, target, at)) {
    out.note(`mounts[${i}] (devpts on /dev/pts) left to liblxc, which mounts its own devpts instance there`);
    return undefined;
  }
  // A tmpfs on /dev is kept: it covers lxc.autodev's tmpfs, and liblxc fills
  // the topmost /dev with device nodes after all mount entries.
  return bind ? bindEntry(mount, target, ctx, at) : filesystemEntry(mount, target, at);
}

export function translateMounts(spec: Spec, ctx: MountContext, out: Translation): void {
  (spec.mounts ?? []).forEach((mount, i) => {
    const entry = mountEntry(mount, i, ctx, out);
    if (entry) out.add("lxc.mount.entry", fstabLine(entry));
  });
}

/** readonlyPaths and maskedPaths, relative to the rootfs. */
export interface ProtectedPaths {
  readonly: string[];
  masked: string[];
}

export function protectedPaths(spec: Spec): ProtectedPaths {
  const relative = (field: "readonlyPaths" | "maskedPaths") =>
    (spec.linux?.[field] ?? []).map((path, i) => containerPath(path, ["linux", field, i]));
  return { readonly: relative("readonlyPaths"), masked: relative("maskedPaths") };
}

/**
 * A read-only path is bind-mounted onto itself ("relative": the source lies in
 * the rootfs) and remounted read-only, `optional` because it may not exist.
 * A masked file gets /dev/null, a masked directory an empty read-only tmpfs.
 * With `pathKind` (the caller can stat) only the fitting entry is emitted and a
 * missing path is skipped; without it both are, `optional`, and liblxc skips
 * (and logs) whichever doesn't fit.
 */
export function translateProtectedPaths(paths: ProtectedPaths, out: Translation, pathKind?: (containerPath: string) => BindSourceKind): void {
  for (const target of paths.readonly) {
    out.add("lxc.mount.entry", fstabLine({ source: target, target, type: "none", options: ["rbind", "ro", "relative", "optional"] }));
  }
  for (const target of paths.masked) {
    const kind = pathKind?.(`/${target}`);
    if (kind === "missing") continue;
    if (kind !== "directory") out.add("lxc.mount.entry", fstabLine({ source: "/dev/null", target, type: "none", options: ["bind", "optional"] }));
    if (kind !== "file") out.add("lxc.mount.entry", fstabLine({ source: "tmpfs", target, type: "tmpfs", options: ["ro", "nosuid", "nodev", "noexec", "optional"] }));
  }
}
