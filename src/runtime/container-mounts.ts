// What the runtime does to a created container's mounts once liblxc has set
// it up and holds it (src/native/container-mounts.ts does the mounting): the
// propagation runc gives (src/translate/propagation.ts says why), the shared
// (Bidirectional) bind mounts, then what runc does after its mounts: the
// read-only and masked paths, and for a terminal the /dev/ptmx symlink.
import { closeSync, openSync, statSync } from "node:fs";
import { formatJsonPath, type JsonPathSegment } from "../oci/errors";
import type { IdMapping, SharedBind } from "../translate/paths";
import { MOUNT_ATTR, idmapUserNamespace, startMountOperations, startSharedBind, type HelperChild } from "../native/container-mounts";
import { MOUNTS_STAGE, MOUNT_OP } from "../native/shared";
import type { HeldMountOperation, MountOperation } from "../translate/output";
import { SysError, pidfdOpen, waitpid } from "../sys";
import { RuntimeError } from "./context";

/**
 * The operations for the monitor's hold to apply before it reports the
 * container ready (src/native/c/monitor-hooks.c), which saves create a helper
 * process; undefined where the runtime applies them itself: shared binds go
 * between them, and in a user namespace the helper acts as the container's root.
 */
export function heldMountOperations(operations: readonly MountOperation[], sharedBinds: readonly SharedBind[], userNamespace: boolean): HeldMountOperation[] | undefined {
  if (sharedBinds.length || userNamespace) return undefined;
  return operations.map((op) => ({ op: MOUNT_OP[op.kind], flags: op.kind === "propagation" ? op.flags : 0, path: "path" in op ? op.path : "" }));
}

/** The hold's report of a failed stage (MOUNTS_STAGE), worded as the helper's failures are. */
export function heldMountsFailure(operations: readonly MountOperation[], stage: number, errno: number): RuntimeError {
  const op = operations[stage - MOUNTS_STAGE.OP];
  const what = op ? describe(op) : stage === MOUNTS_STAGE.SETNS ? "joining the container's mount namespace" : `stage ${stage}`;
  return new RuntimeError(new SysError(what, errno).message);
}

export function setUpContainerMounts(initPid: number, operations: readonly MountOperation[], sharedBinds: readonly SharedBind[]): void {
  if (!sharedBinds.length) return applyMountOperations(initPid, operations);
  // A shared bind set to slave with the rest would no longer send mounts back to the host.
  const afterPropagation = operations.findIndex((op) => op.kind !== "propagation");
  const split = afterPropagation < 0 ? operations.length : afterPropagation;
  applyMountOperations(initPid, operations.slice(0, split));
  attachSharedBinds(initPid, sharedBinds);
  applyMountOperations(initPid, operations.slice(split));
}

/** Waits for a helper; throws with the failed stage (or exit status) in `context` if it failed. */
function awaitHelper(child: HelperChild, context: (why: string) => string): void {
  const [, status] = waitpid(child.pid, 0);
  const failure = child.failure();
  if (failure || status !== 0) throw new RuntimeError(context(failure?.message ?? `the container's mount helper exited with status ${status}`));
}

/** How a failed operation is named, standing alone: the spec field first, where there is one. */
function describe(op: MountOperation): string {
  switch (op.kind) {
    case "propagation": return `changing the propagation of ${op.path} in the container`;
    case "readonly": return `${formatJsonPath(op.at)}: making ${op.path} read-only in the container`;
    case "mask": return `${formatJsonPath(op.at)}: masking ${op.path} in the container`;
    case "ptmx-symlink": return "making the container's /dev/ptmx a symlink to pts/ptmx";
  }
}

/** The init has a user namespace other than ours: the helper then acts as its root, as runc's init would. */
function ownUserNamespace(initPid: number): boolean {
  return statSync(`/proc/${initPid}/ns/user`).ino !== statSync("/proc/self/ns/user").ino;
}

function applyMountOperations(initPid: number, operations: readonly MountOperation[]): void {
  if (!operations.length) return;
  const pidfd = pidfdOpen(initPid);
  try {
    const child = startMountOperations({
      pidfd,
      joinUser: ownUserNamespace(initPid),
      operations: operations.map((op) => ({
        op: MOUNT_OP[op.kind], path: "path" in op ? op.path : "", flags: op.kind === "propagation" ? op.flags : 0, what: describe(op),
      })),
    });
    awaitHelper(child, (why) => why);
  } finally {
    closeSync(pidfd);
  }
}

function attachSharedBinds(initPid: number, binds: readonly SharedBind[]): void {
  const pidfd = pidfdOpen(initPid);
  const joinUser = binds.some((b) => b.createTarget) && ownUserNamespace(initPid);
  try {
    for (const bind of binds) {
      const attrSet = bind.flags.reduce((bits, flag) => bits | MOUNT_ATTR[flag as keyof typeof MOUNT_ATTR], 0);
      const what = bind.idmap ? "idmapped" : bind.propagation === "shared" ? "shared" : "attached";
      const usernsFd = bind.idmap ? idmapUserns(initPid, bind.idmap, bind.at) : undefined;
      try {
        const child = startSharedBind({ pidfd, source: bind.source, target: `/${bind.target}`, recursive: bind.recursive, attrSet, propagation: bind.propagation, createTarget: bind.createTarget, joinUser, usernsFd });
        awaitHelper(child, (why) => `${formatJsonPath(bind.at)}: the ${what} bind mount of ${bind.source} on /${bind.target} failed: ${why}`);
      } finally {
        if (usernsFd !== undefined) closeSync(usernsFd);
      }
    }
  } finally {
    closeSync(pidfd);
  }
}

/** The user namespace an idmapped bind maps through: the container's, or one made with the mount's mappings. */
function idmapUserns(initPid: number, idmap: NonNullable<SharedBind["idmap"]>, at: JsonPathSegment[]): number {
  if (idmap === "container") return openSync(`/proc/${initPid}/ns/user`, "r");
  const map = (mappings: readonly IdMapping[]) => mappings.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join("");
  try {
    return idmapUserNamespace(map(idmap.uidMappings), map(idmap.gidMappings));
  } catch (err) {
    throw new RuntimeError(`${formatJsonPath(at)}: ${(err as Error).message}`);
  }
}
