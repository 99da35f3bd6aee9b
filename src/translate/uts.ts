// What uname(2) shows in the container: hostname, domainname (the UTS
// namespace) and the machine, which linux.personality can make 32-bit.
import { formatJsonPath, refuse, type JsonPathSegment } from "../oci/errors";
import { isolates, type NamespacePlan } from "./namespaces";
import { orFail, shellQuote, type Translation } from "./output";
import type { Spec } from "../oci/schema";

/** The kernel's limit for both names (__NEW_UTS_LEN). */
const MAX_UTS_NAME = 64;

/** lxc.arch values: liblxc maps them to PER_LINUX32 and PER_LINUX. */
const LXC_ARCH = { LINUX32: "linux32", LINUX: "linux64" } as const;

export type UtsName = "hostname" | "domainname";

/**
 * A mount hook line naming the container's UTS namespace, which the hook
 * runs in. /proc/sys/kernel/{hostname,domainname} are writable by the host's
 * root only, so in a user namespace it takes sethostname(2)/setdomainname(2)
 * through the host's hostname/domainname commands (Debian's required
 * `hostname` package).
 */
export function setUtsNameLine(name: UtsName, value: string, plan: NamespacePlan, at: JsonPathSegment[]): string {
  if (new TextEncoder().encode(value).length > MAX_UTS_NAME) refuse(at, `longer than ${MAX_UTS_NAME} bytes`);
  const failed = `${formatJsonPath(at)}: could not set ${name} "${value}"`;
  if (!isolates(plan, "user")) return orFail(`printf '%s\\n' ${shellQuote(value)} >/proc/sys/kernel/${name}`, failed);
  return orFail(`${name} -- ${shellQuote(value)}`, `${failed} with the host's ${name} command`);
}

export function translateUts(spec: Spec, plan: NamespacePlan, out: Translation): void {
  const joined = plan.joined.has("uts");
  if (!plan.created.includes("uts") && !joined) {
    // Setting them would rename the host.
    if (spec.hostname) refuse(["hostname"], "requires a uts namespace in linux.namespaces");
    if (spec.domainname) refuse(["domainname"], "requires a uts namespace in linux.namespaces");
    return;
  }
  for (const name of ["hostname", "domainname"] as const) {
    if (spec[name] && new TextEncoder().encode(spec[name]).length > MAX_UTS_NAME) refuse([name], `longer than ${MAX_UTS_NAME} bytes`);
  }
  // A joined namespace (a pod's, which CRI-O's pinns made and never named)
  // is renamed as runc does: the names are set in it, for every process there.
  if (joined) {
    if (spec.hostname) out.hookLine("mount", setUtsNameLine("hostname", spec.hostname, plan, ["hostname"]));
  } else if (spec.hostname) {
    // Like runc: without a hostname the new namespace keeps the caller's.
    out.add("lxc.uts.name", spec.hostname);
  }
  // liblxc has no domainname setting.
  if (spec.domainname) out.hookLine("mount", setUtsNameLine("domainname", spec.domainname, plan, ["domainname"]));
}

export function translatePersonality(spec: Spec, out: Translation): void {
  const personality = spec.linux?.personality;
  if (!personality) return;
  // lxc.arch chooses only the execution domain.
  if (personality.flags?.length) refuse(["linux", "personality", "flags"], "not supported by crio-lxc (liblxc sets only the domain)");
  out.add("lxc.arch", LXC_ARCH[personality.domain]);
}
