// What a translation produces: the ordered LXC config items, files the runtime
// writes into the container's state directory before liblxc reads the config
// (seccomp profile, hook scripts), and notes for the log.
import { posix } from "node:path";

export type ConfigItem = readonly [key: string, value: string];

export interface StateFile {
  /** File name inside the container's state directory. */
  name: string;
  content: string;
}

/**
 * liblxc hooks we fill with shell lines, run with /bin/sh from the host:
 * `mount` after the mount entries, before pivot_root, inside the container's
 * new namespaces; `autodev` after liblxc populated /dev.
 */
export type HookName = "mount" | "autodev";

export class Translation {
  readonly items: ConfigItem[] = [];
  readonly files: StateFile[] = [];
  /** Spec fields skipped on purpose (an operator switch is off); the caller logs them at debug. */
  readonly notes: string[] = [];
  private readonly hookLines: Record<HookName, string[]> = { mount: [], autodev: [] };

  add(key: string, value: string | number): void {
    this.items.push([key, String(value)]);
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

  /** Turns collected hook lines into scripts and their lxc.hook.* items. */
  finishHooks(stateDir: string): void {
    for (const hook of Object.keys(this.hookLines) as HookName[]) {
      const lines = this.hookLines[hook];
      if (!lines.length) continue;
      const path = this.file(stateDir, `${hook}-hook.sh`, `set -eu\n${lines.join("\n")}\n`);
      this.add(`lxc.hook.${hook}`, `/bin/sh ${shellQuote(path)}`);
    }
  }
}

export const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
