/*
 * The C half of `exec` (src/exec/helper.ts runs it): forked from the runtime,
 * it joins the container and execs the process. JavaScript must never fork
 * (JavaScriptCore's JIT region is MADV_DONTFORK), and setns() into a mount
 * namespace fails in a threaded process, so this runs as C.
 *
 *   runtime ──clone3(CLONE_INTO_CGROUP)──▶ joiner: in the container's cgroup; joins init's namespaces
 *                      └──clone(CLONE_PARENT)──▶ process: the runtime's child,
 *                           inside the PID namespace; sets ids, caps, limits… execve
 *
 * With a terminal, the process opens a pty in the container's devpts, sends
 * the master over the console socket (as runc) and makes the peer its
 * controlling terminal and stdio (exec-console.c).
 *
 * Both report to the runtime over a CLOEXEC pipe in fixed 16-byte messages
 * (struct msg): the process's pid (from the joiner), or the stage that failed
 * and errno. A clean EOF with a pid and no failure means the process has exec'd.
 *
 * System calls are made raw where glibc's wrapper would do something else:
 * its set*id wrappers broadcast to threads, clone() needs CLONE_PARENT without
 * a stack, glibc 2.36 has no clone3() wrapper, and its getcwd() hides the
 * kernel's "(unreachable)".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <linux/keyctl.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "child.h"
#include "shared.h"
#include "exec-helper.h"

void report(int fd, int kind, int stage, int err, int value)
{
	struct msg m;
	m.kind = kind; m.stage = stage; m.err = err; m.value = value;
	(void)write(fd, &m, sizeof m); /* nothing to do if it fails: the runtime then reads EOF */
}

void fail(uint64_t *plan, int stage, int err, int value, int code)
{
	report((int)plan[SLOT_REPORT_FD], MSG_FAIL, stage, err, value);
	_exit(code);
}

int format_int(char *out, long value)
{
	char digits[24];
	int n = 0, d = 0;
	unsigned long magnitude = value < 0 ? -(unsigned long)value : (unsigned long)value;
	do { digits[d++] = (char)('0' + magnitude % 10); magnitude /= 10; } while (magnitude);
	if (value < 0)
		out[n++] = '-';
	while (d)
		out[n++] = digits[--d];
	out[n] = 0;
	return n;
}

/* plan[SLOT_RLIMITS]: NRLIMITS triples of (resource, soft, hard). */
static void set_rlimits(uint64_t *plan)
{
	uint64_t *limits = (uint64_t *)plan[SLOT_RLIMITS];
	for (uint64_t i = 0; i < plan[SLOT_NRLIMITS]; i++) {
		struct rlimit limit;
		limit.rlim_cur = limits[3 * i + 1];
		limit.rlim_max = limits[3 * i + 2];
		if (prlimit(0, (int)limits[3 * i], &limit, NULL) < 0)
			fail(plan, STAGE_RLIMIT, errno, (int)limits[3 * i], 1);
	}
}

static void set_oom_score_adj(uint64_t *plan)
{
	char text[24];
	int n = format_int(text, (long)plan[SLOT_OOM_SCORE_ADJ]);
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, n) < 0)
		fail(plan, STAGE_OOM_SCORE_ADJ, errno, 0, 1);
	close(fd);
}

/* As runc: the process's user must own its stdio (a tty, a pipe). The runtime picked which fds (never /dev/null). */
static void own_stdio(uint64_t *plan)
{
	for (int fd = 0; fd < 3; fd++)
		if ((plan[SLOT_STDIO_CHOWN] & (1 << fd)) && fchown(fd, (uid_t)plan[SLOT_UID], (gid_t)-1) < 0
		    && errno != EPERM && errno != EROFS && errno != EINVAL)
			fail(plan, STAGE_STDIO, errno, fd, 1);
}

static void set_apparmor(uint64_t *plan)
{
	const char *profile = (const char *)plan[SLOT_APPARMOR];
	char text[PATH_MAX];
	size_t len = strlen(profile);
	if (len + 6 > sizeof text)
		fail(plan, STAGE_APPARMOR, ENAMETOOLONG, 0, 1);
	memcpy(text, "exec ", 5);
	memcpy(text + 5, profile, len);
	int fd = open("/proc/self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fd = open("/proc/self/attr/exec", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, len + 5) < 0)
		fail(plan, STAGE_APPARMOR, errno, 0, 1);
	close(fd);
}

/* fds 3 … 3+N-1 reach the process; every other fd is closed by execve. */
static void pass_fds(uint64_t *plan)
{
	unsigned int first_closed = 3 + (unsigned int)plan[SLOT_PRESERVE_FDS];
	TRY(STAGE_FDS, close_range(first_closed, ~0U, CLOSE_RANGE_CLOEXEC));
	for (unsigned int fd = 3; fd < first_closed; fd++)
		if (fcntl((int)fd, F_SETFD, 0) < 0)
			fail(plan, STAGE_FDS, errno, (int)fd, 1);
}

/* plan[SLOT_SECCOMP]: NULL-terminated struct sock_fprog *[], oldest filter first. */
static void set_seccomp(uint64_t *plan)
{
	uint64_t *filters = (uint64_t *)plan[SLOT_SECCOMP];
	for (int i = 0; filters && filters[i]; i++)
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, filters[i], 0, 0) < 0)
			fail(plan, STAGE_SECCOMP, errno, i, 1);
}

/* execvpe's search, with Go's LookPath outcome (runc's): anything not runnable in $PATH is "not found". */
static __attribute__((noreturn)) void exec_program(uint64_t *plan)
{
	char **argv = (char **)plan[SLOT_ARGV];
	char **envp = (char **)plan[SLOT_ENVP];
	char **dirs = (char **)plan[SLOT_SEARCH_DIRS];
	if (!dirs) {
		execve(argv[0], argv, envp);
		fail(plan, STAGE_EXEC, errno, 0, errno == ENOENT || errno == ENOTDIR ? 127 : 126);
	}
	size_t name_len = strlen(argv[0]);
	for (; *dirs; dirs++) {
		char path[PATH_MAX];
		size_t dir_len = strlen(*dirs);
		if (dir_len + name_len + 2 > sizeof path)
			continue;
		memcpy(path, *dirs, dir_len);
		path[dir_len] = '/';
		memcpy(path + dir_len + 1, argv[0], name_len + 1);
		execve(path, argv, envp);
		int err = errno;
		if (err != ENOENT && err != ENOTDIR && err != EACCES && err != ENAMETOOLONG)
			fail(plan, STAGE_EXEC, err, 0, 126);
	}
	fail(plan, STAGE_EXEC_SEARCH, ENOENT, 0, 127);
}

/*
 * Until execve this process holds the runtime's fds (close-on-exec), so a cwd
 * through /proc/self/fd/N, or another process's fd, could land outside the
 * container (CVE-2024-21626): the kernel's getcwd then starts "(unreachable)".
 */
static void require_cwd_inside(uint64_t *plan)
{
	char path[PATH_MAX];
	if (syscall(SYS_getcwd, path, sizeof path) < 0)
		fail(plan, STAGE_CWD_OUTSIDE, errno, 0, 1);
	if (path[0] != '/')
		fail(plan, STAGE_CWD_OUTSIDE, ENOENT, 0, 1);
}

/* In the container's namespaces and cgroup; the runtime's child. Never returns. */
static __attribute__((noreturn)) void become_process(uint64_t *plan)
{
	int with_caps = plan[SLOT_SET_CAPS] != 0;
	int seccomp_early = !plan[SLOT_NO_NEW_PRIVS];
	/* A fresh session keyring, not the host's; kernels without keyrings are fine. */
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0) < 0 && errno != ENOSYS && errno != EPERM && errno != EACCES)
		fail(plan, STAGE_KEYRING, errno, 0, 1);
	set_rlimits(plan);
	if (plan[SLOT_SET_OOM_SCORE_ADJ])
		set_oom_score_adj(plan);
	if (plan[SLOT_UMASK] != (uint64_t)-1)
		umask((mode_t)plan[SLOT_UMASK]);
	/*
	 * A session (and process group) of its own, as runc gives every process:
	 * conmon's exec timeout kills the process's whole group, which would
	 * otherwise be the runtime's and conmon's own.
	 */
	if ((long)plan[SLOT_CONSOLE_SOCKET] >= 0)
		setup_console(plan);
	else
		TRY(STAGE_SESSION, setsid());
	if ((long)plan[SLOT_PERSONALITY] >= 0)
		TRY(STAGE_PERSONALITY, personality(plan[SLOT_PERSONALITY]));
	/* Only marked close-on-exec: the report pipe works until execve. Before the filter, which may deny it. */
	pass_fds(plan);
	/* Without no_new_privs, installing a filter needs CAP_SYS_ADMIN: do it while we have it. */
	if (seccomp_early)
		set_seccomp(plan);
	/* First as root: the user may not be able to reach cwd that root can (runc does the same). */
	int in_cwd = chdir((const char *)plan[SLOT_CWD]) == 0;
	if (!in_cwd && errno != EACCES && errno != EPERM)
		fail(plan, STAGE_CHDIR, errno, 0, 1);
	if (with_caps) {
		drop_bounding(plan);
		TRY(STAGE_KEEPCAPS, prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
	}
	own_stdio(plan);
	set_user(plan);
	if (!in_cwd)
		TRY(STAGE_CHDIR, chdir((const char *)plan[SLOT_CWD]));
	require_cwd_inside(plan);
	if (with_caps) {
		TRY(STAGE_KEEPCAPS, prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0));
		set_caps(plan);
	}
	if (plan[SLOT_NO_NEW_PRIVS])
		TRY(STAGE_NO_NEW_PRIVS, prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	if (plan[SLOT_APPARMOR])
		set_apparmor(plan);
	if (!seccomp_early)
		set_seccomp(plan);
	exec_program(plan);
}

/* The joiner: single-threaded, so setns() into every namespace works. Never returns. */
static __attribute__((noreturn)) void join_container(uint64_t *plan)
{
	reset_signals();
	/*
	 * Until its execve the process runs the runtime's binary inside the
	 * container: non-dumpable, its /proc/<pid>/exe, fd/, mem and environ are
	 * closed to the container's processes (CVE-2019-5736). execve resets it.
	 */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (plan[SLOT_NS_FLAGS])
		TRY(STAGE_SETNS, setns((int)plan[SLOT_PIDFD], (int)plan[SLOT_NS_FLAGS]));
	/* CLONE_PARENT: the process is the runtime's child, so it can wait for it; namespaces' pid_for_children apply. */
	long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0)
		fail(plan, STAGE_CLONE, errno, 0, 1);
	if (pid == 0)
		become_process(plan);
	report((int)plan[SLOT_REPORT_FD], MSG_PID, 0, 0, (int)pid);
	_exit(0);
}

/*
 * Forks the joiner straight into the container's cgroup: writing a pid to
 * cgroup.procs makes the kernel wait for an RCU grace period (~10 ms), a
 * clone3() with CLONE_INTO_CGROUP does not. Raw, so glibc's fork handlers
 * don't run: the joiner and the process only make system calls.
 * Returns the joiner's pid, or 0 when there is none (the failure is reported).
 */
int crio_lxc_exec(uint64_t *plan)
{
	struct clone_args args = { 0 };
	args.flags = CLONE_INTO_CGROUP;
	args.exit_signal = SIGCHLD;
	args.cgroup = plan[SLOT_CGROUP_FD];
	long pid = syscall(SYS_clone3, &args, sizeof args);
	if (pid < 0) {
		int err = errno;
		report((int)plan[SLOT_REPORT_FD], MSG_FAIL, err == EAGAIN || err == ENOMEM ? STAGE_FORK : STAGE_CGROUP, err, 0);
		return 0;
	}
	if (pid == 0)
		join_container(plan);
	return (int)pid;
}
