// linux.namespaces, the user namespace's id mappings and the time namespace's offsets.
import { formatJsonPath, refuse } from "../oci/errors";
import type { FileOwner, Translation } from "./output";
import type { Spec } from "../oci/schema";
import type { Linux, NamespaceType } from "../oci/schema-linux";
import type { IdMappingSchema } from "../oci/schema-primitives";
import type * as v from "valibot";

type IdMapping = v.InferOutput<typeof IdMappingSchema>;

const LXC_NAMESPACE: Record<NamespaceType, string> = {
  pid: "pid", network: "net", mount: "mnt", ipc: "ipc", uts: "uts", user: "user", cgroup: "cgroup", time: "time",
};

/** CLONE_NEW* flags, as NS_GET_NSTYPE reports them. */
export const CLONE_FLAG: Record<NamespaceType, number> = {
  mount: 0x00020000, cgroup: 0x02000000, uts: 0x04000000, ipc: 0x08000000,
  user: 0x10000000, pid: 0x20000000, network: 0x40000000, time: 0x00000080,
};

/** What a joined namespace's path refers to: the CLONE_NEW* flag of a namespace file, "missing", or undefined for another kind of file. */
export type NamespaceFileType = (path: string) => number | "missing" | undefined;

/** Which namespaces the container gets; any type in neither is the host's. */
export interface NamespacePlan {
  /** New namespaces, in spec order. */
  readonly created: readonly NamespaceType[];
  /** Existing namespaces to join, by path. */
  readonly joined: ReadonlyMap<NamespaceType, string>;
}

/** A namespace the monitor joins before liblxc starts, so init inherits it. */
export interface NamespaceJoin {
  type: NamespaceType;
  /** Its CLONE_NEW* flag. */
  flag: number;
  path: string;
  /** The spec field, for errors: `linux.namespaces[1].path`. */
  jsonPath: string;
}

/** The namespace is the container's own: new, or joined by path (not the host's). */
export function isolates(plan: NamespacePlan, type: NamespaceType): boolean {
  return plan.created.includes(type) || plan.joined.has(type);
}

/**
 * @param fileType checks that a joined path is a namespace of the listed type;
 * without it (pure translation, unit tests) paths are only checked for shape.
 */
export function planNamespaces(linux: Linux | null | undefined, fileType?: NamespaceFileType): NamespacePlan {
  const created: NamespaceType[] = [];
  const joined = new Map<NamespaceType, string>();
  (linux?.namespaces ?? []).forEach(({ type, path }, i) => {
    if (created.includes(type) || joined.has(type)) {
      refuse(["linux", "namespaces", i, "type"], `duplicate namespace type "${type}"`);
    }
    if (!path) return void created.push(type);
    const at = ["linux", "namespaces", i, "path"];
    // liblxc reads a value without a leading "/" as a container name or pid.
    if (!path.startsWith("/")) refuse(at, "expected an absolute path");
    if (type === "cgroup") {
      // liblxc 5.0 unshares a new cgroup namespace in init after joining it.
      refuse(at, "joining an existing cgroup namespace is not supported by liblxc");
    }
    if (fileType) checkNamespaceFile(type, path, fileType(path), at);
    joined.set(type, path);
  });
  // Without one, liblxc would mount and pivot_root in the caller's mount
  // namespace, changing the root of every process there (runc refuses such a
  // bundle too when it has masked or read-only paths, as every real one has).
  if (!created.includes("mount") && !joined.has("mount")) refuse(["linux", "namespaces"], "a mount namespace (new or joined by path) is required");
  // See liblxcJoins.
  for (const type of ["user", "mount"] as const) {
    if (joined.has(type) && !created.includes("cgroup")) {
      refuse(["linux", "namespaces"], `joining a ${type} namespace requires a new cgroup namespace too (liblxc creates one anyway)`);
    }
  }
  return { created, joined };
}

/**
 * liblxc joins namespaces by path through an intermediate process that
 * clones init, and then always gives init a new cgroup namespace too. So the
 * monitor joins them itself before liblxc starts, and init inherits them.
 * Except with a joined user or mount namespace: only liblxc can join those
 * (the monitor must keep the host's, where the rootfs and the state are), and
 * its intermediate must then join all of them (a monitor already in the
 * joined pid namespace would misread the pid the intermediate reports for
 * init). In a joined mount namespace liblxc mounts the rootfs and pivots, as
 * runc does: every process already there gets the container's root too.
 */
const liblxcJoins = (plan: NamespacePlan) => plan.joined.has("user") || plan.joined.has("mount");

/** The joined namespaces the monitor enters itself, before liblxc starts. */
export function monitorJoins(plan: NamespacePlan, linux: Linux | null | undefined): NamespaceJoin[] {
  if (liblxcJoins(plan)) return [];
  const specified = linux?.namespaces ?? [];
  return [...plan.joined].map(([type, path]) => ({
    type, path, flag: CLONE_FLAG[type],
    jsonPath: formatJsonPath(["linux", "namespaces", specified.findIndex((ns) => ns.type === type), "path"]),
  }));
}

/** For a clear error up front; liblxc's setns(fd, 0) would even join a namespace of another type. */
function checkNamespaceFile(type: NamespaceType, path: string, found: number | "missing" | undefined, at: (string | number)[]): void {
  if (found === "missing") refuse(at, `${path} does not exist`);
  if (found === undefined) refuse(at, `${path} is not a namespace file`);
  if (found !== CLONE_FLAG[type]) {
    const actual = (Object.keys(CLONE_FLAG) as NamespaceType[]).find((t) => CLONE_FLAG[t] === found) ?? `0x${found.toString(16)}`;
    refuse(at, `${path} is a ${actual} namespace, not a ${type} namespace`);
  }
}

export function translateNamespaces(plan: NamespacePlan, spec: Spec, out: Translation): void {
  const linux = spec.linux;
  // liblxc clones exactly the listed namespaces and leaves the others as the
  // host's. The list is never empty (a new mount namespace, or a new cgroup
  // one with a joined mount namespace, is required): an empty
  // lxc.namespace.clone would make liblxc fall back to cloning all of them.
  out.add("lxc.namespace.clone", plan.created.map((type) => LXC_NAMESPACE[type]).join(" "));
  // liblxc opens an absolute path itself: a /proc/<pid>/ns/<type> link or a bind-mounted nsfs file.
  if (liblxcJoins(plan)) {
    for (const [type, path] of plan.joined) out.add(`lxc.namespace.share.${LXC_NAMESPACE[type]}`, path);
  }
  translateIdMappings(plan, linux, out);
  if (isolates(plan, "user")) out.hookOwner = setupUser(linux!, spec.process?.user ?? { uid: 0, gid: 0 });
  translateTimeOffsets(plan, linux, out);
  if (plan.created.includes("network")) out.add("lxc.net.0.type", "empty");
}

function translateIdMappings(plan: NamespacePlan, linux: Linux | null | undefined, out: Translation): void {
  const uidMappings = linux?.uidMappings ?? [];
  const gidMappings = linux?.gidMappings ?? [];
  if (!isolates(plan, "user")) {
    if (uidMappings.length) refuse(["linux", "uidMappings"], "requires a user namespace in linux.namespaces");
    if (gidMappings.length) refuse(["linux", "gidMappings"], "requires a user namespace in linux.namespaces");
    return;
  }
  // liblxc writes them only into a new user namespace; for a joined one it
  // still needs them to know which host ids the container's root has.
  if (!uidMappings.length) refuse(["linux", "uidMappings"], "required with a user namespace");
  if (!gidMappings.length) refuse(["linux", "gidMappings"], "required with a user namespace");
  for (const m of uidMappings) out.add("lxc.idmap", `u ${m.containerID} ${m.hostID} ${m.size}`);
  for (const m of gidMappings) out.add("lxc.idmap", `g ${m.containerID} ${m.hostID} ${m.size}`);
}

function hostId(mappings: readonly IdMapping[], id: number): number | undefined {
  const m = mappings.find(({ containerID, size }) => id >= containerID && id < containerID + size);
  return m && m.hostID + (id - m.containerID);
}

/** Host ids of the user liblxc sets the container up as: root in the namespace, or init's user when root is unmapped. */
function setupUser(linux: Linux, init: { uid: number; gid: number }): FileOwner {
  const uidMappings = linux.uidMappings ?? [];
  const gidMappings = linux.gidMappings ?? [];
  const uid = hostId(uidMappings, 0) ?? hostId(uidMappings, init.uid);
  const gid = hostId(gidMappings, 0) ?? hostId(gidMappings, init.gid);
  if (uid === undefined) refuse(["linux", "uidMappings"], `maps neither root nor process.user.uid ${init.uid}`);
  if (gid === undefined) refuse(["linux", "gidMappings"], `maps neither root nor process.user.gid ${init.gid}`);
  return { uid, gid };
}

const LXC_CLOCK: Record<string, string> = { boottime: "boot", monotonic: "monotonic" };

function translateTimeOffsets(plan: NamespacePlan, linux: Linux | null | undefined, out: Translation): void {
  for (const [clock, { secs, nanosecs }] of Object.entries(linux?.timeOffsets ?? {})) {
    const at = ["linux", "timeOffsets", clock];
    const lxcClock = LXC_CLOCK[clock];
    if (!lxcClock) refuse(at, 'unknown clock; expected "boottime" or "monotonic"');
    if (!plan.created.includes("time")) refuse(at, "requires a new time namespace in linux.namespaces");
    // liblxc 5.0 keeps one unit per clock and writes seconds OR nanoseconds, never both.
    if (secs && nanosecs) refuse([...at, "nanosecs"], "not supported together with secs by liblxc");
    if (nanosecs) out.add(`lxc.time.offset.${lxcClock}`, `${nanosecs}ns`);
    else if (secs) out.add(`lxc.time.offset.${lxcClock}`, `${BigInt(secs)}s`);
  }
}
