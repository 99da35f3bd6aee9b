/*
 * Spawning a program in another process's namespaces (src/native/spawn.ts
 * calls it): setns() into a mount namespace fails in a threaded process, and
 * a fork from JavaScript crashes the child. The child joins the namespaces
 * through a pidfd (Linux 5.8), puts the given fds on stdin/stdout/stderr, and
 * execs. A new pid namespace only applies to children, so with one it forks
 * once more and waits, exiting the way the program did; the program dies with
 * it (SIGKILL as parent-death signal), so killing the returned pid kills the
 * program. A failure is written to err_fd as {stage, errno} (shared.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "child.h"
#include "shared.h"

static __attribute__((noreturn)) void fail(int err_fd, int stage)
{
	report_failure(err_fd, stage);
	_exit(stage == SPAWN_STAGE_EXEC ? 127 : 126);
}

/* Every fd above stderr closes at exec; the error pipe stays usable until then. */
static void cloexec_from_3(void)
{
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	for (int fd = 3; fd < 65536; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static __attribute__((noreturn)) void exit_like(pid_t pid)
{
	int status = 0;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			_exit(126);
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	_exit(128 + WTERMSIG(status));
}

static volatile sig_atomic_t program_pid;

/*
 * SIGTERM to the go-between of a new pid namespace kills the program, which
 * it then reaps: killed together, the program would be left a zombie in the
 * container's pid namespace for the runtime's subreaper to reap, and until
 * then the container's init could not finish exiting.
 */
static void kill_program(int sig)
{
	(void)sig;
	if (program_pid > 0)
		kill(program_pid, SIGKILL);
}

/* Returns the child's pid to the runtime (-1: fork failed). */
int crio_lxc_spawn(int pidfd, int nsflags, const char *path, char **argv, char **envp, int in_fd, int out_fd, int err_fd)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	reset_signals();
	/* A hook dies with the runtime that would have enforced its timeout. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != parent)
		_exit(126);
	/* In the container's namespaces it is a copy of the runtime until execve (CVE-2019-5736). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (nsflags && setns(pidfd, nsflags) < 0)
		fail(err_fd, SPAWN_STAGE_SETNS);
	/* In a user namespace, be its root (as the container's processes see root). */
	if (nsflags & CLONE_NEWUSER) {
		setgroups(0, NULL);
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			fail(err_fd, SPAWN_STAGE_BECOME_ROOT);
	}
	if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		fail(err_fd, SPAWN_STAGE_DUP2);
	cloexec_from_3();
	if (nsflags & CLONE_NEWPID) {
		signal(SIGTERM, kill_program);
		pid_t child = fork();
		if (child < 0)
			fail(err_fd, SPAWN_STAGE_FORK);
		if (child > 0) {
			program_pid = child;
			exit_like(child);
		}
		signal(SIGTERM, SIG_DFL);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	}
	execve(path, argv, envp);
	fail(err_fd, SPAWN_STAGE_EXEC);
	return -1; /* not reached; TinyCC (a source checkout's compiler) would say it returns no value */
}
