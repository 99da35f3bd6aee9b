// Spawning a program in another process's namespaces, from C: setns() into a
// mount namespace fails in a threaded process, and a fork from JavaScript
// crashes the child. The child joins the namespaces through a pidfd (Linux
// 5.8), puts the given fds on stdin/stdout/stderr, and execs. A new pid
// namespace only applies to children, so with one it forks once more and
// waits, exiting the way the program did; the program dies with it (SIGKILL
// as parent-death signal), so killing the returned pid kills the program.
import { FFIType, ptr } from "bun:ffi";
import { closeSync } from "node:fs";
import { loadUnit, nativeUnit } from "./unit";
import { pipe, readStageFailure } from "./libc";
import type { SysError } from "../sys";

const SPAWN_C = `
typedef void (*sighandler_t)(int);
int fork(void);
void _exit(int status);
int setns(int fd, int nstype);
int dup2(int oldfd, int newfd);
int fcntl(int fd, int cmd, ...);
int execve(const char *path, char *const argv[], char *const envp[]);
long syscall(long number, ...);
int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);
int waitpid(int pid, int *status, int options);
long write(int fd, const void *buf, unsigned long n);
int *__errno_location(void);
sighandler_t signal(int signum, sighandler_t handler);
int sigprocmask(int how, const void *set, void *oldset);
int setgroups(unsigned long size, const unsigned int *list);
int setresgid(unsigned int r, unsigned int e, unsigned int s);
int setresuid(unsigned int r, unsigned int e, unsigned int s);

static void fail(int err_fd, int stage)
{
	int report[2];
	report[0] = stage;
	report[1] = *__errno_location();
	write(err_fd, report, sizeof(report));
	_exit(stage == 4 ? 127 : 126);
}

/* Bun ignores SIGPIPE and SIGXFSZ; ignored dispositions would survive exec. */
static void reset_signals(void)
{
	unsigned long empty_set[16] = {0};
	for (int s = 1; s < 65; s++)
		signal(s, (sighandler_t)0);
	sigprocmask(2 /* SIG_SETMASK */, empty_set, 0);
}

/* Every fd above stderr closes at exec; the error pipe stays usable until then. */
static void cloexec_from_3(void)
{
	if (syscall(436 /* close_range */, 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) == 0)
		return;
	for (int fd = 3; fd < 65536; fd++)
		fcntl(fd, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */);
}

static void exit_like(int pid)
{
	int status = 0;
	while (waitpid(pid, &status, 0) < 0)
		if (*__errno_location() != 4 /* EINTR */)
			_exit(126);
	if ((status & 0x7f) == 0)
		_exit((status >> 8) & 0xff);
	_exit(128 + (status & 0x7f));
}

int getpid(void);
int getppid(void);
int kill(int pid, int sig);

static volatile int program_pid;

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
		kill(program_pid, 9);
}

int crio_lxc_spawn(int pidfd, int nsflags, const char *path, char **argv, char **envp, int in_fd, int out_fd, int err_fd)
{
	int parent = getpid();
	int pid = fork();
	if (pid != 0)
		return pid;
	reset_signals();
	/* A hook dies with the runtime that would have enforced its timeout. */
	prctl(1 /* PR_SET_PDEATHSIG */, 9 /* SIGKILL */, 0, 0, 0);
	if (getppid() != parent)
		_exit(126);
	/* In the container's namespaces it is a copy of the runtime until execve (CVE-2019-5736). */
	prctl(4 /* PR_SET_DUMPABLE */, 0, 0, 0, 0);
	if (nsflags && setns(pidfd, nsflags) < 0)
		fail(err_fd, 1);
	/* In a user namespace, be its root (as the container's processes see root). */
	if (nsflags & 0x10000000 /* CLONE_NEWUSER */) {
		setgroups(0, 0);
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			fail(err_fd, 5);
	}
	if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		fail(err_fd, 2);
	cloexec_from_3();
	if (nsflags & 0x20000000 /* CLONE_NEWPID */) {
		signal(15 /* SIGTERM */, kill_program);
		int child = fork();
		if (child < 0)
			fail(err_fd, 3);
		if (child > 0) {
			program_pid = child;
			exit_like(child);
		}
		signal(15, (sighandler_t)0);
		prctl(1 /* PR_SET_PDEATHSIG */, 9 /* SIGKILL */, 0, 0, 0);
	}
	execve(path, argv, envp);
	fail(err_fd, 4);
	return -1;
}
`;

const CLONE_NEWPID = 0x20000000;
const SIGTERM = 15;
const SIGKILL = 9;

const STAGES: Record<number, string> = { 1: "setns", 2: "dup2", 3: "fork", 4: "execve", 5: "becoming root of the user namespace" };

export const SPAWN_UNIT = nativeUnit({
  name: "spawn",
  source: () => SPAWN_C,
  symbols: {
    crio_lxc_spawn: {
      args: [FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.i32, FFIType.i32, FFIType.i32],
      returns: FFIType.i32,
    },
  },
});

let spawnC: ReturnType<typeof loadUnit<typeof SPAWN_UNIT.symbols>>["crio_lxc_spawn"] | undefined;

/** NULL-terminated char*[]; `keep` holds the strings alive until the fork returns. */
function cStringArray(strings: string[]) {
  const keep = strings.map((s) => Buffer.from(`${s}\0`));
  const table = new BigUint64Array(strings.length + 1);
  keep.forEach((s, i) => { table[i] = BigInt(ptr(s)); });
  return { table, keep };
}

export interface SpawnRequest {
  path: string;
  argv: string[];
  env: string[];
  stdinFd: number;
  /** Receives both stdout and stderr. */
  outputFd: number;
  /** Join these namespaces (CLONE_NEW* flags) of the process behind `pidfd` first. */
  join?: { pidfd: number; flags: number };
}

export interface Spawned {
  pid: number;
  /** What stops it: SIGTERM to a new pid namespace's go-between (which kills and reaps the program), else SIGKILL. */
  stopSignal: number;
  /** Why the child could not exec, once it has exited; undefined if it did exec. */
  failure(): SysError | undefined;
  close(): void;
}

export function spawn(req: SpawnRequest): Spawned {
  spawnC ??= loadUnit(SPAWN_UNIT).crio_lxc_spawn;
  const [errRead, errWrite] = pipe();
  const argv = cStringArray(req.argv);
  const env = cStringArray(req.env);
  const path = Buffer.from(`${req.path}\0`);
  const pid = spawnC(req.join?.pidfd ?? -1, req.join?.flags ?? 0, ptr(path), ptr(argv.table), ptr(env.table), req.stdinFd, req.outputFd, errWrite);
  closeSync(errWrite);
  void [argv.keep, env.keep];
  if (pid < 0) {
    closeSync(errRead);
    throw new Error(`fork for ${req.path} failed`);
  }
  const joinsPidNamespace = ((req.join?.flags ?? 0) & CLONE_NEWPID) !== 0;
  return {
    pid,
    stopSignal: joinsPidNamespace ? SIGTERM : SIGKILL,
    failure: () => readStageFailure(errRead, STAGES),
    close: () => closeSync(errRead),
  };
}
