// The mount table and /dev a container sees, laid out as runc lays them out:
// the spec's mounts in order (devpts included), nothing of liblxc's own, the
// device nodes and symlinks runc makes, the read-only and masked paths as
// runc applies them. Run inside scripts/cgroup2-lane, as root.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mkfifo } from "../../src/sys";
import { makeSocketFile } from "../support/differential";
import { inside, merge, type Inside, type Spec } from "../support/inside";
import { Sandbox, becomeSubreaper, requireBuilt, sh } from "../support/runtime";
import { MOUNTS as RUNC_SPEC_MOUNTS } from "../../src/ops/default-spec";

let sb: Sandbox;
let box: Inside;
beforeAll(() => {
  requireBuilt();
  becomeSubreaper();
  sb = new Sandbox();
  // The container's root in a user namespace (host uid 100000) must reach its rootfs.
  chmodSync(sb.dir, 0o711);
  box = inside(sb, "tbl");
});
afterAll(() => sb.cleanup());

/** The mounts of runc's default spec. */
const RUNC_MOUNTS = RUNC_SPEC_MOUNTS;

const USER_MAPPING = [{ containerID: 0, hostID: 100000, size: 65536 }];

/** A user namespace (and no cgroup namespace), the rootfs owned by its root as an engine's storage has it. */
function userNamespace(): Spec {
  const rootfs = box.rootfsCopy();
  sh(`chown -R 100000:100000 ${rootfs}`);
  const namespaces = ["pid", "mount", "ipc", "uts", "network", "user"].map((type) => ({ type }));
  return { root: { path: rootfs }, linux: { namespaces, uidMappings: USER_MAPPING, gidMappings: USER_MAPPING } };
}

/** mountinfo's mount point, type and source, mount options and super options, one line each. */
const MOUNTS = "while read -r _ _ _ root point opts rest; do echo \"$point $root $opts ${rest#*- }\"; done < /proc/self/mountinfo";

/** The line of the mountinfo (as MOUNTS prints it) for `point`. */
const mountOf = (out: string, point: string) => out.split("\n").find((line) => line.startsWith(`${point} `));

describe("runc's default spec", () => {
  const linux = { readonlyPaths: ["/proc/sys", "/proc/irq"], maskedPaths: ["/proc/keys", "/sys/firmware", "/proc/no-such"] };

  test("the spec's mounts in its order, then the read-only and the masked paths; nothing of liblxc's", async () => {
    const { code, out } = await box.run(MOUNTS, { mounts: RUNC_MOUNTS, linux });
    expect(code).toBe(0);
    expect(out.trim().split("\n").map((line) => line.split(" ")[0])).toEqual([
      "/", "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup", "/proc/sys", "/proc/irq", "/proc/keys", "/sys/firmware",
    ]);
    expect(mountOf(out, "/dev")).toBe("/dev / rw,nosuid tmpfs tmpfs rw,size=65536k,mode=755");
    // The spec's devpts, not liblxc's (which has max=1024).
    expect(mountOf(out, "/dev/pts")).toBe("/dev/pts / rw,nosuid,noexec,relatime devpts devpts rw,gid=5,mode=620,ptmxmode=666");
    expect(mountOf(out, "/proc/sys")).toBe("/proc/sys /sys ro,relatime proc proc rw");
    // The container's /dev/null (on its /dev tmpfs), not the host's; a directory's tmpfs read-only and nothing more.
    expect(mountOf(out, "/proc/keys")).toBe("/proc/keys /null rw,nosuid tmpfs tmpfs rw,size=65536k,mode=755");
    expect(mountOf(out, "/sys/firmware")).toBe("/sys/firmware / ro,relatime tmpfs tmpfs ro");
  });

  test("/dev: runc's nodes and symlinks, /dev/ptmx a symlink into the spec's devpts, no .lxc-boot-id", async () => {
    const script = "cd /dev && for f in *; do echo \"$f $(stat -c '%F %a %u:%g %t:%T' $f) $(readlink $f)\"; done; ls -A /dev/pts; exec 3<>/dev/ptmx && ls /dev/pts | tr '\\n' ' '";
    const { code, out } = await box.run(script, { mounts: RUNC_MOUNTS });
    expect(code).toBe(0);
    const node = (name: string, major: number, minor: number) => `${name} character special file 666 0:0 ${major.toString(16)}:${minor.toString(16)} `;
    const link = (name: string, target: string) => `${name} symbolic link 777 0:0 0:0 ${target}`;
    // runc's /dev/core too, where the node has a /proc/kcore.
    const core = existsSync("/proc/kcore") ? [link("core", "/proc/kcore")] : [];
    expect(out.split("\n")).toEqual([
      ...core, link("fd", "/proc/self/fd"), node("full", 1, 7), "mqueue directory 1777 0:0 0:0 ", node("null", 1, 3),
      link("ptmx", "pts/ptmx"), "pts directory 755 0:0 0:0 ", node("random", 1, 8), "shm directory 1777 0:0 0:0 ",
      link("stderr", "/proc/self/fd/2"), link("stdin", "/proc/self/fd/0"), link("stdout", "/proc/self/fd/1"),
      node("tty", 5, 0), node("urandom", 1, 9), node("zero", 1, 5), "ptmx", "0 ptmx ",
    ]);
  });
});

describe("masked and read-only paths, as runc applies them", () => {
  /** Files of every kind under /srv of a rootfs copy. */
  function srvRootfs(): string {
    const rootfs = box.rootfsCopy();
    const srv = join(rootfs, "srv");
    mkdirSync(join(srv, "dir"), { recursive: true });
    writeFileSync(join(srv, "dir/inner"), "inner\n");
    writeFileSync(join(srv, "file"), "content\n");
    mkfifo(join(srv, "fifo"), 0o644);
    mkfifo(join(srv, "rofifo"), 0o644);
    makeSocketFile(join(srv, "socket"));
    symlinkSync("file", join(srv, "link"));
    return rootfs;
  }

  test("a FIFO, a socket and a symlink's target get /dev/null, a directory an empty read-only tmpfs; a read-only FIFO is bound, not opened", async () => {
    const linux = { maskedPaths: ["/srv/fifo", "/srv/socket", "/srv/link", "/srv/dir"], readonlyPaths: ["/srv/rofifo"] };
    const script = `cd /srv && stat -c '%n %F %t:%T' fifo socket file && ls -A dir | wc -l && touch rofifo 2>&1; ${MOUNTS} | grep '^/srv/'`;
    const { code, out } = await box.run(script, { mounts: RUNC_MOUNTS, root: { path: srvRootfs() }, linux });
    expect(code).toBe(0);
    expect(out).toContain("fifo character special file 1:3\nsocket character special file 1:3\nfile character special file 1:3\n0\n");
    expect(out).toContain("touch: rofifo: Read-only file system\n");
    expect(mountOf(out, "/srv/dir")).toBe("/srv/dir / ro,relatime tmpfs tmpfs ro");
    expect(mountOf(out, "/srv/rofifo")).toMatch(/^\/srv\/rofifo \S+\/srv\/rofifo ro,relatime /);
  });

  test("one that can't be applied fails create, naming it", () => {
    const tooLong = `/${"x".repeat(300)}`;
    for (const field of ["readonlyPaths", "maskedPaths"]) {
      const r = box.create(box.spec("true", { mounts: RUNC_MOUNTS, linux: { [field]: ["/proc/sys", tooLong] } }));
      expect(r.code).toBe(1);
      const what = field === "readonlyPaths" ? "making" : "masking";
      expect(r.stderr).toContain(`linux.${field}[1]: ${what} ${tooLong}`);
      expect(r.stderr).toContain("File name too long");
    }
  });

  test("in a user namespace, as the container's root: a masked directory's tmpfs is its own, devices are the host's nodes bound", async () => {
    const userns = userNamespace();
    const script = `stat -c '%u:%g' /sys/firmware; cat /proc/keys | wc -c; ${MOUNTS} | grep -E '^/(sys/firmware|dev/null|proc/sys) '`;
    const { code, out } = await box.run(script, merge(userns, { mounts: RUNC_MOUNTS, linux: { readonlyPaths: ["/proc/sys"], maskedPaths: ["/sys/firmware", "/proc/keys"] } }));
    expect(code).toBe(0);
    expect(out).toStartWith("0:0\n0\n");
    expect(mountOf(out, "/sys/firmware")).toBe("/sys/firmware / ro,relatime tmpfs tmpfs ro,uid=100000,gid=100000");
    expect(mountOf(out, "/dev/null")).toMatch(/^\/dev\/null \/null \S+ devtmpfs /);
    expect(mountOf(out, "/proc/sys")).toBe("/proc/sys /sys ro,relatime proc proc rw");
  });
});

describe("cgroup in a user namespace without a cgroup namespace", () => {
  test("the host's /sys/fs/cgroup bound read-only, as runc does (liblxc can't mount cgroup2 there)", async () => {
    const { code, out } = await box.run(`${MOUNTS} | grep '^/sys/fs/cgroup '; touch /sys/fs/cgroup/x 2>&1; cat /proc/self/cgroup`, merge(userNamespace(), { mounts: RUNC_MOUNTS }));
    expect(code).toBe(0);
    expect(out).toMatch(/^\/sys\/fs\/cgroup \/ ro,nosuid,nodev,noexec,relatime cgroup2 /m);
    expect(out).toContain("Read-only file system");
    expect(out).toMatch(/^0::\/crio-lxc-test\/tbl-/m);
  });
});

describe("tmpcopyup on a tmpfs below another tmpfs (podman run --systemd=always)", () => {
  const tmpfs = (destination: string, options: string[] = []) => ({ destination, type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", ...options] });

  test("below a tmpcopyup tmpfs: the image's content, which the first copy put there; below a plain tmpfs: empty", async () => {
    const rootfs = box.rootfsCopy();
    mkdirSync(join(rootfs, "run/lock"), { recursive: true });
    writeFileSync(join(rootfs, "run/lock/image-file"), "x\n");
    mkdirSync(join(rootfs, "var/sub"), { recursive: true });
    writeFileSync(join(rootfs, "var/sub/image-file"), "x\n");
    const mounts = [RUNC_MOUNTS[0], tmpfs("/run", ["tmpcopyup"]), tmpfs("/run/lock", ["tmpcopyup"]), tmpfs("/var"), tmpfs("/var/sub", ["tmpcopyup"])];
    const { code, out } = await box.run("ls /run/lock; echo sub=$(ls -A /var/sub | wc -l); grep -cE ' /(run|run/lock|var/sub) tmpfs ' /proc/mounts", { root: { path: rootfs }, mounts });
    expect([code, out]).toEqual([0, "image-file\nsub=0\n3\n"]);
  });
});
