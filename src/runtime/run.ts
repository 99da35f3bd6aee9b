// run: create, start and (in the foreground) wait, as `runc run` does.
//
// In the foreground the runtime is the container's caller: it becomes a child
// subreaper before create, so when start removes liblxc's monitor the init is
// reparented to it; it forwards signals to init, relays a terminal, exits with
// init's status and deletes the container (unless --keep).
import { closeSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { receiveMaster } from "../exec/terminal";
import { acceptUnix, listenUnix } from "../native/unix-socket";
import { loadSpec } from "../oci/schema";
import { validateId } from "../state";
import { setChildSubreaper, waitpid, WNOHANG } from "../sys";
import { RuntimeError, type RuntimeContext } from "./context";
import { type CreateOptions, createContainer } from "./create";
import { deleteContainer } from "./delete";
import { waitForeground } from "./exec";
import { SignalRelay } from "./signal-relay";
import { startContainer } from "./start";

export interface RunOptions extends CreateOptions {
  detach: boolean;
  keep: boolean;
}

/** Returns the runtime's exit code: init's status in the foreground, 0 detached. */
export async function runContainer(ctx: RuntimeContext, opts: RunOptions): Promise<number> {
  const id = validateId(opts.id);
  if (opts.detach && opts.keep) throw new RuntimeError("crio-lxc run: --keep and --detach can't be used together (a detached container is the caller's to delete)");
  const bundle = resolve(opts.bundle || ".");
  const ownConsole = !opts.detach && !opts.consoleSocket && loadSpec(bundle).process?.terminal ? new OwnConsole() : undefined;
  if (!opts.detach) setChildSubreaper();
  const relay = opts.detach ? undefined : new SignalRelay({ ownTerminal: ownConsole !== undefined });
  let created = false;
  let master: number | undefined;
  try {
    await createContainer(ctx, { ...opts, id, bundle, consoleSocket: opts.consoleSocket ?? ownConsole?.path });
    created = true;
    master = ownConsole?.receive();
    startContainer(ctx, id);
  } catch (err) {
    relay?.stop();
    if (master !== undefined) closeSync(master);
    // Only what this call created: a failed create may be about an existing container of that id.
    if (created) deleteContainer(ctx, id, true);
    throw err;
  } finally {
    ownConsole?.close();
  }
  const record = ctx.store.load(id);
  reapMonitor(record.monitor?.pid);
  if (!relay) return 0;
  const code = await waitForeground(record.init!.pid, relay, master);
  ctx.log.info("container exited", { status: code });
  if (!opts.keep) deleteContainer(ctx, id, true);
  return code;
}

/** start killed the monitor, our child since create forked it. */
function reapMonitor(pid: number | undefined): void {
  if (pid === undefined) return;
  try { waitpid(pid, WNOHANG); } catch { /* already reaped, or not ours */ }
}

/** A console socket of our own, for a terminal container run in the foreground. */
class OwnConsole {
  private readonly dir = mkdtempSync(join(tmpdir(), "crio-lxc-run-"));
  readonly path = join(this.dir, "console.sock");
  private readonly fd = listenUnix(this.path);

  /** The pty master create sent (non-blocking). */
  receive(): number {
    const connection = acceptUnix(this.fd);
    try {
      return receiveMaster(connection);
    } finally {
      closeSync(connection);
    }
  }

  close(): void {
    closeSync(this.fd);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
