// What the runtime does to a created container's mounts once liblxc has set
// it up and holds it: their propagation as runc sets it (src/spec/propagation.ts
// says why), then the shared (Bidirectional) bind mounts (src/native/shared-bind.ts).
import { closeSync } from "node:fs";
import { formatJsonPath } from "../spec/errors";
import type { SharedBind } from "../spec/paths";
import { MOUNT_ATTR, startPropagation, startSharedBind } from "../native/shared-bind";
import type { PropagationChange } from "../spec/output";
import { pidfdOpen, waitpid } from "../sys";
import { RuntimeError } from "./context";

export function setPropagation(initPid: number, changes: readonly PropagationChange[]): void {
  if (!changes.length) return;
  const pidfd = pidfdOpen(initPid);
  try {
    const child = startPropagation(pidfd, changes);
    const [, status] = waitpid(child.pid, 0);
    const failure = child.failure();
    if (failure || status !== 0) throw new RuntimeError(`setting the mount propagation in the container failed: ${failure?.message ?? `its helper exited with status ${status}`}`);
  } finally {
    closeSync(pidfd);
  }
}

export function attachSharedBinds(initPid: number, binds: readonly SharedBind[]): void {
  if (!binds.length) return;
  const pidfd = pidfdOpen(initPid);
  try {
    for (const bind of binds) {
      const attrSet = bind.flags.reduce((bits, flag) => bits | MOUNT_ATTR[flag as keyof typeof MOUNT_ATTR], 0);
      const child = startSharedBind({ pidfd, source: bind.source, target: `/${bind.target}`, recursive: bind.recursive, attrSet });
      const [, status] = waitpid(child.pid, 0);
      const failure = child.failure();
      if (failure || status !== 0) {
        const why = failure?.message ?? `its helper exited with status ${status}`;
        throw new RuntimeError(`${formatJsonPath(bind.at)}: the shared bind mount of ${bind.source} on /${bind.target} failed: ${why}`);
      }
    }
  } finally {
    closeSync(pidfd);
  }
}
