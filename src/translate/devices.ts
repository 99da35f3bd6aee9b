// The container's device nodes: runc's standard ones (/dev/null, zero, full,
// random, urandom, tty) and linux.devices. With the spec's own tmpfs on /dev
// (lxc.autodev off) a mount hook makes them all right after the mount
// entries, where runc makes them. With liblxc's autodev tmpfs an autodev
// hook makes the spec's, before liblxc adds its standard nodes (it keeps
// existing ones). The monitor makes them itself when liblxc runs that hook
// (a native hook, src/native/c/monitor-hooks.c): no process per node. In a
// user namespace, where each is the host's node bound over an empty file,
// the shell hook does it. runc's /dev/ptmx symlink is the runtime's (see translate.ts).
import { refuse, type JsonPathSegment } from "../oci/errors";
import { containerPath } from "./fstab";
import { shellQuote, type HookName, type NativeDeviceNode, type Translation } from "./output";
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
const NODE_TYPES: Record<Device["type"], NativeDeviceNode["type"]> = { c: "c", u: "c", b: "b", p: "p" };

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

/** runc's defaults: rw for everyone, owned by root. */
function nativeNode({ device, target, at }: Node, standard: boolean): NativeDeviceNode {
  const numbered = device.type !== "p";
  return {
    path: target,
    type: NODE_TYPES[device.type],
    mode: (device.fileMode ?? 0o666) & PERMISSION_BITS,
    major: numbered ? deviceNumber(device, "major", at) : 0,
    minor: numbered ? deviceNumber(device, "minor", at) : 0,
    uid: device.uid ?? 0,
    gid: device.gid ?? 0,
    label: standard ? `runc's standard device /${target}` : at.map((s, i) => (typeof s === "number" ? `[${s}]` : i ? `.${s}` : s)).join(""),
  };
}

/** As runc in a user namespace: an empty file, the host's node bound over it. */
const bindLines = ({ target }: Node) => [`touch ${inRootfs(target)}`, `mount --bind ${shellQuote(`/${target}`)} ${inRootfs(target)}`];

/** mkdir for the directories the nodes go in: one line. */
function mkdirLine(nodes: Node[]): string | undefined {
  const dirs = new Set(nodes.map(({ target }) => target.slice(0, target.lastIndexOf("/"))).filter((dir) => dir !== "dev"));
  return dirs.size ? `mkdir -p ${[...dirs].map(inRootfs).join(" ")}` : undefined;
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
  const standard = devIsFresh(mounted) ? standardNodes(setup, listed) : [];
  const nodes = [...standard, ...listed];
  const hook: HookName = setup.autodev ? "autodev" : "mount";
  if (!nodes.length) return;
  if (!setup.userNamespace) {
    out.deviceNodes(hook, nodes.map((node) => nativeNode(node, standard.includes(node))));
    return;
  }
  const mkdir = mkdirLine(nodes);
  out.hookLine(hook, "umask 022");
  if (mkdir) out.hookLine(hook, mkdir);
  for (const line of nodes.flatMap(bindLines)) out.hookLine(hook, line);
}
