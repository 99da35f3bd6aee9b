// process.capabilities: the bounding set through lxc.cap.keep, the others
// through the monitor (liblxc has no item for them: src/native/c/monitor-init.c).
//
// liblxc's init is the monitor's clone and keeps its inheritable and ambient
// sets (a new user namespace resets them); liblxc only drops from the
// bounding set, switches to lxc.init.uid and execs. Like runc, the monitor
// has the init set effective/permitted right before that exec. The kernel
// then computes (capabilities(7), no file capabilities):
//   uid 0:     permitted = effective = bounding ∪ inheritable,
//              with no_new_privs no more than the permitted set before
//   uid ≠ 0:   permitted = effective = ambient
// (the ambient set would be cleared by liblxc's setuid, unless the monitor
// sets SECBIT_NO_SETUID_FIXUP).
import { CAPABILITY_NUMBERS } from "../exec/capabilities";
import { refuse } from "../oci/errors";
import type { Translation } from "./output";
import type { Process } from "../oci/schema-process";
import { isUnset } from "./unsupported";
import type { FeatureSwitches } from "./security";

/**
 * Capability names as lxc.cap.keep takes them (liblxc 5.0's caps_opt in
 * conf.c knows each of linux/capability.h's up to CAP_CHECKPOINT_RESTORE), in
 * the kernel's numbering: CAP_CHOWN is 0.
 */
const CAPABILITIES = Object.keys(CAPABILITY_NUMBERS).map((name) => name.slice("CAP_".length).toLowerCase());

/** Every capability name process.capabilities accepts (CAP_CHOWN…), in the kernel's order. */
export const capabilityNames = () => CAPABILITIES.map((name) => `CAP_${name.toUpperCase()}`);

const SETS = ["bounding", "effective", "inheritable", "permitted", "ambient"] as const;
type SetName = (typeof SETS)[number];
type Sets = Record<SetName, Set<string>>;

/** What the monitor gives the init beyond liblxc's bounding set (src/native/c/monitor-init.c). */
export interface InitCapabilities {
  /** Capability numbers. */
  inheritable: number[];
  ambient: number[];
  effective: number[];
  permitted: number[];
  /** SECBIT_NO_SETUID_FIXUP, so the ambient set survives liblxc's switch to a non-root uid. */
  keepAmbientOnSetuid: boolean;
  /** uid 0: effective and permitted set right before the exec, as runc does (no_new_privs keeps no more). */
  atExec: boolean;
  /** A user namespace resets inheritable and ambient: set them in it, at liblxc's switch to initUid. */
  atSetuid: boolean;
  initUid: number;
}

function parseSet(names: readonly string[], set: SetName): Set<string> {
  return new Set(names.map((name, i) => {
    const lxcName = name.replace(/^CAP_/, "").toLowerCase();
    if (!name.startsWith("CAP_") || !CAPABILITIES.includes(lxcName)) {
      refuse(["process", "capabilities", set, i], `unknown capability "${name}"`);
    }
    return lxcName;
  }));
}

/** Refuses the first capability of `set` missing from `within`. */
function requireSubset(process: Process, set: SetName, within: Set<string>, reason: string): void {
  const names = process.capabilities?.[set] ?? [];
  const i = names.findIndex((name) => !within.has(name.replace(/^CAP_/, "").toLowerCase()));
  if (i >= 0) refuse(["process", "capabilities", set, i], `${names[i]} ${reason}`);
}

const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));
const listOf = (set: Set<string>) => (set.size ? [...set].map((c) => `CAP_${c.toUpperCase()}`).join(", ") : "none");

/**
 * What the kernel lets through, as runc and crun accept it: ambient bits
 * outside permitted ∩ inheritable are never raised (warned and dropped); a
 * non-root process's effective/permitted end up as its ambient set (noted).
 */
function checkSets(process: Process, sets: Sets, out: Translation): void {
  requireSubset(process, "inheritable", sets.bounding, "is not in the bounding set, which limits the inheritable set");
  requireSubset(process, "effective", sets.permitted, "is not in the permitted set");
  const dropped = [...sets.ambient].filter((c) => !sets.permitted.has(c) || !sets.inheritable.has(c));
  if (dropped.length) {
    for (const c of dropped) sets.ambient.delete(c);
    out.warn(`process.capabilities.ambient: ${listOf(new Set(dropped))} not raised: the kernel only keeps ambient capabilities that are both permitted and inheritable (runc and crun drop them too)`);
  }
  if (process.user.uid !== 0 && (!sameSet(sets.effective, sets.ambient) || !sameSet(sets.permitted, sets.ambient))) {
    out.note(`process.capabilities: as with runc, the non-root init gets permitted = effective = ambient (${listOf(sets.ambient)}); the kernel recomputes them from the ambient set at exec`);
  }
}

const numbers = (set: Set<string>) => [...set].map((name) => CAPABILITIES.indexOf(name)).sort((a, b) => a - b);

/**
 * lxc.cap.keep, and the monitor's part; undefined when the init keeps the
 * runtime's capabilities (the switch is off).
 */
export function translateCapabilities(process: Process, features: FeatureSwitches, userNamespace: boolean, out: Translation): InitCapabilities | undefined {
  if (!features.capabilities) {
    if (!isUnset(process.capabilities)) out.note("process.capabilities skipped: capabilities are disabled (CRIO_LXC_CAPABILITIES=false)");
    return undefined;
  }
  // Like runc: no capabilities object means every set empty.
  const caps = process.capabilities ?? {};
  const sets = Object.fromEntries(SETS.map((set) => [set, parseSet(caps[set] ?? [], set)])) as Sets;
  checkSets(process, sets, out);
  out.add("lxc.cap.keep", sets.bounding.size ? [...sets.bounding].join(" ") : "none");
  const root = process.user.uid === 0;
  return {
    inheritable: numbers(sets.inheritable),
    ambient: numbers(sets.ambient),
    effective: numbers(sets.effective),
    permitted: numbers(sets.permitted),
    keepAmbientOnSetuid: !root && sets.ambient.size > 0,
    atExec: root,
    atSetuid: !root && userNamespace && (sets.inheritable.size > 0 || sets.ambient.size > 0),
    initUid: process.user.uid,
  };
}
