// Paths inside a container's rootfs, resolved the way the container will see
// them: symlinks (absolute or with "..") never lead outside the rootfs.
import { lstatSync, readlinkSync, statSync } from "node:fs";
import { posix } from "node:path";

const MAX_SYMLINKS = 40;

/** Host path of `path` as seen inside `rootfs` (which must be absolute and real). */
export function resolveInRoot(rootfs: string, path: string): string {
  const pending = path.split("/").filter(Boolean);
  const resolved: string[] = [];
  let links = 0;
  while (pending.length) {
    const part = pending.shift()!;
    if (part === ".") continue;
    if (part === "..") { resolved.pop(); continue; }
    const host = posix.join(rootfs, ...resolved, part);
    let target: string | undefined;
    try {
      if (lstatSync(host).isSymbolicLink()) target = readlinkSync(host);
    } catch {
      // A missing component: the rest can't be a symlink either.
    }
    if (target === undefined) { resolved.push(part); continue; }
    if (++links > MAX_SYMLINKS) throw new Error(`too many levels of symbolic links resolving ${path} in ${rootfs}`);
    if (target.startsWith("/")) resolved.length = 0;
    pending.unshift(...target.split("/").filter(Boolean));
  }
  return posix.join(rootfs, ...resolved);
}

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

function isExecutableFile(hostPath: string): boolean {
  try {
    const st = statSync(hostPath);
    return st.isFile() && (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * Checks process.args[0] the way execvp in the container will find it, so a
 * missing program fails `create` with the message clients map to exit 127.
 */
export function checkExecutable(rootfs: string, program: string, env: string[], cwd: string): void {
  const pathVar = env.findLast((e) => e.startsWith("PATH="))?.slice(5) ?? DEFAULT_PATH;
  const candidates = program.includes("/")
    ? [posix.resolve(cwd, program)]
    : pathVar.split(":").map((dir) => posix.join(posix.resolve(cwd, dir || "."), program));
  if (candidates.some((c) => isExecutableFile(resolveInRoot(rootfs, c)))) return;
  throw new Error(program.includes("/")
    ? `exec: ${JSON.stringify(program)}: no such file or directory`
    : `exec: ${JSON.stringify(program)}: executable file not found in $PATH`);
}
