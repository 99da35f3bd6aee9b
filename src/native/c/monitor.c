/*
 * Forking the liblxc monitor (src/lxc/monitor.ts calls it).
 *
 * liblxc refuses a foreground start from a threaded process, and fork() from
 * JavaScript crashes the child (JavaScriptCore maps its JIT region, where the
 * FFI trampolines live, MADV_DONTFORK). So this forks; the single-threaded
 * child resets the signal state Bun changed, prepares what liblxc can't
 * (monitor-init.c), calls lxc_container->start() in the foreground and never
 * returns to JavaScript. It becomes the monitor: the parent of init.
 *
 * liblxc's struct lxc_container is not included: the runtime passes the start
 * function and the offset of error_num from its ABI table (src/lxc/liblxc.ts).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>

#include "child.h"
#include "shared.h"
#include "monitor-init.h"

/* lxc_container->start */
typedef bool (*lxc_start_fn)(void *c, int useinit, char *const argv[]);
/* lxc_container->want_close_all_fds and ->want_daemonize */
typedef bool (*lxc_want_fn)(void *c, bool state);

/* The filter killing the syscalls of host ABIs the profile doesn't list (src/translate/seccomp-abi.ts); liblxc's own comes on top. */
static int load_abi_filter(const void *filter, int len)
{
	struct sock_fprog prog = { (unsigned short)len, (struct sock_filter *)filter };
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

/*
 * The caller's fds 3 … 3+count-1 go to the init (create --preserve-fds): Bun
 * marked them close-on-exec, and liblxc closes every fd above LISTEN_FDS
 * (liblxc 5.0 takes the variable as the highest fd to keep, not a count).
 */
static void pass_preserved_fds(int count)
{
	char digits[12];
	int n = 2 + count, i = sizeof(digits) - 1;
	digits[i] = 0;
	do {
		digits[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	for (int fd = 3; fd < 3 + count; fd++)
		fcntl(fd, F_SETFD, 0);
	if (count)
		setenv("LISTEN_FDS", digits + i, 1);
	else
		unsetenv("LISTEN_FDS");
}

/*
 * Returns the monitor's pid to the runtime (-1: fork failed).
 * start, want_close_all_fds and want_daemonize are the container's members
 * (called here, not through bun:ffi, which compiles a trampoline per pointer).
 * The monitor starts liblxc in the foreground and closes every inherited fd.
 * joins holds (fd, CLONE_NEW* type) pairs; labels[i] is written to err_fd when joins[i] fails.
 * caps: the init's capabilities (CAPS_WORD_COUNT words, shared.h) or NULL;
 * groups: the init's supplementary groups in a user namespace ({uid, count, gids…}) or NULL;
 * filter: filter_len struct sock_filter, or none;
 * hooks: the hooks the monitor does without a shell (monitor-hooks.c), or NULL.
 */
int crio_lxc_fork_monitor(void *c, void *start, void *want_close_all_fds, void *want_daemonize, char **argv, int error_num_offset, int unset_path,
			  int *joins, char **labels, int njoins, int err_fd, const unsigned int *caps, int preserve_fds,
			  const void *filter, int filter_len, const unsigned int *groups, char **hooks)
{
	int pid = fork();
	if (pid != 0)
		return pid;
	/* The dispositions and mask survive exec into init. */
	reset_signals();
	/*
	 * The init liblxc clones from here stays a copy of the runtime, with
	 * liblxc's fds (the host's /sys/fs/cgroup among them), until it execs
	 * the container's process. Non-dumpable, its /proc/<pid>/exe, fd/, cwd,
	 * root and environ are closed to processes in the container (CVE-2019-5736,
	 * CVE-2024-21626); the exec resets it.
	 */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* Without a terminal of its own, liblxc can't take the caller's /dev/tty as a console peer. */
	setsid();
	if (unset_path)
		unsetenv("PATH");
	pass_preserved_fds(preserve_fds);
	for (int i = 0; i < njoins; i++) {
		if (setns(joins[2 * i], joins[2 * i + 1]) < 0) {
			(void)write(err_fd, labels[i], strlen(labels[i]));
			_exit(125);
		}
		close(joins[2 * i]);
	}
	if (err_fd >= 0)
		close(err_fd);
	if (set_init_caps(caps) != 0)
		_exit(CAPS_FAILED);
	set_init_groups(groups);
	set_native_hooks(hooks);
	if (filter_len && load_abi_filter(filter, filter_len) != 0)
		_exit(SECCOMP_FAILED);
	patch_liblxc_calls();
	((lxc_want_fn)want_close_all_fds)(c, true);
	((lxc_want_fn)want_daemonize)(c, false);
	bool ok = ((lxc_start_fn)start)(c, 0, argv);
	int err = *(int *)((char *)c + error_num_offset);
	if (!ok)
		_exit(255);
	/* error_num is (code << 8), or (signo << 8) | 0x7f when init was killed: not a wait status. */
	if ((err & 0xff) == 0x7f)
		_exit(128 + ((err >> 8) & 0x7f));
	_exit((err >> 8) & 0xff);
	return -1; /* not reached; TinyCC (a source checkout's compiler) would say it returns no value */
}
