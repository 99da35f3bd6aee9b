/* Within the monitor: what monitor.c calls in monitor-init.c. Hidden: the shared object exports only crio_lxc_*. */
#ifndef CRIO_LXC_MONITOR_INIT_H
#define CRIO_LXC_MONITOR_INIT_H

/* caps: CAPS_WORD_COUNT words (shared.h), or NULL. Returns -1 when setting them failed. */
__attribute__((visibility("hidden"))) int set_init_caps(const unsigned int *caps);
/* groups: {uid, count, gids…} the init sets in its user namespace, or NULL. */
__attribute__((visibility("hidden"))) void set_init_groups(const unsigned int *groups);
/* hooks: the runtime's hooks done without a shell (monitor-hooks.c's table), or NULL. */
__attribute__((visibility("hidden"))) void set_native_hooks(char **hooks);
/* liblxc's execl, which runs the hooks: ours are done in monitor-hooks.c. */
__attribute__((visibility("hidden"))) int execl_native_hooks(const char *path, const char *arg, ...);
/* Points liblxc's calls of putenv, setresuid, execvp, execl, fchmod and fchown at the wrappers in monitor-init.c and monitor-hooks.c. */
__attribute__((visibility("hidden"))) void patch_liblxc_calls(void);

#endif
