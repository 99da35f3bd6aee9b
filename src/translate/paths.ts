// Container paths as mount targets: resolved inside the rootfs by the runtime
// (symlinks and ".." can't leave it), relative to the rootfs for liblxc.
import { posix } from "node:path";
import type { JsonPathSegment } from "../oci/errors";

/** What a path is on the host (bind sources) or in the container (targets), following symlinks. */
export type BindSourceKind = "directory" | "file" | "missing";

/** A mount made before the path being resolved: it hides the image beneath `target`. */
export interface MountedPath {
  /** Relative to the rootfs, already resolved. */
  target: string;
  /** Where the mount's content can be seen on the host (a bind source, /proc, /sys), if anywhere. */
  hostSource?: string;
  /** A shared bind, which the runtime attaches after liblxc's setup: nothing may be mounted below it. */
  shared?: boolean;
  /** A tmpcopyup tmpfs: below it lies a copy of what lay there before it was mounted. */
  copyUp?: boolean;
}

/**
 * A bind mount with "shared"/"rshared" (Kubernetes' Bidirectional
 * propagation), which liblxc can't make (see propagation.ts): the runtime
 * attaches a clone of the host's mount once liblxc has set the container up.
 */
export interface SharedBind {
  /** Host path. */
  source: string;
  /** Relative to the rootfs, resolved. */
  target: string;
  /** rbind: the source's submounts too. */
  recursive: boolean;
  /** Per-mount flags to set on it: ro, nosuid, nodev, noexec. */
  flags: string[];
  /** The spec field, for errors. */
  at: JsonPathSegment[];
  /** Missing below another mount: the runtime makes it there, as a directory or an empty file, before attaching. */
  createTarget?: "directory" | "file";
  /** shared: a peer of the source's mount (Bidirectional); slave: receives its mounts; private: neither. */
  propagation: "shared" | "slave" | "private";
  /**
   * An idmapped mount: through a user namespace with these mappings, or the
   * container's own ("container": the idmap option without mappings).
   */
  idmap?: "container" | { uidMappings: IdMapping[]; gidMappings: IdMapping[] };
}

/** As linux.uidMappings writes one. */
export interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface ResolvedPath {
  /** Relative to the rootfs, free of symlinks and ".."; "" is the container's root. */
  target: string;
  /** "unknown" when the translation runs without a filesystem. */
  kind: BindSourceKind | "unknown";
  /** True when a mount in `mounted` covers the path, so the image can't be looked at. */
  belowMount: boolean;
}

/** Resolves an absolute container path given the mounts set up before it; the runtime provides it. */
export type ResolvePath = (path: string, mounted: readonly MountedPath[]) => ResolvedPath;

/** A mount point missing from the image, which the runtime creates before liblxc starts. */
export interface MountPoint {
  target: string;
  kind: "directory" | "file";
  /** The spec field asking for it, for errors. */
  at: JsonPathSegment[];
}

/** Without a filesystem: ".." is clamped at the root and nothing is known about the path. */
export const literalPath: ResolvePath = (path) => ({
  target: posix.normalize(`/${path}`).slice(1).replace(/\/$/, ""),
  kind: "unknown",
  belowMount: false,
});

/** The last of `mounted` that covers `target` (relative to the rootfs). */
export function coveringMount(target: string, mounted: readonly MountedPath[]): MountedPath | undefined {
  return mounted.findLast((m) => target === m.target || target.startsWith(`${m.target}/`));
}
