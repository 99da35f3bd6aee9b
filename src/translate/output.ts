// What a translation produces: the ordered LXC config items, files the runtime
// writes into the container's state directory before liblxc reads the config
// (seccomp profile, hook scripts), and notes for the log.
import { posix } from "node:path";
import type { JsonPathSegment } from "../oci/errors";
import type { MountPoint, SharedBind } from "./paths";

export type ConfigItem = readonly [key: string, value: string];

/** A mount's propagation set inside the container once it is set up. */
export interface PropagationChange {
  kind: "propagation";
  /** Absolute inside the container. */
  path: string;
  /** mount(2)'s MS_* propagation flags, with MS_REC for the tree below. */
  flags: number;
}

/** A linux.readonlyPaths or linux.maskedPaths entry, applied as runc applies it (runtime/container-mounts.ts). */
export interface ProtectedPath {
  kind: "readonly" | "mask";
  /** Absolute inside the container, as the spec wrote it: resolved there, symlinks included. */
  path: string;
  /** The spec field, for errors. */
  at: JsonPathSegment[];
}

/** liblxc's /dev/ptmx (a bind of its devpts' ptmx) replaced by runc's symlink to pts/ptmx. */
export interface PtmxSymlink {
  kind: "ptmx-symlink";
}

/** What the runtime does in the container's mount namespace once liblxc has set it up, in order. */
export type MountOperation = PropagationChange | ProtectedPath | PtmxSymlink;

/** Host ids owning a file; default root. */
export interface FileOwner {
  uid: number;
  gid: number;
}

export interface StateFile {
  /** File name inside the container's state directory. */
  name: string;
  content: string;
  /** An empty directory instead of a file (mode default 0700). */
  directory?: boolean;
  /** Default 0600. */
  mode?: number;
  /** Default root. */
  owner?: FileOwner;
}

/** Why setting the container up failed: hook scripts send their stderr here, the monitor a failed namespace join. */
export const SETUP_ERRORS_FILE = "setup-errors";

const HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * liblxc hooks we fill with shell lines, run with /bin/sh from the host. In
 * the container's new namespaces before pivot_root: `mount` after the mount
 * entries; `autodev` right after (run only with lxc.autodev on), on the final
 * /dev, just before liblxc adds its standard device nodes (existing ones are
 * kept). `start-host` in the monitor, with the host's namespaces, once the
 * container is set up (LXC_PID is the future init), before the runtime's own
 * start-host hook that holds it.
 */
export type HookName = "mount" | "autodev" | "start-host";

/**
 * A liblxc hook of ours the monitor carries out in C when liblxc runs it
 * (src/native/c/monitor-hooks.c): `command` is what liblxc gives `sh -c`,
 * "exec <the item's value>" (lxc.hook.version 1).
 */
export type NativeHook =
  | { kind: "hold"; command: string; startFifo: string; readyFifo: string; mountOperations?: readonly HeldMountOperation[] }
  | { kind: "devices"; command: string; errorsFile: string; nodes: readonly NativeDeviceNode[] };

/** A container mount operation the hold applies before it reports ready (src/native/c/mount-ops.c: op is shared.h's MOUNT_OP_*). */
export interface HeldMountOperation { op: number; flags: number; path: string }

export interface NativeDeviceNode {
  /** Below the rootfs, e.g. dev/net/tun. */
  path: string;
  type: "c" | "b" | "p";
  /** Permission bits, set exactly (the umask doesn't apply). */
  mode: number;
  major: number;
  minor: number;
  uid: number;
  gid: number;
  /** Names the node in an error: its JSON path, or the standard node. */
  label: string;
}

/** The command of a native hook's item, which a shell would run only if the monitor didn't: it fails saying so. */
export const NATIVE_HOOK_MISSED = "crio-lxc: liblxc ran a hook of the runtime's own through /bin/sh instead of the monitor (its execl is no longer the one the monitor wraps)";

export class Translation {
  readonly items: ConfigItem[] = [];
  readonly files: StateFile[] = [];
  /** Spec fields skipped on purpose (an operator switch is off); the caller logs them at debug. */
  readonly notes: string[] = [];
  /** What runc accepts but the kernel won't do as asked (logged at warn, as runc does). */
  readonly warnings: string[] = [];
  /** Missing mount points the runtime creates in the image before starting. */
  readonly mountPoints: MountPoint[] = [];
  /** Bind mounts the runtime attaches itself once liblxc has set the container up. */
  readonly sharedBinds: SharedBind[] = [];
  /**
   * What the runtime does to the container's mounts once liblxc has set it up
   * (runtime/container-mounts.ts), in order: propagation (propagation.ts says
   * why), then the read-only and masked paths as runc applies them.
   */
  readonly mountOperations: MountOperation[] = [];
  private readonly hookLines: Record<HookName, string[]> = { mount: [], autodev: [], "start-host": [] };
  private nodes?: { hook: HookName; nodes: NativeDeviceNode[] };
  /** Hooks the monitor carries out itself (set by finishHooks). */
  readonly nativeHooks: NativeHook[] = [];
  /**
   * Host ids liblxc runs the mount and autodev hooks as: with a user
   * namespace the hooks run as the container's root (or init's user), which
   * can't read root's 0600 files.
   */
  hookOwner?: FileOwner;

  add(key: string, value: string | number): void {
    this.items.push([key, String(value)]);
  }

  /** Gives the item `key` (added before) a new value in its place. */
  replace(key: string, value: string): void {
    const i = this.items.findIndex(([k]) => k === key);
    if (i < 0) throw new Error(`internal error: no config item ${key} to replace`);
    this.items[i] = [key, value];
  }

  mountPoint(point: MountPoint): void {
    this.mountPoints.push(point);
  }

  note(message: string): void {
    this.notes.push(message);
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  /** A file in the state directory; returns its absolute path for config items. */
  file(stateDir: string, name: string, content: string, access: Pick<StateFile, "mode" | "owner"> = {}): string {
    this.files.push({ name, content, ...access });
    return posix.join(stateDir, name);
  }

  /** An empty directory in the state directory, owned by whoever runs the hooks; returns its absolute path. */
  directory(stateDir: string, name: string): string {
    if (!this.files.some((f) => f.name === name)) this.files.push({ name, content: "", directory: true, ...(this.hookOwner && { owner: this.hookOwner }) });
    return posix.join(stateDir, name);
  }

  /** A shell line for one of our liblxc hooks (see HookName); `set -e` stops at the first failure. */
  hookLine(hook: HookName, line: string): void {
    this.hookLines[hook].push(line);
  }

  /** Device nodes the monitor makes in `hook` (a native hook), after that hook's shell lines. */
  deviceNodes(hook: HookName, nodes: NativeDeviceNode[]): void {
    this.nodes = { hook, nodes };
  }

  /**
   * Turns collected hook lines into scripts and their lxc.hook.* items, then
   * the device nodes' native hook. The hooks in the container's namespaces
   * inherit its environment (liblxc sets lxc.environment before running
   * them), so PATH is reset to the host's.
   */
  finishHooks(stateDir: string): void {
    const hooks = (Object.keys(this.hookLines) as HookName[]).filter((hook) => this.hookLines[hook].length);
    if (!hooks.length && !this.nodes) return;
    // liblxc logs a hook's output only at debug level.
    const errors = this.file(stateDir, SETUP_ERRORS_FILE, "", this.hookOwner && { owner: this.hookOwner });
    for (const hook of hooks) {
      const script = `set -eu\nPATH=${HOST_PATH}\nexec 2>>${shellQuote(errors)}\n${this.hookLines[hook].join("\n")}\n`;
      const path = this.file(stateDir, `${hook}-hook.sh`, script, this.hookOwner && { mode: 0o644 });
      this.add(`lxc.hook.${hook}`, `/bin/sh ${shellQuote(path)}`);
    }
    if (this.nodes) {
      const value = `/bin/sh ${shellQuote(this.file(stateDir, "devices-hook.sh", nativeHookScript(errors, this.nodes.nodes)))}`;
      this.add(`lxc.hook.${this.nodes.hook}`, value);
      this.nativeHooks.push({ kind: "devices", command: `exec ${value}`, errorsFile: errors, nodes: this.nodes.nodes });
    }
  }
}

/** What the devices' hook item runs if a shell gets it: the nodes it stands for, as comments, and a failure. */
function nativeHookScript(errors: string, nodes: readonly NativeDeviceNode[]): string {
  const listed = nodes.map((n) => `#   ${n.type} ${n.mode.toString(8).padStart(4, "0")} ${n.major}:${n.minor} ${n.uid}:${n.gid} /${n.path}`);
  return [
    "# crio-lxc's monitor makes these device nodes itself when liblxc runs this hook (src/native/c/monitor-hooks.c):",
    ...listed,
    `printf '%s\\n' ${shellQuote(NATIVE_HOOK_MISSED)} >>${shellQuote(errors)}`,
    "exit 1",
    "",
  ].join("\n");
}

/** A hook line running `command`, which stops the hook with `message` on stderr when it fails. */
export function orFail(command: string, message: string): string {
  return `${command} || { printf '%s\\n' ${shellQuote(message)} >&2; exit 1; }`;
}

export const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * The config items as an LXC config file: the reference copy in the state
 * directory (the create hook's LXC_CONFIG; the monitor sets the items through
 * liblxc's API). The format has no escapes, so an item whose value holds a
 * line break becomes a comment with the value JSON-quoted instead of a line
 * that would cut it in two.
 */
export function configFileText(items: readonly ConfigItem[], notes: readonly string[] = []): string {
  const lines = items.map(([key, value]) => /[\r\n]/.test(value)
    ? `# ${key} = ${JSON.stringify(value)} (set through liblxc's API: a line break can't be written in this file)`
    : `${key} = ${value}`);
  return [...notes.map((note) => `# ${note}`), ...lines].map((line) => `${line}\n`).join("");
}
