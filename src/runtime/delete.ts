import { statusOf } from "../state";
import { RuntimeError, type RuntimeContext } from "./context";
import { runHooksWarnOnFailure } from "./oci-hooks";
import { teardown } from "./teardown";

/** delete: removes every trace of a container; a running one only with --force. */
export function deleteContainer(ctx: RuntimeContext, id: string, force: boolean): void {
  if (!ctx.store.exists(id)) {
    if (force) return;
    throw new RuntimeError(`container ${id} does not exist`);
  }
  let record;
  try {
    record = ctx.store.load(id);
  } catch (err) {
    // A half-written state dir (create killed early): nothing to stop, just remove it.
    if (!force) throw err;
    ctx.store.remove(id);
    return;
  }
  const status = statusOf(record);
  if (!force && status !== "stopped" && status !== "created") {
    throw new RuntimeError(`cannot delete container ${id} that is not stopped: ${status}`);
  }
  const deadline = Date.now() + ctx.settings.deleteTimeout;
  teardown(ctx, record, deadline);
  ctx.store.remove(id);
  runHooksWarnOnFailure(ctx, record, "poststop", { status: "stopped", deadline });
  ctx.log.info("container deleted", { status });
}
