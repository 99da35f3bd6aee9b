// What the runtime mounts in a container once liblxc has set it up and holds
// its init, done in C by a forked child in the container's mount namespace
// (src/native/c/container-mounts.c says how): an ordered list of operations
// (propagation changes, read-only and masked paths, the /dev/ptmx symlink) as
// runc applies them, and shared bind mounts (Kubernetes' Bidirectional
// propagation), which liblxc can't make.
import { FFIType, ptr } from "bun:ffi";
import { closeSync } from "node:fs";
import { pipe, readStageFailure } from "./libc";
import { CREATE_TARGET, MOUNTS_STAGE } from "./shared";
import { loadUnit, nativeUnit } from "./unit";
import { SysError } from "../sys";

export const CONTAINER_MOUNTS_UNIT = nativeUnit({
  name: "container-mounts",
  sources: ["container-mounts.c", "mount-ops.c", "child.c"],
  symbols: {
    crio_lxc_shared_bind: {
      args: [FFIType.i32, FFIType.ptr, FFIType.ptr, FFIType.i32, FFIType.u64, FFIType.u64, FFIType.i32, FFIType.i32, FFIType.i32, FFIType.i32],
      returns: FFIType.i32,
    },
    crio_lxc_idmap_userns: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
    crio_lxc_mount_operations: {
      args: [FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.i32, FFIType.i32],
      returns: FFIType.i32,
    },
  },
});

const STAGES: Record<number, string> = {
  [MOUNTS_STAGE.OPEN_TREE]: "cloning the source (open_tree)", [MOUNTS_STAGE.MOUNT_SETATTR]: "setting its flags and propagation (mount_setattr)",
  [MOUNTS_STAGE.SETNS]: "joining the container's mount namespace", [MOUNTS_STAGE.OPEN_TARGET]: "opening the destination in the container",
  [MOUNTS_STAGE.MOVE_MOUNT]: "attaching the clone (move_mount)", [MOUNTS_STAGE.BECOME_ROOT]: "becoming root in the container's user namespace",
};

/** mount_setattr(2)'s MOUNT_ATTR_* bits. */
export const MOUNT_ATTR = { ro: 0x1, nosuid: 0x2, nodev: 0x4, noexec: 0x8 } as const;
export const MS_SHARED = 1 << 20;
const PROPAGATION = { shared: MS_SHARED, slave: 1 << 19, private: 1 << 18 } as const;

export interface SharedBindRequest {
  pidfd: number;
  source: string;
  /** Absolute, inside the container. */
  target: string;
  recursive: boolean;
  attrSet: number;
  /** The clone's propagation (MS_SHARED: a peer of the source's mount). */
  propagation: "shared" | "slave" | "private";
  /** Missing in the container: made there first (as the container's root when joinUser). */
  createTarget?: "directory" | "file";
  /** The container has a user namespace of its own. */
  joinUser: boolean;
  /** An idmapped mount through this user namespace (an open fd). */
  usernsFd?: number;
}

export interface MountOperationsRequest {
  pidfd: number;
  /** Enter the process's user namespace too, as its root. */
  joinUser: boolean;
  operations: readonly { op: number; path: string; flags: number; what: string }[];
}

let unit: ReturnType<typeof loadUnit<typeof CONTAINER_MOUNTS_UNIT.symbols>> | undefined;

export interface HelperChild {
  pid: number;
  /** Why it failed, once it has exited (undefined: it reported nothing). */
  failure(): SysError | undefined;
}

/** Runs `fork` with the write end of a report pipe; the child reports {stage, errno} there when it fails. */
function startHelper(what: string, fork: (errWrite: number) => number, stages = STAGES): HelperChild {
  const [errRead, errWrite] = pipe();
  const pid = fork(errWrite);
  closeSync(errWrite);
  if (pid < 0) {
    closeSync(errRead);
    throw new Error(`fork for ${what} failed`);
  }
  return {
    pid,
    failure: () => {
      try { return readStageFailure(errRead, stages); } finally { closeSync(errRead); }
    },
  };
}

/** Starts the child that attaches the bind; returns its pid and how to read why it failed once it has exited. */
export function startSharedBind(req: SharedBindRequest): HelperChild {
  unit ??= loadUnit(CONTAINER_MOUNTS_UNIT);
  const source = Buffer.from(`${req.source}\0`);
  const target = Buffer.from(`${req.target}\0`);
  return startHelper("a shared bind mount", (errWrite) =>
    unit!.crio_lxc_shared_bind(req.pidfd, ptr(source), ptr(target), req.recursive ? 1 : 0, req.attrSet, PROPAGATION[req.propagation], req.usernsFd ?? -1,
      req.createTarget === "file" ? CREATE_TARGET.FILE : req.createTarget === "directory" ? CREATE_TARGET.DIRECTORY : CREATE_TARGET.NONE,
      req.joinUser ? 1 : 0, errWrite));
}

/** A user namespace with these /proc/<pid>/uid_map and gid_map contents, as an fd (close it); throws SysError. */
export function idmapUserNamespace(uidMap: string, gidMap: string): number {
  unit ??= loadUnit(CONTAINER_MOUNTS_UNIT);
  const fd = unit.crio_lxc_idmap_userns(ptr(Buffer.from(`${uidMap}\0`)), ptr(Buffer.from(`${gidMap}\0`)));
  if (fd < 0) throw new SysError("making a user namespace for the idmapped mount", -fd);
  return fd;
}

/** Starts the child that applies the operations in order; a failed one is reported as its `what`. */
export function startMountOperations({ pidfd, joinUser, operations }: MountOperationsRequest): HelperChild {
  unit ??= loadUnit(CONTAINER_MOUNTS_UNIT);
  const paths = operations.map(({ path }) => Buffer.from(`${path}\0`));
  const ops = new Int32Array(operations.map(({ op }) => op));
  const table = new BigUint64Array(paths.map((p) => BigInt(ptr(p))));
  const flags = new BigUint64Array(operations.map(({ flags }) => BigInt(flags)));
  const stages = { ...STAGES, ...Object.fromEntries(operations.map(({ what }, i) => [MOUNTS_STAGE.OP + i, what])) };
  const child = startHelper("the container's mounts", (errWrite) =>
    unit!.crio_lxc_mount_operations(pidfd, joinUser ? 1 : 0, ptr(ops), ptr(table), ptr(flags), operations.length, errWrite), stages);
  void paths; // the strings `table` points into, alive until the child is forked
  return child;
}
