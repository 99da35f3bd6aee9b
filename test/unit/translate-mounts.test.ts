import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fstabEscape, fstabLine, type MountedPath, type ResolvedPath, type TranslateContext } from "../../src/translate/translate";
import { refusal, run, values, type SpecPatch } from "./spec-fixtures";

const mounts = (...list: object[]) => ({ mounts: list });
const entries = (patch: SpecPatch, ctx: Partial<TranslateContext> = {}) => values(patch, "lxc.mount.entry", ctx);

describe("fstab lines", () => {
  test("escape what getmntent(3) splits on", () => {
    expect(fstabEscape("a b\tc\nd\\e")).toBe("a\\040b\\011c\\012d\\134e");
    expect(fstabLine({ source: "/srv/My Data", target: "mnt/my data", type: "none", options: ["bind", "create=dir"] }))
      .toBe("/srv/My\\040Data mnt/my\\040data none bind,create=dir 0 0");
  });
  test("targets are relative to the rootfs and normalized; \"..\" stops at the root", () => {
    expect(entries(mounts({ destination: "//run/./lock/", type: "tmpfs", source: "tmpfs" }, { destination: "/a/../../etc", type: "tmpfs" })))
      .toEqual(["tmpfs run/lock tmpfs create=dir 0 0", "tmpfs etc tmpfs create=dir 0 0"]);
  });
});

describe("mounts", () => {
  test("filesystems keep their options (propagation too); cgroup becomes cgroup2", () => {
    expect(entries(mounts(
      { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
      { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["rprivate", "ro"] },
      { destination: "/dev/mqueue", type: "mqueue" },
    ))).toEqual([
      "proc proc proc nosuid,noexec,nodev,create=dir 0 0",
      "cgroup sys/fs/cgroup cgroup2 rprivate,ro,create=dir 0 0",
      "mqueue dev/mqueue mqueue create=dir 0 0",
    ]);
  });
  test("bind mounts: by type or option, create=dir/file from the source's kind, relative sources from the bundle", () => {
    expect(entries(mounts(
      { destination: "/data", type: "bind", source: "/srv/data" },
      { destination: "/etc/hosts", source: "/etc/hosts", options: ["rbind", "ro", "rslave"] },
      { destination: "/etc/motd", type: "none", source: "motd", options: ["bind"] },
    ))).toEqual([
      "/srv/data data none bind,create=dir 0 0",
      "/etc/hosts etc/hosts none rbind,ro,rslave,create=file 0 0",
      "/run/bundles/c0ffee/motd etc/motd none bind,create=file 0 0",
    ]);
  });
  test("devpts on /dev/pts without a terminal: a mount entry in its place, any options; a decoy last for liblxc to detach", () => {
    const devpts = { destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0600"] };
    expect(entries(mounts({ destination: "/dev", type: "tmpfs", source: "tmpfs" }, devpts, { destination: "/dev/shm", type: "tmpfs", source: "shm" }))).toEqual([
      "tmpfs dev tmpfs create=dir 0 0",
      "devpts dev/pts devpts nosuid,noexec,newinstance,ptmxmode=0666,mode=0600,create=dir 0 0",
      "shm dev/shm tmpfs create=dir 0 0",
      "dev/pts dev/pts none bind,relative 0 0",
    ]);
    expect(values(mounts(devpts), "lxc.pty.max")).toEqual(["0"]);
    expect(entries(mounts({ destination: "/dev/shm", type: "tmpfs" }))).toEqual(["tmpfs dev/shm tmpfs create=dir 0 0"]);
  });
  test("devpts on /dev/pts with a terminal is left to liblxc, which mounts its own for the console, with a note", () => {
    const devpts = { destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] };
    const terminal = { process: { terminal: true }, ...mounts(devpts) };
    const { items, notes } = run(terminal);
    expect(items.some(([k]) => k === "lxc.mount.entry")).toBe(false);
    // The kernel's default max= of a devpts, which mountinfo then doesn't show (as on runc's devpts).
    expect(items).toContainEqual(["lxc.pty.max", "1048576"]);
    expect(notes.join()).toMatch(/mounts\[0\] \(devpts on \/dev\/pts\) left to liblxc/);
    expect(refusal({ ...terminal, ...mounts({ ...devpts, options: ["mode=0600"] }) })).toMatch(/^mounts\[0\]\.options\[0\]: "mode=0600" can't be honoured/);
  });
  test("lxc.autodev is off when the spec mounts a tmpfs on /dev (its own would lie beneath it)", () => {
    expect(values(mounts({ destination: "/dev/", type: "tmpfs" }), "lxc.autodev")).toEqual(["0"]);
    expect(values(mounts({ destination: "/dev", type: "bind", source: "/srv/data" }), "lxc.autodev")).toEqual(["1"]);
    expect(values(mounts({ destination: "/dev/shm", type: "tmpfs" }), "lxc.autodev")).toEqual(["1"]);
  });
  test("cgroup in a user namespace without a cgroup namespace: the host's /sys/fs/cgroup bound, as runc does", () => {
    const cgroup = { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"] };
    const mapping = [{ containerID: 0, hostID: 100000, size: 65536 }];
    const linux = (...types: string[]) => ({ namespaces: types.map((type) => ({ type })), uidMappings: mapping, gidMappings: mapping });
    const ctx = { bindSourceKind: () => "directory" as const };
    // A bind in a user namespace: the runtime attaches it.
    expect(run({ ...mounts(cgroup), linux: linux("mount", "user") }, ctx).sharedBinds).toMatchObject([{ source: "/sys/fs/cgroup", target: "sys/fs/cgroup", flags: ["nosuid", "noexec", "nodev", "ro"] }]);
    expect(entries({ ...mounts(cgroup), linux: linux("mount", "user", "cgroup") }, ctx)).toEqual(["cgroup sys/fs/cgroup cgroup2 nosuid,noexec,nodev,relatime,ro,create=dir 0 0"]);
  });
  test("refusals", () => {
    expect(refusal(mounts({ destination: "tmp", type: "tmpfs" }))).toMatch(/^mounts\[0\]\.destination: expected an absolute path/);
    expect(refusal(mounts({ destination: "/", type: "tmpfs" }))).toMatch(/^mounts\[0\]\.destination: cannot be the container's root/);
    expect(refusal(mounts({ destination: "/x", type: "nfs4 x", source: "h:/x" }))).toMatch(/^mounts\[0\]\.type: "nfs4 x" is not a filesystem type/);
    expect(refusal(mounts({ destination: "/x" }))).toMatch(/^mounts\[0\]\.type: required unless the mount is a bind mount/);
    expect(refusal(mounts({ destination: "/x", type: "bind", source: "/srv/data", options: ["nosuid", "tmpcopyup"] }))).toMatch(/^mounts\[0\]\.options\[1\]: "tmpcopyup" applies to tmpfs mounts only/);
    expect(refusal(mounts({ destination: "/x", type: "tmpfs", options: ["optional"] }))).toMatch(/^mounts\[0\]\.options\[0\]: "optional" clashes with liblxc's own/);
    expect(refusal(mounts({ destination: "/x", type: "bind" }))).toMatch(/^mounts\[0\]\.source: required for a bind mount/);
    expect(refusal(mounts({ destination: "/x", type: "bind", source: "/missing" }))).toMatch(/^mounts\[0\]\.source: bind mount source "\/missing" does not exist/);
    expect(refusal(mounts({ destination: "/x", type: "bind", source: "#x" }))).toMatch(/^mounts\[0\]\.source: must not start with "#"/);
  });
  test("idmapped binds are the runtime's to attach: the mount's mappings, or idmap/ridmap through the container's user namespace", () => {
    const map = [{ containerID: 0, hostID: 100000, size: 65536 }];
    const userns = { namespaces: [{ type: "mount" }, { type: "user" }], uidMappings: map, gidMappings: map };
    const own = run({ ...mounts({ destination: "/data", type: "bind", source: "/srv/data", options: ["rbind", "ro"], uidMappings: map, gidMappings: map }) });
    expect(own.items.filter(([k]) => k === "lxc.mount.entry")).toEqual([]);
    expect(own.sharedBinds).toEqual([{ source: "/srv/data", target: "data", at: ["mounts", 0], propagation: "private", recursive: true, flags: ["ro"], idmap: { uidMappings: map, gidMappings: map } }]);
    const container = run({ ...mounts({ destination: "/data", type: "bind", source: "/srv/data", options: ["ridmap"] }), linux: userns });
    expect(container.sharedBinds).toMatchObject([{ idmap: "container", recursive: true, propagation: "private" }]);
    const idmapped = { destination: "/x", type: "bind", source: "/srv/data", uidMappings: map };
    expect(refusal(mounts(idmapped))).toMatch(/^mounts\[0\]\.gidMappings: required with uidMappings/);
    expect(refusal(mounts({ destination: "/x", type: "bind", source: "/srv/data", options: ["idmap"] }))).toMatch(/^mounts\[0\]\.options: idmap without uidMappings\/gidMappings maps through the container's user namespace, and it has none/);
    expect(refusal(mounts({ destination: "/x", type: "tmpfs", uidMappings: map, gidMappings: map }))).toMatch(/^mounts\[0\]\.uidMappings: idmapped mounts are bind mounts/);
  });
});

describe("masked and read-only paths", () => {
  const protectedOps = (patch: SpecPatch, ctx: Partial<TranslateContext> = {}) => run(patch, ctx).mountOperations.filter((op) => op.kind === "readonly" || op.kind === "mask");

  test("no mount entries: operations the runtime applies once liblxc has set the container up, read-only paths first", () => {
    const linux = { namespaces: [{ type: "mount" }], maskedPaths: ["/proc/kcore", "/srv/fifo"], readonlyPaths: ["/proc//sys"] };
    expect(entries({ linux })).toEqual([]);
    expect(protectedOps({ linux })).toEqual([
      { kind: "readonly", path: "/proc/sys", at: ["linux", "readonlyPaths", 0] },
      { kind: "mask", path: "/proc/kcore", at: ["linux", "maskedPaths", 0] },
      { kind: "mask", path: "/srv/fifo", at: ["linux", "maskedPaths", 1] },
    ]);
  });
  test("come after the propagation (runc's order)", () => {
    const kinds = run({ linux: { namespaces: [{ type: "mount" }], maskedPaths: ["/proc/kcore"], readonlyPaths: ["/proc/sys"], rootfsPropagation: "rshared" } })
      .mountOperations.map((op) => op.kind);
    expect(kinds).toEqual(["propagation", "propagation", "ptmx-symlink", "readonly", "mask"]);
  });
  test("refused: relative, or leading to the container's root", () => {
    expect(refusal({ linux: { namespaces: [{ type: "mount" }], maskedPaths: ["proc/kcore"] } })).toMatch(/^linux\.maskedPaths\[0\]: expected an absolute path/);
    const toRoot = { resolvePath: (p: string) => ({ target: p === "/link" ? "" : p.slice(1), kind: "directory" as const, belowMount: false }) };
    expect(refusal({ linux: { namespaces: [{ type: "mount" }], readonlyPaths: ["/link"] } }, toRoot)).toMatch(/^linux\.readonlyPaths\[0\]: resolves to the container's root directory/);
  });
});

/** A fake rootfs: `links` maps a container path to where it really leads, `kinds` says what exists (/dev unless told). */
function fakeRootfs(known: Record<string, ResolvedPath["kind"]>, links: Record<string, string> = {}) {
  const kinds: Record<string, ResolvedPath["kind"]> = { "/dev": "directory", ...known };
  const seen: { path: string; mounted: string[] }[] = [];
  const resolvePath = (path: string, mounted: readonly MountedPath[]): ResolvedPath => {
    seen.push({ path, mounted: mounted.map((m) => m.target) });
    const target = (links[path] ?? path).replace(/^\//, "");
    const belowMount = mounted.some((m) => target === m.target || target.startsWith(`${m.target}/`));
    return { target, kind: kinds[path] ?? (target ? "missing" : "directory"), belowMount };
  };
  return { resolvePath, seen };
}

describe("destinations resolved in the rootfs", () => {
  test("the resolved target is mounted on, and each path sees the mounts before it (/dev first)", () => {
    const fake = fakeRootfs({ "/etc/escape/x": "directory" }, { "/etc/escape/x": "/x" });
    const spec = mounts({ destination: "/etc/escape/x", type: "tmpfs" }, { destination: "/x/y", type: "tmpfs" });
    expect(entries(spec, { resolvePath: fake.resolvePath })).toEqual(["tmpfs x tmpfs create=dir 0 0", "tmpfs x/y tmpfs create=dir 0 0"]);
    expect(fake.seen.slice(0, 3)).toEqual([{ path: "/dev", mounted: [] }, { path: "/etc/escape/x", mounted: ["dev"] }, { path: "/x/y", mounted: ["dev", "x"] }]);
  });
  test("missing mount points in the image are listed for the runtime to create; those below a mount are liblxc's", () => {
    const fake = fakeRootfs({ "/etc/hosts": "file" });
    const spec = mounts(
      { destination: "/data", type: "bind", source: "/srv/data" },
      { destination: "/etc/motd", type: "bind", source: "/etc/motd" },
      { destination: "/dev/shm", type: "tmpfs" },
      { destination: "/etc/hosts", type: "bind", source: "/etc/hosts" },
    );
    expect(run(spec, { resolvePath: fake.resolvePath }).mountPoints).toEqual([
      { target: "data", kind: "directory", at: ["mounts", 0, "destination"] },
      { target: "etc/motd", kind: "file", at: ["mounts", 1, "destination"] },
    ]);
  });
  test("an image without /dev (CRI-O's pause image) gets it from the runtime: liblxc can't make it on a read-only rootfs", () => {
    const spec = { root: { path: "rootfs", readonly: true }, ...mounts({ destination: "/dev", type: "tmpfs", source: "tmpfs" }) };
    expect(run(spec, { resolvePath: fakeRootfs({ "/dev": "missing" }).resolvePath }).mountPoints).toEqual([
      { target: "dev", kind: "directory", at: ["mounts", 0, "destination"] },
    ]);
    expect(run(spec, { resolvePath: fakeRootfs({}).resolvePath }).mountPoints).toEqual([]);
    const autodev = { root: { path: "rootfs", readonly: true }, ...mounts({ destination: "/proc", type: "proc" }) };
    expect(run(autodev, { resolvePath: fakeRootfs({ "/dev": "missing", "/proc": "directory" }).resolvePath }).mountPoints).toEqual([
      { target: "dev", kind: "directory", at: ["root", "path"] },
    ]);
  });
  test("refused: resolving to the root, a file bound on a directory", () => {
    expect(refusal(mounts({ destination: "/link", type: "tmpfs" }), { resolvePath: fakeRootfs({}, { "/link": "/" }).resolvePath }))
      .toMatch(/^mounts\[0\]\.destination: "\/link" resolves to the container's root directory/);
    expect(refusal(mounts({ destination: "/etc", type: "bind", source: "/etc/hosts" }), { resolvePath: fakeRootfs({ "/etc": "directory" }).resolvePath }))
      .toMatch(/^mounts\[0\]\.destination: \/etc is a directory but the bind source is a file/);
  });
});

describe("bind mount flags and propagation", () => {
  const hookLines = (patch: SpecPatch) => run(patch).files.find((f) => f.name === "mount-hook.sh")?.content.split("\n").filter((l) => l.startsWith("mount ")) ?? [];

  test("a writable bind with nosuid/nodev/noexec is remounted by the mount hook (liblxc skips the remount)", () => {
    const spec = mounts(
      { destination: "/a", type: "bind", source: "/srv/data", options: ["rbind", "nosuid", "noexec", "rprivate"] },
      { destination: "/b", type: "bind", source: "/srv/data", options: ["ro", "nosuid"] },
      { destination: "/c", type: "bind", source: "/srv/data", options: ["rslave"] },
    );
    expect(hookLines(spec)).toEqual([`mount -o 'remount,bind,nosuid,noexec' "$LXC_ROOTFS_MOUNT"/'a'`]);
  });
  test("the remount keeps the source mount's ro/nosuid/nodev/noexec, as liblxc's own remount does", () => {
    const spec = mounts({ destination: "/a", type: "bind", source: "/srv/data", options: ["rbind", "noexec", "dev"] });
    const lines = run(spec, { bindSourceFlags: () => ["nosuid", "nodev", "noexec"] }).files.find((f) => f.name === "mount-hook.sh")!.content;
    expect(lines).toContain(`mount -o 'remount,bind,noexec,dev,nosuid' "$LXC_ROOTFS_MOUNT"/'a'`);
  });
  test("tmpcopyup: the tmpfs is a mount entry without it; the mount hook copies the image's content in through a scratch bind", () => {
    const spec = mounts({ destination: "/run", type: "tmpfs", source: "tmpfs", options: ["nosuid", "tmpcopyup", "mode=755"] }, { destination: "/run/x", type: "bind", source: "/srv/data" });
    const { items, files } = run(spec);
    expect(items.filter(([k]) => k === "lxc.mount.entry").map(([, v]) => v)).toEqual(["tmpfs run tmpfs nosuid,mode=755,create=dir 0 0", "/srv/data run/x none bind,create=dir 0 0"]);
    expect(files.find((f) => f.name === "copyup")).toEqual({ name: "copyup", content: "", directory: true });
    const hook = files.find((f) => f.name === "mount-hook.sh")!.content;
    expect(hook).toContain(`{ [ ! -d '/run/bundles/c0ffee/rootfs/run' ] || { mount --bind "$LXC_ROOTFS_MOUNT"/'run' '/run/crio-lxc/c0ffee/copyup' && cp -a '/run/bundles/c0ffee/rootfs/run'/. '/run/crio-lxc/c0ffee/copyup'/ && umount '/run/crio-lxc/c0ffee/copyup'; }; } || {`);
    expect(hook).toContain("mounts[0]: copying /run of the image into its tmpfs (tmpcopyup) failed");
  });
  test("tmpcopyup below a fresh filesystem copies nothing: runc copies what is there then, the mount point liblxc makes", () => {
    const { files } = run(mounts({ destination: "/a", type: "tmpfs" }, { destination: "/a/b", type: "tmpfs", options: ["tmpcopyup"] }));
    expect(files.find((f) => f.name === "mount-hook.sh")?.content ?? "").not.toContain("cp -a");
  });
  test("tmpcopyup below another tmpcopyup tmpfs copies from the image: that is what was copied there", () => {
    const spec = mounts({ destination: "/run", type: "tmpfs", options: ["tmpcopyup"] }, { destination: "/run/lock", type: "tmpfs", options: ["tmpcopyup"] });
    const hook = run(spec, { resolvePath: fakeRootfs({ "/run": "directory" }).resolvePath }).files.find((f) => f.name === "mount-hook.sh")!.content;
    expect(hook).toContain(`mount --bind "$LXC_ROOTFS_MOUNT"/'run/lock' '/run/crio-lxc/c0ffee/copyup' && cp -a '/run/bundles/c0ffee/rootfs/run/lock'/.`);
  });
  test("tmpcopyup below a bind mount or liblxc's /dev is refused: its content would not be the image's", () => {
    expect(refusal(mounts({ destination: "/a", type: "bind", source: "/srv/data" }, { destination: "/a/b", type: "tmpfs", options: ["tmpcopyup"] })))
      .toMatch(/^mounts\[1\]\.options: "tmpcopyup" on \/a\/b is not supported: its content would come from the mount on \/a, not the image/);
    expect(refusal(mounts({ destination: "/dev/x", type: "tmpfs", options: ["tmpcopyup"] }))).toContain("lxc.autodev's tmpfs on /dev");
  });
  test("propagation as runc sets it, after liblxc's setup: the tree a slave, then each mount's own option, then rootfsPropagation", () => {
    const MS_REC = 0x4000, MS_UNBINDABLE = 1 << 17, MS_PRIVATE = 1 << 18, MS_SLAVE = 1 << 19, MS_SHARED = 1 << 20;
    const spec = { ...mounts({ destination: "/m", type: "tmpfs", options: ["rprivate", "unbindable"] }, { destination: "/n", type: "tmpfs", options: ["slave"] }), linux: { namespaces: [{ type: "mount" }], rootfsPropagation: "rshared" } };
    const propagation = (patch: SpecPatch) => run(patch).mountOperations.filter((op) => op.kind === "propagation").map(({ path, flags }: any) => ({ path, flags }));
    expect(propagation(spec)).toEqual([
      { path: "/", flags: MS_SLAVE | MS_REC }, { path: "/m", flags: MS_UNBINDABLE }, { path: "/n", flags: MS_SLAVE }, { path: "/", flags: MS_SHARED | MS_REC },
    ]);
    expect(propagation({ linux: { namespaces: [{ type: "mount" }] } })).toEqual([{ path: "/", flags: MS_SLAVE | MS_REC }]);
    expect(propagation({ linux: { namespaces: [{ type: "mount" }], rootfsPropagation: "private" } }).at(-1)).toEqual({ path: "/", flags: MS_PRIVATE });
    expect(run({ linux: { namespaces: [{ type: "mount" }], rootfsPropagation: "private" } }).files.map((f) => f.name)).not.toContain("mount-hook.sh");
  });
  test("a shared bind (Bidirectional) is no mount entry: the runtime attaches it, flags and recursion as asked", () => {
    const fake = fakeRootfs({ "/var/lib/kubelet": "missing" });
    const spec = { ...mounts(
      { destination: "/var/lib/kubelet", type: "bind", source: "/var/lib/kubelet", options: ["rbind", "rshared", "rw", "bind"] },
      { destination: "/csi", type: "bind", source: "/srv/csi", options: ["bind", "shared", "ro", "nosuid"] },
    ), linux: { namespaces: [{ type: "mount" }], rootfsPropagation: "rshared" } };
    const { items, sharedBinds, mountPoints } = run(spec, { resolvePath: fake.resolvePath });
    expect(items.filter(([k]) => k === "lxc.mount.entry")).toEqual([]);
    expect(sharedBinds).toEqual([
      { source: "/var/lib/kubelet", target: "var/lib/kubelet", recursive: true, flags: [], at: ["mounts", 0], propagation: "shared" },
      { source: "/srv/csi", target: "csi", recursive: false, flags: ["ro", "nosuid"], at: ["mounts", 1], propagation: "shared" },
    ]);
    expect(mountPoints.map((p) => p.target)).toEqual(["var/lib/kubelet", "csi"]);
  });
  test("shared binds: a destination missing below another mount is made by the runtime; refused with other options, with a mount below", () => {
    const shared = (patch: object = {}) => ({ destination: "/data", type: "bind", source: "/srv/data", options: ["rbind", "rshared"], ...patch });
    const below = run(mounts({ destination: "/tmp", type: "tmpfs" }, shared({ destination: "/tmp/data" })), { resolvePath: fakeRootfs({ "/tmp": "directory" }).resolvePath, bindSourceKind: () => "directory" });
    expect(below.sharedBinds).toMatchObject([{ target: "tmp/data", createTarget: "directory" }]);
    expect(below.mountPoints).toEqual([]);
    expect(refusal(mounts(shared({ options: ["rbind", "rshared", "noatime"] })))).toMatch(/^mounts\[0\]\.options\[2\]: "noatime" is not supported by crio-lxc on a shared bind mount/);
    expect(refusal(mounts(shared(), { destination: "/data/sub", type: "tmpfs" }))).toMatch(/^mounts\[1\]\.destination: lies below a bind mount crio-lxc attaches after every other mount/);
  });
  test("in a user namespace every bind is attached by the runtime, as the host's root (liblxc would mount it as the container's, which can't reach CRI-O's runroot)", () => {
    const linux = { namespaces: [{ type: "mount" }, { type: "user" }], uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }] };
    const binds = mounts(
      { destination: "/dev/shm", type: "bind", source: "/run/containers/storage/x/userdata/shm", options: ["rbind", "ro", "nosuid", "nodev", "noexec"] },
      { destination: "/data", type: "bind", source: "/srv/data", options: ["rbind", "rslave", "rw", "relatime"] },
      { destination: "/csi", type: "bind", source: "/srv/csi", options: ["rbind", "rshared"] },
    );
    const { items, sharedBinds } = run({ ...binds, linux }, { bindSourceKind: () => "directory" });
    expect(items.filter(([k]) => k === "lxc.mount.entry")).toEqual([]);
    expect(sharedBinds.map((b) => [b.target, b.propagation, b.flags])).toEqual([
      ["dev/shm", "private", ["ro", "nosuid", "nodev", "noexec"]], ["data", "slave", []], ["csi", "shared", []],
    ]);
  });
  test("hook scripts reset PATH and send stderr to the state directory", () => {
    const script = run({ linux: { namespaces: [{ type: "mount" }] }, mounts: [{ destination: "/m", type: "bind", source: "/srv/data", options: ["nosuid"] }] }).files.find((f) => f.name === "mount-hook.sh")!.content;
    expect(script).toMatch(/^set -eu\nPATH=\/usr\/local\/sbin:\/usr\/local\/bin:\/usr\/sbin:\/usr\/bin:\/sbin:\/bin\nexec 2>>'\/run\/crio-lxc\/c0ffee\/setup-errors'\nmount -o /);
  });
});

describe("device nodes", () => {
  const hookLines = (patch: SpecPatch, hook: string) => run(patch).files.find((f) => f.name === `${hook}-hook.sh`)?.content.split("\n").slice(3, -1);
  const devTmpfs = { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "mode=755"] };
  const userns = (hostID: number) => ({ namespaces: [{ type: "mount" }, { type: "user" }], uidMappings: [{ containerID: 0, hostID, size: 65536 }], gidMappings: [{ containerID: 0, hostID, size: 65536 }] });

  const nativeNodes = (patch: SpecPatch, ctx: Partial<TranslateContext> = {}) => {
    const result = run(patch, ctx);
    const hook = result.nativeHooks.find((h) => h.kind === "devices");
    return hook?.kind === "devices" ? { ...hook, items: result.items } : undefined;
  };
  const node = (path: string, type: "c" | "b" | "p", mode: number, major: number, minor: number, label: string, uid = 0, gid = 0) =>
    ({ path, type, mode, major, minor, uid, gid, label });

  test("with liblxc's /dev (no tmpfs on /dev in the spec): linux.devices made by the monitor in an autodev hook as asked (runc's defaults: 0666, root), no shell", () => {
    const devices = [
      { path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 0o20660, uid: 1, gid: 2 },
      { path: "/dev/net/tun", type: "u", major: 10, minor: 200 },
      { path: "/dev/fifo", type: "p" },
    ];
    const hook = nativeNodes({ linux: { namespaces: [{ type: "mount" }], devices } })!;
    const value = "/bin/sh '/run/crio-lxc/c0ffee/devices-hook.sh'";
    expect(hook.items).toContainEqual(["lxc.hook.autodev", value]);
    expect(hook.command).toBe(`exec ${value}`);
    expect(hook.errorsFile).toBe("/run/crio-lxc/c0ffee/setup-errors");
    expect(hook.nodes).toEqual([
      node("dev/fuse", "c", 0o660, 10, 229, "linux.devices[0]", 1, 2),
      node("dev/net/tun", "c", 0o666, 10, 200, "linux.devices[1]"),
      node("dev/fifo", "p", 0o666, 0, 0, "linux.devices[2]"),
    ]);
    expect(hookLines({ linux: { namespaces: [{ type: "mount" }], devices } }, "autodev")).toBeUndefined();
    expect(nativeNodes({ linux: { namespaces: [{ type: "mount" }] } })).toBeUndefined();
  });
  test("the devices' hook item, run by a shell instead of the monitor, fails saying so in the setup errors", () => {
    const { files } = run({ linux: { namespaces: [{ type: "mount" }], devices: [{ path: "/dev/fuse", type: "c", major: 10, minor: 229 }] } });
    const script = files.find((f) => f.name === "devices-hook.sh")!.content;
    expect(script).toContain("#   c 0666 10:229 0:0 /dev/fuse");
    expect(script).toContain(">>'/run/crio-lxc/c0ffee/setup-errors'\nexit 1\n");
    const dir = mkdtempSync(join(tmpdir(), "devices-hook-"));
    try {
      const errors = join(dir, "setup-errors");
      const p = Bun.spawnSync(["sh", "-c", script.replaceAll("/run/crio-lxc/c0ffee/setup-errors", errors)]);
      expect(p.exitCode).toBe(1);
      expect(readFileSync(errors, "utf8")).toContain("liblxc ran a hook of the runtime's own through /bin/sh");
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
  test("with the spec's tmpfs on /dev: runc's standard nodes, then linux.devices (replacing a standard one of the same path), by the monitor in a mount hook after the mount entries' shell hook", () => {
    const devices = [{ path: "/dev/fuse", type: "c", major: 10, minor: 229 }, { path: "/dev/null", type: "c", major: 1, minor: 3, fileMode: 0o600 }];
    const spec = { mounts: [devTmpfs, { destination: "/tmp", type: "tmpfs" }], process: { cwd: "/tmp/w" }, linux: { namespaces: [{ type: "mount" }], devices } };
    const hook = nativeNodes(spec, { resolvePath: fakeRootfs({ "/tmp": "directory" }).resolvePath })!;
    expect(hook.nodes).toEqual([
      ...([["random", 1, 8], ["full", 1, 7], ["tty", 5, 0], ["zero", 1, 5], ["urandom", 1, 9]] as const)
        .map(([name, major, minor]) => node(`dev/${name}`, "c", 0o666, major, minor, `runc's standard device /dev/${name}`)),
      node("dev/fuse", "c", 0o666, 10, 229, "linux.devices[0]"),
      node("dev/null", "c", 0o600, 1, 3, "linux.devices[1]"),
    ]);
    const mountHooks = hook.items.filter(([key]) => key === "lxc.hook.mount").map(([, value]) => value);
    expect(mountHooks).toEqual(["/bin/sh '/run/crio-lxc/c0ffee/mount-hook.sh'", "/bin/sh '/run/crio-lxc/c0ffee/devices-hook.sh'"]);
    const script = run(spec, { resolvePath: fakeRootfs({ "/tmp": "directory" }).resolvePath }).files.find((f) => f.name === "mount-hook.sh")!.content;
    expect(script).toContain("for p in 'tmp' 'w'");
    expect(script).not.toContain("mknod");
  });
  test("in a user namespace each node is the host's, bound over an empty file, as runc makes them", () => {
    const lines = hookLines({ mounts: [devTmpfs], linux: { ...userns(100000), devices: [{ path: "/dev/fuse", type: "c", major: 10, minor: 229, uid: 5 }] } }, "mount")!;
    expect(lines.slice(1, 3)).toEqual([`touch "$LXC_ROOTFS_MOUNT"/'dev/null'`, `mount --bind '/dev/null' "$LXC_ROOTFS_MOUNT"/'dev/null'`]);
    expect(lines.slice(-2)).toEqual([`touch "$LXC_ROOTFS_MOUNT"/'dev/fuse'`, `mount --bind '/dev/fuse' "$LXC_ROOTFS_MOUNT"/'dev/fuse'`]);
  });
  test("/dev/ptmx: runc's symlink to pts/ptmx, made by the runtime once liblxc is done (replacing liblxc's bind of its devpts' ptmx for a terminal)", () => {
    expect(run({ mounts: [devTmpfs] }).mountOperations).toContainEqual({ kind: "ptmx-symlink" });
    expect(run({}).mountOperations).toContainEqual({ kind: "ptmx-symlink" });
    expect(run({ process: { terminal: true }, mounts: [devTmpfs] }).mountOperations).toContainEqual({ kind: "ptmx-symlink" });
  });
  test("none where /dev is a bind mount: nothing is written there, and runc makes none either", () => {
    const bound = { mounts: [{ destination: "/dev", type: "bind", source: "/srv/data" }] };
    expect(hookLines(bound, "autodev")).toBeUndefined();
    expect(run({ ...bound, process: { terminal: true } }).mountOperations).not.toContainEqual({ kind: "ptmx-symlink" });
  });
});

describe("process.cwd", () => {
  test("missing in the image: created by the runtime; in a mount: by the mount hook, refusing symlinks", () => {
    const image = run({ process: { cwd: "/work" } }, { resolvePath: fakeRootfs({}).resolvePath });
    expect(image.mountPoints).toEqual([{ target: "work", kind: "directory", at: ["process", "cwd"] }]);
    const inMount = run({ process: { cwd: "/tmp/a b" }, mounts: [{ destination: "/tmp", type: "tmpfs" }] }, { resolvePath: fakeRootfs({ "/tmp": "directory" }).resolvePath });
    expect(inMount.mountPoints).toEqual([]);
    expect(inMount.files.find((f) => f.name === "mount-hook.sh")!.content).toContain(`for p in 'tmp' 'a b'; do d="$d/$p"; if [ -L "$d" ]`);
  });
  test("in a mount it is walked for symlinks even when the host's view of it exists (/proc/self/fd/N is one in the container)", () => {
    const proc = run({ process: { cwd: "/proc/self/fd/6" }, mounts: [{ destination: "/proc", type: "proc", source: "proc" }] }, { resolvePath: fakeRootfs({ "/proc/self/fd/6": "directory" }).resolvePath });
    expect(proc.files.find((f) => f.name === "mount-hook.sh")!.content).toContain(`for p in 'proc' 'self' 'fd' '6'; do d="$d/$p"; if [ -L "$d" ]`);
  });
  test("liblxc gets the path resolved in the rootfs, not one whose image symlinks it would follow again", () => {
    const { items } = run({ process: { cwd: "/work" } }, { resolvePath: fakeRootfs({ "/work": "directory" }, { "/work": "/srv/work" }).resolvePath });
    expect(items).toContainEqual(["lxc.init.cwd", "/srv/work"]);
  });
});
