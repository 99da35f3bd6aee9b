/*
 * What the runtime mounts in a container once liblxc has set it up and holds
 * its init (src/native/container-mounts.ts calls it): a forked child enters
 * the container's mount namespace, where its root is the container's rootfs,
 * so absolute paths resolve as the container will see them. setns() into a
 * mount namespace needs a single-threaded process, hence C.
 *
 * Two helpers. crio_lxc_mount_operations applies an ordered list of
 * operations (propagation changes, read-only and masked paths, the /dev/ptmx
 * symlink) as runc does. crio_lxc_shared_bind attaches a shared bind mount
 * (Kubernetes' Bidirectional propagation): liblxc turns every mount of a new
 * container's namespace into a slave of the host's before it mounts anything,
 * so a bind it makes can only receive the host's mounts. So the child clones
 * the source in the host's mount namespace (open_tree: the clone stays a peer
 * of the host's mount), enters the container's and attaches the clone there
 * (move_mount), so mounts propagate both ways.
 *
 * The same clone-and-attach gives an idmapped bind mount (mount_setattr with
 * MOUNT_ATTR_IDMAP and a user namespace carrying the mount's mappings, which
 * crio_lxc_idmap_userns makes).
 *
 * Both report a failure to err_fd as {stage, errno} (shared.h) and exit 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdio.h>
#include <string.h>

#include "child.h"
#include "mount-ops.h"
#include "shared.h"

static __attribute__((noreturn)) void fail(int err_fd, int stage)
{
	report_failure(err_fd, stage);
	_exit(1);
}

/*
 * In a child: clone source (recursively if asked), set its mount attributes
 * and propagation, enter the mount namespace of the process behind pidfd
 * and attach the clone on target, resolved beneath that namespace's root
 * without following any symlink. Returns the child's pid (-1: fork failed).
 * System calls made raw: glibc 2.36's wrappers are newer than what the
 * shared object may otherwise need.
 */
/*
 * Makes a missing target (absolute, in the container's mount namespace, whose
 * root is the container's rootfs) and its missing parents: directories, and
 * the last one an empty file when create_kind is CREATE_TARGET_FILE.
 */
static int make_target(const char *target, int create_kind)
{
	char path[4096];
	size_t len = strlen(target);
	if (len >= sizeof(path))
		return -1;
	memcpy(path, target, len + 1);
	for (char *slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = 0;
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -1;
		*slash = '/';
	}
	if (create_kind == CREATE_TARGET_DIRECTORY)
		return mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/*
 * make_target in a child that is the container's root in its user namespace
 * when join_user (a filesystem mounted there takes new files only from ids it
 * maps). The caller is already in the container's mount namespace.
 */
static int make_target_as_container_root(int pidfd, int join_user, const char *target, int create_kind)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (join_user && (setns(pidfd, CLONE_NEWUSER) < 0 ||
				  (setresgid(0, 0, 0) < 0 && errno != EINVAL) || (setresuid(0, 0, 0) < 0 && errno != EINVAL)))
			_exit(errno);
		_exit(make_target(target, create_kind) < 0 ? errno : 0);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	errno = WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
	return -1;
}

int crio_lxc_shared_bind(int pidfd, const char *source, const char *target, int recursive,
			 unsigned long long attr_set, unsigned long long propagation, int userns_fd, int create_kind,
			 int join_user, int err_fd)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	int tree = (int)syscall(SYS_open_tree, AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
	if (tree < 0)
		fail(err_fd, MOUNTS_STAGE_OPEN_TREE);
	struct mount_attr attr = { attr_set, 0, propagation, 0 };
	/* An idmapped mount: the source's ids seen through that user namespace's mappings. */
	if (userns_fd >= 0) {
		attr.attr_set |= MOUNT_ATTR_IDMAP;
		attr.userns_fd = (unsigned long long)userns_fd;
	}
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof(attr)) < 0)
		fail(err_fd, MOUNTS_STAGE_MOUNT_SETATTR);
	if (setns(pidfd, CLONE_NEWNS) < 0)
		fail(err_fd, MOUNTS_STAGE_SETNS);
	/* After setns the root is the namespace's: the container's rootfs. */
	if (create_kind && make_target_as_container_root(pidfd, join_user, target, create_kind) < 0)
		fail(err_fd, MOUNTS_STAGE_OPEN_TARGET);
	struct open_how how = { O_PATH | O_CLOEXEC, 0, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	int at = (int)syscall(SYS_openat2, AT_FDCWD, target, &how, sizeof(how));
	if (at < 0)
		fail(err_fd, MOUNTS_STAGE_OPEN_TARGET);
	if (syscall(SYS_move_mount, tree, "", at, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		fail(err_fd, MOUNTS_STAGE_MOVE_MOUNT);
	_exit(0);
	return -1; /* not reached; TinyCC (a source checkout's compiler) would say it returns no value */
}

/*
 * In a child: enter the mount namespace of the process behind pidfd (and its
 * user namespace if join_user, as the namespace's root: what it mounts is
 * then the container's own, as runc's) and apply ops[i] (enum mount_op) with
 * paths[i] and flags[i] (MS_* for a propagation change), in order. Returns
 * the child's pid (-1: fork failed); ops[i] failing is reported as stage
 * MOUNTS_STAGE_OP + i.
 */
int crio_lxc_mount_operations(int pidfd, int join_user, const int *ops, const char **paths, const unsigned long *flags, int n, int err_fd)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (setns(pidfd, CLONE_NEWNS | (join_user ? CLONE_NEWUSER : 0)) < 0)
		fail(err_fd, MOUNTS_STAGE_SETNS);
	/* EINVAL: root is not mapped; the host's root stays, shown as the overflow id. */
	if (join_user && ((setresgid(0, 0, 0) < 0 && errno != EINVAL) || (setresuid(0, 0, 0) < 0 && errno != EINVAL)))
		fail(err_fd, MOUNTS_STAGE_BECOME_ROOT);
	for (int i = 0; i < n; i++)
		if (apply_mount_op(ops[i], paths[i], flags[i]) < 0)
			fail(err_fd, MOUNTS_STAGE_OP + i);
	_exit(0);
	return -1; /* not reached; TinyCC (a source checkout's compiler) would say it returns no value */
}

/*
 * A user namespace with the given uid_map and gid_map contents, as an fd (for
 * MOUNT_ATTR_IDMAP), or -errno. A child unshares it and waits; the maps are
 * written and the namespace opened from here; then the child is let go.
 */
int crio_lxc_idmap_userns(const char *uid_map, const char *gid_map)
{
	int ready[2], release[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(release, O_CLOEXEC) < 0) {
		int err = -errno;
		close(ready[0]);
		close(ready[1]);
		return err;
	}
	pid_t pid = fork();
	if (pid == 0) {
		char byte = 0;
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (unshare(CLONE_NEWUSER) == 0)
			(void)write(ready[1], &byte, 1);
		/* EOF once the runtime has opened the namespace (or gave up). */
		close(release[1]);
		(void)read(release[0], &byte, 1);
		_exit(0);
	}
	close(ready[1]);
	close(release[0]);
	int fd = -ECHILD;
	char byte, path[64];
	if (pid > 0 && read(ready[0], &byte, 1) == 1) {
		const char *maps[2] = { uid_map, gid_map };
		const char *files[2] = { "uid_map", "gid_map" };
		fd = 0;
		for (int i = 0; i < 2 && fd == 0; i++) {
			snprintf(path, sizeof(path), "/proc/%d/%s", pid, files[i]);
			int map = open(path, O_WRONLY | O_CLOEXEC);
			if (map < 0 || write(map, maps[i], strlen(maps[i])) < 0)
				fd = -errno;
			if (map >= 0)
				close(map);
		}
		if (fd == 0) {
			snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				fd = -errno;
		}
	} else if (pid < 0) {
		fd = -errno;
	}
	close(ready[0]);
	close(release[1]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return fd;
}
