// linux.resources → cgroup2 settings liblxc applies to the container's cgroup.
import { cgroupSettings, type CgroupHost } from "./cgroup-settings";
import { refuse } from "../oci/errors";
import type { Translation } from "./output";
import type { DeviceRule, LinuxResources } from "../oci/schema-linux";
import type { FeatureSwitches } from "./security";
import { isUnset } from "./unsupported";

/**
 * liblxc's cgroup2 device rule: "a" alone switches the default (deny-all or
 * allow-all); anything else is "<a|b|c> <major|*>:<minor|*> <access>".
 */
export function deviceRuleValue(rule: DeviceRule): string {
  const { type, major, minor, access } = normalizeRule(rule);
  return isDefaultRule(rule) ? "a" : `${type} ${major}:${minor} ${access}`;
}

function normalizeRule(rule: DeviceRule) {
  const wildcard = (n: number | undefined) => (n == null || n < 0 ? "*" : String(n));
  return { type: rule.type ?? "a", major: wildcard(rule.major), minor: wildcard(rule.minor), access: rule.access || "rwm" };
}

/** A rule for every device and access: it sets the default rather than adding an exception. */
function isDefaultRule(rule: DeviceRule): boolean {
  const { type, major, minor, access } = normalizeRule(rule);
  return type === "a" && major === "*" && minor === "*" && access === "rwm";
}

function overlaps(a: DeviceRule, b: DeviceRule): boolean {
  const x = normalizeRule(a);
  const y = normalizeRule(b);
  const same = (p: string, q: string, any: string) => p === any || q === any || p === q;
  return same(x.type, y.type, "a") && same(x.major, y.major, "*") && same(x.minor, y.minor, "*")
    && [...x.access].some((c) => y.access.includes(c));
}

/**
 * liblxc keeps only exceptions to the current default: after "deny all" it
 * skips deny rules, after "allow all" allow rules. Skipping one is harmless
 * unless it was meant to take back part of an earlier exception.
 */
function checkDeviceRuleOrder(rules: readonly DeviceRule[]): void {
  let allowByDefault = false;
  let exceptions: DeviceRule[] = [];
  rules.forEach((rule, i) => {
    if (isDefaultRule(rule)) {
      allowByDefault = rule.allow;
      exceptions = [];
      return;
    }
    if (rule.allow !== allowByDefault) return void exceptions.push(rule);
    if (exceptions.some((earlier) => overlaps(earlier, rule))) {
      refuse(["linux", "resources", "devices", i], `can't be honoured: liblxc can't ${rule.allow ? "allow" : "deny"} part of an earlier exception`);
    }
  });
}

/**
 * The runtime-spec's default devices (/dev/null, zero, full, random, urandom,
 * tty, ptmx and the ptys) must be usable whatever the rules say; like runc,
 * they are allowed after the spec's rules, as is mknod of any device.
 */
const DEFAULT_DEVICE_RULES = [
  "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm", "c 5:2 rwm", "c 136:* rwm",
];

export function translateResources(
  resources: LinuxResources | null | undefined, features: FeatureSwitches, out: Translation, host: CgroupHost = { bfq: false },
): void {
  if (!resources) return;
  const settings = cgroupSettings(resources, ["linux", "resources"], host);
  translateDeviceRules(resources.devices ?? [], features, out);
  for (const { file, value } of settings) out.add(`lxc.cgroup2.${file}`, value);
}

function translateDeviceRules(rules: readonly DeviceRule[], features: FeatureSwitches, out: Translation): void {
  if (!features.cgroupDevices) {
    if (!isUnset(rules)) out.note("linux.resources.devices skipped: device cgroup is disabled (CRIO_LXC_CGROUP_DEVICES=false)");
    return;
  }
  if (!rules.length) return;
  checkDeviceRuleOrder(rules);
  for (const rule of rules) {
    out.add(rule.allow ? "lxc.cgroup2.devices.allow" : "lxc.cgroup2.devices.deny", deviceRuleValue(rule));
  }
  for (const rule of DEFAULT_DEVICE_RULES) out.add("lxc.cgroup2.devices.allow", rule);
}
