/*
 * The numbers the C here and the TypeScript that calls it both use: exit
 * statuses, stage numbers, operation codes, slot indexes and word layouts of
 * what crosses bun:ffi. src/native/shared.ts holds the same names for the
 * TypeScript; test/unit/c-sources.test.ts compiles this header and fails when
 * a name or a value differs between the two.
 */
#ifndef CRIO_LXC_SHARED_H
#define CRIO_LXC_SHARED_H

/* The monitor (monitor.c, monitor-init.c) */

/* Its exit status when it could not set the init's inheritable or ambient capabilities. */
#define CAPS_FAILED 253
/* … when it could not load the filter for the host ABIs a seccomp profile leaves out. */
#define SECCOMP_FAILED 252

/* The init's capabilities: 32-bit words, two per 64-bit set. */
enum caps_word {
	CAPS_WORD_INHERITABLE = 0,
	CAPS_WORD_AMBIENT = 2,
	CAPS_WORD_KEEP_AMBIENT = 4, /* keep the ambient set across a switch to a non-root uid */
	CAPS_WORD_EFFECTIVE = 5,
	CAPS_WORD_PERMITTED = 7,
	CAPS_WORD_AT = 9,           /* CAPS_AT_* flags */
	CAPS_WORD_UID = 10,         /* the init's uid */
	CAPS_WORD_COUNT = 11,
};

/* When the init's sets are applied, besides the monitor itself. */
enum caps_at {
	CAPS_AT_EXEC = 1,   /* effective and permitted at liblxc's execvp */
	CAPS_AT_SETUID = 2, /* inheritable and ambient at liblxc's setresuid (a new user namespace) */
};

/* The exec helper (exec-*.c) */

/* Slots of the plan: an array of 64-bit words the runtime fills (numbers, masks, pointers). */
enum slot {
	SLOT_REPORT_FD = 0, SLOT_PIDFD = 1, SLOT_NS_FLAGS = 2, SLOT_CGROUP_FD = 3, SLOT_ARGV = 4,
	SLOT_ENVP = 5, SLOT_SEARCH_DIRS = 6, SLOT_CWD = 7, SLOT_UID = 8, SLOT_GID = 9,
	SLOT_NGROUPS = 10, SLOT_GROUPS = 11, SLOT_SET_CAPS = 12, SLOT_CAP_BOUNDING = 13, SLOT_CAP_EFFECTIVE = 14,
	SLOT_CAP_PERMITTED = 15, SLOT_CAP_INHERITABLE = 16, SLOT_CAP_AMBIENT = 17, SLOT_CAP_LAST = 18, SLOT_NO_NEW_PRIVS = 19,
	SLOT_NRLIMITS = 20, SLOT_RLIMITS = 21, SLOT_UMASK = 22, SLOT_PRESERVE_FDS = 23, SLOT_APPARMOR = 24,
	SLOT_SECCOMP = 25, SLOT_OOM_SCORE_ADJ = 26, SLOT_SET_OOM_SCORE_ADJ = 27, SLOT_STDIO_CHOWN = 28, SLOT_CONSOLE_SOCKET = 29,
	SLOT_CONSOLE_ROWS = 30, SLOT_CONSOLE_COLS = 31, SLOT_PERSONALITY = 32,
	SLOT_COUNT = 33,
};

/* Where the set-up failed; the runtime turns these into messages. */
enum stage {
	STAGE_FORK = 1, STAGE_CGROUP = 2, STAGE_SETNS = 3, STAGE_CLONE = 4, STAGE_RLIMIT = 5,
	STAGE_OOM_SCORE_ADJ = 6, STAGE_BOUNDING = 7, STAGE_KEEPCAPS = 8, STAGE_GROUPS = 9, STAGE_SETGID = 10,
	STAGE_SETUID = 11, STAGE_CHDIR = 12, STAGE_CAPSET = 13, STAGE_AMBIENT = 14, STAGE_NO_NEW_PRIVS = 15,
	STAGE_APPARMOR = 16, STAGE_FDS = 17, STAGE_SECCOMP = 18, STAGE_EXEC = 19, STAGE_EXEC_SEARCH = 20,
	STAGE_STDIO = 21, STAGE_KEYRING = 22, STAGE_CONSOLE = 23, STAGE_PERSONALITY = 24, STAGE_CWD_OUTSIDE = 25,
	STAGE_SESSION = 26,
};

/* What the helper reports over its pipe, in fixed-size messages. */
enum msg_kind { MSG_PID = 1, MSG_FAIL = 2 };
struct msg { int kind, stage, err, value; };
#define MSG_SIZE 16
_Static_assert(sizeof(struct msg) == MSG_SIZE, "a report is 16 bytes");

/* The namespace spawner (spawn.c): what it reports as {stage, errno}. */
enum spawn_stage {
	SPAWN_STAGE_SETNS = 1, SPAWN_STAGE_DUP2 = 2, SPAWN_STAGE_FORK = 3, SPAWN_STAGE_EXEC = 4,
	SPAWN_STAGE_BECOME_ROOT = 5,
};

/* The container's mounts (container-mounts.c) */

/* The operations crio_lxc_mount_operations applies. */
enum mount_op {
	MOUNT_OP_PROPAGATION = 0, MOUNT_OP_READONLY = 1, MOUNT_OP_MASK = 2, MOUNT_OP_PTMX_SYMLINK = 3,
};

/* What crio_lxc_shared_bind makes of a missing target before it attaches the clone there. */
enum create_target { CREATE_TARGET_NONE = 0, CREATE_TARGET_DIRECTORY = 1, CREATE_TARGET_FILE = 2 };

/* What its children report as {stage, errno}; ops[i] failing is MOUNTS_STAGE_OP + i. */
enum mounts_stage {
	MOUNTS_STAGE_OPEN_TREE = 1, MOUNTS_STAGE_MOUNT_SETATTR = 2, MOUNTS_STAGE_SETNS = 3,
	MOUNTS_STAGE_OPEN_TARGET = 4, MOUNTS_STAGE_MOVE_MOUNT = 5, MOUNTS_STAGE_BECOME_ROOT = 6,
	MOUNTS_STAGE_OP = 100,
};

#endif
