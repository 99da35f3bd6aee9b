// create: translate the bundle, fork the liblxc monitor, and return once the
// container is fully set up and held at the start-host hook, with the future
// init's pid in the pid-file.
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { resolveCgroupDir, requireUnifiedHierarchy } from "../cgroup";
import { liblxc } from "../lxc/liblxc";
import { CAPS_FAILED, forkMonitor } from "../lxc/monitor";
import { loadSpec, type Spec } from "../spec/schema";
import { HOOK_ERRORS } from "../spec/output";
import { translate, type ConfigItem, type TranslateResult } from "../spec/translate";
import { type ContainerRecord, processRef, validateId } from "../state";
import { pidfdOpen, waitpid, WNOHANG } from "../sys";
import { RuntimeError, type RuntimeContext } from "./context";
import { runCreateHook } from "./create-hook";
import { makeFifos, openReady, startHostHook, waitReady } from "./hold";
import { checkExecutable, createMountPoints, homeDirectory, resolveContainerPath } from "./rootfs";
import { teardown } from "./teardown";

export interface CreateOptions {
  id: string;
  bundle?: string;
  pidFile?: string;
  consoleSocket?: string;
}

export const LXC_CONFIG_FILE = "lxc.conf";

export async function createContainer(ctx: RuntimeContext, opts: CreateOptions): Promise<void> {
  const id = validateId(opts.id);
  requireUnifiedHierarchy();
  const bundle = resolve(opts.bundle || ".");
  const spec = loadSpec(bundle);
  if (opts.consoleSocket && !spec.process?.terminal) {
    throw new RuntimeError("--console-socket was given but process.terminal is false in config.json");
  }
  const args = spec.process?.args ?? [];
  const rootfs = resolve(bundle, spec.root?.path ?? "rootfs");
  checkExecutable(rootfs, args[0]!, spec.process?.env ?? [], spec.process?.cwd ?? "/");
  const cgroupDir = resolveCgroupDir(spec.linux?.cgroupsPath, id, ctx.systemdCgroup);
  const monitorCgroupDir = `${ctx.settings.monitorCgroup}/${id}`;

  const stateDir = ctx.store.createDir(id);
  const record: ContainerRecord = {
    id, bundle, cgroupDir, monitorCgroupDir, started: false,
    ociVersion: spec.ociVersion,
    annotations: spec.annotations ?? {},
    created: new Date().toISOString(),
  };
  const lxcConfig = join(stateDir, LXC_CONFIG_FILE);
  try {
    makeFifos(stateDir);
    ctx.store.save(record);
    const translation = translate(spec, {
      id, bundle, stateDir,
      startHostHook: startHostHook(stateDir),
      logFile: ctx.settings.logFile,
      containerLogLevel: ctx.settings.containerLogLevel,
      cgroupDir, monitorCgroupDir,
      features: ctx.settings,
      hostHasAppArmor: hostHasAppArmor(),
      resolvePath: (path, mounted) => resolveContainerPath(rootfs, path, mounted),
      homeDirectory: (uid) => homeDirectory(rootfs, uid),
    });
    for (const note of translation.notes) ctx.log.debug(note);
    keepCallerNofile(translation.items);
    createMountPoints(rootfs, translation.mountPoints);
    for (const file of translation.files) writeFileSync(join(stateDir, file.name), file.content, { mode: 0o600 });
    writeFileSync(lxcConfig, translation.items.map(([k, v]) => `${k} = ${v}\n`).join(""), { mode: 0o600 });
    ctx.log.debug("lxc config written", { "lxc.config": lxcConfig });
    await startMonitor(ctx, record, translation, spec);
    ctx.store.save(record);
    if (opts.pidFile) writePidFile(opts.pidFile, record.init!.pid);
    ctx.log.info("container created", { pid: record.init!.pid, monitor: record.monitor?.pid });
  } catch (err) {
    await runCreateHook(ctx, { id, bundle, lxcConfig, error: (err as Error).message });
    teardown(ctx, record, Date.now() + ctx.settings.deleteTimeout);
    ctx.store.remove(id);
    throw err;
  }
  await runCreateHook(ctx, { id, bundle, lxcConfig });
}

/**
 * Bun raises its own soft RLIMIT_NOFILE to the hard limit at startup, and the
 * init would inherit that: without a spec limit it gets the caller's, as with runc.
 */
function keepCallerNofile(items: ConfigItem[]): void {
  if (items.some(([key]) => key === "lxc.prlimit.nofile")) return;
  try {
    const line = readFileSync(`/proc/${process.ppid}/limits`, "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    const [soft, hard] = line!.slice("Max open files".length).trim().split(/\s+/);
    if (soft && hard) items.push(["lxc.prlimit.nofile", `${soft}:${hard}`]);
  } catch {
    // The caller is gone or hidden: keep ours.
  }
}

function hostHasAppArmor(): boolean {
  try {
    return readFileSync("/sys/module/apparmor/parameters/enabled", "utf8").trim() === "Y";
  } catch {
    return false;
  }
}

async function startMonitor(ctx: RuntimeContext, record: ContainerRecord, translation: TranslateResult, spec: Spec) {
  const args = spec.process!.args!;
  const stateDir = ctx.store.dir(record.id);
  // liblxc opens lxc.log.file itself and does not create its directory.
  mkdirSync(dirname(ctx.settings.logFile), { recursive: true, mode: 0o750 });
  const c = liblxc().container(record.id, ctx.store.root);
  for (const [key, value] of translation.items) c.setConfigItem(key, value);
  c.wantCloseAllFds(true);
  c.wantDaemonize(false);
  const deadline = Date.now() + ctx.settings.createTimeout;
  const logOffset = logSize(ctx.settings.logFile);
  const readyFd = openReady(stateDir);
  try {
    const umask = spec.process?.user?.umask ?? DEFAULT_UMASK;
    const monitorPid = forkWithUmask(umask, () => forkMonitor(c, args, translation.initCapabilities));
    record.monitor = processRef(monitorPid);
    ctx.store.save(record);
    const monitorPidfd = pidfdOpen(monitorPid);
    try {
      const result = waitReady(readyFd, monitorPidfd, deadline);
      if ("timedOut" in result) throw new RuntimeError(`container was not set up within CRIO_LXC_CREATE_TIMEOUT (${ctx.settings.createTimeout} ms)`);
      if ("monitorExited" in result) throw monitorFailure(monitorPid, stateDir, ctx.settings.logFile, logOffset);
      record.init = processRef(result.initPid);
      if (!record.init) throw new RuntimeError(`container init ${result.initPid} vanished during create`);
    } finally {
      closeSync(monitorPidfd);
    }
  } finally {
    closeSync(readyFd);
  }
}

/** runc's umask for the container process when the spec has none. */
const DEFAULT_UMASK = 0o022;

/**
 * liblxc has no umask item: the monitor, and so init, inherit ours. Only for
 * the fork: files the runtime writes afterwards (the pid file) keep the caller's.
 */
function forkWithUmask(umask: number, fork: () => number): number {
  const callerUmask = process.umask(umask);
  try {
    return fork();
  } finally {
    process.umask(callerUmask);
  }
}

/** Why the monitor exited before the container was set up. */
function monitorFailure(monitorPid: number, stateDir: string, logFile: string, logOffset: number): RuntimeError {
  const [pid, status] = waitpid(monitorPid, WNOHANG);
  if (pid === monitorPid && (status & 0x7f) === 0 && (status >> 8) === CAPS_FAILED) {
    return new RuntimeError("process.capabilities: could not give the init its inheritable or ambient capabilities: crio-lxc itself lacks one of them");
  }
  return new RuntimeError(`liblxc failed to set up the container${hookErrors(stateDir)}${lxcErrors(logFile, logOffset)}`);
}

/** What our liblxc hooks wrote to stderr before one of them failed. */
function hookErrors(stateDir: string): string {
  try {
    const text = readFileSync(join(stateDir, HOOK_ERRORS), "utf8").trim();
    return text ? `: ${text.split("\n").slice(-3).join("; ")}` : "";
  } catch {
    return "";
  }
}

function logSize(file: string): number {
  try {
    const fd = openSync(file, "r");
    try { return fstatSync(fd).size; } finally { closeSync(fd); }
  } catch {
    return 0;
  }
}

/** liblxc's ERROR lines written since `offset`, to make a failed create say why. */
function lxcErrors(file: string, offset: number): string {
  try {
    const fd = openSync(file, "r");
    const buf = Buffer.alloc(Math.min(64 * 1024, Math.max(0, fstatSync(fd).size - offset)));
    readSync(fd, buf, 0, buf.length, offset);
    closeSync(fd);
    const errors = buf.toString().split("\n").filter((l) => l.startsWith("lxc ") && / (ERROR|CRIT|ALERT|FATAL) /.test(l));
    const messages = errors.map((l) => l.replace(/^.* - [^ ]+:\d+ - /, "")).slice(0, 3);
    return messages.length ? `: ${messages.join("; ")} (see ${file})` : ` (see ${file})`;
  } catch {
    return ` (see ${file})`;
  }
}

/** Like runc: written to a temp file and renamed, so readers never see a partial pid. */
function writePidFile(path: string, pid: number) {
  const file = isAbsolute(path) ? path : resolve(path);
  const tmp = join(dirname(file), `.${process.pid}.pid.tmp`);
  writeFileSync(tmp, String(pid));
  renameSync(tmp, file);
}
