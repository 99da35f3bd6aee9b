// Mount propagation: linux.rootfsPropagation and the propagation options of mounts.
//
// What liblxc 5.0 does, and so what can be honoured: in the container's new
// mount namespace it first turns every shared mount into a slave of the
// host's (turn_into_dependent_mounts), then sets up the rootfs and the mount
// entries, and after pivot_root makes the whole new root tree shared, each
// mount in a peer group of its own (lxc_pivot_root). So nothing mounted in
// the container can reach the host (no "shared"), and "unbindable" is undone.
// What remains is whether host mounts propagate in: slave (liblxc's default)
// or private.
import { refuse, type JsonPathSegment } from "./errors";
import type { Translation } from "./output";
import type { Spec } from "./schema";

const NOT_TO_HOST = "liblxc makes every mount of the container's namespace a slave of the host's before setting it up, so mounts can't propagate back to the host";
const UNDONE = "liblxc makes the container's whole mount tree shared after pivot_root, which undoes it";

const REFUSED: Record<string, string> = {
  shared: NOT_TO_HOST, rshared: NOT_TO_HOST, unbindable: UNDONE, runbindable: UNDONE,
};

export const isRefusedPropagation = (option: string) => option in REFUSED;

/** Refuses a mount option asking for propagation liblxc can't give. */
export function checkPropagationOption(option: string, at: JsonPathSegment[]): void {
  const reason = REFUSED[option];
  if (reason) refuse(at, `"${option}" can't be honoured: ${reason}`);
}

/**
 * slave/rslave is liblxc's own behaviour. private/rprivate is made, as runc
 * does, by changing "/" of the new namespace before the rootfs is mounted
 * (the pre-mount hook), so the rootfs and every mount copied from the host
 * after it are private.
 */
export function translateRootfsPropagation(spec: Spec, out: Translation): void {
  const propagation = spec.linux?.rootfsPropagation;
  if (!propagation || propagation === "slave" || propagation === "rslave") return;
  const at = ["linux", "rootfsPropagation"];
  if (propagation === "private") return void out.hookLine("pre-mount", "mount --make-private /");
  if (propagation === "rprivate") return void out.hookLine("pre-mount", "mount --make-rprivate /");
  const reason = REFUSED[propagation];
  refuse(at, reason ? `"${propagation}" can't be honoured: ${reason}` : `unknown propagation "${propagation}" (expected shared, slave, private or unbindable, optionally with an r prefix)`);
}
