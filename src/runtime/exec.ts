// exec: run a new process in a created or running container.
//
// liblxc's attach needs the monitor's command socket, which is gone once the
// container started, so the runtime joins the container itself: a C helper
// forked from here joins init's cgroup and namespaces (through a pidfd) and
// clones the process with CLONE_PARENT, making it our child (see
// src/exec/helper-c.ts). In the foreground we wait for it and exit with its
// status; detached, we return once it has exec'd and the caller (conmon, a
// subreaper) inherits it when we exit.
import { closeSync } from "node:fs";
import { join } from "node:path";
import { constants } from "node:os";
import { cgroupPath } from "../cgroup";
import { lastCapability } from "../exec/capabilities";
import {
  callerNofile, checkPreservedFds, execCgroupDir, homeInContainer, hostHasAppArmor, isFrozen, namespacesToJoin, stdioToChown,
} from "../exec/container";
import { ExecError } from "../exec/errors";
import { failureError } from "../exec/failure";
import { cloexecPipe, runHelper } from "../exec/helper";
import { marshalPlan } from "../exec/marshal";
import type { ExecOptions } from "../exec/options";
import { planExec } from "../exec/plan";
import { execProcess } from "../exec/process";
import { parseSpec, readJsonFile } from "../spec/schema";
import { type ContainerRecord, isAlive, statusOf, validateId } from "../state";
import { pidfdOpen, pidfdSendSignal, pollReadable, waitpid, WNOHANG } from "../sys";
import type { RuntimeContext } from "./context";
import { writePidFile } from "./pid-file";

/** Returns the exit code for the runtime: the process's status in the foreground, 0 when detached. */
export async function execInContainer(ctx: RuntimeContext, opts: ExecOptions): Promise<number> {
  const id = validateId(opts.id);
  refuseUnsupportedOptions(opts);
  const record = ctx.store.load(id);
  checkStatus(record, opts.ignorePaused);
  const specFile = join(record.bundle, "config.json");
  const spec = parseSpec(readJsonFile(specFile), specFile);
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
  const cgroupProcs = join(cgroupPath(execCgroupDir(record.cgroupDir, opts.cgroup)), "cgroup.procs");
  checkPreservedFds(opts.preserveFds);

  const pidfd = pidfdOpen(init.pid);
  let pid: number;
  try {
    // The pidfd pins init: make sure it is still the process we recorded.
    if (!isAlive(init)) throw new ExecError("cannot exec in a stopped container");
    const namespaces = namespacesToJoin(init.pid);
    const report = cloexecPipe();
    const memory = marshalPlan(plan, {
      reportFd: report[1], pidfd, nsFlags: namespaces.flags, cgroupProcs,
      preserveFds: opts.preserveFds, stdioChown: stdioToChown(plan.uid), capLast: lastCapability(),
    });
    const result = runHelper(memory, report);
    if (result.failure) {
      throw failureError(result.failure, { plan, file: exec.file, cgroupProcs, initPid: init.pid, namespaces: namespaces.names });
    }
    pid = result.pid!;
  } finally {
    closeSync(pidfd);
  }
  ctx.log.info("process exec'd", { pid, args: plan.args, detach: opts.detach });
  if (opts.pidFile) writePidFile(opts.pidFile, pid);
  return opts.detach ? 0 : await waitForeground(pid);
}

function refuseUnsupportedOptions(opts: ExecOptions): void {
  if (opts.tty) throw new ExecError("crio-lxc exec: --tty: a terminal for exec is not supported yet by crio-lxc", 1);
  if (opts.consoleSocket) throw new ExecError("crio-lxc exec: --console-socket: a terminal for exec is not supported yet by crio-lxc", 1);
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

/** Like runc in the foreground: signals we get go to the process (a terminal's ^C, CRI-O's stop). */
const FORWARDED_SIGNALS = ["SIGHUP", "SIGINT", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGTERM", "SIGWINCH"] as const;

function exitCodeOf(status: number): number {
  const signal = status & 0x7f;
  return signal === 0 ? (status >> 8) & 0xff : 128 + signal;
}

async function waitForeground(pid: number): Promise<number> {
  // Our unreaped child: its pid can't be reused, so the pidfd is for this process.
  const pidfd = pidfdOpen(pid);
  const handlers = FORWARDED_SIGNALS.map((name) => {
    const handler = () => { try { pidfdSendSignal(pidfd, constants.signals[name]); } catch { /* already gone */ } };
    process.on(name, handler);
    return [name, handler] as const;
  });
  try {
    for (;;) {
      const [got, status] = waitpid(pid, WNOHANG);
      if (got === pid) return exitCodeOf(status);
      pollReadable([pidfd], 100);
      // Let pending signal handlers run.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    for (const [name, handler] of handlers) process.off(name, handler);
    closeSync(pidfd);
  }
}
