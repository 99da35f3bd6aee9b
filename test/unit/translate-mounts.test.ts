import { describe, expect, test } from "bun:test";
import { fstabEscape, fstabLine } from "../../src/spec/translate";
import { refusal, run, values, type SpecPatch } from "./spec-fixtures";

const mounts = (...list: object[]) => ({ mounts: list });
const entries = (patch: SpecPatch) => values(patch, "lxc.mount.entry");

describe("fstab lines", () => {
  test("escape what getmntent(3) splits on", () => {
    expect(fstabEscape("a b\tc\nd\\e")).toBe("a\\040b\\011c\\012d\\134e");
    expect(fstabLine({ source: "/srv/My Data", target: "mnt/my data", type: "none", options: ["bind", "create=dir"] }))
      .toBe("/srv/My\\040Data mnt/my\\040data none bind,create=dir 0 0");
  });
  test("targets are relative to the rootfs and normalized", () => {
    expect(entries(mounts({ destination: "//run/./lock/", type: "tmpfs", source: "tmpfs" })))
      .toEqual(["tmpfs run/lock tmpfs create=dir 0 0"]);
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
    expect(refusal(mounts({ destination: "/a/../etc", type: "tmpfs" }))).toMatch(/^mounts\[0\]\.destination: must not contain "\.\."/);
    expect(refusal(mounts({ destination: "/", type: "tmpfs" }))).toMatch(/^mounts\[0\]\.destination: cannot be the container's root/);
    expect(refusal(mounts({ destination: "/x", type: "nfs", source: "h:/x" }))).toMatch(/^mounts\[0\]\.type: unsupported filesystem type "nfs"/);
    expect(refusal(mounts({ destination: "/x" }))).toMatch(/^mounts\[0\]\.type: required unless the mount is a bind mount/);
    expect(refusal(mounts({ destination: "/x", type: "tmpfs", options: ["nosuid", "tmpcopyup"] }))).toMatch(/^mounts\[0\]\.options\[1\]: unsupported mount option "tmpcopyup"/);
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
  test("with maskedPathKind only the fitting mask is emitted, and missing paths are skipped", () => {
    const kinds: Record<string, "file" | "directory" | "missing"> = { "/proc/kcore": "file", "/proc/acpi": "directory", "/proc/nope": "missing" };
    const patch = { linux: { namespaces: [{ type: "mount" }], maskedPaths: Object.keys(kinds) } };
    expect(values(patch, "lxc.mount.entry", { maskedPathKind: (p) => kinds[p]! })).toEqual([
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
