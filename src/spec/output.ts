// What a translation produces: the ordered LXC config items, files the runtime
// writes into the container's state directory before liblxc reads the config
// (seccomp profile, hook scripts), and notes for the log.
import { posix } from "node:path";
import type { MountPoint } from "./paths";

export type ConfigItem = readonly [key: string, value: string];

export interface StateFile {
  /** File name inside the container's state directory. */
  name: string;
  content: string;
}

/** File in the state directory collecting the hooks' stderr. */
export const HOOK_ERRORS = "hook-errors";

const HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * liblxc hooks we fill with shell lines, run with /bin/sh from the host. In
 * the container's new namespaces before pivot_root: `pre-mount` before the
 * rootfs is mounted; `mount` after the mount entries; `autodev` right after,
 * on the final /dev, just before liblxc adds its standard device nodes
 * (existing ones are kept). `start-host` in the monitor, with the host's
 * namespaces, once the container is set up (LXC_PID is the future init),
 * before the runtime's own start-host hook that holds it.
 */
export type HookName = "pre-mount" | "mount" | "autodev" | "start-host";

export class Translation {
  readonly items: ConfigItem[] = [];
  readonly files: StateFile[] = [];
  /** Spec fields skipped on purpose (an operator switch is off); the caller logs them at debug. */
  readonly notes: string[] = [];
  /** Missing mount points the runtime creates in the image before starting. */
  readonly mountPoints: MountPoint[] = [];
  private readonly hookLines: Record<HookName, string[]> = { "pre-mount": [], mount: [], autodev: [], "start-host": [] };

  add(key: string, value: string | number): void {
    this.items.push([key, String(value)]);
  }

  mountPoint(point: MountPoint): void {
    this.mountPoints.push(point);
  }

  note(message: string): void {
    this.notes.push(message);
  }

  /** A file in the state directory; returns its absolute path for config items. */
  file(stateDir: string, name: string, content: string): string {
    this.files.push({ name, content });
    return posix.join(stateDir, name);
  }

  /** A shell line for one of our liblxc hooks (see HookName); `set -e` stops at the first failure. */
  hookLine(hook: HookName, line: string): void {
    this.hookLines[hook].push(line);
  }

  /**
   * Turns collected hook lines into scripts and their lxc.hook.* items. The
   * hooks inherit the container's environment (liblxc sets lxc.environment
   * before running them), so PATH is reset to find the host's tools; their
   * stderr goes to HOOK_ERRORS in the state directory for `create` to report.
   */
  finishHooks(stateDir: string): void {
    const prologue = ["set -eu", `PATH=${HOST_PATH}`, `exec 2>>${shellQuote(posix.join(stateDir, HOOK_ERRORS))}`];
    for (const hook of Object.keys(this.hookLines) as HookName[]) {
      const lines = this.hookLines[hook];
      if (!lines.length) continue;
      const path = this.file(stateDir, `${hook}-hook.sh`, `${[...prologue, ...lines].join("\n")}\n`);
      this.add(`lxc.hook.${hook}`, `/bin/sh ${shellQuote(path)}`);
    }
  }
}

export const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
