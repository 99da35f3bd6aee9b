import { ContainerMissing, statusOf } from "../state";
import { lockContainer } from "../container-lock";
import { RuntimeError, type RuntimeContext } from "./context";
import { runHooksWarnOnFailure } from "./oci-hooks";
import { teardown } from "./teardown";
import { pausePoint } from "./test-pause";

/** delete: removes every trace of a container; a running one only with --force. */
export function deleteContainer(ctx: RuntimeContext, id: string, force: boolean): void {
  const deadline = Date.now() + ctx.settings.deleteTimeout;
  let lock;
  try {
    lock = lockContainer(ctx.store, id, deadline);
  } catch (err) {
    if (force && err instanceof ContainerMissing) return;
    throw err;
  }
  try {
    deleteLocked(ctx, id, force, deadline);
  } finally {
    lock.release();
  }
}

function deleteLocked(ctx: RuntimeContext, id: string, force: boolean, deadline: number): void {
  let record;
  try {
    record = ctx.store.load(id);
  } catch (err) {
    // A state dir without a readable state.json (create killed early): nothing to stop, just remove it.
    if (!force) throw err instanceof ContainerMissing ? new RuntimeError(`container ${id} does not exist`) : err;
    ctx.store.remove(id);
    return;
  }
  const status = statusOf(record);
  if (!force && status !== "stopped" && status !== "created") {
    throw new RuntimeError(`cannot delete container ${id} that is not stopped: ${status}`);
  }
  teardown(ctx, record, deadline);
  pausePoint("delete-after-kill");
  ctx.store.remove(id);
  runHooksWarnOnFailure(ctx, record, "poststop", { status: "stopped", deadline });
  ctx.log.info("container deleted", { status });
}
