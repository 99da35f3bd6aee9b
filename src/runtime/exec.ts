// exec: run a new process in a created or running container.
//
// liblxc's attach needs the monitor's command socket, which is gone once the
// container started, so the runtime joins the container itself: a C helper
// cloned from here into init's cgroup joins its namespaces (through a pidfd) and
// clones the process with CLONE_PARENT, making it our child (see
// src/native/c/exec-helper.c). In the foreground we wait for it and exit with its
// status; detached, we return once it has exec'd and the caller (conmon, a
// subreaper) inherits it when we exit.
import { closeSync, constants as fsConstants, openSync } from "node:fs";
import { join } from "node:path";
import { cgroupPath } from "../cgroup";
import { lastCapability } from "../exec/capabilities";
import {
  callerNofile, checkPreservedFds, execCgroupDir, homeInContainer, isFrozen, namespacesToJoin, stdioToChown,
} from "../exec/container";
import { hostHasAppArmor } from "../proc";
import { ExecError } from "../exec/errors";
import { type FailureContext, failureError } from "../exec/failure";
import { STAGE } from "../native/shared";
import { cloexecPipe, runHelper } from "../exec/helper";
import { TerminalRelay, connectConsoleSocket, masterSocketPair, receiveMaster } from "../exec/terminal";
import { marshalPlan } from "../exec/marshal";
import type { ExecOptions } from "../exec/options";
import { type ExecPlan, planExec } from "../exec/plan";
import { execProcess } from "../exec/process";
import { containerFilters } from "../exec/seccomp";
import type { Spec } from "../oci/schema";
import { type ContainerRecord, type ProcessRef, isAlive, statusOf, validateId } from "../state";
import { pidfdOpen, pollReadable, waitpid, WNOHANG } from "../sys";
import type { RuntimeContext } from "./context";
import { writePidFile } from "./pid-file";
import { SignalRelay } from "./signal-relay";

/** Returns the exit code for the runtime: the process's status in the foreground, 0 when detached. */
export async function execInContainer(ctx: RuntimeContext, opts: ExecOptions): Promise<number> {
  const id = validateId(opts.id);
  refuseUnsupportedOptions(opts);
  const record = ctx.store.load(id);
  checkStatus(record, opts.ignorePaused);
  const specFile = join(record.bundle, "config.json");
  const spec = containerSpec(ctx, record, specFile);
  const exec = execProcess(opts, spec, specFile);
  const init = record.init!;
  const plan = planExec(exec, {
    spec, specFile,
    features: ctx.settings,
    hostHasAppArmor: hostHasAppArmor(),
    lastCap: lastCapability(),
    homeOf: (uid) => homeInContainer(init.pid, uid),
    callerNofile: callerNofile(),
    note: (message) => ctx.log.info(message),
  });
  const cgroupDir = cgroupPath(execCgroupDir(record.cgroupDir, opts.cgroup));
  checkPreservedFds(opts.preserveFds);

  checkTerminal(opts, plan.terminal);
  const seccompFilters = spec.linux?.seccomp ? containerFilters(init.pid) : [];
  const pty = plan.terminal ? consoleEnds(opts) : undefined;
  const relay = opts.detach ? undefined : new SignalRelay({ ownTerminal: pty?.ours !== undefined });
  let pid: number;
  try {
    pid = startProcess(plan, { cgroupDir, init, preserveFds: opts.preserveFds, consoleFd: pty?.theirs, seccompFilters, file: exec.file });
  } catch (err) {
    relay?.stop();
    if (pty?.ours !== undefined) closeSync(pty.ours);
    throw err;
  } finally {
    if (pty) closeSync(pty.theirs);
  }
  ctx.log.info("process exec'd", { pid, args: plan.args, detach: opts.detach, terminal: plan.terminal });
  let master: number | undefined;
  try {
    if (pty?.ours !== undefined) master = takeMaster(pty.ours);
    if (opts.pidFile) writePidFile(opts.pidFile, pid);
  } catch (err) {
    relay?.stop();
    // As runc: a process whose exec failed half-way is not left running.
    terminate(pid);
    throw err;
  }
  return relay ? await waitForeground(pid, relay, master) : 0;
}

function terminate(pid: number): void {
  process.kill(pid, "SIGKILL");
  waitpid(pid, 0);
}

/** Detached: the caller's console socket gets the master. Foreground: we do, over a socket pair. */
function consoleEnds(opts: ExecOptions): { theirs: number; ours?: number } {
  if (opts.detach) return { theirs: connectConsoleSocket(opts.consoleSocket!) };
  const [ours, theirs] = masterSocketPair();
  return { ours, theirs };
}

function takeMaster(socket: number): number {
  try {
    return receiveMaster(socket);
  } finally {
    closeSync(socket);
  }
}

interface StartInputs {
  cgroupDir: string;
  init: ProcessRef;
  preserveFds: number;
  consoleFd?: number;
  seccompFilters: Buffer[];
  file: string;
}

/** Forks the helper; returns the pid of the process once it has exec'd. */
function startProcess(plan: ExecPlan, inputs: StartInputs): number {
  const initPid = inputs.init.pid;
  const pidfd = openInit(inputs.init);
  const namespaces = namespacesToJoin(initPid);
  const failureContext = { plan, file: inputs.file, cgroupDir: inputs.cgroupDir, initPid, namespaces: namespaces.names };
  let cgroupFd = -1;
  try {
    cgroupFd = openCgroup(inputs.cgroupDir, failureContext);
    const report = cloexecPipe();
    const memory = marshalPlan(plan, {
      reportFd: report[1], pidfd, nsFlags: namespaces.flags, cgroupFd,
      preserveFds: inputs.preserveFds, capLast: lastCapability(), consoleFd: inputs.consoleFd ?? -1, seccompFilters: inputs.seccompFilters,
      // With a terminal, runc chowns the pty it made; else the caller's stdio.
      stdioChown: plan.terminal ? 0b111 : stdioToChown(plan.uid),
    });
    const result = runHelper(memory, report);
    if (result.failure) throw failureError(result.failure, failureContext);
    return result.pid!;
  } finally {
    if (cgroupFd >= 0) closeSync(cgroupFd);
    closeSync(pidfd);
  }
}

function openCgroup(dir: string, context: FailureContext): number {
  try {
    return openSync(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
  } catch (err) {
    throw failureError({ stage: STAGE.CGROUP, errno: -((err as NodeJS.ErrnoException).errno ?? 0), value: 0 }, context);
  }
}

/** A pidfd of init, which pins it: then it must still be the process we recorded. */
function openInit(init: ProcessRef): number {
  let pidfd: number;
  try {
    pidfd = pidfdOpen(init.pid);
  } catch {
    throw new ExecError("cannot exec in a stopped container");
  }
  if (isAlive(init)) return pidfd;
  closeSync(pidfd);
  throw new ExecError("cannot exec in a stopped container");
}

/** runc's checks of --tty, --detach and --console-socket. */
function checkTerminal(opts: ExecOptions, terminal: boolean): void {
  if (opts.detach && terminal && !opts.consoleSocket) {
    throw new ExecError("crio-lxc exec: cannot allocate tty if runc will detach without setting console socket", 1);
  }
  if ((!opts.detach || !terminal) && opts.consoleSocket) {
    throw new ExecError("crio-lxc exec: cannot use console socket if runc will not detach or allocate tty", 1);
  }
}

function refuseUnsupportedOptions(opts: ExecOptions): void {
  if (opts.pidfdSocket) throw new ExecError("crio-lxc exec: --pidfd-socket is not supported yet by crio-lxc", 1);
}

/** runc's rules: created and running containers take an exec; paused ones only with --ignore-paused. */
function checkStatus(record: ContainerRecord, ignorePaused: boolean): void {
  const status = statusOf(record);
  if (status === "stopped") throw new ExecError("cannot exec in a stopped container");
  if (status === "creating") throw new ExecError("cannot exec in a container that is still being created");
  if (!ignorePaused && isFrozen(record.cgroupDir)) {
    throw new ExecError("cannot exec in a paused container (use --ignore-paused to override)");
  }
}

/** create's checked copy of config.json; the bundle's, checked now, for a container made before there were copies. */
function containerSpec(ctx: RuntimeContext, record: ContainerRecord, specFile: string): Spec {
  const copy = ctx.store.loadSpec(record.id);
  if (copy !== undefined) return copy as Spec;
  const { parseSpec, readJsonFile } = require("../oci/schema") as typeof import("../oci/schema");
  return parseSpec(readJsonFile(specFile), specFile);
}

function exitCodeOf(status: number): number {
  const signal = status & 0x7f;
  return signal === 0 ? (status >> 8) & 0xff : 128 + signal;
}

/**
 * Waits for our child `pid`, relaying its terminal and passing it the signals
 * `relay` got (since before the process existed); returns its exit code (128+n for signal n).
 */
export async function waitForeground(pid: number, relay: SignalRelay, master?: number): Promise<number> {
  // Our unreaped child: its pid can't be reused, so the pidfd is for this process.
  const pidfd = pidfdOpen(pid);
  const terminal = master === undefined ? undefined : new TerminalRelay(master);
  relay.target(pidfd);
  try {
    for (;;) {
      const [got, status] = waitpid(pid, WNOHANG);
      if (got === pid) {
        terminal?.drain();
        return exitCodeOf(status);
      }
      const fds = [pidfd, ...(terminal?.pollFds() ?? [])];
      const ready = pollReadable(fds, 100).map((i) => fds[i]!);
      terminal?.pump(ready);
      // Let pending signal handlers run.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    relay.stop();
    terminal?.close();
    closeSync(pidfd);
  }
}
