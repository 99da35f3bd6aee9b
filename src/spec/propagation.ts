// Mount propagation: linux.rootfsPropagation and the propagation options of mounts.
//
// What liblxc 5.0 does: in the container's new mount namespace it first turns
// every shared mount into a slave of the host's (turn_into_dependent_mounts),
// then sets up the rootfs and the mount entries, and after pivot_root makes
// the whole new root tree shared, each mount in a peer group of its own
// (lxc_pivot_root). So a mount entry receives the host's mounts (slave, its
// default) or nothing (private), and is shared with the container's own
// namespaces; "unbindable" is undone. A bind that must also send mounts back
// to the host ("shared"/"rshared": Kubernetes' Bidirectional propagation)
// can't be a mount entry: the runtime attaches it itself after liblxc's
// setup (mounts.ts, src/native/shared-bind.ts). The rootfs ends up shared in
// a peer group of its own, which is what runc gives "shared"/"rshared" too
// (it makes the mount the rootfs lies on private first).
import { refuse, type JsonPathSegment } from "./errors";
import type { Translation } from "./output";
import type { Spec } from "./schema";

const UNDONE = "liblxc makes the container's whole mount tree shared after pivot_root, which undoes it";

const REFUSED: Record<string, string> = { unbindable: UNDONE, runbindable: UNDONE };

export const isRefusedPropagation = (option: string) => option in REFUSED;

/** Refuses a mount option asking for propagation liblxc can't give. */
export function checkPropagationOption(option: string, at: JsonPathSegment[]): void {
  const reason = REFUSED[option];
  if (reason) refuse(at, `"${option}" can't be honoured: ${reason}`);
}

/**
 * slave/rslave and shared/rshared are liblxc's own behaviour (before and
 * after pivot_root). private/rprivate is made, as runc does, by changing "/"
 * of the new namespace before the rootfs is mounted (the pre-mount hook), so
 * the rootfs and every mount copied from the host after it are private.
 */
export function translateRootfsPropagation(spec: Spec, out: Translation): void {
  const propagation = spec.linux?.rootfsPropagation;
  if (!propagation || ["slave", "rslave", "shared", "rshared"].includes(propagation)) return;
  const at = ["linux", "rootfsPropagation"];
  if (propagation === "private") return void out.hookLine("pre-mount", "mount --make-private /");
  if (propagation === "rprivate") return void out.hookLine("pre-mount", "mount --make-rprivate /");
  const reason = REFUSED[propagation];
  refuse(at, reason ? `"${propagation}" can't be honoured: ${reason}` : `unknown propagation "${propagation}" (expected shared, slave, private or unbindable, optionally with an r prefix)`);
}
