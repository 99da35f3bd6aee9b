// Mounts, masked and read-only paths, checked from inside running containers
// (run by scripts/test inside scripts/cgroup2-lane), as root.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inside, type Inside } from "../support/inside";
import { ROOTFS, Sandbox, becomeSubreaper, requireBuilt, sh, waitFor } from "../support/runtime";

let sb: Sandbox;
let box: Inside;
const cleanups: (() => void)[] = [];
beforeAll(() => { requireBuilt(); becomeSubreaper(); sb = new Sandbox(); box = inside(sb, "mnt"); });
afterAll(() => { for (const undo of cleanups.reverse()) undo(); sb.cleanup(); });

const PROC = { destination: "/proc", type: "proc", source: "proc" };

/** A host directory for bind mounts holding a file and an executable. */
function bindSource(): string {
  const dir = join(sb.dir, `src-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  writeFileSync(join(dir, "file"), "from-host\n");
  copyFileSync(join(ROOTFS, "bin/busybox"), join(dir, "busybox"));
  chmodSync(join(dir, "busybox"), 0o755);
  return dir;
}

describe("bind mounts", () => {
  test("ro: readable, not writable; rw: writable and seen on the host", async () => {
    const src = bindSource();
    const mounts = [PROC, { destination: "/ro", type: "bind", source: src, options: ["rbind", "ro"] }, { destination: "/rw", source: src, options: ["bind"] }];
    const { code, out } = await box.run("cat /ro/file; touch /ro/new 2>&1; echo written > /rw/new && echo rw-ok", { mounts });
    expect(code).toBe(0);
    expect(out).toContain("from-host");
    expect(out).toContain("touch: /ro/new: Read-only file system");
    expect(out).toContain("rw-ok");
    expect(readFileSync(join(src, "new"), "utf8")).toBe("written\n");
  });

  test("noexec can't exec, nodev can't open device nodes, nosuid is set", async () => {
    const src = bindSource();
    const mounts = [PROC, { destination: "/mnt", type: "bind", source: src, options: ["bind", "noexec", "nodev", "nosuid"] }];
    const script = "/mnt/busybox true 2>&1 || echo exec-refused; mknod /mnt/null2 c 1 3 && { echo x > /mnt/null2; } 2>&1 || echo dev-refused; grep ' /mnt ' /proc/self/mountinfo";
    const { out } = await box.run(script, { mounts });
    expect(out).toContain("Permission denied");
    expect(out).toContain("exec-refused");
    expect(out).toContain("dev-refused");
    expect(out).toMatch(/ \/mnt [a-z]+,nosuid,nodev,noexec/);
  });

  test("a writable bind keeps the flags of the mount its source is on", async () => {
    const src = bindSource();
    sh(`mount -t tmpfs -o nosuid,nodev flagged ${src}`);
    cleanups.push(() => sh(`umount ${src}`));
    const mounts = [PROC, { destination: "/mnt", type: "bind", source: src, options: ["rbind", "noexec"] }];
    const { out } = await box.run("grep ' /mnt ' /proc/self/mountinfo", { mounts });
    expect(out).toMatch(/ \/mnt rw,nosuid,nodev,noexec/);
  });

  test("a file bound onto a file; a missing bind source fails create naming the mount", async () => {
    const src = bindSource();
    const mounts = [PROC, { destination: "/etc/motd", type: "bind", source: join(src, "file") }];
    expect((await box.run("cat /etc/motd", { mounts })).out).toBe("from-host\n");
    const missing = box.create(box.spec("true", { mounts: [PROC, { destination: "/x", type: "bind", source: "/no/such/dir" }] }));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('mounts[1].source: bind mount source "/no/such/dir" does not exist');
  });
});

describe("filesystems", () => {
  test("tmpfs with size and mode", async () => {
    const mounts = [PROC, { destination: "/t", type: "tmpfs", source: "tmpfs", options: ["nosuid", "size=1m", "mode=0710"] }];
    const { out } = await box.run("df -k /t | tail -1; stat -c %a /t", { mounts });
    expect(out).toMatch(/^tmpfs\s+1024\s/m);
    expect(out).toContain("\n710\n");
  });

  test("proc, sysfs read-only, cgroup as cgroup2, mqueue, devpts", async () => {
    const mounts = [
      PROC,
      { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
      { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"] },
      { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
      { destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
    ];
    const script = "cat /proc/self/comm; [ -d /sys/kernel ] && echo sys-ok; touch /sys/x 2>&1; cat /sys/fs/cgroup/cgroup.controllers >/dev/null && echo cgroup2-ok; grep -E ' /(sys|sys/fs/cgroup|dev/mqueue|dev/pts) ' /proc/self/mountinfo";
    const { out } = await box.run(script, { mounts, linux: { namespaces: ["pid", "mount", "ipc", "uts", "network", "cgroup"].map((type) => ({ type })) } });
    expect(out).toContain("cat\n");
    expect(out).toContain("sys-ok");
    expect(out).toContain("Read-only file system");
    expect(out).toContain("cgroup2-ok");
    expect(out).toMatch(/ \/sys\/fs\/cgroup ro,.* - cgroup2 /);
    expect(out).toMatch(/ \/dev\/mqueue .* - mqueue /);
    expect(out).toMatch(/ \/dev\/pts .* - devpts .*ptmxmode=666/);
  });
});

describe("tmpfs with tmpcopyup", () => {
  const copyUp = (extra: object[] = []) => [PROC, { destination: "/etc", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "tmpcopyup"] }, ...extra];
  const script = [
    "grep -c ' /etc tmpfs ' /proc/mounts", "cat /etc/passwd | head -1", "ls -ld /etc/passwd | cut -c1-10",
    "echo changed > /etc/passwd && echo written", "ls /etc/extra", "cat /etc/extra/file",
  ].join("; ");

  test("the image's content is in the tmpfs, writable there; the image and a later bind mount inside it are untouched", async () => {
    const src = bindSource();
    const rootfs = box.rootfsCopy();
    const imagePasswd = readFileSync(join(rootfs, "etc/passwd"), "utf8");
    const { code, out } = await box.run(script, { root: { path: rootfs }, mounts: copyUp([{ destination: "/etc/extra", type: "bind", source: src, options: ["bind"] }]) });
    expect(code).toBe(0);
    expect(out.split("\n")).toEqual(["1", imagePasswd.split("\n")[0], "-rw-r--r--", "written", "busybox", "file", "from-host", ""]);
    expect(readFileSync(join(rootfs, "etc/passwd"), "utf8")).toBe(imagePasswd);
    // The copy went into the tmpfs beneath the bind mount, not into its host source.
    expect(readdirSync(src).sort()).toEqual(["busybox", "file"]);
  });

  test("a destination the image lacks: an empty tmpfs", async () => {
    const { code, out } = await box.run("ls -A /fresh | wc -l; grep -c ' /fresh tmpfs ' /proc/mounts", { mounts: [PROC, { destination: "/fresh", type: "tmpfs", options: ["tmpcopyup"] }] });
    expect([code, out]).toEqual([0, "0\n1\n"]);
  });

  test("in a user namespace too (the copy runs as the container's root)", async () => {
    // The container's root (uid 100000 here) must reach the rootfs in the sandbox.
    chmodSync(sb.dir, 0o711);
    const rootfs = box.rootfsCopy();
    sh(`chown -R 100000:100000 ${rootfs}`);
    const userns = {
      root: { path: rootfs },
      linux: { namespaces: ["pid", "mount", "ipc", "uts", "network", "user"].map((type) => ({ type })), uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }] },
      mounts: copyUp(),
    };
    const { code, out } = await box.run("head -1 /etc/passwd; stat -c %u /etc/passwd; grep -c ' /etc tmpfs ' /proc/mounts", userns);
    expect([code, out]).toEqual([0, `${readFileSync(join(rootfs, "etc/passwd"), "utf8").split("\n")[0]}\n0\n1\n`]);
  });
});

describe("destinations stay inside the rootfs", () => {
  test("through a symlink to / and one to ../.., a mount lands in the rootfs, not on the host", async () => {
    const rootfs = box.rootfsCopy();
    symlinkSync("/", join(rootfs, "escape"));
    symlinkSync("../..", join(rootfs, "up"));
    const src = bindSource();
    const probe = `crio-lxc-probe-${process.pid}`;
    const mounts = [
      PROC,
      { destination: `/escape/etc/${probe}-a`, type: "bind", source: join(src, "file") },
      { destination: `/up/etc/${probe}-b`, type: "tmpfs", source: "tmpfs" },
      { destination: `/../../etc/${probe}-c`, type: "tmpfs", source: "tmpfs" },
    ];
    const script = `cat /etc/${probe}-a; grep -c ' /etc/${probe}-[bc] ' /proc/self/mountinfo`;
    const { code, out } = await box.run(script, { root: { path: rootfs }, mounts });
    expect(code).toBe(0);
    expect(out).toBe("from-host\n2\n");
    for (const suffix of ["a", "b", "c"]) {
      expect(existsSync(`/etc/${probe}-${suffix}`)).toBe(false);
      expect(existsSync(join(rootfs, "etc", `${probe}-${suffix}`))).toBe(true);
    }
  });

  test("a destination resolving to the root itself is refused", () => {
    const rootfs = box.rootfsCopy();
    symlinkSync("/", join(rootfs, "escape"));
    const r = box.create(box.spec("true", { root: { path: rootfs }, mounts: [PROC, { destination: "/escape", type: "tmpfs" }] }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`mounts[1].destination: "/escape" resolves to the container's root directory`);
  });
});

describe("root.readonly", () => {
  test("/ can't be written; a tmpfs on /tmp can; a missing mount point is created beforehand", async () => {
    const rootfs = box.rootfsCopy();
    const mounts = [PROC, { destination: "/tmp", type: "tmpfs" }, { destination: "/new/point", type: "tmpfs" }];
    const script = "touch /x 2>&1; touch /tmp/x && echo tmp-ok; touch /new/point/x && echo point-ok";
    const { out } = await box.run(script, { root: { path: rootfs, readonly: true }, mounts });
    expect(out).toContain("touch: /x: Read-only file system");
    expect(out).toContain("tmp-ok");
    expect(out).toContain("point-ok");
    expect(existsSync(join(rootfs, "new/point"))).toBe(true);
  });

  test("an image without /dev (CRI-O's pause image): /dev is made before liblxc, which can't on a read-only root", async () => {
    const rootfs = box.rootfsCopy();
    sh(`rm -rf ${rootfs}/dev`);
    const mounts = [PROC, { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] }];
    const { code, out } = await box.run("ls /dev; touch /x 2>&1", { root: { path: rootfs, readonly: true }, mounts });
    expect(code).toBe(1);
    expect(out).toMatch(/^null$/m);
    expect(out).toContain("touch: /x: Read-only file system");
    expect(existsSync(join(rootfs, "dev"))).toBe(true);
  });

  test("a missing mount point on a rootfs the host can't write fails create naming the mount", () => {
    const rootfs = box.rootfsCopy();
    sh(`mount --bind ${rootfs} ${rootfs} && mount -o remount,bind,ro ${rootfs}`);
    cleanups.push(() => sh(`umount ${rootfs}`));
    const r = box.create(box.spec("true", { root: { path: rootfs, readonly: true }, mounts: [PROC, { destination: "/missing", type: "tmpfs" }] }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("mounts[1].destination: /missing does not exist in the rootfs and can't be created there");
    expect(r.stderr).toContain("read-only file system");
  });
});

describe("masked and read-only paths", () => {
  test("masked files read empty, masked directories are empty, read-only paths can't be written", async () => {
    const mounts = [PROC, { destination: "/sys", type: "sysfs", source: "sysfs", options: ["ro"] }];
    const linux = { maskedPaths: ["/proc/keys", "/proc/timer_list", "/proc/acpi", "/sys/firmware", "/proc/no-such"], readonlyPaths: ["/proc/sys", "/proc/sysrq-trigger"] };
    const script = "echo keys=$(cat /proc/keys | wc -c) timers=$(cat /proc/timer_list | wc -c); echo firmware=$(ls /sys/firmware | wc -l); ls /proc/acpi; echo 1 > /proc/sys/kernel/ns_last_pid 2>&1; touch /proc/sys/x 2>&1; true";
    const { out } = await box.run(script, { mounts, linux });
    expect(out).toContain("keys=0 timers=0");
    expect(out).toContain("firmware=0");
    expect(out).toMatch(/ns_last_pid: Read-only file system/);
    expect(out).toMatch(/\/proc\/sys\/x: (Read-only file system|No such file or directory)/);
  });
});

describe("mount propagation", () => {
  /** A rootfs copy that is a shared mount, so the host's mounts beneath it can propagate. */
  function sharedRootfs(): string {
    const rootfs = box.rootfsCopy();
    mkdirSync(join(rootfs, "mnt/probe"), { recursive: true });
    sh(`mount --bind ${rootfs} ${rootfs} && mount --make-shared ${rootfs}`);
    cleanups.push(() => sh(`umount -R ${rootfs}`));
    return rootfs;
  }

  /** Mounts a tmpfs under the rootfs from the host while the container runs; says whether the container saw it. */
  async function seesHostMount(linux: object): Promise<string> {
    const rootfs = sharedRootfs();
    const flag = join(sb.dir, `flag-${Math.random().toString(36).slice(2)}`);
    mkdirSync(flag);
    const mounts = [PROC, { destination: "/flag", type: "bind", source: flag, options: ["rbind"] }];
    const script = "while [ ! -e /flag/go ]; do sleep 0.05; done; grep -q ' /mnt/probe ' /proc/self/mountinfo && echo seen || echo unseen; awk '$5 == \"/\"' /proc/self/mountinfo";
    const { out } = await box.run(script, { root: { path: rootfs }, mounts, linux }, () => {
      sh(`mount -t tmpfs probe ${rootfs}/mnt/probe && touch ${flag}/go`);
    });
    return out;
  }

  test("rslave and the default (runc's): the host's new mounts propagate into the container, / is a slave and nothing more", async () => {
    for (const linux of [{ rootfsPropagation: "rslave" }, {}]) {
      const out = await seesHostMount(linux);
      expect(out).toContain("seen");
      expect(out).toMatch(/ \/ rw,\S* master:\d+ - /);
    }
  });

  test("rprivate: they don't, and / is private (not the shared peer group liblxc leaves)", async () => {
    const out = await seesHostMount({ rootfsPropagation: "rprivate" });
    expect(out).toContain("unseen");
    expect(out).toMatch(/ \/ rw,\S* - /);
  });

  test("rshared: / is shared in a peer group of the container's own; runbindable: unbindable", async () => {
    expect(await seesHostMount({ rootfsPropagation: "rshared" })).toMatch(/ \/ rw,\S* shared:\d+ master:\d+ - /);
    expect(await seesHostMount({ rootfsPropagation: "runbindable" })).toMatch(/ \/ rw,\S* unbindable - /);
  });

  test("a bind mount's own rslave/rprivate: the host's new mounts under the source reach it or not", async () => {
    const src = bindSource();
    mkdirSync(join(src, "probe"));
    sh(`mount --bind ${src} ${src} && mount --make-shared ${src}`);
    cleanups.push(() => sh(`umount -R ${src}`));
    const mounts: object[] = [PROC, ...["rslave", "rprivate"].map((p) => ({ destination: `/${p}`, type: "bind", source: src, options: ["rbind", p] }))];
    const flag = join(sb.dir, `flag-${Math.random().toString(36).slice(2)}`);
    mkdirSync(flag);
    mounts.push({ destination: "/flag", type: "bind", source: flag, options: ["rbind"] });
    const script = "while [ ! -e /flag/go ]; do sleep 0.05; done; for p in rslave rprivate; do grep -q \" /$p/probe \" /proc/self/mountinfo && echo $p-seen || echo $p-unseen; done";
    const { out } = await box.run(script, { mounts }, () => sh(`mount -t tmpfs probe ${src}/probe && touch ${flag}/go`));
    expect(out).toBe("rslave-seen\nrprivate-unseen\n");
  });

  test("an rshared bind (Kubernetes' Bidirectional): the container's mounts reach the host, the host's reach the container", async () => {
    const src = bindSource();
    for (const dir of ["from-container", "from-host"]) mkdirSync(join(src, dir));
    sh(`mount --bind ${src} ${src} && mount --make-shared ${src}`);
    cleanups.push(() => sh(`umount -R ${src}`));
    const caps = ["CAP_SYS_ADMIN", "CAP_CHOWN", "CAP_DAC_OVERRIDE"];
    const flag = join(sb.dir, `flag-${Math.random().toString(36).slice(2)}`);
    mkdirSync(flag);
    const mounts = [PROC, { destination: "/shared", type: "bind", source: src, options: ["rbind", "rshared", "nosuid"] }, { destination: "/flag", type: "bind", source: flag, options: ["rbind"] }];
    const script = [
      "mount -t tmpfs made-inside /shared/from-container && echo inside > /shared/from-container/file && touch /flag/mounted",
      "while [ ! -e /flag/go ]; do sleep 0.05; done; cat /shared/from-host/file",
      "grep ' /shared ' /proc/self/mountinfo | cut -d' ' -f6",
    ].join("; ");
    const { code, out } = await box.run(script, {
      mounts, linux: { rootfsPropagation: "rshared" }, process: { capabilities: { bounding: caps, effective: caps, permitted: caps } },
    }, async () => {
      await waitFor(() => existsSync(join(flag, "mounted")), "the container's mount");
      expect(readFileSync(join(src, "from-container", "file"), "utf8")).toBe("inside\n");
      sh(`mount -t tmpfs made-on-host ${src}/from-host && echo host > ${src}/from-host/file && touch ${flag}/go`);
    });
    expect(code).toBe(0);
    expect(out).toBe("host\nrw,nosuid,relatime\n");
  });

  test("a mount's own propagation option outlives liblxc's sharing of the whole tree", async () => {
    const mounts = [PROC, { destination: "/u", type: "tmpfs", options: ["unbindable"] }, { destination: "/p", type: "tmpfs", options: ["private"] }];
    const { out } = await box.run("awk '$5 == \"/u\" || $5 == \"/p\" { print $5, $7 }' /proc/self/mountinfo", { mounts });
    expect(out).toBe("/u unbindable\n/p -\n");
  });
});
