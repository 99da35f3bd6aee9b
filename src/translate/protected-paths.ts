// linux.readonlyPaths and linux.maskedPaths → mount operations the runtime
// applies once liblxc has set the container up and pivoted into its rootfs,
// as runc applies them (runtime/container-mounts.ts): every read-only path,
// then every masked one, each resolved inside the container when it is
// applied, a missing one skipped. Not mount entries: liblxc would open a FIFO
// it mounts on (create hangs), can't bind the container's /dev/null (only the
// host's), and gives a masked directory's tmpfs flags runc doesn't.
import { refuse } from "../oci/errors";
import { containerPath } from "./fstab";
import type { Translation } from "./output";
import type { MountedPath, ResolvePath } from "./paths";
import type { Spec } from "../oci/schema";

type Field = "readonlyPaths" | "maskedPaths";

/** readonlyPaths and maskedPaths, relative to the rootfs, as written in the spec. */
export interface ProtectedPaths {
  readonly: string[];
  masked: string[];
}

export function protectedPaths(spec: Spec): ProtectedPaths {
  const relative = (field: Field) => (spec.linux?.[field] ?? []).map((path, i) => containerPath(path, ["linux", field, i]));
  return { readonly: relative("readonlyPaths"), masked: relative("maskedPaths") };
}

/** Read-only: bound onto itself and remounted read-only. Masked: the container's /dev/null over it, or an empty read-only tmpfs over a directory. */
export function translateProtectedPaths(
  paths: ProtectedPaths, resolvePath: ResolvePath, mounted: readonly MountedPath[], out: Translation,
): void {
  const add = (kind: "readonly" | "mask", field: Field) => (path: string, i: number) => {
    // A symlink in the image leading to "/" would make the whole container read-only (or hide it).
    if (!resolvePath(`/${path}`, mounted).target) refuse(["linux", field, i], "resolves to the container's root directory");
    out.mountOperations.push({ kind, path: `/${path}`, at: ["linux", field, i] });
  };
  paths.readonly.forEach(add("readonly", "readonlyPaths"));
  paths.masked.forEach(add("mask", "maskedPaths"));
}
