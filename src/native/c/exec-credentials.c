/*
 * The exec'd process's identity (part of the exec helper, exec-helper.c):
 * bounding set, capabilities (ambient included) and uid/gid/groups. The order
 * they are called in is the helper's (become_process).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "shared.h"
#include "exec-helper.h"

void drop_bounding(uint64_t *plan)
{
	for (uint64_t cap = 0; cap <= plan[SLOT_CAP_LAST]; cap++)
		if (!(plan[SLOT_CAP_BOUNDING] & (1UL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			fail(plan, STAGE_BOUNDING, errno, (int)cap, 1);
}

/* Effective and permitted are masked by what this process has: execve recomputes them anyway. */
void set_caps(uint64_t *plan)
{
	struct __user_cap_header_struct header;
	struct __user_cap_data_struct data[2];
	header.version = _LINUX_CAPABILITY_VERSION_3;
	header.pid = 0;
	TRY(STAGE_CAPSET, syscall(SYS_capget, &header, data));
	uint64_t have = data[0].permitted | ((uint64_t)data[1].permitted << 32);
	uint64_t permitted = plan[SLOT_CAP_PERMITTED] & have;
	uint64_t effective = plan[SLOT_CAP_EFFECTIVE] & permitted;
	uint64_t inheritable = plan[SLOT_CAP_INHERITABLE];
	for (int i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(effective >> (32 * i));
		data[i].permitted = (uint32_t)(permitted >> (32 * i));
		data[i].inheritable = (uint32_t)(inheritable >> (32 * i));
	}
	TRY(STAGE_CAPSET, syscall(SYS_capset, &header, data));
	TRY(STAGE_AMBIENT, prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
	for (uint64_t cap = 0; cap <= plan[SLOT_CAP_LAST]; cap++)
		if ((plan[SLOT_CAP_AMBIENT] & (1UL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			fail(plan, STAGE_AMBIENT, errno, (int)cap, 1);
}

/*
 * Raw system calls: glibc's set*id wrappers signal every thread glibc knows
 * of, the runtime's, which the raw clones did not copy into this process.
 */
void set_user(uint64_t *plan)
{
	TRY(STAGE_GROUPS, syscall(SYS_setgroups, plan[SLOT_NGROUPS], plan[SLOT_GROUPS]));
	TRY(STAGE_SETGID, syscall(SYS_setresgid, plan[SLOT_GID], plan[SLOT_GID], plan[SLOT_GID]));
	TRY(STAGE_SETUID, syscall(SYS_setresuid, plan[SLOT_UID], plan[SLOT_UID], plan[SLOT_UID]));
}
