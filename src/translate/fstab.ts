// lxc.mount.entry values: fstab lines that liblxc parses with getmntent(3).
import { refuse, type JsonPathSegment } from "../oci/errors";

const FSTAB_ESCAPES: Record<string, string> = { "\\": "\\134", " ": "\\040", "\t": "\\011", "\n": "\\012" };

/** Escapes the characters getmntent(3) would otherwise split on (it decodes exactly these). */
export function fstabEscape(field: string): string {
  return field.replace(/[\\ \t\n]/g, (c) => FSTAB_ESCAPES[c]!);
}

export interface FstabEntry {
  source: string;
  /** Relative to the rootfs: liblxc mounts relative targets beneath the container's root. */
  target: string;
  type: string;
  options: readonly string[];
}

export function fstabLine({ source, target, type, options }: FstabEntry): string {
  return [source, target, type, options.join(",")].map(fstabEscape).join(" ") + " 0 0";
}

/**
 * A container path as a mount target relative to the rootfs: "/dev/shm" →
 * "dev/shm". Refuses relative paths, ".." and the root itself.
 */
export function containerPath(path: string, at: JsonPathSegment[]): string {
  if (!path.startsWith("/")) refuse(at, `expected an absolute path, got ${JSON.stringify(path)}`);
  const parts = path.split("/").filter((part) => part !== "" && part !== ".");
  if (parts.includes("..")) refuse(at, `must not contain "..", got ${JSON.stringify(path)}`);
  if (!parts.length) refuse(at, "cannot be the container's root");
  return parts.join("/");
}
