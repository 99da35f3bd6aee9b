import { renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** Like runc: written to a temp file and renamed, so readers never see a partial pid. */
export function writePidFile(path: string, pid: number): void {
  const file = resolve(path);
  const tmp = join(dirname(file), `.${process.pid}.pid.tmp`);
  writeFileSync(tmp, String(pid));
  renameSync(tmp, file);
}
