// What the runtime mounts in a container once liblxc has set it up and holds
// its init: a forked child enters the container's mount namespace, where its
// root is the container's rootfs, so absolute paths resolve as the container
// will see them. setns() into a mount namespace needs a single-threaded
// process, hence C.
//
// Two helpers. One applies an ordered list of operations (propagation
// changes, read-only and masked paths, the /dev/ptmx symlink) as runc does.
// The other attaches a shared bind mount (Kubernetes' Bidirectional
// propagation): liblxc turns every mount of a new container's namespace into
// a slave of the host's before it mounts anything, so a bind it makes can
// only receive the host's mounts. So the child clones the source in the
// host's mount namespace (open_tree: the clone stays a peer of the host's
// mount), enters the container's and attaches the clone there (move_mount),
// so mounts propagate both ways.
import { FFIType, ptr } from "bun:ffi";
import { closeSync } from "node:fs";
import { pipe, readStageFailure } from "./libc";
import { loadUnit, nativeUnit } from "./unit";
import type { SysError } from "../sys";

const CONTAINER_MOUNTS_C = String.raw`
int fork(void);
void _exit(int status);
int setns(int fd, int nstype);
int setresuid(unsigned ruid, unsigned euid, unsigned suid);
int setresgid(unsigned rgid, unsigned egid, unsigned sgid);
long syscall(long number, ...);
int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);
long write(int fd, const void *buf, unsigned long n);
int *__errno_location(void);
int mount(const char *source, const char *target, const char *type, unsigned long flags, const void *data);
int umount2(const char *target, int flags);
int unlink(const char *path);
int symlink(const char *target, const char *path);
int statfs(const char *path, void *buf);

#define errno (*__errno_location())
#define ENOENT 2
#define ENOTDIR 20
#define EINVAL 22
#define MS_RDONLY 1
#define MS_NOSUID 2
#define MS_NODEV 4
#define MS_NOEXEC 8
#define MS_REMOUNT 32
#define MS_BIND 4096
#define MS_REC 16384
#define MNT_DETACH 2
#define UMOUNT_NOFOLLOW 8
#define CLONE_NEWNS 0x00020000
#define CLONE_NEWUSER 0x10000000

/* Operations, numbered as src/native/container-mounts.ts numbers them. */
#define OP_PROPAGATION 0
#define OP_READONLY 1
#define OP_MASK 2
#define OP_PTMX_SYMLINK 3

/* struct statfs of 64-bit Linux: f_flags is its 11th word. */
struct statfs_r { long f_type, f_bsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_fsid, f_namelen, f_frsize, f_flags, f_spare[4]; };
struct open_how_r { unsigned long long flags, mode, resolve; };
struct mount_attr_r { unsigned long long attr_set, attr_clr, propagation, userns_fd; };

static void fail(int err_fd, int stage)
{
	int report[2];
	report[0] = stage;
	report[1] = errno;
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
	if (setns(pidfd, CLONE_NEWNS) < 0)
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

/* Bound onto itself, then read-only, keeping its nosuid, nodev and noexec (a user namespace can't drop them). */
static int make_readonly(const char *path)
{
	struct statfs_r st;
	if (mount(path, path, 0, MS_BIND | MS_REC, 0) < 0)
		return errno == ENOENT ? 0 : -1;
	if (statfs(path, &st) < 0)
		return -1;
	unsigned long kept = (unsigned long)st.f_flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
	return mount(path, path, 0, kept | MS_BIND | MS_REMOUNT | MS_RDONLY, 0);
}

/* The container's /dev/null over anything but a directory (binding it on one fails with ENOTDIR), which gets an empty read-only tmpfs. */
static int mask(const char *path)
{
	if (mount("/dev/null", path, 0, MS_BIND, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != ENOTDIR)
		return -1;
	return mount("tmpfs", path, "tmpfs", MS_RDONLY, 0);
}

/* liblxc's /dev/ptmx, a bind mount of its devpts' ptmx on a file, replaced by a symlink. */
static int ptmx_symlink(void)
{
	if (umount2("/dev/ptmx", MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
		return -1;
	if (unlink("/dev/ptmx") < 0 && errno != ENOENT)
		return -1;
	return symlink("pts/ptmx", "/dev/ptmx");
}

static int apply(int op, const char *path, unsigned long flags)
{
	switch (op) {
	case OP_PROPAGATION: return mount("", path, 0, flags, 0);
	case OP_READONLY: return make_readonly(path);
	case OP_MASK: return mask(path);
	case OP_PTMX_SYMLINK: return ptmx_symlink();
	}
	errno = EINVAL;
	return -1;
}

/*
 * In a child: enter the mount namespace of the process behind pidfd (and its
 * user namespace if join_user, as the namespace's root: what it mounts is
 * then the container's own, as runc's) and apply ops[i] with paths[i] and
 * flags[i] (MS_* for a propagation change), in order. Same reporting as
 * crio_lxc_shared_bind, with stage 100 + i for ops[i].
 */
int crio_lxc_mount_operations(int pidfd, int join_user, const int *ops, const char **paths, const unsigned long *flags, int n, int err_fd)
{
	int pid = fork();
	if (pid != 0)
		return pid;
	prctl(1 /* PR_SET_PDEATHSIG */, 9 /* SIGKILL */, 0, 0, 0);
	if (setns(pidfd, CLONE_NEWNS | (join_user ? CLONE_NEWUSER : 0)) < 0)
		fail(err_fd, 3);
	/* EINVAL: root is not mapped; the host's root stays, shown as the overflow id. */
	if (join_user && ((setresgid(0, 0, 0) < 0 && errno != EINVAL) || (setresuid(0, 0, 0) < 0 && errno != EINVAL)))
		fail(err_fd, 6);
	for (int i = 0; i < n; i++)
		if (apply(ops[i], paths[i], flags[i]) < 0)
			fail(err_fd, 100 + i);
	_exit(0);
	return -1;
}
`;

export const CONTAINER_MOUNTS_UNIT = nativeUnit({
  name: "container-mounts",
  source: () => CONTAINER_MOUNTS_C,
  symbols: {
    crio_lxc_shared_bind: {
      args: [FFIType.i32, FFIType.ptr, FFIType.ptr, FFIType.i32, FFIType.u64, FFIType.u64, FFIType.i32],
      returns: FFIType.i32,
    },
    crio_lxc_mount_operations: {
      args: [FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.i32, FFIType.i32],
      returns: FFIType.i32,
    },
  },
});

const STAGES: Record<number, string> = {
  1: "cloning the source (open_tree)", 2: "setting its flags and propagation (mount_setattr)",
  3: "joining the container's mount namespace", 4: "opening the destination in the container", 5: "attaching the clone (move_mount)",
  6: "becoming root in the container's user namespace",
};

/** mount_setattr(2)'s MOUNT_ATTR_* bits. */
export const MOUNT_ATTR = { ro: 0x1, nosuid: 0x2, nodev: 0x4, noexec: 0x8 } as const;
export const MS_SHARED = 1 << 20;

/** The operations of crio_lxc_mount_operations, by the numbers its C gives them. */
export const MOUNT_OP = { propagation: 0, readonly: 1, mask: 2, "ptmx-symlink": 3 } as const;

export interface SharedBindRequest {
  pidfd: number;
  source: string;
  /** Absolute, inside the container. */
  target: string;
  recursive: boolean;
  attrSet: number;
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
    unit!.crio_lxc_shared_bind(req.pidfd, ptr(source), ptr(target), req.recursive ? 1 : 0, req.attrSet, MS_SHARED, errWrite));
}

/** Starts the child that applies the operations in order; a failed one is reported as its `what`. */
export function startMountOperations({ pidfd, joinUser, operations }: MountOperationsRequest): HelperChild {
  unit ??= loadUnit(CONTAINER_MOUNTS_UNIT);
  const paths = operations.map(({ path }) => Buffer.from(`${path}\0`));
  const ops = new Int32Array(operations.map(({ op }) => op));
  const table = new BigUint64Array(paths.map((p) => BigInt(ptr(p))));
  const flags = new BigUint64Array(operations.map(({ flags }) => BigInt(flags)));
  const stages = { ...STAGES, ...Object.fromEntries(operations.map(({ what }, i) => [100 + i, what])) };
  const child = startHelper("the container's mounts", (errWrite) =>
    unit!.crio_lxc_mount_operations(pidfd, joinUser ? 1 : 0, ptr(ops), ptr(table), ptr(flags), operations.length, errWrite), stages);
  void paths; // the strings `table` points into, alive until the child is forked
  return child;
}
