/*
 * Within the exec helper: what exec-helper.c shares with exec-console.c and
 * exec-credentials.c, the parts of the process's set-up they hold. Hidden:
 * the shared object exports only the crio_lxc_* functions.
 */
#ifndef CRIO_LXC_EXEC_HELPER_H
#define CRIO_LXC_EXEC_HELPER_H

#include <stdint.h>

#define HIDDEN __attribute__((visibility("hidden")))

/* One message to the runtime over the report pipe. */
HIDDEN void report(int fd, int kind, int stage, int err, int value);
/* Reports the failed stage and exits with code. */
HIDDEN __attribute__((noreturn)) void fail(uint64_t *plan, int stage, int err, int value, int code);
/* Decimal text of value at out; returns its length. */
HIDDEN int format_int(char *out, long value);

#define TRY(stage, call) do { if ((long)(call) < 0) fail(plan, stage, errno, 0, 1); } while (0)

/* exec-console.c */
HIDDEN void setup_console(uint64_t *plan);

/* exec-credentials.c */
HIDDEN void drop_bounding(uint64_t *plan);
HIDDEN void set_caps(uint64_t *plan);
HIDDEN void set_user(uint64_t *plan);

#endif
