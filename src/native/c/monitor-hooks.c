/*
 * Two of the runtime's liblxc hooks done in C, without a shell: the hold of
 * a created container (src/runtime/hold.ts) and the device nodes
 * (src/translate/devices.ts). liblxc runs a hook in a child it forks, as
 * execl("/bin/sh", "sh", "-c", "exec <value>", NULL) (lxc.hook.version 1),
 * and monitor-init.c points liblxc's execl here. A command that is one of
 * ours is carried out in that child, which then exits with the hook's
 * status; any other goes to /bin/sh as before. The shell and its mknod,
 * mkdir and chown processes cost ~1 ms each on a quiet machine, far more on
 * a busy one: a privileged pod lists every device of the node.
 *
 * The hooks come from the runtime as one NULL-separated table of records
 * (src/lxc/monitor.ts nativeHookTable), each: kind, command, fields…, NULL;
 * an empty record ends it.
 *   "hold", command, start FIFO, ready FIFO, then per mount operation of
 *     the container (mount-ops.c): "op flags", path
 *   "devices", command, errors file, then per node: path below
 *     $LXC_ROOTFS_MOUNT, "type mode major minor uid gid" (mode in octal), label
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "monitor-init.h"
#include "mount-ops.h"
#include "shared.h"

static char **native_hooks;

void set_native_hooks(char **hooks)
{
	native_hooks = hooks;
}

/* The record whose command is `command`, or NULL. */
static char **find_native_hook(const char *command)
{
	char **rec = native_hooks;
	while (rec && rec[0]) {
		if (rec[1] && strcmp(rec[1], command) == 0)
			return rec;
		while (*rec)
			rec++;
		rec++;
	}
	return NULL;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * What the runtime's helper would do once create has the container
 * (container-mounts.c), done here first: in init's mount namespace (the
 * container has no user namespace of its own: the runtime keeps those), the
 * operations in order. Returns 0, or the stage that failed (shared.h) with errno set.
 */
static int held_mount_operations(char **ops, long init)
{
	/*
	 * By /proc, not a pidfd: LXC_PID is init's pid in the monitor's pid
	 * namespace, and this child is in init's when the monitor joined one (a
	 * pod's); the host's /proc still names it so.
	 */
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/ns/mnt", init);
	int ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0 || setns(ns, CLONE_NEWNS) < 0)
		return MOUNTS_STAGE_SETNS;
	for (int i = 0; ops[2 * i] && ops[2 * i + 1]; i++) {
		int op;
		unsigned long flags;
		if (sscanf(ops[2 * i], "%d %lu", &op, &flags) != 2) {
			errno = EINVAL;
			return MOUNTS_STAGE_OP + i;
		}
		if (apply_mount_op(op, ops[2 * i + 1], flags) < 0)
			return MOUNTS_STAGE_OP + i;
	}
	return 0;
}

/*
 * The shell's `exec 9<>start && echo "$LXC_PID" >ready && read -r cmd <&9 &&
 * [ "$cmd" = start ]`: the start FIFO is opened read-write first (no wait for
 * a writer), so a `start` right after `create` finds it listening. With mount
 * operations, "mounts <stage> <errno>" goes to ready instead when they fail.
 */
static __attribute__((noreturn)) void run_hold(char **rec)
{
	const char *pid = getenv("LXC_PID");
	char line[32];
	size_t len = 0;
	int start = open(rec[2], O_RDWR | O_CLOEXEC);
	if (start < 0 || !pid)
		_exit(1);
	int ready = open(rec[3], O_WRONLY | O_CLOEXEC);
	if (ready < 0)
		_exit(1);
	int stage = rec[4] ? held_mount_operations(rec + 4, strtol(pid, NULL, 10)) : 0;
	if (stage) {
		char report[48];
		int n = snprintf(report, sizeof(report), "mounts %d %d\n", stage, errno);
		(void)write_all(ready, report, (size_t)n);
		_exit(1);
	}
	if (write_all(ready, pid, strlen(pid)) != 0 || write_all(ready, "\n", 1) != 0)
		_exit(1);
	close(ready);
	for (;;) {
		char c;
		ssize_t n = read(start, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(1);
		if (c == '\n')
			break;
		if (len < sizeof(line) - 1)
			line[len++] = c;
	}
	line[len] = 0;
	_exit(strcmp(line, "start") == 0 ? 0 : 1);
}

/* "<label>: <what> <path> failed: <error>" into the errors file the runtime reports from; then the hook fails. */
static __attribute__((noreturn)) void device_failed(const char *errors, const char *label, const char *what, const char *path)
{
	char msg[4200];
	int err = errno;
	int fd = open(errors, O_WRONLY | O_APPEND | O_CLOEXEC);
	int len = snprintf(msg, sizeof(msg), "%s: %s /%s failed: %s\n", label, what, path, strerror(err));
	if (fd >= 0 && len > 0)
		(void)write_all(fd, msg, (size_t)len < sizeof(msg) ? (size_t)len : sizeof(msg) - 1);
	_exit(1);
}

/* mkdir -p of the directories above `full`, whose part from `rel` on is the node's path below the rootfs. */
static int make_parents(char *full, char *rel)
{
	for (char *slash = strchr(rel, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = 0;
		int ret = mkdir(full, 0755);
		*slash = '/';
		if (ret != 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

/* mknod -m MODE for each node (the mode exactly, whatever the umask), its directories first, chown unless root's. */
static __attribute__((noreturn)) void run_devices(char **rec)
{
	const char *root = getenv("LXC_ROOTFS_MOUNT");
	const char *errors = rec[2];
	char full[4096];
	if (!root)
		_exit(1);
	for (char **node = rec + 3; node[0] && node[1] && node[2]; node += 3) {
		char type;
		unsigned int mode, major, minor, uid, gid;
		if (sscanf(node[1], "%c %o %u %u %u %u", &type, &mode, &major, &minor, &uid, &gid) != 6)
			_exit(1);
		int len = snprintf(full, sizeof(full), "%s/%s", root, node[0]);
		if (len < 0 || (size_t)len >= sizeof(full)) {
			errno = ENAMETOOLONG;
			device_failed(errors, node[2], "mknod", node[0]);
		}
		if (make_parents(full, full + strlen(root) + 1) != 0)
			device_failed(errors, node[2], "mkdir -p for", node[0]);
		mode_t kind = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
		if (mknod(full, kind | (mode & 07777), makedev(major, minor)) != 0)
			device_failed(errors, node[2], "mknod", node[0]);
		if (chmod(full, mode & 07777) != 0)
			device_failed(errors, node[2], "chmod", node[0]);
		if ((uid || gid) && lchown(full, uid, gid) != 0)
			device_failed(errors, node[2], "chown", node[0]);
	}
	_exit(0);
}

/* liblxc's execl: a hook of ours is run here; anything else is exec'd as asked. */
int execl_native_hooks(const char *path, const char *arg, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;
	argv[argc++] = (char *)arg;
	va_start(ap, arg);
	while (argv[argc - 1] && argc < 64)
		argv[argc++] = va_arg(ap, char *);
	va_end(ap);
	if (argv[argc - 1]) {
		errno = E2BIG;
		return -1;
	}
	if (argc == 4 && strcmp(path, "/bin/sh") == 0 && strcmp(argv[1], "-c") == 0) {
		char **rec = find_native_hook(argv[2]);
		if (rec && strcmp(rec[0], "hold") == 0)
			run_hold(rec);
		if (rec && strcmp(rec[0], "devices") == 0)
			run_devices(rec);
	}
	return execv(path, argv);
}
