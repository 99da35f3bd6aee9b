/*
 * The runtime's side of copying init's seccomp filters for an exec'd process
 * (src/exec/seccomp.ts says why): stops init for a moment (PTRACE_INTERRUPT),
 * dumps its filters and detaches.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <linux/filter.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

/* Init's nfilters filters, oldest first, into buf; counts[i]: instructions of the i-th. */
static long dump_filters(int pid, int nfilters, struct sock_filter *buf, long max_instructions, int *counts)
{
	long total = 0;
	for (int i = 0; i < nfilters; i++) {
		long index = nfilters - 1 - i; /* index 0 is the newest */
		long count = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)index, NULL);
		if (count < 0)
			return -errno;
		if (total + count > max_instructions)
			return -E2BIG;
		if (ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)index, buf + total) < 0)
			return -errno;
		counts[i] = (int)count;
		total += count;
	}
	return total;
}

/*
 * buf holds max_instructions struct sock_filter. Detaches passing on a signal
 * init caught meanwhile. Returns the instructions in all, or -errno.
 */
int crio_lxc_copy_seccomp_filters(int pid, int nfilters, void *buf, int max_instructions, int *counts)
{
	int status = 0;
	long result;
	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) < 0)
		return -errno;
	if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) < 0 || waitpid(pid, &status, __WALL) < 0)
		result = -errno;
	else if (!WIFSTOPPED(status))
		return -ESRCH; /* init exited */
	else
		result = dump_filters(pid, nfilters, buf, max_instructions, counts);
	/* A group stop or a signal-delivery stop (no ptrace event) other than our SIGTRAP holds a signal to pass on. */
	long pass_on = (status >> 16) == 0 && WSTOPSIG(status) != SIGTRAP ? WSTOPSIG(status) : 0;
	ptrace(PTRACE_DETACH, pid, NULL, (void *)pass_on);
	return (int)result;
}
