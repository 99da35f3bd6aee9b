// Mount propagation: linux.rootfsPropagation and the propagation options of mounts.
//
// What liblxc 5.0 does: in the container's new mount namespace it first turns
// every shared mount into a slave of the host's (turn_into_dependent_mounts),
// then sets up the rootfs and the mount entries, and after pivot_root makes
// the whole new root tree shared, each mount in a peer group of its own
// (lxc_pivot_root), which undoes every propagation the spec asked for. So
// once liblxc has set the container up (and before the shared binds are
// attached), the runtime sets the propagation runc gives, in runc's order:
// the whole tree a slave (runc's default; a mount that has no peer outside
// the container ends up private), then each mount's own propagation option,
// then rootfsPropagation on "/". A bind that must also send mounts back to
// the host ("shared"/"rshared": Kubernetes' Bidirectional propagation) can't
// be a mount entry: the runtime attaches it itself after liblxc's setup
// (mounts.ts, src/native/container-mounts.ts).
import { refuse } from "../oci/errors";
import type { Translation } from "./output";
import type { Spec } from "../oci/schema";

/** mount(2)'s propagation flags. */
const MS_REC = 0x4000;
const MS_UNBINDABLE = 1 << 17;
const MS_PRIVATE = 1 << 18;
const MS_SLAVE = 1 << 19;
const MS_SHARED = 1 << 20;

const PROPAGATION_FLAGS: Record<string, number> = {
  private: MS_PRIVATE, rprivate: MS_PRIVATE | MS_REC, slave: MS_SLAVE, rslave: MS_SLAVE | MS_REC,
  shared: MS_SHARED, rshared: MS_SHARED | MS_REC, unbindable: MS_UNBINDABLE, runbindable: MS_UNBINDABLE | MS_REC,
};

/** The propagation option of a mount (the last one wins), as MS_* flags; shared ones are the shared binds' own. */
export function propagationOf(options: readonly string[]): number | undefined {
  const last = options.findLast((option) => option in PROPAGATION_FLAGS);
  return last && !last.endsWith("shared") ? PROPAGATION_FLAGS[last] : undefined;
}

/** The whole tree a slave first: runc's default for the rootfs, and what undoes liblxc's sharing. */
export function baselinePropagation(out: Translation): void {
  out.mountOperations.unshift({ kind: "propagation", path: "/", flags: MS_SLAVE | MS_REC });
}

/** rootfsPropagation on "/", after every mount's own (shared: a peer group of the container's own, as liblxc and runc ≥ 1.2 make it). */
export function translateRootfsPropagation(spec: Spec, out: Translation): void {
  const propagation = spec.linux?.rootfsPropagation;
  if (!propagation) return;
  const flags = PROPAGATION_FLAGS[propagation];
  if (flags === undefined) {
    refuse(["linux", "rootfsPropagation"], `unknown propagation "${propagation}" (expected shared, slave, private or unbindable, optionally with an r prefix)`);
  }
  out.mountOperations.push({ kind: "propagation", path: "/", flags });
}
