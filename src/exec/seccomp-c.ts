// The runtime's side of copying init's seccomp filters (see seccomp.ts).

/**
 * Stops init for a moment (PTRACE_INTERRUPT), dumps its filters oldest first
 * into buf (counts[i]: instructions of the i-th), detaches, passing on a
 * signal caught meanwhile. Returns the instructions in all, or -errno.
 */
export const SECCOMP_COPY_C = String.raw`
long ptrace(int request, ...);
int waitpid(int pid, int *status, int options);
int *__errno_location(void);

static long dump_filters(int pid, int nfilters, char *buf, long max_instructions, int *counts)
{
	long total = 0;
	for (int i = 0; i < nfilters; i++) {
		long index = nfilters - 1 - i; /* index 0 is the newest */
		long count = ptrace(0x420c /* PTRACE_SECCOMP_GET_FILTER */, pid, (void *)index, 0);
		if (count < 0)
			return -*__errno_location();
		if (total + count > max_instructions)
			return -7; /* E2BIG */
		if (ptrace(0x420c, pid, (void *)index, buf + 8 * total) < 0)
			return -*__errno_location();
		counts[i] = (int)count;
		total += count;
	}
	return total;
}

int crio_lxc_copy_seccomp_filters(int pid, int nfilters, void *buf, int max_instructions, int *counts)
{
	int status = 0;
	long result;
	if (ptrace(0x4206 /* PTRACE_SEIZE */, pid, 0, 0) < 0)
		return -*__errno_location();
	if (ptrace(0x4207 /* PTRACE_INTERRUPT */, pid, 0, 0) < 0 || waitpid(pid, &status, 0x40000000 /* __WALL */) < 0)
		result = -*__errno_location();
	else if ((status & 0xff) != 0x7f)
		return -3; /* ESRCH: init exited */
	else
		result = dump_filters(pid, nfilters, buf, max_instructions, counts);
	long signal = (status >> 16) == 0 && ((status >> 8) & 0xff) != 5 /* SIGTRAP */ ? (status >> 8) & 0xff : 0;
	ptrace(17 /* PTRACE_DETACH */, pid, 0, (void *)signal);
	return (int)result;
}
`;
