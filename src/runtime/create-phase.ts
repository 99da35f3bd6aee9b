// The create-phase OCI hooks: prestart, createRuntime and createContainer run
// after the container's namespaces, cgroup and mounts exist and before
// pivot_root. liblxc's last hook before pivot_root is lxc.hook.autodev (after
// the mount entries and the mount hooks, before /dev is populated), run by the
// future init in the container's namespaces; with lxc.autodev off liblxc runs
// no autodev hook, and the last is lxc.hook.mount (after our own mount hook,
// which makes the device nodes then). Ours is a sh one-liner like the
// start-host hold: it reports init's host pid (its parent, read from the
// host's /proc, still mounted there before pivot_root) through the ready FIFO
// and blocks on the create-phase FIFO while `create` runs the hooks; anything
// but "continue" fails the hook, and liblxc aborts the start.
import { chownSync, closeSync, constants, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { ConfigItem } from "../translate/translate";
import { shellQuote, type FileOwner } from "../translate/output";
import type { ContainerRecord } from "../state";
import { mkfifo } from "../sys";
import type { RuntimeContext } from "./context";
import { READY_FIFO } from "./hold";
import { hasHooks, runHooks } from "./oci-hooks";

export const CREATE_PHASE_FIFO = "create-phase";

export class CreatePhase {
  /** Whether any create-phase hook was started: then a failed create runs the poststop hooks. */
  hooksStarted = false;

  private constructor(private readonly stateDir: string, private readonly fd: number) {}

  /** Set up when the container has create-phase hooks; the FIFO is opened read-write so the hold never blocks opening it. */
  static prepare(record: ContainerRecord, stateDir: string): CreatePhase | undefined {
    if (!hasHooks(record.hooks, "prestart", "createRuntime", "createContainer")) return undefined;
    const fifo = join(stateDir, CREATE_PHASE_FIFO);
    mkfifo(fifo, 0o600);
    return new CreatePhase(stateDir, openSync(fifo, constants.O_RDWR));
  }

  /**
   * Appended after the translation's items: liblxc runs hooks of one kind in
   * config order, so ours runs last. liblxc mounts the rootfs at
   * lxc.rootfs.mount (by default a directory of its own) before pivot_root;
   * on root.path itself, as runc does, what hooks mount under root.path is
   * what the container sees.
   */
  configItems(rootfs: string, hookOwner: FileOwner | undefined, autodev: boolean): ConfigItem[] {
    // With a user namespace the hold runs as the container's root.
    if (hookOwner) for (const fifo of [READY_FIFO, CREATE_PHASE_FIFO]) chownSync(join(this.stateDir, fifo), hookOwner.uid, hookOwner.gid);
    const script = `read -r stat </proc/self/stat && set -- $stat && echo "create-phase $4" >"$0/${READY_FIFO}" && read -r cmd <"$0/${CREATE_PHASE_FIFO}" && [ "$cmd" = continue ]`;
    return [
      ["lxc.rootfs.mount", rootfs],
      [autodev ? "lxc.hook.autodev" : "lxc.hook.mount", `/bin/sh -c ${shellQuote(script)} ${shellQuote(this.stateDir)}`],
    ];
  }

  /** Runs prestart, createRuntime and createContainer for the held init, then lets it go on (or fails it). */
  run(ctx: RuntimeContext, record: ContainerRecord, initPid: number, deadline: number): void {
    this.hooksStarted = true;
    try {
      for (const phase of ["prestart", "createRuntime", "createContainer"] as const) {
        runHooks(ctx, record, phase, { status: "creating", pid: initPid, deadline });
      }
    } catch (err) {
      this.release("abort");
      throw err;
    }
    this.release("continue");
  }

  close(): void {
    closeSync(this.fd);
  }

  private release(word: "continue" | "abort"): void {
    writeSync(this.fd, `${word}\n`);
  }
}
