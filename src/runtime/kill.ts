import { cgroupProcs, killCgroup } from "../cgroup";
import { processRef, statusOf } from "../state";
import { RuntimeError, type RuntimeContext } from "./context";
import { signalProcess, teardown } from "./teardown";

const SIGKILL = 9;

/** kill: a signal to init (or with --all to every process of the container); a created container is torn down. */
export function killContainer(ctx: RuntimeContext, id: string, signal: number, all: boolean): void {
  const record = ctx.store.load(id);
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
