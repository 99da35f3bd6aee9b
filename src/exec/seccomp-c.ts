// The runtime's side of copying init's seccomp filter (see seccomp.ts).

/** Stops init for a moment (PTRACE_INTERRUPT), dumps one filter, detaches (passing on a signal caught meanwhile). */
export const SECCOMP_COPY_C = String.raw`
long ptrace(int request, ...);
int waitpid(int pid, int *status, int options);
int *__errno_location(void);

int crio_lxc_copy_seccomp_filter(int pid, int index, void *buf, int max_instructions)
{
	int status = 0;
	long count, err = 0;
	if (ptrace(0x4206 /* PTRACE_SEIZE */, pid, 0, 0) < 0)
		return -*__errno_location();
	if (ptrace(0x4207 /* PTRACE_INTERRUPT */, pid, 0, 0) < 0 || waitpid(pid, &status, 0x40000000 /* __WALL */) < 0)
		err = -*__errno_location();
	else if ((status & 0xff) != 0x7f)
		return -3; /* ESRCH: init exited */
	else if ((count = ptrace(0x420c /* PTRACE_SECCOMP_GET_FILTER */, pid, (void *)(long)index, 0)) < 0)
		err = -*__errno_location();
	else if (count > max_instructions)
		err = -7; /* E2BIG */
	else if (ptrace(0x420c, pid, (void *)(long)index, buf) < 0)
		err = -*__errno_location();
	long signal = (status >> 16) == 0 && ((status >> 8) & 0xff) != 5 /* SIGTRAP */ ? (status >> 8) & 0xff : 0;
	ptrace(17 /* PTRACE_DETACH */, pid, 0, (void *)signal);
	return (int)(err ? err : count);
}
`;

