// Turns containers-common's seccomp.json (podman's default profile) into the
// linux.seccomp that podman 4.3 writes into config.json: the archMap entry of
// the host's arch, and the rules whose includes/excludes (arches, bounding
// capabilities) match. Run it to refresh test/golden/seccomp/podman-default.json:
//   bun test/support/podman-seccomp.ts [/usr/share/containers/seccomp.json]
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const PODMAN_PROFILE = "/usr/share/containers/seccomp.json";

/** podman's default_capabilities (containers.conf), as its bounding set. */
export const PODMAN_CAPABILITIES = [
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE",
  "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT",
];

interface Filter { arches?: string[]; caps?: string[] }
interface ProfileArg { index: number; value: number; valueTwo?: number; op: string }
interface ProfileRule {
  names?: string[]; name?: string; action: string; errnoRet?: number; args?: ProfileArg[] | null;
  includes?: Filter; excludes?: Filter;
}
interface Profile {
  defaultAction: string; defaultErrnoRet?: number; architectures?: string[];
  archMap?: { architecture: string; subArchitectures?: string[] }[]; flags?: string[]; syscalls?: ProfileRule[];
}

/** Go's GOARCH name (what includes.arches uses) → libseccomp's. */
const SECCOMP_ARCH: Record<string, string> = { amd64: "SCMP_ARCH_X86_64", arm64: "SCMP_ARCH_AARCH64", s390x: "SCMP_ARCH_S390X" };

function applies(rule: ProfileRule, goArch: string, caps: readonly string[]): boolean {
  const { includes = {}, excludes = {} } = rule;
  if (excludes.arches?.includes(goArch)) return false;
  if (excludes.caps?.some((cap) => caps.includes(cap))) return false;
  if (includes.arches?.length && !includes.arches.includes(goArch)) return false;
  return (includes.caps ?? []).every((cap) => caps.includes(cap));
}

/** The OCI rule, with the fields Go's encoding/json omits when empty left out. */
function ociRule(rule: ProfileRule) {
  const args = (rule.args ?? []).map(({ index, value, valueTwo, op }) => ({ index, value, ...(valueTwo ? { valueTwo } : {}), op }));
  return {
    names: rule.names?.length ? rule.names : [rule.name!],
    action: rule.action,
    ...(rule.errnoRet !== undefined ? { errnoRet: rule.errnoRet } : {}),
    ...(args.length ? { args } : {}),
  };
}

export function podmanSeccomp(profile: Profile, goArch = "amd64", caps: readonly string[] = PODMAN_CAPABILITIES) {
  const entry = profile.archMap?.find((a) => a.architecture === SECCOMP_ARCH[goArch]);
  const architectures = profile.architectures ?? (entry ? [entry.architecture, ...(entry.subArchitectures ?? [])] : []);
  return {
    defaultAction: profile.defaultAction,
    ...(profile.defaultErrnoRet !== undefined ? { defaultErrnoRet: profile.defaultErrnoRet } : {}),
    ...(architectures.length ? { architectures } : {}),
    ...(profile.flags?.length ? { flags: profile.flags } : {}),
    syscalls: (profile.syscalls ?? []).filter((rule) => applies(rule, goArch, caps)).map(ociRule),
  };
}

if (import.meta.main) {
  const source = process.argv[2] ?? PODMAN_PROFILE;
  const target = join(import.meta.dir, "../golden/seccomp/podman-default.json");
  writeFileSync(target, JSON.stringify(podmanSeccomp(JSON.parse(readFileSync(source, "utf8"))), null, 2) + "\n");
  console.log(`wrote ${target} from ${source}`);
}
