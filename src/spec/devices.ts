// linux.devices → device nodes made by the autodev hook, in the container's
// /dev before liblxc adds its standard nodes (it keeps existing ones).
import { refuse, type JsonPathSegment } from "./errors";
import { containerPath } from "./fstab";
import { isolates, type NamespacePlan } from "./namespaces";
import { shellQuote, type Translation } from "./output";
import { coveringMount, type MountedPath } from "./paths";
import type { Spec } from "./schema";

type Device = NonNullable<NonNullable<Spec["linux"]>["devices"]>[number];

/** mknod(1) node types; "u" (unbuffered) is a character device, as in runc. */
const NODE_TYPES: Record<Device["type"], string> = { c: "c", u: "c", b: "b", p: "p" };

const PERMISSION_BITS = 0o7777;

/**
 * Nodes go only where nothing but the runtime has written yet: a fresh
 * filesystem under /dev. Anywhere else (the image, a bind mount) the shell's
 * path lookup could follow a symlink planted there out of the container.
 */
function devicePath(device: Device, mounted: readonly MountedPath[], at: JsonPathSegment[]): string {
  const target = containerPath(device.path, [...at, "path"]);
  if (!target.startsWith("dev/")) refuse([...at, "path"], "crio-lxc creates device nodes only under /dev (a tmpfs it sets up)");
  if (coveringMount(target, mounted)?.hostSource) {
    refuse([...at, "path"], "lies in a bind mount: crio-lxc creates device nodes only on the tmpfs it mounts on /dev");
  }
  return target;
}

const inRootfs = (target: string) => `"$LXC_ROOTFS_MOUNT"/${shellQuote(target)}`;

/** One process per node: a privileged pod lists every device of the node (hundreds). */
function mknodLine(device: Device, target: string, at: JsonPathSegment[]): string {
  const numbers = device.type === "p" ? "" : ` ${deviceNumber(device, "major", at)} ${deviceNumber(device, "minor", at)}`;
  // runc's defaults: rw for everyone, owned by root (which the hook runs as).
  const mode = ((device.fileMode ?? 0o666) & PERMISSION_BITS).toString(8).padStart(4, "0");
  return `mknod -m ${mode} ${inRootfs(target)} ${NODE_TYPES[device.type]}${numbers}`;
}

/** mkdir for the directories the nodes go in, and chown for nodes not root's: one line each. */
function batchLines(nodes: { device: Device; target: string }[]): { mkdir?: string; chown: string[] } {
  const dirs = new Set(nodes.map(({ target }) => target.slice(0, target.lastIndexOf("/"))).filter((dir) => dir !== "dev"));
  const byOwner = new Map<string, string[]>();
  for (const { device, target } of nodes) {
    const owner = `${device.uid ?? 0}:${device.gid ?? 0}`;
    if (owner !== "0:0") byOwner.set(owner, [...(byOwner.get(owner) ?? []), inRootfs(target)]);
  }
  return {
    mkdir: dirs.size ? `mkdir -p ${[...dirs].map(inRootfs).join(" ")}` : undefined,
    chown: [...byOwner].map(([owner, paths]) => `chown ${owner} ${paths.join(" ")}`),
  };
}

function deviceNumber(device: Device, field: "major" | "minor", at: JsonPathSegment[]): number {
  const value = device[field];
  if (value === undefined) refuse([...at, field], `required for a device of type "${device.type}"`);
  if (value < 0) refuse([...at, field], `expected a device number, got ${value}`);
  return value;
}

export function translateDevices(spec: Spec, plan: NamespacePlan, mounted: readonly MountedPath[], out: Translation): void {
  const devices = spec.linux?.devices ?? [];
  if (!devices.length) return;
  // mknod is refused in a user namespace; runc bind-mounts the host's node instead.
  if (isolates(plan, "user")) refuse(["linux", "devices"], "not supported yet by crio-lxc with a user namespace");
  const seen = new Set<string>();
  const nodes = devices.map((device, i) => {
    const at: JsonPathSegment[] = ["linux", "devices", i];
    const target = devicePath(device, mounted, at);
    if (seen.has(target)) refuse([...at, "path"], `duplicate device ${device.path}`);
    seen.add(target);
    return { device, target, line: mknodLine(device, target, at) };
  });
  const { mkdir, chown } = batchLines(nodes);
  out.hookLine("autodev", "umask 022");
  if (mkdir) out.hookLine("autodev", mkdir);
  for (const { line } of nodes) out.hookLine("autodev", line);
  for (const line of chown) out.hookLine("autodev", line);
}
