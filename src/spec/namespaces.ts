// linux.namespaces and the user namespace's id mappings.
import { refuse } from "./errors";
import type { Translation } from "./output";
import type { Linux, NamespaceType } from "./schema-linux";

const LXC_NAMESPACE: Record<NamespaceType, string> = {
  pid: "pid", network: "net", mount: "mnt", ipc: "ipc", uts: "uts", user: "user", cgroup: "cgroup", time: "time",
};

/** Which namespaces the container gets; any type in neither is the host's. */
export interface NamespacePlan {
  /** New namespaces, in spec order. */
  readonly created: readonly NamespaceType[];
  /** Existing namespaces to join, by path. */
  readonly joined: ReadonlyMap<NamespaceType, string>;
}

/** The namespace is the container's own: new, or joined by path (not the host's). */
export function isolates(plan: NamespacePlan, type: NamespaceType): boolean {
  return plan.created.includes(type) || plan.joined.has(type);
}

export function planNamespaces(linux: Linux | null | undefined): NamespacePlan {
  const created: NamespaceType[] = [];
  const joined = new Map<NamespaceType, string>();
  (linux?.namespaces ?? []).forEach(({ type, path }, i) => {
    if (created.includes(type) || joined.has(type)) {
      refuse(["linux", "namespaces", i, "type"], `duplicate namespace type "${type}"`);
    }
    if (!path) return void created.push(type);
    // liblxc reads a value without a leading "/" as a container name or pid.
    if (!path.startsWith("/")) refuse(["linux", "namespaces", i, "path"], "expected an absolute path");
    if (type === "mount") {
      refuse(["linux", "namespaces", i, "path"], "joining an existing mount namespace is not supported by crio-lxc");
    }
    joined.set(type, path);
  });
  // Without one, liblxc would mount and pivot_root in the host's mount namespace.
  if (!created.includes("mount")) refuse(["linux", "namespaces"], "a new mount namespace is required");
  return { created, joined };
}

export function translateNamespaces(plan: NamespacePlan, linux: Linux | null | undefined, out: Translation): void {
  // liblxc clones exactly the listed namespaces and leaves the others as the
  // host's. The list is never empty (mount is required): an empty
  // lxc.namespace.clone would make liblxc fall back to cloning all of them.
  out.add("lxc.namespace.clone", plan.created.map((type) => LXC_NAMESPACE[type]).join(" "));
  for (const [type, path] of plan.joined) out.add(`lxc.namespace.share.${LXC_NAMESPACE[type]}`, path);
  translateIdMappings(plan, linux, out);
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
  if (plan.created.includes("user")) {
    if (!uidMappings.length) refuse(["linux", "uidMappings"], "required with a new user namespace");
    if (!gidMappings.length) refuse(["linux", "gidMappings"], "required with a new user namespace");
  }
  for (const m of uidMappings) out.add("lxc.idmap", `u ${m.containerID} ${m.hostID} ${m.size}`);
  for (const m of gidMappings) out.add("lxc.idmap", `g ${m.containerID} ${m.hostID} ${m.size}`);
}
