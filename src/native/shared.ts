// The numbers the native units (src/native/c/) and the TypeScript calling them
// both use, as src/native/c/shared.h has them for the C. Change both together:
// test/unit/c-sources.test.ts compiles the header and fails when a name or a
// value differs (a table here named X with key K is the C's X_K).

/** The monitor's exit status when it could not set the init's inheritable or ambient capabilities. */
export const CAPS_FAILED = 253;
/** … when it could not load the filter for the host ABIs a seccomp profile leaves out. */
export const SECCOMP_FAILED = 252;

/** The init's capabilities the monitor reads: indexes of 32-bit words, two per 64-bit set. */
export const CAPS_WORD = {
  INHERITABLE: 0, AMBIENT: 2, KEEP_AMBIENT: 4, EFFECTIVE: 5, PERMITTED: 7, AT: 9, UID: 10, COUNT: 11,
} as const;

/** CAPS_WORD.AT flags: when the init's sets are applied besides in the monitor. */
export const CAPS_AT = { EXEC: 1, SETUID: 2 } as const;

/** Slots of the exec helper's plan: an array of 64-bit words the runtime fills (numbers, masks, pointers). */
export const SLOT = {
  REPORT_FD: 0, PIDFD: 1, NS_FLAGS: 2, CGROUP_FD: 3, ARGV: 4, ENVP: 5, SEARCH_DIRS: 6, CWD: 7,
  UID: 8, GID: 9, NGROUPS: 10, GROUPS: 11, SET_CAPS: 12, CAP_BOUNDING: 13, CAP_EFFECTIVE: 14,
  CAP_PERMITTED: 15, CAP_INHERITABLE: 16, CAP_AMBIENT: 17, CAP_LAST: 18, NO_NEW_PRIVS: 19,
  NRLIMITS: 20, RLIMITS: 21, UMASK: 22, PRESERVE_FDS: 23, APPARMOR: 24, SECCOMP: 25,
  OOM_SCORE_ADJ: 26, SET_OOM_SCORE_ADJ: 27, STDIO_CHOWN: 28, CONSOLE_SOCKET: 29, CONSOLE_ROWS: 30, CONSOLE_COLS: 31,
  PERSONALITY: 32, COUNT: 33,
} as const;

/** Where the exec helper's set-up failed; the runtime turns these into messages (src/exec/failure.ts). */
export const STAGE = {
  FORK: 1, CGROUP: 2, SETNS: 3, CLONE: 4, RLIMIT: 5, OOM_SCORE_ADJ: 6, BOUNDING: 7, KEEPCAPS: 8,
  GROUPS: 9, SETGID: 10, SETUID: 11, CHDIR: 12, CAPSET: 13, AMBIENT: 14, NO_NEW_PRIVS: 15,
  APPARMOR: 16, FDS: 17, SECCOMP: 18, EXEC: 19, EXEC_SEARCH: 20, STDIO: 21, KEYRING: 22, CONSOLE: 23, PERSONALITY: 24,
  CWD_OUTSIDE: 25, SESSION: 26,
} as const;

/** The exec helper's reports: 16-byte messages {kind, stage, errno, value} of these kinds. */
export const MSG = { PID: 1, FAIL: 2, SIZE: 16 } as const;

/** What the namespace spawner reports as {stage, errno}. */
export const SPAWN_STAGE = { SETNS: 1, DUP2: 2, FORK: 3, EXEC: 4, BECOME_ROOT: 5 } as const;

/** The operations of crio_lxc_mount_operations (the C's MOUNT_OP_PTMX_SYMLINK is "ptmx-symlink"). */
export const MOUNT_OP = { propagation: 0, readonly: 1, mask: 2, "ptmx-symlink": 3 } as const;

/** What crio_lxc_shared_bind makes of a missing target before it attaches the clone there. */
export const CREATE_TARGET = { NONE: 0, DIRECTORY: 1, FILE: 2 } as const;

/** What the container-mounts children report as {stage, errno}; ops[i] failing is OP + i. */
export const MOUNTS_STAGE = {
  OPEN_TREE: 1, MOUNT_SETATTR: 2, SETNS: 3, OPEN_TARGET: 4, MOVE_MOUNT: 5, BECOME_ROOT: 6, OP: 100,
} as const;
