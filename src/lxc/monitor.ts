// Forking the liblxc monitor.
//
// liblxc refuses a foreground start from a threaded process, and fork() from
// JavaScript crashes the child (JavaScriptCore maps its JIT region, where the
// FFI trampolines live, MADV_DONTFORK). So a tiny C function, compiled at run
// time by bun:ffi's cc() (TinyCC), forks; the single-threaded child resets the
// signal state Bun changed, prepares what liblxc can't (monitor-init.ts),
// calls lxc_container->start() in the foreground and never returns to
// JavaScript. It becomes the monitor: the parent of init.
import { cc, FFIType, ptr } from "bun:ffi";
import { closeSync, writeSync } from "node:fs";
import { dlopen } from "bun:ffi";
import type { InitCapabilities } from "../spec/capabilities";
import type { Container } from "./liblxc";
import { MONITOR_INIT_C } from "./monitor-init";

export { CAPS_FAILED } from "./monitor-init";

const MONITOR_C = `
typedef void (*sighandler_t)(int);
typedef _Bool (*lxc_start_fn)(void *c, int useinit, char *const argv[]);
int fork(void);
void _exit(int status);
sighandler_t signal(int signum, sighandler_t handler);
int sigprocmask(int how, const void *set, void *oldset);

int crio_lxc_fork_monitor(void *c, void *start, char **argv, int error_num_offset, const unsigned int *caps)
{
	unsigned long empty_set[16] = {0};
	int pid = fork();
	if (pid != 0)
		return pid;
	/* Bun ignores SIGPIPE and SIGXFSZ; ignored dispositions survive exec into init. */
	for (int s = 1; s < 65; s++)
		signal(s, (sighandler_t)0);
	sigprocmask(2 /* SIG_SETMASK */, empty_set, 0);
	if (set_init_caps(caps) != 0)
		_exit(CAPS_FAILED);
	keep_lxc_marker_out_of_env();
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

const memfd = dlopen("libc.so.6", {
  memfd_create: { args: [FFIType.cstring, FFIType.u32], returns: FFIType.i32 },
}).symbols.memfd_create;

let compiled: ((c: unknown, start: number, argv: unknown, errOff: number, caps: unknown) => number) | undefined;

/**
 * cc() can't read files embedded in a compiled binary (/$bunfs/...), so the
 * source goes through a memfd.
 */
function compileMonitor() {
  const fd = memfd(Buffer.from("crio-lxc-monitor.c\0"), 0);
  if (fd < 0) throw new Error("memfd_create failed");
  try {
    writeSync(fd, `${MONITOR_INIT_C}\n${MONITOR_C}`);
    const { symbols } = cc({
      source: `/proc/self/fd/${fd}`,
      symbols: {
        crio_lxc_fork_monitor: { args: [FFIType.ptr, FFIType.u64, FFIType.ptr, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
      },
    });
    return symbols.crio_lxc_fork_monitor as unknown as typeof compiled & {};
  } finally {
    closeSync(fd);
  }
}

/** NULL-terminated char*[] for argv; the buffers must stay alive until fork() returns. */
function cArgv(args: string[]) {
  const strings = args.map((a) => Buffer.from(a + "\0"));
  const table = new BigUint64Array(args.length + 1);
  strings.forEach((s, i) => { table[i] = BigInt(ptr(s)); });
  return { table, strings };
}

/** Capability numbers as a 64-bit mask in two 32-bit words. */
function maskWords(caps: readonly number[]): [number, number] {
  const words: [number, number] = [0, 0];
  for (const cap of caps) words[cap >> 5] = (words[cap >> 5]! | (1 << (cap & 31))) >>> 0;
  return words;
}

/**
 * Forks the monitor, which sets the init's inheritable and ambient
 * capabilities on itself (`caps`, if given) and starts the container in the
 * foreground; returns its pid.
 */
export function forkMonitor(container: Container, args: string[], caps?: InitCapabilities): number {
  compiled ??= compileMonitor();
  const argv = cArgv(args);
  const capsWords = caps ? new Uint32Array([...maskWords(caps.inheritable), ...maskWords(caps.ambient), caps.keepAmbientOnSetuid ? 1 : 0]) : undefined;
  const pid = compiled(container.ptr, container.startFunction(), ptr(argv.table), container.errorNumOffset, capsWords ? ptr(capsWords) : null);
  if (pid < 0) throw new Error("fork of the liblxc monitor failed");
  void argv.strings;
  return pid;
}
