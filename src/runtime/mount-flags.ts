// The per-mount flags of the mount a host path lies on, from /proc/self/mountinfo.
import { readFileSync, realpathSync } from "node:fs";

/** Flags a bind mount of that path carries over, and in a user namespace can't drop (they are locked). */
const CARRIED = new Set(["ro", "nosuid", "nodev", "noexec"]);

/** Octal escapes of mountinfo fields (\040 for a space…). */
const unescape = (field: string) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

const isWithin = (path: string, mountPoint: string) =>
  mountPoint === "/" || path === mountPoint || path.startsWith(`${mountPoint}/`);

/** ro, nosuid, nodev and noexec of the mount `hostPath` is on (the last one mounted there); [] if unknown. */
export function carriedMountFlags(hostPath: string): string[] {
  let path: string;
  let mountinfo: string;
  try {
    path = realpathSync(hostPath);
    mountinfo = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return [];
  }
  let best: { point: string; options: string } | undefined;
  for (const line of mountinfo.split("\n")) {
    const fields = line.split(" ");
    if (fields.length < 6) continue;
    const point = unescape(fields[4]!);
    // Later lines are mounted on top: at the same length the last one wins.
    if (isWithin(path, point) && (!best || point.length >= best.point.length)) best = { point, options: fields[5]! };
  }
  return best ? best.options.split(",").filter((o) => CARRIED.has(o)) : [];
}
