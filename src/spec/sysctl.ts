// linux.sysctl → lxc.sysctl.*, limited to sysctls of the container's own namespaces.
import { refuse } from "./errors";
import { isolates, type NamespacePlan } from "./namespaces";
import type { Translation } from "./output";
import type { Spec } from "./schema";
import type { NamespaceType } from "./schema-linux";

const IPC_SYSCTLS = new Set([
  "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
  "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
]);

/** The namespace a sysctl belongs to, or undefined for one that would change the host. */
function owningNamespace(key: string): NamespaceType | undefined {
  if (IPC_SYSCTLS.has(key) || key.startsWith("fs.mqueue.")) return "ipc";
  if (key.startsWith("net.")) return "network";
  if (key === "kernel.hostname" || key === "kernel.domainname") return "uts";
  return undefined;
}

/** True when `path` (relative to the rootfs) is `prefix` or lies beneath it. */
function isWithin(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/**
 * @param protectedPaths readonly and masked paths, relative to the rootfs.
 * liblxc writes sysctls through /proc/sys inside the container after all
 * lxc.mount.entry items, so one under such a path would fail with EROFS.
 */
export function translateSysctls(
  spec: Spec, plan: NamespacePlan, protectedPaths: readonly string[], out: Translation,
): void {
  for (const [key, value] of Object.entries(spec.linux?.sysctl ?? {})) {
    const at = ["linux", "sysctl", key];
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/.test(key)) refuse(at, 'expected a dotted sysctl name like "net.ipv4.ip_forward"');
    const namespace = owningNamespace(key);
    if (!namespace) refuse(at, "not a namespaced sysctl; it would change the host");
    if (!isolates(plan, namespace)) refuse(at, `requires a ${namespace} namespace in linux.namespaces`);
    if (key === "kernel.hostname" && spec.hostname) refuse(at, "conflicts with hostname");
    const file = `proc/sys/${key.replaceAll(".", "/")}`;
    const blocker = protectedPaths.find((path) => isWithin(file, path));
    if (blocker) {
      refuse(at, `not supported yet by crio-lxc together with "/${blocker}" in linux.readonlyPaths or linux.maskedPaths (liblxc writes sysctls after mounting those)`);
    }
    out.add(`lxc.sysctl.${key}`, value);
  }
}
