// start: release the hold and hand the container's init over to the caller.
//
// The pid-file names init, and clients (conmon) reap it as their child. liblxc's
// monitor is init's parent, so after releasing the hook we kill the monitor and
// init is reparented to the caller's subreaper. To not lose an init that exits
// the instant it starts, we ptrace it first: it stops at its exec, before any
// instruction of the user's program, until the monitor is gone.
import { removeCgroupAndParents } from "../cgroup";
import { initExecFailure, logSize, lxcErrorsSince } from "../lxc/log-errors";
import { type ContainerRecord, statusOf } from "../state";
import * as sys from "../sys";
import { parentPid } from "../proc";
import { RuntimeError, type RuntimeContext } from "./context";
import { makeControllingTerminal, PTRACE_O_TRACESYSGOOD } from "./ctty";
import { signalHook } from "./hold";
import { runHooks, runHooksWarnOnFailure } from "./oci-hooks";
import { signalProcess, teardown } from "./teardown";
import { pausePoint } from "./test-pause";
import { requireCwdInContainer } from "./init-cwd";
import { withContainerLock } from "../container-lock";

const SIGKILL = 9;
const SIGTRAP = 5;

export function startContainer(ctx: RuntimeContext, id: string): void {
  const deadline = Date.now() + ctx.settings.startTimeout;
  withContainerLock(ctx.store, id, deadline, () => startLocked(ctx, ctx.store.load(id), deadline));
}

function startLocked(ctx: RuntimeContext, record: ContainerRecord, deadline: number): void {
  const status = statusOf(record);
  if (status === "stopped") throw new RuntimeError("cannot start a container that has stopped");
  if (status !== "created") throw new RuntimeError(`cannot start a container in the ${status} state`);
  const init = record.init!.pid;
  const id = record.id;

  stopOnFailure(ctx, record, () => runHooks(ctx, record, "startContainer", { status: "created", pid: init, deadline }));
  const logOffset = logSize(ctx.settings.logFile);
  const traced = seize(ctx, init, record.terminal ? PTRACE_O_TRACESYSGOOD : 0);
  if (!traced && record.terminal) throw new RuntimeError("process.terminal: start needs ptrace to make the console the controlling terminal of the container's process");
  if (!signalHook(ctx.store.dir(id), "start")) {
    if (traced) sys.ptrace(sys.PTRACE_DETACH, init, 0, 0);
    throw new RuntimeError("container is not waiting to be started (its start-host hook is gone)");
  }
  if (traced) waitForExec(init, deadline, ctx, logOffset);
  else waitUntilExecuted(init, record, deadline);
  pausePoint("start-init-traced");
  const detach = traced ? () => sys.ptrace(sys.PTRACE_DETACH, init, 0, 0) : undefined;
  stopOnFailure(ctx, record, () => requireCwdInContainer(init), detach);
  if (record.terminal) stopOnFailure(ctx, record, () => makeControllingTerminal(init, deadline), detach);
  handOver(record, deadline);
  pausePoint("start-after-hand-over");
  if (traced) sys.ptrace(sys.PTRACE_DETACH, init, 0, 0);

  record.started = true;
  ctx.store.save(record);
  runHooksWarnOnFailure(ctx, record, "poststart", { status: "running", pid: init, deadline });
  try {
    removeCgroupAndParents(record.monitorCgroupDir, Date.now() + 100);
  } catch {
    // The killed monitor may not be released yet; delete removes it.
  }
  ctx.log.info("container started", { pid: init });
}

/**
 * A start step whose failure stops the container (the spec's lifecycle then
 * goes on to delete). `cleanup` (a ptrace detach) comes after the kill: a
 * detached init would run its program's first instructions meanwhile.
 */
function stopOnFailure(ctx: RuntimeContext, record: ContainerRecord, step: () => void, cleanup?: () => void): void {
  try {
    step();
  } catch (err) {
    teardown(ctx, record, Date.now() + ctx.settings.killTimeout);
    try { cleanup?.(); } catch { /* the process is gone already */ }
    throw err;
  }
}

/** PTRACE_SEIZE with exec events; false where ptrace is forbidden (Yama ptrace_scope=3, seccomp). */
function seize(ctx: RuntimeContext, pid: number, options: number): boolean {
  try {
    sys.ptrace(sys.PTRACE_SEIZE, pid, 0, sys.PTRACE_O_TRACEEXEC | options);
    return true;
  } catch (err) {
    ctx.log.warn(`cannot ptrace the container init (${(err as Error).message}): an init that exits instantly may be reaped by the monitor instead of the caller`, { pid });
    return false;
  }
}

/** Runs the tracee to its exec stop, passing on any signal it receives meanwhile. */
function waitForExec(pid: number, deadline: number, ctx: RuntimeContext, logOffset: number): void {
  for (;;) {
    const [got, status] = sys.waitpid(pid, sys.__WALL | sys.WNOHANG);
    if (got === 0) {
      if (Date.now() > deadline) throw new RuntimeError(`container init did not exec within CRIO_LXC_START_TIMEOUT (${ctx.settings.startTimeout} ms)`);
      Bun.sleepSync(0.2);
      continue;
    }
    if ((status & 0x7f) !== 0x7f) throw initExitedError(status, ctx.settings.logFile, logOffset);
    const signal = (status >> 8) & 0xff;
    const event = status >> 16;
    if (event === sys.PTRACE_EVENT_EXEC) return;
    sys.ptrace(sys.PTRACE_CONT, pid, 0, event === 0 && signal !== SIGTRAP ? signal : 0);
  }
}

/** Why init ended before its exec: liblxc's account in the log (an execve that failed), or its exit status. */
function initExitedError(status: number, logFile: string, logOffset: number): RuntimeError {
  const execFailure = initExecFailure(lxcErrorsSince(logFile, logOffset));
  if (execFailure) return new RuntimeError(`unable to start container process: ${execFailure} (see ${logFile})`);
  const how = (status & 0x7f) === 0 ? `exit status ${(status >> 8) & 0xff}` : `signal ${status & 0x7f}`;
  return new RuntimeError(`container init ended before it could exec the container's process (${how}; see ${logFile})`);
}

/** Without ptrace: wait until init no longer runs liblxc's code (its exe changed). */
function waitUntilExecuted(pid: number, record: ContainerRecord, deadline: number): void {
  const monitorExe = readExe(record.monitor!.pid);
  while (Date.now() < deadline) {
    const exe = readExe(pid);
    if (exe === undefined || exe !== monitorExe) return;
    Bun.sleepSync(1);
  }
}

function readExe(pid: number): string | undefined {
  try { return require("node:fs").readlinkSync(`/proc/${pid}/exe`); } catch { return undefined; }
}

/** Kills the monitor and waits until init has a new parent (the caller's subreaper). */
function handOver(record: ContainerRecord, deadline: number): void {
  const monitor = record.monitor!.pid;
  signalProcess(record.monitor, SIGKILL, Math.max(1, deadline - Date.now()));
  while (parentPid(record.init!.pid) === monitor && Date.now() < deadline) Bun.sleepSync(0.2);
}
