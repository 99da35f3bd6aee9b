import { cgroupProcs, killCgroup } from "../cgroup";
import { type ContainerRecord, processRef, statusOf } from "../state";
import { withContainerLock } from "../container-lock";
import { RuntimeError, type RuntimeContext } from "./context";
import { signalProcess, teardown } from "./teardown";

const SIGKILL = 9;

/** kill: a signal to init (or with --all to every process of the container); a created container is torn down. */
export function killContainer(ctx: RuntimeContext, id: string, signal: number, all: boolean): void {
  withContainerLock(ctx.store, id, Date.now() + ctx.settings.killTimeout, () => killLocked(ctx, ctx.store.load(id), signal, all));
}

function killLocked(ctx: RuntimeContext, record: ContainerRecord, signal: number, all: boolean): void {
  const status = statusOf(record);
  if (status === "stopped") throw new RuntimeError("container not running");
  if (status === "created" || status === "creating") {
    teardown(ctx, record, Date.now() + ctx.settings.killTimeout);
    ctx.log.info("created container torn down by kill", { signal });
    return;
  }
  if (all) {
    if (signal === SIGKILL && killCgroup(record.cgroupDir)) return;
    for (const pid of cgroupProcs(record.cgroupDir)) signalProcess(processRef(pid), signal);
    return;
  }
  if (!signalProcess(record.init, signal)) throw new RuntimeError("container not running");
  ctx.log.debug("signal sent", { pid: record.init!.pid, signal });
}
