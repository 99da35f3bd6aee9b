// Paths inside a container's rootfs, resolved the way the container will see
// them: symlinks (absolute or with "..") never lead outside the rootfs.
import { lstatSync, mkdirSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { posix } from "node:path";
import { readRegularFile } from "../files";
import { refuse } from "../oci/errors";
import { coveringMount, type BindSourceKind, type MountedPath, type MountPoint, type ResolvedPath } from "../translate/paths";

const MAX_SYMLINKS = 40;

/** Host path of `path` as seen inside `rootfs` (which must be absolute and real). */
export function resolveInRoot(rootfs: string, path: string): string {
  return posix.join(rootfs, resolveBeneath(rootfs, path, []).target);
}

function readSymlink(hostPath: string): string | undefined {
  try {
    return lstatSync(hostPath).isSymbolicLink() ? readlinkSync(hostPath) : undefined;
  } catch {
    return undefined; // Missing: the rest can't be a symlink either.
  }
}

/**
 * `path` resolved beneath `rootfs` as securejoin does: ".." stops at the root
 * and symlinks are followed inside the rootfs. Below a mount in `mounted` the
 * image is hidden, so the rest is taken literally (liblxc refuses any symlink
 * it finds there).
 */
function resolveBeneath(rootfs: string, path: string, mounted: readonly MountedPath[]): { target: string; mount?: MountedPath } {
  const pending = path.split("/").filter(Boolean);
  const resolved: string[] = [];
  let links = 0;
  while (pending.length) {
    const part = pending.shift()!;
    if (part === ".") continue;
    if (part === "..") { resolved.pop(); continue; }
    const candidate = [...resolved, part].join("/");
    const link = coveringMount(candidate, mounted) ? undefined : readSymlink(posix.join(rootfs, candidate));
    if (link === undefined) { resolved.push(part); continue; }
    if (++links > MAX_SYMLINKS) throw new Error(`too many levels of symbolic links resolving ${path} in ${rootfs}`);
    if (link.startsWith("/")) resolved.length = 0;
    pending.unshift(...link.split("/").filter(Boolean));
  }
  const target = resolved.join("/");
  return { target, mount: coveringMount(target, mounted) };
}

function kindOf(hostPath: string): BindSourceKind {
  try {
    return statSync(hostPath).isDirectory() ? "directory" : "file";
  } catch {
    return "missing";
  }
}

/** What a container path is once the mounts before it are in place; see ResolvePath. */
export function resolveContainerPath(rootfs: string, path: string, mounted: readonly MountedPath[]): ResolvedPath {
  const { target, mount } = resolveBeneath(rootfs, path, mounted);
  if (!mount) return { target, kind: kindOf(posix.join(rootfs, target)), belowMount: false };
  const rest = target.slice(mount.target.length);
  if (mount.hostSource) return { target, kind: kindOf(mount.hostSource + rest), belowMount: true };
  // A fresh filesystem: only its root exists.
  return { target, kind: rest ? "missing" : "directory", belowMount: true };
}

/**
 * Creates missing mount points in the image, as runc does, so liblxc never
 * has to (it would create them through symlinks, with the container's umask,
 * and can't on a read-only root). Fails naming the field when the rootfs
 * can't be written.
 */
export function createMountPoints(rootfs: string, points: readonly MountPoint[]): void {
  for (const { target, kind, at } of points) {
    const parts = target.split("/");
    try {
      for (let i = 1; i <= parts.length; i++) {
        const host = posix.join(rootfs, ...parts.slice(0, i));
        const existing = lstatOrUndefined(host);
        if (existing?.isSymbolicLink()) throw new Error(`${host} became a symbolic link`);
        if (existing) continue;
        if (i === parts.length && kind === "file") writeFileSync(host, "", { mode: 0o644, flag: "wx" });
        else mkdirSync(host, { mode: 0o755 });
      }
    } catch (err) {
      refuse(at, `/${target} does not exist in the rootfs and can't be created there: ${(err as Error).message}`);
    }
  }
}

function lstatOrUndefined(hostPath: string) {
  try { return lstatSync(hostPath); } catch { return undefined; }
}

/** The home directory of `uid` in the rootfs's /etc/passwd, if it has an entry. */
export function homeDirectory(rootfs: string, uid: number): string | undefined {
  let passwd: string;
  try {
    passwd = readRegularFile(resolveInRoot(rootfs, "/etc/passwd"));
  } catch {
    return undefined;
  }
  const fields = passwd.split("\n").map((line) => line.split(":")).find((f) => f.length >= 7 && f[2] === String(uid));
  return fields?.[5] || undefined;
}

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** What an exec of `hostPath` would meet; "unknown" when the path can't be looked at from the host. */
function lookAt(hostPath: string | undefined): "executable" | "not executable" | "missing" | "unknown" {
  if (hostPath === undefined) return "unknown";
  try {
    const st = statSync(hostPath);
    return st.isFile() && (st.mode & 0o111) !== 0 ? "executable" : "not executable";
  } catch {
    return "missing";
  }
}

/**
 * Where `path` can be seen on the host once the mounts in `mounted` are in
 * place: in the image, or in a bind mount's source; undefined below a mount
 * the host can't look into (a tmpfs).
 */
function hostView(rootfs: string, path: string, mounted: readonly MountedPath[]): string | undefined {
  const { target, mount } = resolveBeneath(rootfs, path, mounted);
  if (!mount) return posix.join(rootfs, target);
  return mount.hostSource === undefined ? undefined : mount.hostSource + target.slice(mount.target.length);
}

/**
 * Checks process.args[0] the way the container will find it once its mounts
 * are in place (podman's --init binds catatonit over /run/podman-init), so
 * create fails with the wording clients map to exit codes, as runc's: 127 for
 * a missing program, 126 ("permission denied") for a path that names a
 * directory or a file without execute permission. A PATH search skips such
 * files, as execvp does. Paths below a tmpfs are left to the exec itself.
 */
export function checkExecutable(rootfs: string, program: string, env: string[], cwd: string, mounted: readonly MountedPath[] = []): void {
  const find = (path: string) => lookAt(hostView(rootfs, path, mounted));
  if (program.includes("/")) {
    const found = find(posix.resolve(cwd, program));
    if (found === "executable" || found === "unknown") return;
    throw new Error(found === "missing"
      ? `exec: ${JSON.stringify(program)}: no such file or directory`
      : `exec: ${JSON.stringify(program)}: permission denied`);
  }
  const pathVar = env.findLast((e) => e.startsWith("PATH="))?.slice(5) ?? DEFAULT_PATH;
  const candidates = pathVar.split(":").map((dir) => posix.join(posix.resolve(cwd, dir || "."), program));
  if (candidates.some((c) => ["executable", "unknown"].includes(find(c)))) return;
  throw new Error(`exec: ${JSON.stringify(program)}: executable file not found in $PATH`);
}
