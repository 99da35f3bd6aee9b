import { describe, expect, test } from "bun:test";
import { fstabEscape, fstabLine, type MountedPath, type ResolvedPath, type TranslateContext } from "../../src/spec/translate";
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
  test("devpts on /dev/pts is left to liblxc, with a note", () => {
    const devpts = { destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] };
    const { items, notes } = run(mounts(devpts));
    expect(items.some(([k]) => k === "lxc.mount.entry")).toBe(false);
    expect(notes.join()).toMatch(/mounts\[0\] \(devpts on \/dev\/pts\) left to liblxc/);
    expect(refusal(mounts({ ...devpts, options: ["mode=0600"] }))).toMatch(/^mounts\[0\]\.options\[0\]: "mode=0600" can't be honoured/);
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
    const idmapped = { destination: "/x", type: "bind", source: "/srv/data", uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] };
    expect(refusal(mounts(idmapped))).toMatch(/^mounts\[0\]\.uidMappings: not supported yet/);
  });
});

describe("masked and read-only paths", () => {
  test("read-only: bound onto itself from the rootfs and made read-only, skipped when missing", () => {
    expect(entries({ linux: { namespaces: [{ type: "mount" }], readonlyPaths: ["/proc/sys", "/proc/sysrq-trigger"] } })).toEqual([
      "proc/sys proc/sys none rbind,ro,relative,optional 0 0",
      "proc/sysrq-trigger proc/sysrq-trigger none rbind,ro,relative,optional 0 0",
    ]);
  });
  test("masked: /dev/null over a file, else an empty read-only tmpfs over a directory", () => {
    expect(entries({ linux: { namespaces: [{ type: "mount" }], maskedPaths: ["/proc/kcore"] } })).toEqual([
      "/dev/null proc/kcore none bind,optional 0 0",
      "tmpfs proc/kcore tmpfs ro,nosuid,nodev,noexec,optional 0 0",
    ]);
  });
  test("when the runtime can look, only the fitting mask is emitted, and missing paths are skipped", () => {
    const kinds: Record<string, "file" | "directory" | "missing"> = { "/proc/kcore": "file", "/proc/acpi": "directory", "/proc/nope": "missing" };
    const patch = { linux: { namespaces: [{ type: "mount" }], maskedPaths: Object.keys(kinds) } };
    expect(values(patch, "lxc.mount.entry", { resolvePath: (p) => ({ target: p.slice(1), kind: kinds[p]!, belowMount: true }) })).toEqual([
      "/dev/null proc/kcore none bind,optional 0 0",
      "tmpfs proc/acpi tmpfs ro,nosuid,nodev,noexec,optional 0 0",
    ]);
  });
  test("come after the spec's mounts", () => {
    const spec = { mounts: [{ destination: "/proc", type: "proc" }], linux: { namespaces: [{ type: "mount" }], maskedPaths: ["/proc/kcore"], readonlyPaths: ["/proc/sys"] } };
    expect(entries(spec).map((e) => e.split(" ").slice(0, 2).join(" "))).toEqual([
      "proc proc", "proc/sys proc/sys", "/dev/null proc/kcore", "tmpfs proc/kcore",
    ]);
  });
  test("refuse relative paths", () => {
    expect(refusal({ linux: { namespaces: [{ type: "mount" }], maskedPaths: ["proc/kcore"] } })).toMatch(/^linux\.maskedPaths\[0\]: expected an absolute path/);
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
      { target: "dev", kind: "directory", at: ["root", "path"] },
    ]);
    expect(run(spec, { resolvePath: fakeRootfs({}).resolvePath }).mountPoints).toEqual([]);
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
  test("tmpcopyup below another mount is refused: its content would not be the image's", () => {
    expect(refusal(mounts({ destination: "/a", type: "tmpfs" }, { destination: "/a/b", type: "tmpfs", options: ["tmpcopyup"] })))
      .toMatch(/^mounts\[1\]\.options: "tmpcopyup" on \/a\/b is not supported: its content would come from the mount on \/a, not the image/);
    expect(refusal(mounts({ destination: "/dev/x", type: "tmpfs", options: ["tmpcopyup"] }))).toContain("lxc.autodev's tmpfs on /dev");
  });
  test("propagation as runc sets it, after liblxc's setup: the tree a slave, then each mount's own option, then rootfsPropagation", () => {
    const MS_REC = 0x4000, MS_UNBINDABLE = 1 << 17, MS_PRIVATE = 1 << 18, MS_SLAVE = 1 << 19, MS_SHARED = 1 << 20;
    const spec = { ...mounts({ destination: "/m", type: "tmpfs", options: ["rprivate", "unbindable"] }, { destination: "/n", type: "tmpfs", options: ["slave"] }), linux: { namespaces: [{ type: "mount" }], rootfsPropagation: "rshared" } };
    expect(run(spec).propagation).toEqual([
      { path: "/", flags: MS_SLAVE | MS_REC }, { path: "/m", flags: MS_UNBINDABLE }, { path: "/n", flags: MS_SLAVE }, { path: "/", flags: MS_SHARED | MS_REC },
    ]);
    expect(run({ linux: { namespaces: [{ type: "mount" }] } }).propagation).toEqual([{ path: "/", flags: MS_SLAVE | MS_REC }]);
    expect(run({ linux: { namespaces: [{ type: "mount" }], rootfsPropagation: "private" } }).propagation.at(-1)).toEqual({ path: "/", flags: MS_PRIVATE });
    expect(run({ linux: { namespaces: [{ type: "mount" }], rootfsPropagation: "private" } }).files).toEqual([]);
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
      { source: "/var/lib/kubelet", target: "var/lib/kubelet", recursive: true, flags: [], at: ["mounts", 0] },
      { source: "/srv/csi", target: "csi", recursive: false, flags: ["ro", "nosuid"], at: ["mounts", 1] },
    ]);
    expect(mountPoints.map((p) => p.target)).toEqual(["var/lib/kubelet", "csi"]);
  });
  test("shared binds: refused below a mount point that doesn't exist, with other options, with a mount below, in a user namespace", () => {
    const shared = (patch: object = {}) => ({ destination: "/data", type: "bind", source: "/srv/data", options: ["rbind", "rshared"], ...patch });
    expect(refusal(mounts({ destination: "/tmp", type: "tmpfs" }, shared({ destination: "/tmp/data" })), { resolvePath: fakeRootfs({ "/tmp": "directory" }).resolvePath }))
      .toMatch(/^mounts\[1\]\.destination: a shared bind mount's destination must exist/);
    expect(refusal(mounts(shared({ options: ["rbind", "rshared", "noatime"] })))).toMatch(/^mounts\[0\]\.options\[2\]: "noatime" is not supported by crio-lxc on a shared bind mount/);
    expect(refusal(mounts(shared(), { destination: "/data/sub", type: "tmpfs" }))).toMatch(/^mounts\[1\]\.destination: lies below a shared bind mount/);
    const linux = { namespaces: [{ type: "mount" }, { type: "user" }], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] };
    expect(refusal({ ...mounts(shared()), linux })).toMatch(/^mounts\[0\]\.options: a shared bind mount is not supported yet by crio-lxc with a user namespace/);
  });
  test("hook scripts reset PATH and send stderr to the state directory", () => {
    const script = run({ linux: { namespaces: [{ type: "mount" }] }, mounts: [{ destination: "/m", type: "bind", source: "/srv/data", options: ["nosuid"] }] }).files.find((f) => f.name === "mount-hook.sh")!.content;
    expect(script).toMatch(/^set -eu\nPATH=\/usr\/local\/sbin:\/usr\/local\/bin:\/usr\/sbin:\/usr\/bin:\/sbin:\/bin\nexec 2>>'\/run\/crio-lxc\/c0ffee\/setup-errors'\nmount -o /);
  });
});

describe("linux.devices", () => {
  test("made by the autodev hook with the mode, owner and numbers asked for (runc's defaults: 0666, root); one process per node", () => {
    const devices = [
      { path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 0o20660, uid: 1, gid: 2 },
      { path: "/dev/net/tun", type: "u", major: 10, minor: 200 },
      { path: "/dev/fifo", type: "p" },
    ];
    const { items, files } = run({ linux: { namespaces: [{ type: "mount" }], devices } });
    expect(items).toContainEqual(["lxc.hook.autodev", "/bin/sh '/run/crio-lxc/c0ffee/autodev-hook.sh'"]);
    expect(files.find((f) => f.name === "autodev-hook.sh")!.content.split("\n").slice(3, -1)).toEqual([
      "umask 022",
      `mkdir -p "$LXC_ROOTFS_MOUNT"/'dev/net'`,
      `mknod -m 0660 "$LXC_ROOTFS_MOUNT"/'dev/fuse' c 10 229`,
      `mknod -m 0666 "$LXC_ROOTFS_MOUNT"/'dev/net/tun' c 10 200`,
      `mknod -m 0666 "$LXC_ROOTFS_MOUNT"/'dev/fifo' p`,
      `chown 1:2 "$LXC_ROOTFS_MOUNT"/'dev/fuse'`,
    ]);
  });
  test("refused with a user namespace", () => {
    const linux = { namespaces: [{ type: "mount" }, { type: "user" }], uidMappings: [{ containerID: 0, hostID: 1, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1, size: 1 }], devices: [{ path: "/dev/x", type: "p" }] };
    expect(refusal({ linux })).toMatch(/^linux\.devices: not supported yet by crio-lxc with a user namespace/);
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
