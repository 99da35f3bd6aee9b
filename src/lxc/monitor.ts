// Forking the liblxc monitor.
//
// liblxc refuses a foreground start from a threaded process, and fork() from
// JavaScript crashes the child (JavaScriptCore maps its JIT region, where the
// FFI trampolines live, MADV_DONTFORK). So a tiny C function (a native unit,
// see native/unit.ts) forks; the single-threaded child resets the
// signal state Bun changed, prepares what liblxc can't (monitor-init.ts),
// calls lxc_container->start() in the foreground and never returns to
// JavaScript. It becomes the monitor: the parent of init.
import { FFIType, ptr } from "bun:ffi";
import { loadUnit, nativeUnit } from "../native/unit";
import type { InitCapabilities } from "../translate/capabilities";
import type { BpfInstruction } from "../translate/seccomp-abi";
import type { Container } from "./liblxc";
import { MONITOR_INIT_C } from "./monitor-init";

export { CAPS_FAILED, SECCOMP_FAILED } from "./monitor-init";

const MONITOR_C = `
typedef void (*sighandler_t)(int);
typedef _Bool (*lxc_start_fn)(void *c, int useinit, char *const argv[]);
int fork(void);
sighandler_t signal(int signum, sighandler_t handler);
int sigprocmask(int how, const void *set, void *oldset);
int unsetenv(const char *name);
int setns(int fd, int nstype);
unsigned long strlen(const char *s);
int setsid(void);
int fcntl(int fd, int cmd, ...);
int setenv(const char *name, const char *value, int overwrite);
int close(int fd);

struct sock_fprog { unsigned short len; const void *filter; };

/* The filter killing the syscalls of host ABIs the profile doesn't list (src/translate/seccomp-abi.ts); liblxc's own comes on top. */
static int load_abi_filter(const void *filter, int len)
{
	struct sock_fprog prog = { (unsigned short)len, filter };
	return prctl(22 /* PR_SET_SECCOMP */, 2 /* SECCOMP_MODE_FILTER */, (unsigned long)&prog, 0, 0);
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
		digits[--i] = '0' + n % 10;
		n /= 10;
	} while (n);
	for (int fd = 3; fd < 3 + count; fd++)
		fcntl(fd, 2 /* F_SETFD */, 0);
	if (count)
		setenv("LISTEN_FDS", digits + i, 1);
	else
		unsetenv("LISTEN_FDS");
}

/* joins holds (fd, CLONE_NEW* type) pairs; labels[i] is written to err_fd when joins[i] fails. */
int crio_lxc_fork_monitor(void *c, void *start, char **argv, int error_num_offset, int unset_path,
			  int *joins, char **labels, int njoins, int err_fd, const unsigned int *caps, int preserve_fds,
			  const void *filter, int filter_len)
{
	unsigned long empty_set[16] = {0};
	int pid = fork();
	if (pid != 0)
		return pid;
	/* Bun ignores SIGPIPE and SIGXFSZ; ignored dispositions survive exec into init. */
	for (int s = 1; s < 65; s++)
		signal(s, (sighandler_t)0);
	sigprocmask(2 /* SIG_SETMASK */, empty_set, 0);
	/*
	 * The init liblxc clones from here stays a copy of the runtime, with
	 * liblxc's fds (the host's /sys/fs/cgroup among them), until it execs
	 * the container's process. Non-dumpable, its /proc/<pid>/exe, fd/, cwd,
	 * root and environ are closed to processes in the container (CVE-2019-5736,
	 * CVE-2024-21626); the exec resets it.
	 */
	prctl(4 /* PR_SET_DUMPABLE */, 0, 0, 0, 0);
	/* Without a terminal of its own, liblxc can't take the caller's /dev/tty as a console peer. */
	setsid();
	if (unset_path)
		unsetenv("PATH");
	pass_preserved_fds(preserve_fds);
	for (int i = 0; i < njoins; i++) {
		if (setns(joins[2 * i], joins[2 * i + 1]) < 0) {
			write(err_fd, labels[i], strlen(labels[i]));
			_exit(125);
		}
		close(joins[2 * i]);
	}
	if (err_fd >= 0)
		close(err_fd);
	if (set_init_caps(caps) != 0)
		_exit(CAPS_FAILED);
	if (filter_len && load_abi_filter(filter, filter_len) != 0)
		_exit(SECCOMP_FAILED);
	patch_liblxc_calls();
	_Bool ok = ((lxc_start_fn)start)(c, 0, argv);
	int err = *(int *)((char *)c + error_num_offset);
	if (!ok)
		_exit(255);
	/* error_num is (code << 8), or (signo << 8) | 0x7f when init was killed: not a wait status. */
	if ((err & 0xff) == 0x7f)
		_exit(128 + ((err >> 8) & 0x7f));
	_exit((err >> 8) & 0xff);
	return -1; /* not reached */
}
`;

export const MONITOR_UNIT = nativeUnit({
  name: "monitor",
  source: () => `${MONITOR_INIT_C}\n${MONITOR_C}`,
  symbols: {
    crio_lxc_fork_monitor: {
      args: [FFIType.ptr, FFIType.u64, FFIType.ptr, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.ptr, FFIType.i32],
      returns: FFIType.i32,
    },
  },
});

let forkMonitorC: ReturnType<typeof loadUnit<typeof MONITOR_UNIT.symbols>>["crio_lxc_fork_monitor"] | undefined;

/** NULL-terminated char*[] for argv; the buffers must stay alive until fork() returns. */
function cArgv(args: string[]) {
  const strings = args.map((a) => Buffer.from(a + "\0"));
  const table = new BigUint64Array(args.length + 1);
  strings.forEach((s, i) => { table[i] = BigInt(ptr(s)); });
  return { table, strings };
}

export interface MonitorOptions {
  /**
   * Whenever newuidmap/newgidmap are on PATH, liblxc writes a user
   * namespace's id maps through them, even as root, and they refuse ranges
   * root has no /etc/subuid entry for. Without PATH liblxc finds neither
   * and writes the maps itself, as runc does (hooks run by /bin/sh get the
   * shell's default PATH; init's environment is lxc.environment alone).
   */
  hideIdmapHelpers?: boolean;
  /**
   * Namespaces the monitor joins before liblxc starts, so init inherits them.
   * (Through lxc.namespace.share.* liblxc 5.0 would also give init a new
   * cgroup namespace, asked for or not.)
   */
  joins?: readonly MonitorJoin[];
  /** Where the monitor writes the label of a join that failed. */
  errorFd?: number;
  /** The init's inheritable and ambient sets, set on the monitor (liblxc has no item for them). */
  capabilities?: InitCapabilities;
  /** The caller's fds 3 … 3+N-1 the init gets (create --preserve-fds). */
  preserveFds?: number;
  /** A classic BPF seccomp filter the monitor loads before liblxc starts (init inherits it). */
  seccompFilter?: readonly BpfInstruction[];
}

/** struct sock_filter[]: u16 code, u8 jt, u8 jf, u32 k. */
function sockFilters(program: readonly BpfInstruction[]): Buffer {
  const buf = Buffer.alloc(8 * program.length);
  program.forEach(([code, jt, jf, k], i) => {
    buf.writeUInt16LE(code, 8 * i);
    buf.writeUInt8(jt, 8 * i + 2);
    buf.writeUInt8(jf, 8 * i + 3);
    buf.writeUInt32LE(k, 8 * i + 4);
  });
  return buf;
}

export interface MonitorJoin {
  /** An open namespace file; the monitor closes its copy. */
  fd: number;
  /** CLONE_NEW* flag: setns() checks the file is that type. */
  type: number;
  /** Written to errorFd when setns() fails. */
  label: string;
}

/** Capability numbers as a 64-bit mask in two 32-bit words. */
function maskWords(caps: readonly number[]): [number, number] {
  const words: [number, number] = [0, 0];
  for (const cap of caps) words[cap >> 5] = (words[cap >> 5]! | (1 << (cap & 31))) >>> 0;
  return words;
}

/** CAPS_AT_* in monitor-init.ts's C. */
const CAPS_AT_EXEC = 1;
const CAPS_AT_SETUID = 2;

/** The words monitor-init.ts's init_caps reads. */
function capabilityWords(caps: InitCapabilities | undefined) {
  if (!caps) return undefined;
  const at = (caps.atExec ? CAPS_AT_EXEC : 0) | (caps.atSetuid ? CAPS_AT_SETUID : 0);
  return new Uint32Array([
    ...maskWords(caps.inheritable), ...maskWords(caps.ambient), caps.keepAmbientOnSetuid ? 1 : 0,
    ...maskWords(caps.effective), ...maskWords(caps.permitted), at, caps.initUid,
  ]);
}

/** Forks the monitor, which starts the container in the foreground; returns its pid. */
export function forkMonitor(container: Container, args: string[], opts: MonitorOptions = {}): number {
  forkMonitorC ??= loadUnit(MONITOR_UNIT).crio_lxc_fork_monitor;
  const argv = cArgv(args);
  const joins = opts.joins ?? [];
  const joinTable = new Int32Array(joins.flatMap(({ fd, type }) => [fd, type]).concat(0));
  const labels = cArgv(joins.map(({ label }) => label));
  const caps = capabilityWords(opts.capabilities);
  const filter = opts.seccompFilter?.length ? sockFilters(opts.seccompFilter) : undefined;
  const pid = forkMonitorC(
    container.ptr, container.startFunction(), ptr(argv.table), container.errorNumOffset, opts.hideIdmapHelpers ? 1 : 0,
    ptr(joinTable), ptr(labels.table), joins.length, opts.errorFd ?? -1, caps ? ptr(caps) : null, opts.preserveFds ?? 0,
    filter ? ptr(filter) : null, opts.seccompFilter?.length ?? 0,
  );
  if (pid < 0) throw new Error("fork of the liblxc monitor failed");
  void argv.strings;
  void filter;
  void labels.strings;
  return pid;
}
