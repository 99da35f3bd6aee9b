// create: translate the bundle, fork the liblxc monitor, and return once the
// container is fully set up and held at the start-host hook, with the future
// init's pid in the pid-file.
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { requireUnifiedHierarchy } from "../cgroup";
import { liblxc } from "../lxc/liblxc";
import { forkMonitor } from "../lxc/monitor";
import { loadSpec, type Spec } from "../spec/schema";
import { statBindSource, translate, type ConfigItem } from "../spec/translate";
import { type ContainerRecord, processRef, validateId } from "../state";
import { pidfdOpen } from "../sys";
import { RuntimeError, type RuntimeContext } from "./context";
import { runCreateHook } from "./create-hook";
import { makeFifos, openReady, startHostHook, waitReady } from "./hold";
import { planPlacement, prepareCgroups } from "./placement";
import { checkExecutable, resolveInRoot } from "./rootfs";
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
  const placement = planPlacement(ctx, spec, id);
  const { cgroupDir, monitorCgroupDir } = placement;

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
    prepareCgroups(ctx, id, placement, spec);
    const { items, files, notes } = translate(spec, {
      id, bundle, stateDir,
      startHostHook: startHostHook(stateDir),
      logFile: ctx.settings.logFile,
      containerLogLevel: ctx.settings.containerLogLevel,
      cgroupDir: placement.lxcCgroupDir, monitorCgroupDir: placement.lxcMonitorCgroupDir, bfq: placement.bfq,
      features: ctx.settings,
      hostHasAppArmor: hostHasAppArmor(),
      maskedPathKind: (path) => statBindSource(kernelPath(path) ? path : resolveInRoot(rootfs, path)),
    });
    for (const note of notes) ctx.log.debug(note);
    for (const file of files) writeFileSync(join(stateDir, file.name), file.content, { mode: 0o600 });
    writeFileSync(lxcConfig, items.map(([k, v]) => `${k} = ${v}\n`).join(""), { mode: 0o600 });
    ctx.log.debug("lxc config written", { "lxc.config": lxcConfig });
    await startMonitor(ctx, record, items, spec);
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

/** /proc and /sys show the same kernel inside the container as on the host. */
const kernelPath = (path: string) => /^\/(proc|sys)\//.test(path);

function hostHasAppArmor(): boolean {
  try {
    return readFileSync("/sys/module/apparmor/parameters/enabled", "utf8").trim() === "Y";
  } catch {
    return false;
  }
}

async function startMonitor(ctx: RuntimeContext, record: ContainerRecord, items: ConfigItem[], spec: Spec) {
  const args = spec.process!.args!;
  const stateDir = ctx.store.dir(record.id);
  // liblxc opens lxc.log.file itself and does not create its directory.
  mkdirSync(dirname(ctx.settings.logFile), { recursive: true, mode: 0o750 });
  const c = liblxc().container(record.id, ctx.store.root);
  for (const [key, value] of items) c.setConfigItem(key, value);
  c.wantCloseAllFds(true);
  c.wantDaemonize(false);
  const deadline = Date.now() + ctx.settings.createTimeout;
  const logOffset = logSize(ctx.settings.logFile);
  const readyFd = openReady(stateDir);
  // liblxc has no umask item: the monitor, and so init, inherit ours.
  const umask = spec.process?.user?.umask;
  if (umask !== undefined) process.umask(umask);
  try {
    const monitorPid = forkMonitor(c, args);
    record.monitor = processRef(monitorPid);
    ctx.store.save(record);
    const monitorPidfd = pidfdOpen(monitorPid);
    try {
      const result = waitReady(readyFd, monitorPidfd, deadline);
      if ("timedOut" in result) throw new RuntimeError(`container was not set up within CRIO_LXC_CREATE_TIMEOUT (${ctx.settings.createTimeout} ms)`);
      if ("monitorExited" in result) throw new RuntimeError(`liblxc failed to set up the container${lxcErrors(ctx.settings.logFile, logOffset)}`);
      record.init = processRef(result.initPid);
      if (!record.init) throw new RuntimeError(`container init ${result.initPid} vanished during create`);
    } finally {
      closeSync(monitorPidfd);
    }
  } finally {
    closeSync(readyFd);
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
