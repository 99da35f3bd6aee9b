// OCI hooks (config.json `hooks`): each runs with the container's state JSON
// on stdin, its own argv and environment (exactly `env`: an absent `env` is an
// empty environment, as with crun) and its timeout, either in the runtime's
// namespaces or joined to the container init's. Output (stdout and stderr) is
// captured: logged at debug, and quoted in the error when the hook fails.
import { closeSync, readFileSync, readlinkSync, readSync, writeSync } from "node:fs";
import { memfd } from "../native/libc";
import { spawn } from "../native/spawn";
import type { Spec } from "../oci/schema";
import type { ContainerRecord, Status } from "../state";
import { pidfdOpen, pidfdSendSignal, waitPidfdExit, waitpid } from "../sys";
import { RuntimeError, type RuntimeContext } from "./context";

export type OciHooks = NonNullable<Spec["hooks"]>;
export type HookPhase = keyof OciHooks;
type Hook = NonNullable<OciHooks[HookPhase]>[number];

export class HookError extends RuntimeError {}

/** createContainer and startContainer run in the container's namespaces, the others in the runtime's. */
const IN_CONTAINER: ReadonlySet<HookPhase> = new Set(["createContainer", "startContainer"]);

const SIGKILL = 9;
const OUTPUT_LIMIT = 64 * 1024;
const QUOTED_OUTPUT = 1000;

export interface HookRun {
  status: Status;
  /** The container init's pid (host view): the state's pid, and whose namespaces container hooks join. */
  pid?: number;
  /** Deadline of the operation; a hook's own timeout can only shorten it. */
  deadline: number;
}

export function hasHooks(hooks: OciHooks | undefined, ...phases: HookPhase[]): boolean {
  return phases.some((phase) => (hooks?.[phase]?.length ?? 0) > 0);
}

/** Runs the hooks of `phase` in order; throws HookError at the first that fails. */
export function runHooks(ctx: RuntimeContext, record: ContainerRecord, phase: HookPhase, run: HookRun): void {
  (record.hooks?.[phase] ?? []).forEach((hook, i) => runPhaseHook(ctx, record, phase, i, hook, run));
}

/** For poststart and poststop: a failing hook is logged as a warning and the rest still run. */
export function runHooksWarnOnFailure(ctx: RuntimeContext, record: ContainerRecord, phase: HookPhase, run: HookRun): void {
  (record.hooks?.[phase] ?? []).forEach((hook, i) => {
    try {
      runPhaseHook(ctx, record, phase, i, hook, run);
    } catch (err) {
      ctx.log.warn((err as Error).message, { file: hook.path });
    }
  });
}

function runPhaseHook(ctx: RuntimeContext, record: ContainerRecord, phase: HookPhase, index: number, hook: Hook, run: HookRun): void {
  const where = `${phase}[${index}] hook ${hook.path}`;
  const joinPid = IN_CONTAINER.has(phase) ? run.pid : undefined;
  if (IN_CONTAINER.has(phase) && !joinPid) throw new HookError(`${where}: the container has no init process to join`);
  const pid = joinPid ? namespacePid(joinPid, where) : run.pid;
  const started = Date.now();
  const output = runHook(hook, JSON.stringify(hookState(record, run.status, pid)), where, joinPid, run.deadline);
  ctx.log.debug(`${phase} hook done`, { file: hook.path, ms: Date.now() - started, ...(output ? { output } : {}) });
}

/** The OCI state a hook reads on stdin. */
export function hookState(record: ContainerRecord, status: Status, pid: number | undefined) {
  return {
    ociVersion: record.ociVersion,
    id: record.id,
    status,
    ...(pid ? { pid } : {}),
    bundle: record.bundle,
    annotations: record.annotations,
  };
}

/** The pid as the container sees it (the last NSpid), which is what container hooks get. */
function namespacePid(pid: number, where: string): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    throw new HookError(`${where}: the container init ${pid} is gone`);
  }
  const nspids = /^NSpid:\s+(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/);
  return Number(nspids?.at(-1) ?? pid);
}

const NAMESPACE_FLAGS: ReadonlyArray<[string, number]> = [
  ["user", 0x10000000], ["mnt", 0x00020000], ["pid", 0x20000000], ["net", 0x40000000],
  ["ipc", 0x08000000], ["uts", 0x04000000], ["cgroup", 0x02000000], ["time", 0x00000080],
];

/** CLONE_NEW* flags of the namespaces of `pid` that are not ours (setns refuses to re-enter our own user namespace). */
export function namespacesToJoin(pid: number): number {
  let flags = 0;
  for (const [name, flag] of NAMESPACE_FLAGS) {
    let theirs: string;
    try { theirs = readlinkSync(`/proc/${pid}/ns/${name}`); } catch { continue; }
    if (theirs !== readlinkSync(`/proc/self/ns/${name}`)) flags |= flag;
  }
  return flags;
}

/** Runs one hook to completion; returns its output, throws HookError if it fails or times out. */
function runHook(hook: Hook, state: string, where: string, joinPid: number | undefined, deadline: number): string {
  const stdin = memfd("oci-hook-state");
  const output = memfd("oci-hook-output");
  const joinFd = joinPid ? pidfdOpen(joinPid) : undefined;
  try {
    const stateBytes = Buffer.from(state);
    // pwrite: the shared file offset stays at 0 for the hook to read from.
    writeSync(stdin, stateBytes, 0, stateBytes.length, 0);
    const child = spawn({
      path: hook.path,
      argv: hook.args?.length ? hook.args : [hook.path],
      env: hook.env ?? [],
      stdinFd: stdin,
      outputFd: output,
      join: joinFd === undefined ? undefined : { pidfd: joinFd, flags: namespacesToJoin(joinPid!) },
    });
    try {
      const limitMs = Math.max(1, Math.min(hook.timeout ? hook.timeout * 1000 : Infinity, deadline - Date.now()));
      const timedOut = !waitForExit(child.pid, limitMs, child.stopSignal);
      const [, status] = waitpid(child.pid, 0);
      const text = readOutput(output);
      const failure = child.failure();
      if (timedOut) {
        const why = hook.timeout && hook.timeout * 1000 <= limitMs ? `its timeout of ${hook.timeout} s` : "the deadline of the operation";
        throw new HookError(`${where} killed after ${why}${quote(text)}`);
      }
      if (failure) throw new HookError(`${where} could not run: ${failure.message}`);
      if (status !== 0) throw new HookError(`${where} failed: ${describeStatus(status)}${quote(text)}`);
      return text;
    } finally {
      child.close();
    }
  } finally {
    for (const fd of [stdin, output, joinFd]) if (fd !== undefined) closeSync(fd);
  }
}

/** How long a go-between has to kill and reap the program before it is SIGKILLed itself. */
const STOP_GRACE_MS = 1000;

/** Waits for the child to exit; stops it when `limitMs` passes and returns false. */
function waitForExit(pid: number, limitMs: number, stopSignal: number): boolean {
  const fd = pidfdOpen(pid);
  try {
    if (waitPidfdExit(fd, limitMs)) return true;
    pidfdSendSignal(fd, stopSignal);
    if (stopSignal !== SIGKILL && !waitPidfdExit(fd, STOP_GRACE_MS)) pidfdSendSignal(fd, SIGKILL);
    return false;
  } finally {
    closeSync(fd);
  }
}

function describeStatus(status: number): string {
  if ((status & 0x7f) === 0) return `exit status ${(status >> 8) & 0xff}`;
  return `killed by signal ${status & 0x7f}`;
}

function readOutput(fd: number): string {
  const buf = Buffer.alloc(OUTPUT_LIMIT);
  const n = readSync(fd, buf, 0, buf.length, 0);
  return buf.subarray(0, n).toString().trim();
}

function quote(output: string): string {
  if (!output) return "";
  const tail = output.length > QUOTED_OUTPUT ? `…${output.slice(-QUOTED_OUTPUT)}` : output;
  return `: ${JSON.stringify(tail)}`;
}
