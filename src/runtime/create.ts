// create: translate the bundle, fork the liblxc monitor, and return once the
// container is fully set up and held at the start-host hook, with the future
// init's pid in the pid-file.
import { chmodSync, chownSync, closeSync, fstatSync, mkdirSync, openSync, readFileSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, posix, resolve } from "node:path";
import { requireUnifiedHierarchy } from "../cgroup";
import { liblxc } from "../lxc/liblxc";
import { consoleDeniedSince, failedMount, logSize, lxcErrorsSince } from "../lxc/log-errors";
import { CAPS_FAILED, SECCOMP_FAILED, forkMonitor, type MonitorJoin } from "../lxc/monitor";
import { refuse } from "../oci/errors";
import { loadSpec, type Spec } from "../oci/schema";
import { SETUP_ERRORS_FILE, configFileText, type HeldMountOperation } from "../translate/output";
import { translate, type ConfigItem, type NamespaceJoin, type StateFile, type TranslationResult } from "../translate/translate";
import { type ContainerRecord, processRef, validateId } from "../state";
import { namespaceFileType, pidfdOpen, waitpid, WNOHANG } from "../sys";
import { RuntimeError, type RuntimeContext } from "./context";
import { runCreateHook } from "./create-hook";
import { addDevCore } from "./dev-core";
import { heldMountOperations, heldMountsFailure, setUpContainerMounts } from "./container-mounts";
import { CreatePhase } from "./create-phase";
import { makeFifos, nativeHold, openReady, startHostHook, waitReady, type ReadyResult } from "./hold";
import { runHooksWarnOnFailure } from "./oci-hooks";
import { type Placement, planPlacement, prepareCgroups } from "./placement";
import { pausePoint } from "./test-pause";
import { claimContainer } from "../container-lock";
import { carriedMountFlags } from "./mount-flags";
import { checkExecutable, createMountPoints, homeDirectory, resolveContainerPath } from "./rootfs";
import { writePidFile } from "./pid-file";
import { exeIdentity, hostHasAppArmor } from "../proc";
import { requireSeccompLoaded } from "./seccomp";
import { checkTerminalRequest, sendConsole } from "./terminal";
import { teardown } from "./teardown";

export interface CreateOptions {
  id: string;
  bundle?: string;
  pidFile?: string;
  consoleSocket?: string;
  /** The caller's fds 3 … 3+N-1 the container's process gets (--preserve-fds). */
  preserveFds?: number;
  /** runc's --no-pivot: liblxc always pivots, so it only gets a log note. */
  noPivot?: boolean;
  /** runc's --no-new-keyring: the container keeps the caller's session keyring. */
  noNewKeyring?: boolean;
}

/** --preserve-fds as a count. */
export function preservedFdCount(text: string | undefined): number {
  if (text === undefined || text === "") return 0;
  if (!/^\d+$/.test(text)) throw new RuntimeError(`--preserve-fds: expected a number of fds, got ${JSON.stringify(text)}`);
  return Number(text);
}

/** As runc: every fd 3 … 3+N-1 must be open (Bun's own fds above them can't be told apart). */
function checkPreservedFds(count: number): void {
  for (let fd = 3; fd < 3 + count; fd++) {
    try {
      fstatSync(fd);
    } catch (err) {
      throw new RuntimeError(`--preserve-fds ${count}: fd ${fd} is not open (${(err as NodeJS.ErrnoException).code})`);
    }
  }
}

/** The loaded liblxc for the create line of the log: "5.0.2 embedded: …". */
function liblxcDescription(ctx: RuntimeContext): string {
  const lxc = liblxc(ctx.settings.liblxc);
  return `${lxc.version} ${lxc.file.source}: ${lxc.file.origin}`;
}

export const LXC_CONFIG_FILE = "lxc.conf";

export async function createContainer(ctx: RuntimeContext, opts: CreateOptions): Promise<void> {
  const id = validateId(opts.id);
  requireUnifiedHierarchy();
  const bundle = resolve(opts.bundle || ".");
  const spec = loadSpec(bundle);
  if (!spec.process) refuse(["process"], "required to create a container");
  if (opts.consoleSocket && !spec.process?.terminal) {
    throw new RuntimeError("--console-socket was given but process.terminal is false in config.json");
  }
  checkTerminalRequest(spec.process?.terminal, opts.consoleSocket, spec.process?.consoleSize);
  checkPreservedFds(opts.preserveFds ?? 0);
  const given = resolve(bundle, spec.root?.path ?? "rootfs");
  if (!isDirectory(given)) refuse(["root", "path"], `${given} is not a directory`);
  // Through its symlinks, as runc does: liblxc mounts the rootfs on root.path itself for create-phase hooks.
  const rootfs = realpathSync(given);
  if (spec.root) spec.root.path = rootfs;
  const placement = planPlacement(ctx, spec, id);
  const lock = claimContainer(ctx.store, id, Date.now() + ctx.settings.createTimeout);
  try {
    await createClaimed(ctx, { opts, bundle, spec, rootfs, placement });
  } finally {
    lock.release();
  }
}

interface ClaimedCreate {
  opts: CreateOptions;
  bundle: string;
  spec: Spec;
  rootfs: string;
  placement: Placement;
}

/** The rest of create, with the id's state directory made and locked. */
async function createClaimed(ctx: RuntimeContext, { opts, bundle, spec, rootfs, placement }: ClaimedCreate): Promise<void> {
  const id = opts.id;
  const { cgroupDir, monitorCgroupDir } = placement;
  const stateDir = ctx.store.dir(id);
  const record: ContainerRecord = {
    id, bundle, cgroupDir, monitorCgroupDir, started: false,
    ociVersion: spec.ociVersion,
    annotations: spec.annotations ?? {},
    created: new Date().toISOString(),
    ...(spec.hooks ? { hooks: spec.hooks } : {}),
    ...(spec.process?.terminal ? { terminal: true } : {}),
  };
  const lxcConfig = join(stateDir, LXC_CONFIG_FILE);
  let createPhase: CreatePhase | undefined;
  try {
    ctx.store.saveSpec(id, spec);
    makeFifos(stateDir);
    createPhase = CreatePhase.prepare(record, stateDir);
    ctx.store.save(record);
    prepareCgroups(ctx, id, placement, spec);
    const translation = translate(spec, {
      id, bundle, stateDir,
      startHostHook: startHostHook(stateDir),
      logFile: ctx.settings.logFile,
      containerLogLevel: ctx.settings.containerLogLevel,
      cgroupDir: placement.lxcCgroupDir, monitorCgroupDir: placement.lxcMonitorCgroupDir, bfq: placement.bfq,
      features: ctx.settings,
      hostHasAppArmor: hostHasAppArmor(),
      resolvePath: (path, mounted) => resolveContainerPath(rootfs, path, mounted),
      homeDirectory: (uid) => homeDirectory(rootfs, uid),
      bindSourceFlags: carriedMountFlags,
      namespaceFileType,
    });
    const { items, files, notes, warnings, joins, hookOwner } = translation;
    checkExecutable(rootfs, spec.process!.args![0]!, spec.process?.env ?? [], spec.process?.cwd ?? "/", translation.mounted);
    if (createPhase) items.push(...createPhase.configItems(rootfs, hookOwner, translation.autodev));
    for (const note of notes) ctx.log.info(note);
    for (const warning of warnings) ctx.log.warn(warning);
    if (opts.noPivot) ctx.log.info("--no-pivot: liblxc always moves the container into its rootfs with pivot_root");
    if (opts.noNewKeyring) items.push(["lxc.keyring.session", "1"]); // liblxc's name: 1 disables the new session keyring
    keepCallerNofile(items);
    createMountPoints(rootfs, translation.mountPoints);
    if (hasUserNamespace(items)) letContainerRootReach(ctx.store.root, stateDir);
    writeStateFiles(stateDir, files);
    const joinNotes = joins.map((j) => `the monitor joins the ${j.type} namespace ${j.path} before liblxc starts`);
    writeFileSync(lxcConfig, configFileText(items, joinNotes), { mode: 0o600 });
    ctx.log.debug("lxc config written", { "lxc.config": lxcConfig });
    pausePoint("create-before-fork");
    // The mount operations the monitor's hold applies, where it can; else the runtime's helper does after ready.
    const held = heldMountOperations(translation.mountOperations, translation.sharedBinds, hasUserNamespace(items));
    await startMonitor(ctx, record, translation, spec, { createPhase, preserveFds: opts.preserveFds ?? 0, heldMounts: held });
    ctx.store.save(record);
    if (!held) setUpContainerMounts(record.init!.pid, translation.mountOperations, translation.sharedBinds);
    addDevCore(record.init!.pid, hookOwner, ctx.log);
    if (spec.linux?.seccomp && ctx.settings.seccomp) requireSeccompLoaded(record.init!.pid, translation.abiFilter ? 1 : 0);
    if (spec.process?.terminal) sendConsole(record.init!.pid, opts.consoleSocket!, spec.process.consoleSize);
    pausePoint("create-before-pid-file");
    if (opts.pidFile) writePidFile(opts.pidFile, record.init!.pid);
    ctx.log.info("container created", { pid: record.init!.pid, monitor: record.monitor?.pid, liblxc: liblxcDescription(ctx) });
  } catch (err) {
    await runCreateHook(ctx, { id, bundle, lxcConfig, error: (err as Error).message });
    teardown(ctx, record, Date.now() + ctx.settings.deleteTimeout);
    // The spec's lifecycle goes on to delete once a create-phase hook ran: poststop may undo what it did.
    if (createPhase?.hooksStarted) runHooksWarnOnFailure(ctx, record, "poststop", { status: "stopped", deadline: Date.now() + ctx.settings.deleteTimeout });
    ctx.store.remove(id);
    throw err;
  } finally {
    createPhase?.close();
  }
  await runCreateHook(ctx, { id, bundle, lxcConfig });
}

function isDirectory(path: string): boolean {
  try { return statSync(path).isDirectory(); } catch { return false; }
}

const hasUserNamespace = (items: ConfigItem[]) => items.some(([key]) => key === "lxc.idmap");


/**
 * liblxc sets a container with a user namespace up as the container's root,
 * which must be able to reach --root (liblxc checks) and the hook scripts in
 * the state directory. Only search permission is added, as runc gives its
 * container directories; other files in them stay 0600.
 */
function letContainerRootReach(...dirs: string[]): void {
  for (const dir of dirs) chmodSync(dir, statSync(dir).mode & 0o7777 | 0o011);
}

function writeStateFiles(stateDir: string, files: StateFile[]): void {
  for (const file of files) {
    const path = join(stateDir, file.name);
    if (file.directory) mkdirSync(path, { mode: 0o700 });
    else writeFileSync(path, file.content, { mode: 0o600 });
    if (file.mode !== undefined) chmodSync(path, file.mode); // not narrowed by our umask
    if (file.owner) chownSync(path, file.owner.uid, file.owner.gid);
  }
}

/** The last lines the hooks or the monitor wrote about why setup failed. */
function setupErrors(stateDir: string): string {
  try {
    const text = readFileSync(join(stateDir, SETUP_ERRORS_FILE), "utf8").trim();
    return text.split("\n").slice(-3).join("; ");
  } catch {
    return "";
  }
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

/** Opens the namespaces the monitor joins; the caller closes the fds once the monitor is forked. */
function openJoins(joins: NamespaceJoin[]): MonitorJoin[] {
  const opened: MonitorJoin[] = [];
  try {
    for (const j of joins) {
      opened.push({ fd: openSync(j.path, "r"), type: j.flag, label: `${j.jsonPath}: could not join the ${j.type} namespace ${j.path}\n` });
    }
    return opened;
  } catch (err) {
    for (const { fd } of opened) closeSync(fd);
    throw err;
  }
}

interface MonitorStart {
  createPhase: CreatePhase | undefined;
  preserveFds: number;
  /** Mount operations for the hold to apply before it reports ready (undefined: the runtime applies them). */
  heldMounts: HeldMountOperation[] | undefined;
}

async function startMonitor(ctx: RuntimeContext, record: ContainerRecord, translation: TranslationResult, spec: Spec, { createPhase, preserveFds, heldMounts }: MonitorStart) {
  const { items, joins } = translation;
  const args = spec.process!.args!;
  const stateDir = ctx.store.dir(record.id);
  // liblxc opens lxc.log.file itself and does not create its directory.
  mkdirSync(dirname(ctx.settings.logFile), { recursive: true, mode: 0o750 });
  const c = liblxc(ctx.settings.liblxc).container(record.id, ctx.store.root);
  for (const [key, value] of items) c.setConfigItem(key, value);
  const deadline = Date.now() + ctx.settings.createTimeout;
  const logOffset = logSize(ctx.settings.logFile);
  const readyFd = openReady(stateDir);
  const fds = { errors: -1, joins: [] as MonitorJoin[] };
  try {
    fds.joins = openJoins(joins);
    fds.errors = openSync(join(stateDir, SETUP_ERRORS_FILE), "a", 0o600);
    const monitorPid = forkWithUmask(spec.process?.user?.umask ?? DEFAULT_UMASK, () => forkMonitor(c, args, {
      hideIdmapHelpers: hasUserNamespace(items) && process.geteuid?.() === 0,
      joins: fds.joins,
      errorFd: fds.errors,
      capabilities: translation.initCapabilities,
      seccompFilter: translation.abiFilter,
      initGroups: translation.initGroups,
      nativeHooks: [...translation.nativeHooks, nativeHold(stateDir, heldMounts)],
      preserveFds,
    }));
    record.monitor = processRef(monitorPid);
    ctx.store.save(record);
    pausePoint("create-after-fork");
    const monitorPidfd = pidfdOpen(monitorPid);
    try {
      let result: ReadyResult = waitReady(readyFd, monitorPidfd, deadline);
      if ("createPhasePid" in result && createPhase) {
        createPhase.run(ctx, record, result.createPhasePid, deadline);
        result = waitReady(readyFd, monitorPidfd, deadline);
      }
      if ("mountsFailed" in result) throw heldMountsFailure(translation.mountOperations, result.mountsFailed.stage, result.mountsFailed.errno);
      if ("timedOut" in result) throw new RuntimeError(`container was not set up within CRIO_LXC_CREATE_TIMEOUT (${ctx.settings.createTimeout} ms)`);
      if ("monitorExited" in result) throw monitorFailure(monitorPid, stateDir, ctx.settings.logFile, logOffset, spec);
      if (!("initPid" in result)) throw new RuntimeError("unexpected report from the container's create-phase hold");
      record.init = processRef(result.initPid);
      if (!record.init) throw new RuntimeError(`container init ${result.initPid} vanished during create`);
      record.heldExe = exeIdentity(result.initPid);
    } finally {
      closeSync(monitorPidfd);
    }
  } finally {
    closeSync(readyFd);
    if (fds.errors >= 0) closeSync(fds.errors);
    for (const { fd } of fds.joins) closeSync(fd);
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
function monitorFailure(monitorPid: number, stateDir: string, logFile: string, logOffset: number, spec: Spec): RuntimeError {
  const [pid, status] = waitpid(monitorPid, WNOHANG);
  if (pid === monitorPid && (status & 0x7f) === 0 && (status >> 8) === CAPS_FAILED) {
    return new RuntimeError("process.capabilities: could not give the init its inheritable or ambient capabilities: crio-lxc itself lacks one of them");
  }
  if (pid === monitorPid && (status & 0x7f) === 0 && (status >> 8) === SECCOMP_FAILED) {
    return new RuntimeError("linux.seccomp.architectures: could not load the filter for the host's unlisted ABIs (is crio-lxc itself confined by seccomp?)");
  }
  const setupError = setupErrors(stateDir);
  const lxcErrors = lxcErrorsSince(logFile, logOffset).slice(0, 3);
  const mount = failedMount(lxcErrors);
  const i = mount ? (spec.mounts ?? []).findIndex((m) => posix.normalize(`/${m.destination}`) === mount.target) : -1;
  if (mount && i >= 0) {
    const { type, source } = spec.mounts![i]!;
    return new RuntimeError(`mounts[${i}]: mounting ${JSON.stringify(source ?? type)} (type ${JSON.stringify(type ?? "bind")}) on ${mount.target} failed: ${mount.why} (see ${logFile})`);
  }
  if (consoleDeniedSince(logFile, logOffset)) {
    return new RuntimeError(`process.terminal: the container may not open /dev/ptmx for its console: a device rule of its cgroup or a parent's denies it (podman 4.3 denies every device in a pod's cgroup unless the pod is created with --share-parent=false) (see ${logFile})`);
  }
  const why = setupError ? `: ${setupError}` : lxcErrors.length ? `: ${lxcErrors.join("; ")}` : "";
  return new RuntimeError(`liblxc failed to set up the container${why} (see ${logFile})`);
}
