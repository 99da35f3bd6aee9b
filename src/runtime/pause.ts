// pause / resume: the cgroup v2 freezer (cgroup.freeze) stops and restarts
// every process of the container at once.
import { CgroupError, setFrozen } from "../cgroup";
import { type ContainerRecord, statusOf } from "../state";
import { withContainerLock } from "../container-lock";
import { RuntimeError, type RuntimeContext } from "./context";

/** How long the kernel may take to stop every task (one in an uninterruptible sleep holds it up). */
const FREEZE_TIMEOUT_MS = 10_000;

export function pauseContainer(ctx: RuntimeContext, id: string): void {
  withContainerLock(ctx.store, id, Date.now() + ctx.settings.killTimeout, () => pauseLocked(ctx, ctx.store.load(id)));
}

function pauseLocked(ctx: RuntimeContext, record: ContainerRecord): void {
  const status = statusOf(record);
  if (status !== "running") throw new RuntimeError(`cannot pause a container in the ${status} state`);
  try {
    setFrozen(record.cgroupDir, true, Date.now() + FREEZE_TIMEOUT_MS);
  } catch (err) {
    // Leave it as it was, not half frozen.
    if (err instanceof CgroupError) setFrozen(record.cgroupDir, false, Date.now() + FREEZE_TIMEOUT_MS);
    throw err;
  }
  ctx.log.info("container paused");
}

export function resumeContainer(ctx: RuntimeContext, id: string): void {
  withContainerLock(ctx.store, id, Date.now() + ctx.settings.killTimeout, () => resumeLocked(ctx, ctx.store.load(id)));
}

function resumeLocked(ctx: RuntimeContext, record: ContainerRecord): void {
  const status = statusOf(record);
  if (status !== "paused") throw new RuntimeError(`cannot resume a container in the ${status} state`);
  setFrozen(record.cgroupDir, false, Date.now() + FREEZE_TIMEOUT_MS);
  ctx.log.info("container resumed");
}
