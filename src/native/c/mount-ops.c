/*
 * The operations on a created container's mounts, applied as runc applies
 * them after its mounts (propagation, read-only and masked paths, the
 * /dev/ptmx symlink), by a process already in the container's mount
 * namespace, whose root is the container's rootfs: the runtime's helper
 * (container-mounts.c) or the monitor's hold (monitor-hooks.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/statfs.h>

#include "mount-ops.h"
#include "shared.h"

/* Bound onto itself, then read-only, keeping its nosuid, nodev and noexec (a user namespace can't drop them). */
static int make_readonly(const char *path)
{
	struct statfs st;
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return errno == ENOENT ? 0 : -1;
	if (statfs(path, &st) < 0)
		return -1;
	unsigned long kept = (unsigned long)st.f_flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
	return mount(path, path, NULL, kept | MS_BIND | MS_REMOUNT | MS_RDONLY, NULL);
}

/* The container's /dev/null over anything but a directory (binding it on one fails with ENOTDIR), which gets an empty read-only tmpfs. */
static int mask(const char *path)
{
	if (mount("/dev/null", path, NULL, MS_BIND, NULL) == 0 || errno == ENOENT)
		return 0;
	if (errno != ENOTDIR)
		return -1;
	return mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL);
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

int apply_mount_op(int op, const char *path, unsigned long flags)
{
	switch (op) {
	case MOUNT_OP_PROPAGATION: return mount("", path, NULL, flags, NULL);
	case MOUNT_OP_READONLY: return make_readonly(path);
	case MOUNT_OP_MASK: return mask(path);
	case MOUNT_OP_PTMX_SYMLINK: return ptmx_symlink();
	}
	errno = EINVAL;
	return -1;
}

