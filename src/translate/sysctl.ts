// linux.sysctl, limited to sysctls of the container's own namespaces.
import { formatJsonPath, refuse, type JsonPathSegment } from "../oci/errors";
import { isolates, type NamespacePlan } from "./namespaces";
import { orFail, shellQuote, type Translation } from "./output";
import type { Spec } from "../oci/schema";
import type { NamespaceType } from "../oci/schema-linux";
import { setUtsNameLine, type UtsName } from "./uts";

const IPC_SYSCTLS = new Set([
  "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
  "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
]);

const UTS_SYSCTLS = new Map<string, UtsName>([["kernel.hostname", "hostname"], ["kernel.domainname", "domainname"]]);

/** The namespace a sysctl belongs to, or undefined for one that would change the host. */
function owningNamespace(key: string): NamespaceType | undefined {
  if (IPC_SYSCTLS.has(key) || key.startsWith("fs.mqueue.")) return "ipc";
  if (key.startsWith("net.")) return "network";
  if (UTS_SYSCTLS.has(key)) return "uts";
  return undefined;
}

function utsSysctlLine(spec: Spec, plan: NamespacePlan, name: UtsName, value: string, at: JsonPathSegment[]): string {
  if (spec[name]) refuse(at, `conflicts with ${name}`);
  return setUtsNameLine(name, value, plan, at);
}

/**
 * Written by the mount hook, not lxc.sysctl.*: liblxc writes those through
 * the container's /proc/sys after mounting it, so a read-only /proc/sys
 * (podman always asks for one) makes them fail. The hook runs in the
 * container's namespaces but sees the host's /proc, whose /proc/sys shows
 * the values of the namespaces of whoever opens it: the container's.
 */
export function translateSysctls(spec: Spec, plan: NamespacePlan, out: Translation): void {
  for (const [key, value] of Object.entries(spec.linux?.sysctl ?? {})) {
    const at = ["linux", "sysctl", key];
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/.test(key)) refuse(at, 'expected a dotted sysctl name like "net.ipv4.ip_forward"');
    const namespace = owningNamespace(key);
    if (!namespace) refuse(at, "not a namespaced sysctl; it would change the host");
    if (!isolates(plan, namespace)) refuse(at, `requires a ${namespace} namespace in linux.namespaces`);
    const utsName = UTS_SYSCTLS.get(key);
    if (utsName) {
      out.hookLine("mount", utsSysctlLine(spec, plan, utsName, value, at));
      continue;
    }
    const file = `/proc/sys/${key.replaceAll(".", "/")}`;
    out.hookLine("mount", orFail(
      `printf '%s\\n' ${shellQuote(value)} >${file}`,
      `${formatJsonPath(at)}: could not write "${value}" to ${file}`,
    ));
  }
}
