/* mount-ops.c: shared by the units that change a container's mounts. Hidden: the shared object exports only crio_lxc_*. */
#ifndef CRIO_LXC_MOUNT_OPS_H
#define CRIO_LXC_MOUNT_OPS_H

/* Applies one operation (enum mount_op, shared.h): flags are MS_* for a propagation change. 0, or -1 with errno. */
__attribute__((visibility("hidden"))) int apply_mount_op(int op, const char *path, unsigned long flags);

#endif
