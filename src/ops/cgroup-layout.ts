// Which cgroup layout /sys/fs/cgroup has, from /proc/self/mountinfo.
import { CGROUP2_ROOT } from "../cgroup";

export type CgroupLayout =
  | { kind: "unified" }
  | { kind: "hybrid"; v1: string[]; v2At: string }
  | { kind: "legacy"; v1: string[] }
  | { kind: "misplaced"; v2At: string }
  | { kind: "none" };

interface MountLine { point: string; fstype: string }

/** Mount point and filesystem type of each mountinfo line (octal escapes in the point decoded). */
function mounts(mountinfo: string): MountLine[] {
  return mountinfo.split("\n").flatMap((line) => {
    const [before, after] = line.split(" - ");
    const point = before?.split(" ")[4];
    const fstype = after?.split(" ")[0];
    if (!point || !fstype) return [];
    return [{ point: point.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))), fstype }];
  });
}

export function cgroupLayout(mountinfo: string): CgroupLayout {
  const all = mounts(mountinfo);
  // The last mount on a point hides earlier ones.
  const root = all.findLast((m) => m.point === CGROUP2_ROOT);
  if (root?.fstype === "cgroup2") return { kind: "unified" };
  const below = all.filter((m) => m.point.startsWith(`${CGROUP2_ROOT}/`));
  const v1 = below.filter((m) => m.fstype === "cgroup").map((m) => m.point.slice(CGROUP2_ROOT.length + 1));
  const v2 = below.find((m) => m.fstype === "cgroup2");
  if (v1.length && v2) return { kind: "hybrid", v1, v2At: v2.point };
  if (v1.length) return { kind: "legacy", v1 };
  if (v2) return { kind: "misplaced", v2At: v2.point };
  return { kind: "none" };
}

const FIX = "crio-lxc needs cgroup v2 alone (unified) at /sys/fs/cgroup: boot with systemd.unified_cgroup_hierarchy=1";

export function describeLayout(layout: CgroupLayout): string {
  switch (layout.kind) {
    case "unified": return `cgroup v2 (unified) at ${CGROUP2_ROOT}`;
    case "hybrid": return `hybrid layout: cgroup v1 controllers at ${CGROUP2_ROOT}/{${layout.v1.join(",")}}, cgroup v2 only at ${layout.v2At}; ${FIX}`;
    case "legacy": return `cgroup v1 only at ${CGROUP2_ROOT}/{${layout.v1.join(",")}}; ${FIX}`;
    case "misplaced": return `cgroup v2 mounted at ${layout.v2At}, not at ${CGROUP2_ROOT}; ${FIX}`;
    case "none": return `no cgroup filesystem mounted at ${CGROUP2_ROOT}; ${FIX}`;
  }
}
