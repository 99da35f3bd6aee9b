// The container's device nodes: runc's standard ones (/dev/null, zero, full,
// random, urandom, tty) and linux.devices. With the spec's own tmpfs on /dev
// (lxc.autodev off) the mount hook makes them all right after the mount
// entries, where runc makes them. With liblxc's autodev tmpfs the autodev
// hook makes the spec's, before liblxc adds its standard nodes (it keeps
// existing ones). runc's /dev/ptmx symlink is the runtime's (see translate.ts).
import { refuse, type JsonPathSegment } from "../oci/errors";
import { containerPath } from "./fstab";
import { shellQuote, type HookName, type Translation } from "./output";
import { coveringMount, type MountedPath } from "./paths";
import type { Spec } from "../oci/schema";

type Device = NonNullable<NonNullable<Spec["linux"]>["devices"]>[number];

export interface DevSetup {
  /** liblxc's lxc.autodev mounts /dev and makes the standard nodes; otherwise the spec's tmpfs is /dev. */
  autodev: boolean;
  /** mknod is refused there: each node is a bind mount of the host's node of the same path, as runc makes it. */
  userNamespace: boolean;
}

/** The nodes runc makes in every container whose /dev it sets up, in its order (shown by bind mounts in a user namespace). */
const STANDARD_DEVICES: Device[] = [
  { path: "/dev/null", type: "c", major: 1, minor: 3 }, { path: "/dev/random", type: "c", major: 1, minor: 8 },
  { path: "/dev/full", type: "c", major: 1, minor: 7 }, { path: "/dev/tty", type: "c", major: 5, minor: 0 },
  { path: "/dev/zero", type: "c", major: 1, minor: 5 }, { path: "/dev/urandom", type: "c", major: 1, minor: 9 },
];

/** mknod(1) node types; "u" (unbuffered) is a character device, as in runc. */
const NODE_TYPES: Record<Device["type"], string> = { c: "c", u: "c", b: "b", p: "p" };

const PERMISSION_BITS = 0o7777;

interface Node { device: Device; target: string; at: JsonPathSegment[] }

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

function deviceNumber(device: Device, field: "major" | "minor", at: JsonPathSegment[]): number {
  const value = device[field];
  if (value === undefined) refuse([...at, field], `required for a device of type "${device.type}"`);
  if (value < 0) refuse([...at, field], `expected a device number, got ${value}`);
  return value;
}

/** One process per node: a privileged pod lists every device of the node (hundreds). */
function mknodLine({ device, target, at }: Node): string {
  const numbers = device.type === "p" ? "" : ` ${deviceNumber(device, "major", at)} ${deviceNumber(device, "minor", at)}`;
  // runc's defaults: rw for everyone, owned by root (which the hook runs as).
  const mode = ((device.fileMode ?? 0o666) & PERMISSION_BITS).toString(8).padStart(4, "0");
  return `mknod -m ${mode} ${inRootfs(target)} ${NODE_TYPES[device.type]}${numbers}`;
}

/** As runc in a user namespace: an empty file, the host's node bound over it. */
const bindLines = ({ target }: Node) => [`touch ${inRootfs(target)}`, `mount --bind ${shellQuote(`/${target}`)} ${inRootfs(target)}`];

/** mkdir for the directories the nodes go in, and chown for nodes not root's: one line each. */
function batchLines(nodes: Node[], chown: boolean): { mkdir?: string; chown: string[] } {
  const dirs = new Set(nodes.map(({ target }) => target.slice(0, target.lastIndexOf("/"))).filter((dir) => dir !== "dev"));
  const byOwner = new Map<string, string[]>();
  for (const { device, target } of chown ? nodes : []) {
    const owner = `${device.uid ?? 0}:${device.gid ?? 0}`;
    if (owner !== "0:0") byOwner.set(owner, [...(byOwner.get(owner) ?? []), inRootfs(target)]);
  }
  return {
    mkdir: dirs.size ? `mkdir -p ${[...dirs].map(inRootfs).join(" ")}` : undefined,
    chown: [...byOwner].map(([owner, paths]) => `chown ${owner} ${paths.join(" ")}`),
  };
}

function specNodes(spec: Spec, mounted: readonly MountedPath[]): Node[] {
  const seen = new Set<string>();
  return (spec.linux?.devices ?? []).map((device, i) => {
    const at: JsonPathSegment[] = ["linux", "devices", i];
    const target = devicePath(device, mounted, at);
    if (seen.has(target)) refuse([...at, "path"], `duplicate device ${device.path}`);
    seen.add(target);
    return { device, target, at };
  });
}

/** runc's standard nodes but those linux.devices replaces (same path); liblxc's autodev makes its own. */
function standardNodes(setup: DevSetup, listed: readonly Node[]): Node[] {
  if (setup.autodev) return [];
  return STANDARD_DEVICES.map((device) => ({ device, target: device.path.slice(1), at: ["linux", "devices"] }))
    .filter(({ target }) => !listed.some((node) => node.target === target));
}

/**
 * /dev is a filesystem the container just got (liblxc's or the spec's tmpfs),
 * not a bind mount (of the host's /dev, say), where runc makes no standard
 * node and no symlink, and where nothing may be written.
 */
export function devIsFresh(mounted: readonly MountedPath[]): boolean {
  const dev = coveringMount("dev/ptmx", mounted);
  return dev !== undefined && !dev.hostSource;
}

export function translateDevices(spec: Spec, setup: DevSetup, mounted: readonly MountedPath[], out: Translation): void {
  const listed = specNodes(spec, mounted);
  const nodes = [...(devIsFresh(mounted) ? standardNodes(setup, listed) : []), ...listed];
  const hook: HookName = setup.autodev ? "autodev" : "mount";
  const lines = nodes.flatMap((node) => (setup.userNamespace ? bindLines(node) : [mknodLine(node)]));
  const { mkdir, chown } = batchLines(nodes, !setup.userNamespace);
  if (nodes.length) out.hookLine(hook, "umask 022");
  if (mkdir) out.hookLine(hook, mkdir);
  for (const line of [...lines, ...chown]) out.hookLine(hook, line);
}
