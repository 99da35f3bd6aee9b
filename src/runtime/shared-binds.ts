// Shared (Bidirectional) bind mounts, attached to a created container once
// liblxc has set it up and holds it (see src/native/shared-bind.ts).
import { closeSync } from "node:fs";
import { formatJsonPath } from "../spec/errors";
import type { SharedBind } from "../spec/paths";
import { MOUNT_ATTR, startSharedBind } from "../native/shared-bind";
import { pidfdOpen, waitpid } from "../sys";
import { RuntimeError } from "./context";

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
