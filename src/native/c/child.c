/*
 * What every forked child of the runtime does first or last, shared by the
 * units that fork (monitor, exec, spawn, container-mounts; child.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "child.h"

/* Bun ignores SIGPIPE and SIGXFSZ and handles others; ignored dispositions and a blocked mask survive execve. */
void reset_signals(void)
{
	sigset_t empty_set;
	sigemptyset(&empty_set);
	for (int s = 1; s < 65; s++)
		signal(s, SIG_DFL);
	sigprocmask(SIG_SETMASK, &empty_set, NULL);
}

/* Writes {stage, errno} to err_fd, where the runtime reads why the child failed (src/native/libc.ts readStageFailure). */
void report_failure(int err_fd, int stage)
{
	int report[2];
	report[0] = stage;
	report[1] = errno;
	(void)write(err_fd, report, sizeof(report));
}
