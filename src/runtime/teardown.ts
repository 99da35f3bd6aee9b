// Stopping what a container left: its monitor (while created), every process in
// its cgroup, the orphaned start-host hook, and the cgroups liblxc made.
import { closeSync } from "node:fs";
import { cgroupProcs, killCgroup, removeCgroupAndParents } from "../cgroup";
import { type ContainerRecord, type ProcessRef, isAlive, processRef } from "../state";
import { pidfdOpen, pidfdSendSignal, waitPidfdExit } from "../sys";
import type { RuntimeContext } from "./context";
import { signalHook } from "./hold";

const SIGKILL = 9;

/** Sends a signal through a pidfd; false if the process is already gone. */
export function signalProcess(ref: ProcessRef | undefined, signal: number, waitMs = 0): boolean {
  if (!isAlive(ref)) return false;
  let fd: number;
  try { fd = pidfdOpen(ref!.pid); } catch { return false; }
  try {
    // The pidfd pins the process: re-check it is still the one we recorded.
    if (!isAlive(ref)) return false;
    pidfdSendSignal(fd, signal);
    if (waitMs > 0) waitPidfdExit(fd, waitMs);
    return true;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

function killAll(cgroupDir: string): void {
  if (killCgroup(cgroupDir)) return;
  for (const pid of cgroupProcs(cgroupDir)) signalProcess(processRef(pid), SIGKILL);
}

/** SIGKILLs everything the container has and removes its cgroups. Safe to call in any state, twice. */
export function teardown(ctx: RuntimeContext, record: ContainerRecord, deadline: number): void {
  const left = () => Math.max(1, deadline - Date.now());
  // The monitor first: once it is gone, init is reparented to the caller's
  // subreaper (conmon), which then reaps it and sees it was killed.
  signalProcess(record.monitor, SIGKILL, left());
  signalProcess(record.init, SIGKILL, left());
  // The monitor's cgroup holds what liblxc ran from it: the start-host hold,
  // or a hook that may be blocked for good once the monitor is gone.
  for (const dir of [record.cgroupDir, record.monitorCgroupDir]) killAll(dir);
  // A hold blocked on the start FIFO lets go (where cgroup.kill is missing).
  signalHook(ctx.store.dir(record.id), "abort");
  for (const dir of [record.cgroupDir, record.monitorCgroupDir]) {
    try {
      removeCgroupAndParents(dir, deadline);
    } catch (err) {
      ctx.log.warn((err as Error).message, { cid: record.id });
    }
  }
}
