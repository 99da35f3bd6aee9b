// The exec'd process's identity, in C: bounding set, capabilities (ambient
// included) and uid/gid/groups. Part of the exec helper (helper-c.ts), after its
// prelude (fail, TRY, the raw syscall numbers and the plan's slots); the order
// the helper calls them in is the helper's (become_process).

export const CREDENTIALS_C = String.raw`
static void drop_bounding(u64 *plan)
{
	for (u64 cap = 0; cap <= plan[S_CAP_LAST]; cap++)
		if (!(plan[S_CAP_BOUNDING] & (1UL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			fail(plan, ST_BOUNDING, errno, (int)cap, 1);
}

/* Effective and permitted are masked by what this process has: execve recomputes them anyway. */
static void set_caps(u64 *plan)
{
	struct cap_header header;
	struct cap_data data[2];
	header.version = CAP_VERSION_3;
	header.pid = 0;
	TRY(ST_CAPSET, syscall(SYS_capget, &header, data));
	u64 have = data[0].permitted | ((u64)data[1].permitted << 32);
	u64 permitted = plan[S_CAP_PERMITTED] & have;
	u64 effective = plan[S_CAP_EFFECTIVE] & permitted;
	u64 inheritable = plan[S_CAP_INHERITABLE];
	for (int i = 0; i < 2; i++) {
		data[i].effective = (u32)(effective >> (32 * i));
		data[i].permitted = (u32)(permitted >> (32 * i));
		data[i].inheritable = (u32)(inheritable >> (32 * i));
	}
	TRY(ST_CAPSET, syscall(SYS_capset, &header, data));
	TRY(ST_AMBIENT, prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
	for (u64 cap = 0; cap <= plan[S_CAP_LAST]; cap++)
		if ((plan[S_CAP_AMBIENT] & (1UL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			fail(plan, ST_AMBIENT, errno, (int)cap, 1);
}

static void set_user(u64 *plan)
{
	TRY(ST_GROUPS, syscall(SYS_setgroups, plan[S_NGROUPS], plan[S_GROUPS]));
	TRY(ST_SETGID, syscall(SYS_setresgid, plan[S_GID], plan[S_GID], plan[S_GID]));
	TRY(ST_SETUID, syscall(SYS_setresuid, plan[S_UID], plan[S_UID], plan[S_UID]));
}
`;
