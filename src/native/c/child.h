/* child.c: shared by the units that fork. Hidden: the shared object exports only crio_lxc_*. */
#ifndef CRIO_LXC_CHILD_H
#define CRIO_LXC_CHILD_H

__attribute__((visibility("hidden"))) void reset_signals(void);
__attribute__((visibility("hidden"))) void report_failure(int err_fd, int stage);

#endif
