// runc's /dev/core: a symlink to /proc/kcore in every container, where the
// node has a /proc/kcore. liblxc makes /dev/fd and /dev/std{in,out,err}
// itself but not this one, and a hook for it would cost a shell per create.
import { closeSync, constants, existsSync, openSync } from "node:fs";
import type { FileOwner } from "../translate/output";
import { openDirectoryInRoot, symlinkAt, SysError } from "../sys";
import type { Logger } from "../log";

const EEXIST = 17;
/** Not in node:fs's constants. */
const O_PATH = 0o10000000;

/**
 * Made in the held container's /dev (set up, nothing of the image run yet),
 * resolved inside its root with no symlink followed; owned by the
 * container's root. Something already at /dev/core (a device, a mount) is
 * kept, as runc keeps it.
 */
export function addDevCore(initPid: number, owner: FileOwner | undefined, log: Logger): void {
  if (!existsSync("/proc/kcore")) return;
  let root: number | undefined;
  let dev: number | undefined;
  try {
    root = openSync(`/proc/${initPid}/root`, O_PATH | constants.O_DIRECTORY);
    dev = openDirectoryInRoot(root, "/dev");
    symlinkAt("/proc/kcore", dev, "core", owner);
  } catch (err) {
    if (!(err instanceof SysError && err.errno === EEXIST)) log.warn(`could not make /dev/core (runc's symlink to /proc/kcore): ${(err as Error).message}`);
  } finally {
    if (dev !== undefined) closeSync(dev);
    if (root !== undefined) closeSync(root);
  }
}
