// What test/differential/probe.sh printed, as a flat record of named fields
// ("mount /dev/pts", "status CapEff", "env PATH", ...) whose values no longer
// depend on the run: paths of the bundle, rootfs and container id replaced by
// placeholders, mount ids and peer group numbers replaced by mount points,
// anonymous device numbers dropped, capability masks decoded to names.
import { CAPABILITY_NUMBERS } from "../../src/exec/capabilities";

export type ProbeRecord = Record<string, string>;

/** Strings of one run and what replaces them, longest first. */
export type Placeholders = Array<[string, string]>;

export function placeholders(map: Record<string, string>): Placeholders {
  return Object.entries(map).filter(([from]) => from !== "").sort(([a], [b]) => b.length - a.length);
}

export function replacePlaceholders(text: string, ph: Placeholders): string {
  for (const [from, to] of ph) text = text.replaceAll(from, to);
  return text;
}

/** Capability names without CAP_, in the kernel's numbering. */
const CAPABILITIES = Object.keys(CAPABILITY_NUMBERS).map((name) => name.slice("CAP_".length));

export function capabilityNames(hexMask: string): string {
  const mask = BigInt(`0x${hexMask}`);
  const names = CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
  const unknown = mask >> BigInt(CAPABILITIES.length);
  if (unknown) names.push(`unknown bits ${unknown.toString(16)}<<${CAPABILITIES.length}`);
  return names.length ? names.join(",") : "(none)";
}

// /proc/self/limits' descriptions by the names the spec uses.
const RLIMITS: Record<string, string> = {
  "Max cpu time": "CPU", "Max file size": "FSIZE", "Max data size": "DATA", "Max stack size": "STACK",
  "Max core file size": "CORE", "Max resident set": "RSS", "Max processes": "NPROC", "Max open files": "NOFILE",
  "Max locked memory": "MEMLOCK", "Max address space": "AS", "Max file locks": "LOCKS",
  "Max pending signals": "SIGPENDING", "Max msgqueue size": "MSGQUEUE", "Max nice priority": "NICE",
  "Max realtime priority": "RTPRIO", "Max realtime timeout": "RTTIME",
};

/** Splits the probe's output into its sections' lines. */
export function sections(output: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of output.split("\n")) {
    const header = /^@@ (\S+)$/.exec(line);
    if (header) found.set(header[1]!, (current = []));
    else if (current && line !== "") current.push(line);
  }
  return found;
}

interface Mount {
  id: string; parent: string; dev: string; root: string; point: string; options: string;
  optional: string[]; fstype: string; source: string; superOptions: string;
}

function parseMountinfo(line: string): Mount {
  const [left, right = ""] = line.split(" - ");
  const [id, parent, dev, root, point, options, ...optional] = left!.split(" ");
  const [fstype, source, superOptions] = right.split(" ");
  return { id: id!, parent: parent!, dev: dev!, root: root!, point: point!, options: options!, optional, fstype: fstype!, source: source!, superOptions: superOptions ?? "" };
}

/**
 * One field per mount, named by its mount point ("mount /dev"; a mount that
 * a later one on the same point covers: "mount /dev (covered 1)"), plus
 * "mounts order". Parents and peer groups are named by mount point too, so one
 * extra or missing mount shows as one difference, not as renumbering of
 * everything after it.
 */
function mountFields(lines: string[], out: ProbeRecord): void {
  const mounts = lines.map(parseMountinfo);
  const keyById = new Map<string, string>();
  const count = new Map<string, number>();
  for (const m of mounts) count.set(m.point, (count.get(m.point) ?? 0) + 1);
  const seen = new Map<string, number>();
  for (const m of mounts) {
    const n = (seen.get(m.point) ?? 0) + 1;
    seen.set(m.point, n);
    keyById.set(m.id, n === count.get(m.point) ? m.point : `${m.point} (covered ${n})`);
  }
  // A peer group is named after its first member; "master" names the group's first member here, if any.
  const groupOwner = new Map<string, string>();
  for (const m of mounts) {
    for (const tag of m.optional) {
      const shared = /^shared:(\d+)$/.exec(tag);
      if (shared && !groupOwner.has(shared[1]!)) groupOwner.set(shared[1]!, keyById.get(m.id)!);
    }
  }
  // Below a stack of mounts on one point, the parent is what the bottom one is mounted on:
  // the stack shows in its own fields ("(covered n)"), not again in every mount on top of it.
  const byId = new Map(mounts.map((m) => [m.id, m]));
  const parentOf = (m: Mount): string => {
    let parent = byId.get(m.parent);
    while (parent && parent.point === m.point) parent = byId.get(parent.parent);
    return parent ? keyById.get(parent.id)! : "outside";
  };
  for (const m of mounts) {
    const key = keyById.get(m.id)!;
    const propagation = m.optional.map((tag) => {
      const [kind, group] = tag.split(":");
      if (kind === "shared") return groupOwner.get(group!) === key ? "shared" : `shared(with ${groupOwner.get(group!)})`;
      if (kind === "master") return groupOwner.has(group!) ? `slave(of ${groupOwner.get(group!)})` : "slave(of a mount outside)";
      if (kind === "propagate_from") return "propagate_from(outside)";
      return tag;
    });
    const dev = m.dev.startsWith("0:") ? "" : ` dev=${m.dev}`;
    out[`mount ${key}`] = [
      `${m.fstype} ${m.source}`, `root=${m.root}`, `opts=${m.options}`, `super=${m.superOptions}`,
      `propagation=${propagation.join(",") || "private"}`, `parent=${parentOf(m)}`,
    ].join(" ") + dev;
  }
  out["mounts order"] = mounts.map((m) => keyById.get(m.id)).join("  ");
}

/** stat's type, mode, owner, major:minor (hex, dropped when 0:0) and a symlink's "-> target". */
function statFields([type, mode, owner, dev, ...rest]: string[]): string[] {
  const numbers = dev && dev !== "0:0" ? [dev.split(":").map((h) => parseInt(h, 16)).join(":")] : [];
  return [`${type} ${mode} ${owner}`, ...numbers, ...rest];
}

const squash = (s: string) => s.trim().replace(/\s+/g, " ");

/** The probe's output as fields; placeholders applied to every value first. */
export function parseProbe(output: string, ph: Placeholders): ProbeRecord {
  const found = sections(replacePlaceholders(output, ph));
  const out: ProbeRecord = {};
  const lines = (name: string) => found.get(name) ?? [];
  const whole = (name: string) => { if (found.has(name)) out[name] = lines(name).map(squash).join("; "); };

  mountFields(lines("mountinfo"), out);
  for (const line of lines("status")) {
    const [name, value = ""] = line.split(/:\s*/, 2);
    out[`status ${name}`] = name!.startsWith("Cap") ? capabilityNames(value.trim()) : squash(value);
  }
  for (const line of lines("limits").slice(1)) {
    const m = /^(Max [a-z ]+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    if (m) out[`rlimit ${RLIMITS[m[1]!] ?? m[1]}`] = `${m[2]} ${m[3]}`;
  }
  for (const line of lines("env")) {
    const eq = line.indexOf("=");
    if (eq > 0) out[`env ${line.slice(0, eq)}`] = line.slice(eq + 1);
  }
  for (const name of ["id", "cwd", "hostname", "domainname", "oom_score_adj", "cgroup", "uid_map", "gid_map", "setgroups", "timens_offsets", "uname", "lsm"]) whole(name);
  for (const line of lines("fds")) {
    const m = / (\d+) -> (.*)$/.exec(line);
    if (m) out[`fd ${m[1]}`] = m[2]!.replace(/^(pipe|socket):\[\d+\]$/, "$1");
  }
  for (const line of lines("ns")) {
    const [type, state] = line.split(" ");
    out[`ns ${type}`] = state!;
  }
  for (const line of lines("dev")) {
    const [path, ...stat] = line.split("|");
    out[`dev ${path}`] = statFields(stat).join(" ");
  }
  for (const line of lines("paths")) {
    const [label, ...rest] = line.split("|");
    out[label!] = rest[0] === "missing" ? "missing" : [...statFields(rest.slice(0, 4)), ...rest.slice(4)].join(" | ");
  }
  for (const line of lines("cgroupfiles")) {
    const eq = line.indexOf("=");
    out[`cgroup file ${line.slice(0, eq)}`] = squash(line.slice(eq + 1).replace(/;$/, ""));
  }
  for (const line of lines("sysctl")) {
    const eq = line.indexOf("=");
    out[`sysctl ${line.slice(0, eq)}`] = squash(line.slice(eq + 1));
  }
  for (const line of lines("actions")) {
    const space = line.indexOf(" ");
    out[`action ${line.slice(0, space)}`] = line.slice(space + 1);
  }
  out["probe completed"] = found.has("end") ? "yes" : "no";
  return out;
}

export interface Difference { field: string; runc: string; crioLxc: string }

export const ABSENT = "(absent)";

const ORDER = "mounts order";

/**
 * Every field whose value differs, in a stable order. The mount order is
 * compared over the mounts both have: one only one has shows as its own field.
 */
export function compareRecords(runc: ProbeRecord, crioLxc: ProbeRecord): Difference[] {
  const fields = [...new Set([...Object.keys(runc), ...Object.keys(crioLxc)])].sort();
  const values = (record: ProbeRecord, field: string) => {
    if (field !== ORDER || record[ORDER] === undefined) return record[field] ?? ABSENT;
    const other = record === runc ? crioLxc : runc;
    return record[ORDER].split("  ").filter((key) => other[`mount ${key}`] !== undefined).join("  ");
  };
  return fields
    .map((field) => ({ field, runc: values(runc, field), crioLxc: values(crioLxc, field) }))
    .filter((d) => d.runc !== d.crioLxc);
}
