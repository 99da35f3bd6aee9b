// linux.readonlyPaths and linux.maskedPaths → lxc.mount.entry, after the spec's mounts.
import { refuse } from "./errors";
import { fstabLine, containerPath } from "./fstab";
import type { Translation } from "./output";
import type { MountedPath, ResolvePath } from "./paths";
import type { Spec } from "./schema";

/** readonlyPaths and maskedPaths, relative to the rootfs, as written in the spec. */
export interface ProtectedPaths {
  readonly: string[];
  masked: string[];
}

export function protectedPaths(spec: Spec): ProtectedPaths {
  const relative = (field: "readonlyPaths" | "maskedPaths") =>
    (spec.linux?.[field] ?? []).map((path, i) => containerPath(path, ["linux", field, i]));
  return { readonly: relative("readonlyPaths"), masked: relative("maskedPaths") };
}

/**
 * A read-only path is bind-mounted onto itself ("relative": the source lies in
 * the rootfs) and remounted read-only, `optional` because it may not exist.
 * A masked file gets /dev/null, a masked directory an empty read-only tmpfs.
 * When the runtime can look (kind known) only the fitting entry is emitted and
 * a missing path is skipped; otherwise both are, `optional`, and liblxc skips
 * (and logs) whichever doesn't fit.
 */
export function translateProtectedPaths(
  paths: ProtectedPaths, resolvePath: ResolvePath, mounted: readonly MountedPath[], out: Translation,
): void {
  const resolve = (field: "readonlyPaths" | "maskedPaths", path: string, i: number) => {
    const resolved = resolvePath(`/${path}`, mounted);
    if (!resolved.target) refuse(["linux", field, i], "resolves to the container's root directory");
    return resolved;
  };
  paths.readonly.forEach((path, i) => {
    const { target, kind } = resolve("readonlyPaths", path, i);
    if (kind === "missing") return;
    out.add("lxc.mount.entry", fstabLine({ source: target, target, type: "none", options: ["rbind", "ro", "relative", "optional"] }));
  });
  paths.masked.forEach((path, i) => {
    const { target, kind } = resolve("maskedPaths", path, i);
    if (kind === "missing") return;
    if (kind !== "directory") out.add("lxc.mount.entry", fstabLine({ source: "/dev/null", target, type: "none", options: ["bind", "optional"] }));
    if (kind !== "file") out.add("lxc.mount.entry", fstabLine({ source: "tmpfs", target, type: "tmpfs", options: ["ro", "nosuid", "nodev", "noexec", "optional"] }));
  });
}
