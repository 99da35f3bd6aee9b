// Shared bind mounts (Kubernetes' Bidirectional propagation): liblxc turns
// every mount of a new container's namespace into a slave of the host's before
// it mounts anything, so a bind it makes can only receive the host's mounts.
// Instead, once liblxc has set the container up, a forked child clones the
// source in the host's mount namespace (open_tree: the clone stays a peer of
// the host's mount), enters the container's mount namespace and attaches the
// clone there (move_mount), so mounts propagate both ways. setns() into a mount
// namespace needs a single-threaded process, hence C.
import { FFIType, ptr } from "bun:ffi";
import { closeSync } from "node:fs";
import { pipe, readStageFailure } from "./libc";
import { loadUnit, nativeUnit } from "./unit";
import type { SysError } from "../sys";
import type { PropagationChange } from "../spec/output";

const SHARED_BIND_C = String.raw`
int fork(void);
void _exit(int status);
int setns(int fd, int nstype);
long syscall(long number, ...);
int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);
int waitpid(int pid, int *status, int options);
long write(int fd, const void *buf, unsigned long n);
int close(int fd);
int *__errno_location(void);
int mount(const char *source, const char *target, const char *type, unsigned long flags, const void *data);

struct open_how_r { unsigned long long flags, mode, resolve; };
struct mount_attr_r { unsigned long long attr_set, attr_clr, propagation, userns_fd; };

static void fail(int err_fd, int stage)
{
	int report[2];
	report[0] = stage;
	report[1] = *__errno_location();
	write(err_fd, report, sizeof(report));
	_exit(1);
}

/*
 * In a child: clone source (recursively if asked), set its mount attributes
 * and propagation, enter the mount namespace of the process behind pidfd
 * and attach the clone on target, resolved beneath that namespace's root
 * without following any symlink. Returns the child's pid (-1: fork failed);
 * a failure is written to err_fd as {stage, errno}.
 */
int crio_lxc_shared_bind(int pidfd, const char *source, const char *target, int recursive,
			 unsigned long long attr_set, unsigned long long propagation, int err_fd)
{
	int pid = fork();
	if (pid != 0)
		return pid;
	prctl(1 /* PR_SET_PDEATHSIG */, 9 /* SIGKILL */, 0, 0, 0);
	/* open_tree: OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC, AT_RECURSIVE */
	int tree = (int)syscall(428, -100 /* AT_FDCWD */, source, 1 | 02000000 | (recursive ? 0x8000 : 0));
	if (tree < 0)
		fail(err_fd, 1);
	struct mount_attr_r attr = { attr_set, 0, propagation, 0 };
	/* mount_setattr(tree, "", AT_EMPTY_PATH [| AT_RECURSIVE]) */
	if (syscall(442, tree, "", 0x1000 | (recursive ? 0x8000 : 0), &attr, sizeof(attr)) < 0)
		fail(err_fd, 2);
	if (setns(pidfd, 0x00020000 /* CLONE_NEWNS */) < 0)
		fail(err_fd, 3);
	/* After setns the root is the namespace's: the container's rootfs. O_PATH | O_CLOEXEC; RESOLVE_IN_ROOT | NO_SYMLINKS | NO_MAGICLINKS */
	struct open_how_r how = { 010000000 | 02000000, 0, 0x10 | 0x04 | 0x02 };
	int at = (int)syscall(437, -100, target, &how, sizeof(how));
	if (at < 0)
		fail(err_fd, 4);
	/* move_mount(tree, "", at, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) */
	if (syscall(429, tree, "", at, "", 0x4 | 0x40) < 0)
		fail(err_fd, 5);
	_exit(0);
	return -1;
}

/*
 * In a child: enter the mount namespace of the process behind pidfd and set
 * the propagation of each of paths[i] (absolute in the container: its root
 * is the namespace's) to flags[i] (MS_*), in order. Same reporting as
 * crio_lxc_shared_bind, with stage 100 + i for paths[i].
 */
int crio_lxc_propagation(int pidfd, const char **paths, const unsigned long *flags, int n, int err_fd)
{
	int pid = fork();
	if (pid != 0)
		return pid;
	prctl(1 /* PR_SET_PDEATHSIG */, 9 /* SIGKILL */, 0, 0, 0);
	if (setns(pidfd, 0x00020000 /* CLONE_NEWNS */) < 0)
		fail(err_fd, 3);
	for (int i = 0; i < n; i++)
		if (mount("", paths[i], 0, flags[i], 0) < 0)
			fail(err_fd, 100 + i);
	_exit(0);
	return -1;
}
`;

export const SHARED_BIND_UNIT = nativeUnit({
  name: "shared-bind",
  source: () => SHARED_BIND_C,
  symbols: {
    crio_lxc_shared_bind: {
      args: [FFIType.i32, FFIType.ptr, FFIType.ptr, FFIType.i32, FFIType.u64, FFIType.u64, FFIType.i32],
      returns: FFIType.i32,
    },
    crio_lxc_propagation: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  },
});

const STAGES: Record<number, string> = {
  1: "cloning the source (open_tree)", 2: "setting its flags and propagation (mount_setattr)",
  3: "joining the container's mount namespace", 4: "opening the destination in the container", 5: "attaching the clone (move_mount)",
};

/** mount_setattr(2)'s MOUNT_ATTR_* bits. */
export const MOUNT_ATTR = { ro: 0x1, nosuid: 0x2, nodev: 0x4, noexec: 0x8 } as const;
export const MS_SHARED = 1 << 20;


export interface SharedBindRequest {
  pidfd: number;
  source: string;
  /** Absolute, inside the container. */
  target: string;
  recursive: boolean;
  attrSet: number;
}

let unit: ReturnType<typeof loadUnit<typeof SHARED_BIND_UNIT.symbols>> | undefined;

interface HelperChild {
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
  unit ??= loadUnit(SHARED_BIND_UNIT);
  const source = Buffer.from(`${req.source}\0`);
  const target = Buffer.from(`${req.target}\0`);
  return startHelper("a shared bind mount", (errWrite) =>
    unit!.crio_lxc_shared_bind(req.pidfd, ptr(source), ptr(target), req.recursive ? 1 : 0, req.attrSet, MS_SHARED, errWrite));
}

/** Starts the child that applies `changes` in order in the mount namespace behind pidfd. */
export function startPropagation(pidfd: number, changes: readonly PropagationChange[]): HelperChild {
  unit ??= loadUnit(SHARED_BIND_UNIT);
  const paths = changes.map(({ path }) => Buffer.from(`${path}\0`));
  const table = new BigUint64Array(paths.map((p) => BigInt(ptr(p))));
  const flags = new BigUint64Array(changes.map(({ flags }) => BigInt(flags)));
  const stages = { ...STAGES, ...Object.fromEntries(changes.map(({ path }, i) => [100 + i, `changing the propagation of ${path}`])) };
  const child = startHelper("a propagation change", (errWrite) => unit!.crio_lxc_propagation(pidfd, ptr(table), ptr(flags), changes.length, errWrite), stages);
  void paths;
  return child;
}
