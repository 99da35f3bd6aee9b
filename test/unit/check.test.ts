// The pure parts of `crio-lxc check`: the cgroup layout, the kernel version,
// and the list of config items it asks liblxc about.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { kernelVersion } from "../../src/ops/check";
import { cgroupLayout, describeLayout } from "../../src/ops/cgroup-layout";
import { isKnownConfigKey } from "../../src/lxc/config-keys";
import { parseSpec } from "../../src/oci/schema";
import { translate } from "../../src/translate/translate";
import { context, run, type SpecPatch } from "./spec-fixtures";

const line = (id: number, point: string, fstype: string, source = fstype) => `${id} 23 0:${id} / ${point} rw,relatime shared:${id} - ${fstype} ${source} rw`;
const HEAD = [line(21, "/", "ext4", "/dev/vda"), line(22, "/sys", "sysfs")];

describe("cgroup layout", () => {
  test("unified: cgroup2 at /sys/fs/cgroup", () => {
    expect(cgroupLayout([...HEAD, line(30, "/sys/fs/cgroup", "cgroup2")].join("\n"))).toEqual({ kind: "unified" });
  });

  test("hybrid: v1 controllers with cgroup2 at unified/, named in the message", () => {
    const mountinfo = [...HEAD, line(31, "/sys/fs/cgroup", "tmpfs"), line(32, "/sys/fs/cgroup/cpu", "cgroup"), line(33, "/sys/fs/cgroup/memory", "cgroup"), line(41, "/sys/fs/cgroup/unified", "cgroup2")].join("\n");
    const layout = cgroupLayout(mountinfo);
    expect(layout).toEqual({ kind: "hybrid", v1: ["cpu", "memory"], v2At: "/sys/fs/cgroup/unified" });
    expect(describeLayout(layout)).toStartWith("hybrid layout: cgroup v1 controllers at /sys/fs/cgroup/{cpu,memory}, cgroup v2 only at /sys/fs/cgroup/unified;");
  });

  test("a cgroup2 mounted over the hybrid tmpfs (scripts/cgroup2-lane) is unified", () => {
    const mountinfo = [...HEAD, line(31, "/sys/fs/cgroup", "tmpfs"), line(32, "/sys/fs/cgroup/cpu", "cgroup"), line(50, "/sys/fs/cgroup", "cgroup2")].join("\n");
    expect(cgroupLayout(mountinfo)).toEqual({ kind: "unified" });
  });

  test("legacy, misplaced and none", () => {
    expect(cgroupLayout([...HEAD, line(31, "/sys/fs/cgroup", "tmpfs"), line(32, "/sys/fs/cgroup/pids", "cgroup")].join("\n"))).toEqual({ kind: "legacy", v1: ["pids"] });
    expect(cgroupLayout([...HEAD, line(41, "/sys/fs/cgroup/unified", "cgroup2")].join("\n"))).toEqual({ kind: "misplaced", v2At: "/sys/fs/cgroup/unified" });
    expect(cgroupLayout(HEAD.join("\n"))).toEqual({ kind: "none" });
  });
});

test("kernel version from os.release()", () => {
  expect(kernelVersion("6.18.44-fc-v595")).toEqual([6, 18]);
  expect(kernelVersion("5.10.0-28-amd64")).toEqual([5, 10]);
  expect(kernelVersion("weird")).toBeUndefined();
});

/** Specs that between them make the translator write every kind of config item. */
const WIDE_PATCHES: SpecPatch[] = [
  { process: { apparmorProfile: "p", oomScoreAdj: 10, rlimits: [{ type: "RLIMIT_NOFILE", soft: 1, hard: 2 }, { type: "RLIMIT_AS", soft: 1, hard: 2 }], user: { uid: 0, gid: 0, additionalGids: [1] } } },
  { linux: { namespaces: [{ type: "mount" }, { type: "uts" }, { type: "ipc" }], personality: { domain: "LINUX32" }, sysctl: { "kernel.shm_rmid_forced": "1" }, rootfsPropagation: "private" }, hostname: "h", domainname: "d" },
  { linux: { namespaces: [{ type: "mount" }, { type: "user" }, { type: "time" }, { type: "network" }], uidMappings: [{ containerID: 0, hostID: 1000, size: 10 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 10 }], timeOffsets: { boottime: { secs: 1 }, monotonic: { nanosecs: 2 } } } },
  { linux: { namespaces: [{ type: "mount" }, { type: "cgroup" }, { type: "user", path: "/proc/1/ns/user" }], uidMappings: [{ containerID: 0, hostID: 1000, size: 10 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 10 }] } },
  { linux: { resources: { memory: { limit: 1 << 30 }, pids: { limit: 10 }, devices: [{ allow: false, access: "rwm" }] }, devices: [{ path: "/dev/fuse", type: "c", major: 10, minor: 229 }], seccomp: { defaultAction: "SCMP_ACT_ALLOW" } } },
  { root: { path: "rootfs", readonly: true }, mounts: [{ destination: "/data", type: "bind", source: "/srv/data", options: ["nosuid"] }], linux: { maskedPaths: ["/proc/kcore"], readonlyPaths: ["/proc/sys"] } },
];

test("every config item the translator writes is one `check` asks liblxc about", () => {
  const golden = join(import.meta.dir, "../golden");
  const goldenKeys = readdirSync(golden).filter((f) => f.endsWith(".config.json")).flatMap((f) => {
    const file = join(golden, f);
    return translate(parseSpec(JSON.parse(readFileSync(file, "utf8")), file), context()).items.map(([key]) => key);
  });
  const keys = new Set([...goldenKeys, ...WIDE_PATCHES.flatMap((patch) => run(patch, { hostHasAppArmor: true }).items.map(([key]) => key))]);
  for (const key of ["lxc.hook.mount", "lxc.hook.autodev", "lxc.idmap", "lxc.arch", "lxc.time.offset.boot", "lxc.namespace.share.user", "lxc.seccomp.profile"]) {
    expect(keys).toContain(key);
  }
  expect([...keys].filter((key) => !isKnownConfigKey(key))).toEqual([]);
});
