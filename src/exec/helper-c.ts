// The C half of `exec`: forked from the runtime, it joins the container and
// execs the process. JavaScript must never fork (JavaScriptCore's JIT region
// is MADV_DONTFORK), and setns() into a mount namespace fails in a threaded
// process, so this runs as C (a native unit, see src/native/unit.ts).
//
//   runtime ──clone3(CLONE_INTO_CGROUP)──▶ joiner: in the container's cgroup; joins init's namespaces
//                      └──clone(CLONE_PARENT)──▶ process: the runtime's child,
//                           inside the PID namespace; sets ids, caps, limits… execve
//
// With a terminal, the process opens a pty in the container's devpts, sends
// the master over the console socket (as runc) and makes the peer its
// controlling terminal and stdio.
//
// Both report to the runtime over a CLOEXEC pipe in fixed 16-byte messages:
// the process's pid (from the joiner), or the stage that failed and errno.
// A clean EOF with a pid and no failure means the process has exec'd.
import { CONSOLE_C } from "./console-c";
import { CREDENTIALS_C } from "./credentials-c";

/** Slots of the plan: an array of 64-bit words the runtime fills (numbers, masks, pointers). */
export const SLOT = {
  REPORT_FD: 0, PIDFD: 1, NS_FLAGS: 2, CGROUP_FD: 3, ARGV: 4, ENVP: 5, SEARCH_DIRS: 6, CWD: 7,
  UID: 8, GID: 9, NGROUPS: 10, GROUPS: 11, SET_CAPS: 12, CAP_BOUNDING: 13, CAP_EFFECTIVE: 14,
  CAP_PERMITTED: 15, CAP_INHERITABLE: 16, CAP_AMBIENT: 17, CAP_LAST: 18, NO_NEW_PRIVS: 19,
  NRLIMITS: 20, RLIMITS: 21, UMASK: 22, PRESERVE_FDS: 23, APPARMOR: 24, SECCOMP: 25,
  OOM_SCORE_ADJ: 26, SET_OOM_SCORE_ADJ: 27, STDIO_CHOWN: 28, CONSOLE_SOCKET: 29, CONSOLE_ROWS: 30, CONSOLE_COLS: 31,
  PERSONALITY: 32,
} as const;
export const SLOT_COUNT = 33;

/** Where the set-up failed; the runtime turns these into messages. */
export const STAGE = {
  FORK: 1, CGROUP: 2, SETNS: 3, CLONE: 4, RLIMIT: 5, OOM_SCORE_ADJ: 6, BOUNDING: 7, KEEPCAPS: 8,
  GROUPS: 9, SETGID: 10, SETUID: 11, CHDIR: 12, CAPSET: 13, AMBIENT: 14, NO_NEW_PRIVS: 15,
  APPARMOR: 16, FDS: 17, SECCOMP: 18, EXEC: 19, EXEC_SEARCH: 20, STDIO: 21, KEYRING: 22, CONSOLE: 23, PERSONALITY: 24,
  CWD_OUTSIDE: 25, SESSION: 26,
} as const;

export const MSG_PID = 1;
export const MSG_FAIL = 2;
export const MSG_SIZE = 16;

/**
 * Syscalls called raw: glibc's set*id wrappers broadcast to threads, clone() needs CLONE_PARENT
 * without a stack, and glibc 2.36 has no clone3() wrapper.
 */
const SYSCALLS: Record<string, Record<string, number>> = {
  x64: { SYS_clone: 56, SYS_clone3: 435, SYS_getcwd: 79, SYS_setgroups: 116, SYS_setresuid: 117, SYS_setresgid: 119, SYS_capget: 125, SYS_capset: 126, SYS_keyctl: 250 },
  arm64: { SYS_clone: 220, SYS_clone3: 435, SYS_getcwd: 17, SYS_setgroups: 159, SYS_setresuid: 147, SYS_setresgid: 149, SYS_capget: 90, SYS_capset: 91, SYS_keyctl: 219 },
};

function defines(): string {
  const syscalls = SYSCALLS[process.arch];
  if (!syscalls) throw new Error(`exec is not supported on ${process.arch} (syscall numbers known for x64 and arm64)`);
  const all = { ...syscalls, ...prefixed("S_", SLOT), ...prefixed("ST_", STAGE), MSG_PID, MSG_FAIL };
  return Object.entries(all).map(([name, value]) => `#define ${name} ${value}`).join("\n");
}

function prefixed(prefix: string, table: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(table).map(([k, v]) => [prefix + k, v]));
}

const PRELUDE = String.raw`
typedef unsigned long u64;
typedef unsigned int u32;
typedef void (*sighandler_t)(int);
struct msg { int kind, stage, err, value; };
struct rlimit64 { u64 cur, max; };
struct cap_header { u32 version; int pid; };
struct cap_data { u32 effective, permitted, inheritable; };

int fork(void);
long syscall(long number, ...);
void _exit(int status);
int *__errno_location(void);
sighandler_t signal(int signum, sighandler_t handler);
int sigprocmask(int how, const void *set, void *oldset);
int setns(int fd, int nstype);
int prctl(int option, ...);
int prlimit(int pid, int resource, const struct rlimit64 *new_limit, struct rlimit64 *old_limit);
int open(const char *path, int flags, ...);
long write(int fd, const void *buf, u64 count);
int close(int fd);
int chdir(const char *path);
u32 umask(u32 mask);
int fcntl(int fd, int cmd, ...);
int fchown(int fd, u32 owner, u32 group);
int close_range(u32 first, u32 last, int flags);
int personality(unsigned long persona);
int execve(const char *path, char *const argv[], char *const envp[]);
u64 strlen(const char *s);
void *memcpy(void *dst, const void *src, u64 n);

#define errno (*__errno_location())
#define O_WRONLY 01
#define O_CLOEXEC 02000000
#define ENOENT 2
#define EACCES 13
#define EPERM 1
#define ENOTDIR 20
#define ENAMETOOLONG 36
#define EROFS 30
#define EINVAL 22
#define ENOSYS 38
#define EAGAIN 11
#define ENOMEM 12
#define CLONE_PARENT 0x00008000
#define SIGCHLD 17
#define F_SETFD 2
#define CLOSE_RANGE_CLOEXEC 4
#define PR_SET_DUMPABLE 4
#define PR_SET_KEEPCAPS 8
#define PR_CAPBSET_DROP 24
#define PR_SET_NO_NEW_PRIVS 38
#define PR_SET_SECCOMP 22
#define SECCOMP_MODE_FILTER 2
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#define CAP_VERSION_3 0x20080522
#define KEYCTL_JOIN_SESSION_KEYRING 1
#define PATH_MAX 4096

static void report(int fd, int kind, int stage, int err, int value)
{
	struct msg m;
	m.kind = kind; m.stage = stage; m.err = err; m.value = value;
	write(fd, &m, sizeof m);
}

static void fail(u64 *plan, int stage, int err, int value, int code)
{
	report((int)plan[S_REPORT_FD], MSG_FAIL, stage, err, value);
	_exit(code);
}

#define TRY(stage, call) do { if ((long)(call) < 0) fail(plan, stage, errno, 0, 1); } while (0)

/* Decimal text of value at out; returns its length. */
static int format_int(char *out, long value)
{
	char digits[24];
	int n = 0, d = 0;
	unsigned long magnitude = value < 0 ? -value : value;
	do { digits[d++] = '0' + magnitude % 10; magnitude /= 10; } while (magnitude);
	if (value < 0)
		out[n++] = '-';
	while (d)
		out[n++] = digits[--d];
	out[n] = 0;
	return n;
}

`;

const BODY = String.raw`
static void reset_signals(void)
{
	u64 empty_set[16] = {0};
	/* Bun ignores SIGPIPE and SIGXFSZ and handles others; ignored dispositions survive execve. */
	for (int s = 1; s < 65; s++)
		signal(s, (sighandler_t)0);
	sigprocmask(2 /* SIG_SETMASK */, empty_set, 0);
}

static void set_rlimits(u64 *plan)
{
	u64 *limits = (u64 *)plan[S_RLIMITS];
	for (u64 i = 0; i < plan[S_NRLIMITS]; i++) {
		struct rlimit64 limit;
		limit.cur = limits[3 * i + 1];
		limit.max = limits[3 * i + 2];
		if (prlimit(0, (int)limits[3 * i], &limit, 0) < 0)
			fail(plan, ST_RLIMIT, errno, (int)limits[3 * i], 1);
	}
}

static void set_oom_score_adj(u64 *plan)
{
	char text[24];
	int n = format_int(text, (long)plan[S_OOM_SCORE_ADJ]);
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, n) < 0)
		fail(plan, ST_OOM_SCORE_ADJ, errno, 0, 1);
	close(fd);
}

/* As runc: the process's user must own its stdio (a tty, a pipe). The runtime picked which fds (never /dev/null). */
static void own_stdio(u64 *plan)
{
	for (int fd = 0; fd < 3; fd++)
		if ((plan[S_STDIO_CHOWN] & (1 << fd)) && fchown(fd, (u32)plan[S_UID], (u32)-1) < 0
		    && errno != EPERM && errno != EROFS && errno != EINVAL)
			fail(plan, ST_STDIO, errno, fd, 1);
}

static void set_apparmor(u64 *plan)
{
	const char *profile = (const char *)plan[S_APPARMOR];
	char text[PATH_MAX];
	u64 len = strlen(profile);
	if (len + 6 > sizeof text)
		fail(plan, ST_APPARMOR, ENAMETOOLONG, 0, 1);
	memcpy(text, "exec ", 5);
	memcpy(text + 5, profile, len);
	int fd = open("/proc/self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fd = open("/proc/self/attr/exec", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, len + 5) < 0)
		fail(plan, ST_APPARMOR, errno, 0, 1);
	close(fd);
}

/* fds 3 … 3+N-1 reach the process; every other fd is closed by execve. */
static void pass_fds(u64 *plan)
{
	u32 first_closed = 3 + (u32)plan[S_PRESERVE_FDS];
	TRY(ST_FDS, close_range(first_closed, ~0U, CLOSE_RANGE_CLOEXEC));
	for (u32 fd = 3; fd < first_closed; fd++)
		if (fcntl(fd, F_SETFD, 0) < 0)
			fail(plan, ST_FDS, errno, (int)fd, 1);
}

/* plan[S_SECCOMP]: NULL-terminated struct sock_fprog *[], oldest filter first. */
static void set_seccomp(u64 *plan)
{
	u64 *filters = (u64 *)plan[S_SECCOMP];
	for (int i = 0; filters && filters[i]; i++)
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, filters[i], 0, 0) < 0)
			fail(plan, ST_SECCOMP, errno, i, 1);
}

/* execvpe's search, with Go's LookPath outcome (runc's): anything not runnable in $PATH is "not found". */
static void exec_program(u64 *plan)
{
	char **argv = (char **)plan[S_ARGV];
	char **envp = (char **)plan[S_ENVP];
	char **dirs = (char **)plan[S_SEARCH_DIRS];
	if (!dirs) {
		execve(argv[0], argv, envp);
		fail(plan, ST_EXEC, errno, 0, errno == ENOENT || errno == ENOTDIR ? 127 : 126);
	}
	u64 name_len = strlen(argv[0]);
	for (; *dirs; dirs++) {
		char path[PATH_MAX];
		u64 dir_len = strlen(*dirs);
		if (dir_len + name_len + 2 > sizeof path)
			continue;
		memcpy(path, *dirs, dir_len);
		path[dir_len] = '/';
		memcpy(path + dir_len + 1, argv[0], name_len + 1);
		execve(path, argv, envp);
		int err = errno;
		if (err != ENOENT && err != ENOTDIR && err != EACCES && err != ENAMETOOLONG)
			fail(plan, ST_EXEC, err, 0, 126);
	}
	fail(plan, ST_EXEC_SEARCH, ENOENT, 0, 127);
}

/*
 * Until execve this process holds the runtime's fds (close-on-exec), so a cwd
 * through /proc/self/fd/N, or another process's fd, could land outside the
 * container (CVE-2024-21626): the kernel's getcwd then starts "(unreachable)".
 */
static void require_cwd_inside(u64 *plan)
{
	char path[4096];
	if (syscall(SYS_getcwd, path, sizeof path) < 0)
		fail(plan, ST_CWD_OUTSIDE, errno, 0, 1);
	if (path[0] != '/')
		fail(plan, ST_CWD_OUTSIDE, ENOENT, 0, 1);
}

/* In the container's namespaces and cgroup; the runtime's child. Never returns. */
static void become_process(u64 *plan)
{
	int with_caps = plan[S_SET_CAPS] != 0;
	int seccomp_early = !plan[S_NO_NEW_PRIVS];
	/* A fresh session keyring, not the host's; kernels without keyrings are fine. */
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0) < 0 && errno != ENOSYS && errno != EPERM && errno != EACCES)
		fail(plan, ST_KEYRING, errno, 0, 1);
	set_rlimits(plan);
	if (plan[S_SET_OOM_SCORE_ADJ])
		set_oom_score_adj(plan);
	if (plan[S_UMASK] != (u64)-1)
		umask((u32)plan[S_UMASK]);
	/*
	 * A session (and process group) of its own, as runc gives every process:
	 * conmon's exec timeout kills the process's whole group, which would
	 * otherwise be the runtime's and conmon's own.
	 */
	if ((long)plan[S_CONSOLE_SOCKET] >= 0)
		setup_console(plan);
	else
		TRY(ST_SESSION, setsid());
	if ((long)plan[S_PERSONALITY] >= 0)
		TRY(ST_PERSONALITY, personality(plan[S_PERSONALITY]));
	/* Only marked close-on-exec: the report pipe works until execve. Before the filter, which may deny it. */
	pass_fds(plan);
	/* Without no_new_privs, installing a filter needs CAP_SYS_ADMIN: do it while we have it. */
	if (seccomp_early)
		set_seccomp(plan);
	/* First as root: the user may not be able to reach cwd that root can (runc does the same). */
	int in_cwd = chdir((const char *)plan[S_CWD]) == 0;
	if (!in_cwd && errno != EACCES && errno != EPERM)
		fail(plan, ST_CHDIR, errno, 0, 1);
	if (with_caps) {
		drop_bounding(plan);
		TRY(ST_KEEPCAPS, prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
	}
	own_stdio(plan);
	set_user(plan);
	if (!in_cwd)
		TRY(ST_CHDIR, chdir((const char *)plan[S_CWD]));
	require_cwd_inside(plan);
	if (with_caps) {
		TRY(ST_KEEPCAPS, prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0));
		set_caps(plan);
	}
	if (plan[S_NO_NEW_PRIVS])
		TRY(ST_NO_NEW_PRIVS, prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	if (plan[S_APPARMOR])
		set_apparmor(plan);
	if (!seccomp_early)
		set_seccomp(plan);
	exec_program(plan);
}

/* The joiner: single-threaded, so setns() into every namespace works. Never returns. */
static void join_container(u64 *plan)
{
	reset_signals();
	/*
	 * Until its execve the process runs the runtime's binary inside the
	 * container: non-dumpable, its /proc/<pid>/exe, fd/, mem and environ are
	 * closed to the container's processes (CVE-2019-5736). execve resets it.
	 */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (plan[S_NS_FLAGS])
		TRY(ST_SETNS, setns((int)plan[S_PIDFD], (int)plan[S_NS_FLAGS]));
	/* CLONE_PARENT: the process is the runtime's child, so it can wait for it; namespaces' pid_for_children apply. */
	long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0)
		fail(plan, ST_CLONE, errno, 0, 1);
	if (pid == 0)
		become_process(plan);
	report((int)plan[S_REPORT_FD], MSG_PID, 0, 0, (int)pid);
	_exit(0);
}

struct clone_args { u64 flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup; };
#define CLONE_INTO_CGROUP 0x200000000ULL

/*
 * Forks the joiner straight into the container's cgroup: writing a pid to
 * cgroup.procs makes the kernel wait for an RCU grace period (~10 ms), a
 * clone3() with CLONE_INTO_CGROUP does not. Raw, so glibc's fork handlers
 * don't run: the joiner and the process only make system calls.
 * Returns the joiner's pid, or 0 when there is none (the failure is reported).
 */
int crio_lxc_exec(u64 *plan)
{
	struct clone_args args = { 0 };
	args.flags = CLONE_INTO_CGROUP;
	args.exit_signal = SIGCHLD;
	args.cgroup = plan[S_CGROUP_FD];
	long pid = syscall(SYS_clone3, &args, sizeof args);
	if (pid < 0) {
		int err = errno;
		report((int)plan[S_REPORT_FD], MSG_FAIL, err == EAGAIN || err == ENOMEM ? ST_FORK : ST_CGROUP, err, 0);
		return 0;
	}
	if (pid == 0)
		join_container(plan);
	return (int)pid;
}
`;

export function helperSource(): string {
  return [defines(), PRELUDE, CONSOLE_C, CREDENTIALS_C, BODY].join("\n");
}
