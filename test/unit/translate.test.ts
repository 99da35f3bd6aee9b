import { describe, expect, test } from "bun:test";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseSpec } from "../../src/spec/schema";
import { dedupeEnv, translate, type TranslateContext } from "../../src/spec/translate";
import { ALL_ON, context, refusal, run, values, type SpecPatch } from "./spec-fixtures";

const GOLDEN_DIR = join(import.meta.dir, "../golden");

function render(items: readonly (readonly [string, string])[]): string {
  return items.map(([key, value]) => `${key} = ${value}\n`).join("");
}

describe("golden files", () => {
  const names = readdirSync(GOLDEN_DIR).filter((f) => f.endsWith(".config.json")).map((f) => f.replace(".config.json", ""));

  test("cover at least the minimal and podman-like specs", () => {
    expect(names).toContain("minimal");
    expect(names).toContain("podman");
  });

  for (const name of names) {
    test(name, () => {
      const file = join(GOLDEN_DIR, `${name}.config.json`);
      const { items } = translate(parseSpec(JSON.parse(readFileSync(file, "utf8")), file), context());
      const golden = join(GOLDEN_DIR, `${name}.lxc`);
      if (process.env.UPDATE_GOLDEN) writeFileSync(golden, render(items));
      expect(render(items)).toBe(readFileSync(golden, "utf8"));
    });
  }
});

describe("refusals name the field", () => {
  const cases: [string, SpecPatch, RegExp, Partial<TranslateContext>?][] = [
    ["process", { process: null }, /^process: required/],
    ["terminal", { process: { terminal: true } }, /^process\.terminal: not supported yet/],
    ["hooks", { hooks: { prestart: [{ path: "/bin/true" }] } }, /^hooks\.prestart: OCI hooks are not supported yet/],
    ["seccomp", { linux: { seccomp: { defaultAction: "SCMP_ACT_ALLOW" } } }, /^linux\.seccomp: not supported yet by crio-lxc; set CRIO_LXC_SECCOMP=false to run without seccomp$/],
    ["selinuxLabel", { process: { selinuxLabel: "system_u:system_r:container_t:s0" } }, /^process\.selinuxLabel: SELinux/],
    ["mountLabel", { linux: { mountLabel: "system_u:object_r:container_file_t:s0" } }, /^linux\.mountLabel: SELinux/],
    ["domainname", { domainname: "example.com" }, /^domainname: not supported/],
    ["devices", { linux: { devices: [{ path: "/dev/fuse", type: "c", major: 10, minor: 229 }] } }, /^linux\.devices: not supported yet/],
    ["timeOffsets", { linux: { timeOffsets: { monotonic: { secs: 10 } } } }, /^linux\.timeOffsets\.monotonic\.secs: not supported yet/],
    ["personality", { linux: { personality: { domain: "LINUX32" } } }, /^linux\.personality\.domain: not supported yet/],
    ["intelRdt", { linux: { intelRdt: { closID: "x" } } }, /^linux\.intelRdt\.closID: not supported yet/],
    ["rootfsPropagation", { linux: { rootfsPropagation: "shared" } }, /^linux\.rootfsPropagation: "shared" is not supported yet/],
    ["scheduler", { process: { scheduler: { policy: "SCHED_FIFO", priority: 1 } } }, /^process\.scheduler\.policy: not supported yet/],
    ["ioPriority", { process: { ioPriority: { class: "IOPRIO_CLASS_IDLE", priority: 0 } } }, /^process\.ioPriority\.class: not supported yet/],
    ["commandLine", { process: { commandLine: "cmd.exe" } }, /^process\.commandLine: Windows only/],
    ["cpu realtime", { linux: { resources: { cpu: { realtimeRuntime: 950000 } } } }, /^linux\.resources\.cpu\.realtimeRuntime: cgroup v2 has no realtime/],
    ["memory.swappiness", { linux: { resources: { memory: { limit: 1, swappiness: 10 } } } }, /^linux\.resources\.memory\.swappiness: cgroup v1 only/],
    ["unified cgroup.procs", { linux: { resources: { unified: { "cgroup.procs": "1" } } } }, /^linux\.resources\.unified\["cgroup\.procs"\]: crio-lxc manages this file/],
    ["apparmor without host support", { process: { apparmorProfile: "crio-default" } }, /^process\.apparmorProfile: AppArmor is not enabled on this host; set CRIO_LXC_APPARMOR=false/],
    ["unknown rlimit", { process: { rlimits: [{ type: "RLIMIT_FOO", hard: 1, soft: 1 }] } }, /^process\.rlimits\[0\]\.type: unknown resource limit "RLIMIT_FOO"/],
    ["duplicate rlimit", { process: { rlimits: [{ type: "RLIMIT_NOFILE", hard: 1, soft: 1 }, { type: "RLIMIT_NOFILE", hard: 2, soft: 2 }] } }, /^process\.rlimits\[1\]\.type: duplicate/],
    ["soft above hard", { process: { rlimits: [{ type: "RLIMIT_NOFILE", hard: 1, soft: 2 }] } }, /^process\.rlimits\[0\]\.soft: soft limit 2 exceeds hard limit 1/],
    ["hostname without uts", { hostname: "h", linux: { namespaces: [{ type: "mount" }] } }, /^hostname: requires a new uts namespace/],
    ["device rule taking back an exception", { linux: { resources: { devices: [{ allow: false }, { allow: true, type: "c", access: "rwm" }, { allow: false, type: "c", major: 1, minor: 3, access: "w" }] } } }, /^linux\.resources\.devices\[2\]: can't be honoured/],
  ];
  for (const [name, patch, message, ctx] of cases) {
    test(name, () => expect(refusal(patch, ctx)).toMatch(message));
  }
});

describe("capabilities", () => {
  const caps = (capabilities: object, user = { uid: 0, gid: 0 }) => ({ process: { user, capabilities } });

  test("the bounding set is kept, lowercased without CAP_", () => {
    expect(values(caps({ bounding: ["CAP_CHOWN", "CAP_NET_RAW"], effective: ["CAP_NET_RAW", "CAP_CHOWN"], permitted: ["CAP_CHOWN", "CAP_NET_RAW"] }), "lxc.cap.keep"))
      .toEqual(["chown net_raw"]);
  });
  test("an empty bounding set keeps none; no capabilities object restricts nothing (like runc)", () => {
    expect(values(caps({}), "lxc.cap.keep")).toEqual(["none"]);
    expect(values({}, "lxc.cap.keep")).toEqual([]);
  });
  test("unknown capability", () => {
    expect(refusal(caps({ bounding: ["CAP_CHOWN", "CAP_FLY"] }))).toMatch(/^process\.capabilities\.bounding\[1\]: unknown capability "CAP_FLY"/);
  });
  test("non-root user with effective/permitted/ambient capabilities", () => {
    expect(refusal(caps({ bounding: ["CAP_KILL"], effective: ["CAP_KILL"] }, { uid: 1000, gid: 1000 }))).toMatch(/^process\.capabilities\.effective: not supported yet for a non-root user/);
    expect(refusal(caps({ bounding: ["CAP_KILL"], ambient: ["CAP_KILL"] }, { uid: 1000, gid: 1000 }))).toMatch(/^process\.capabilities\.ambient: not supported yet/);
    expect(values(caps({ bounding: ["CAP_KILL"] }, { uid: 1000, gid: 1000 }), "lxc.cap.keep")).toEqual(["kill"]);
  });
  test("root whose effective set differs from the bounding set", () => {
    expect(refusal(caps({ bounding: ["CAP_KILL", "CAP_CHOWN"], effective: ["CAP_KILL"], permitted: ["CAP_KILL", "CAP_CHOWN"] }))).toMatch(/^process\.capabilities\.effective: must equal the bounding set/);
  });
  test("switched off: skipped with a note", () => {
    const { items, notes } = run(caps({ bounding: ["CAP_FLY"] }), { features: { ...ALL_ON, capabilities: false } });
    expect(items.some(([k]) => k === "lxc.cap.keep")).toBe(false);
    expect(notes.join()).toMatch(/process\.capabilities skipped/);
  });
});

describe("apparmor and seccomp", () => {
  test("requested profile on an AppArmor host", () => {
    expect(values({ process: { apparmorProfile: "crio-default" } }, "lxc.apparmor.profile", { hostHasAppArmor: true })).toEqual(["crio-default"]);
  });
  test("no profile requested: liblxc must not apply its own default", () => {
    expect(values({}, "lxc.apparmor.profile", { hostHasAppArmor: true })).toEqual(["unchanged"]);
    expect(values({}, "lxc.apparmor.profile", { hostHasAppArmor: false })).toEqual([]);
  });
  test("switched off: the profile is skipped with a note", () => {
    const off = { features: { ...ALL_ON, apparmor: false }, hostHasAppArmor: true };
    const { items, notes } = run({ process: { apparmorProfile: "crio-default" } }, off);
    expect(items.filter(([k]) => k === "lxc.apparmor.profile")).toEqual([["lxc.apparmor.profile", "unchanged"]]);
    expect(notes.join()).toMatch(/apparmorProfile "crio-default" skipped/);
  });
  test("seccomp switched off: skipped with a note", () => {
    const { notes } = run({ linux: { seccomp: { defaultAction: "SCMP_ACT_ERRNO" } } }, { features: { ...ALL_ON, seccomp: false } });
    expect(notes.join()).toMatch(/linux\.seccomp skipped/);
  });
});

describe("namespaces", () => {
  const ns = (...namespaces: object[]) => ({ linux: { namespaces } });

  test("types without a path are cloned under liblxc's names, in spec order", () => {
    const spec = ns({ type: "mount" }, { type: "network" }, { type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "cgroup" }, { type: "time" });
    expect(values(spec, "lxc.namespace.clone")).toEqual(["mnt net pid ipc uts cgroup time"]);
  });
  test("types with a path are shared; unlisted ones stay the host's", () => {
    const { items } = run(ns({ type: "mount" }, { type: "network", path: "/run/netns/pod" }, { type: "ipc", path: "/proc/42/ns/ipc" }));
    const keys = items.filter(([k]) => k.startsWith("lxc.namespace.") || k.startsWith("lxc.net."));
    expect(keys).toEqual([
      ["lxc.namespace.clone", "mnt"],
      ["lxc.namespace.share.net", "/run/netns/pod"],
      ["lxc.namespace.share.ipc", "/proc/42/ns/ipc"],
    ]);
  });
  test("an empty network is configured only for a new network namespace", () => {
    expect(values(ns({ type: "mount" }, { type: "network" }), "lxc.net.0.type")).toEqual(["empty"]);
    expect(values(ns({ type: "mount" }), "lxc.net.0.type")).toEqual([]);
  });
  test("the hostname (or the id) is set only with a new uts namespace", () => {
    expect(values({ hostname: "web" }, "lxc.uts.name")).toEqual(["web"]);
    expect(values({}, "lxc.uts.name")).toEqual(["c0ffee"]);
    expect(values(ns({ type: "mount" }), "lxc.uts.name")).toEqual([]);
  });
  test("user namespace with id mappings", () => {
    const spec = {
      linux: {
        namespaces: [{ type: "mount" }, { type: "user" }],
        uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
        gidMappings: [{ containerID: 0, hostID: 200000, size: 1000 }, { containerID: 1000, hostID: 1000, size: 1 }],
      },
    };
    expect(values(spec, "lxc.idmap")).toEqual(["u 0 100000 65536", "g 0 200000 1000", "g 1000 1000 1"]);
    expect(values(spec, "lxc.namespace.clone")).toEqual(["mnt user"]);
  });
  test("refusals", () => {
    expect(refusal(ns({ type: "mount" }, { type: "pid" }, { type: "pid" }))).toMatch(/^linux\.namespaces\[2\]\.type: duplicate namespace type "pid"/);
    expect(refusal(ns({ type: "pid" }))).toMatch(/^linux\.namespaces: a new mount namespace is required/);
    expect(refusal(ns({ type: "mount", path: "/proc/1/ns/mnt" }))).toMatch(/^linux\.namespaces\[0\]\.path: joining an existing mount namespace/);
    expect(refusal(ns({ type: "mount" }, { type: "network", path: "netns" }))).toMatch(/^linux\.namespaces\[1\]\.path: expected an absolute path/);
    expect(refusal(ns({ type: "mount" }, { type: "user" }))).toMatch(/^linux\.uidMappings: required with a new user namespace/);
    expect(refusal({ linux: { uidMappings: [{ containerID: 0, hostID: 1, size: 1 }] } })).toMatch(/^linux\.uidMappings: requires a user namespace/);
    const withUserNs = { namespaces: [{ type: "mount" }, { type: "user" }], uidMappings: [{ containerID: 0, hostID: 1, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1, size: 1 }] };
    expect(refusal({ linux: withUserNs, process: { user: { uid: 0, gid: 0, additionalGids: [10] } } }))
      .toMatch(/^process\.user\.additionalGids: not supported with a user namespace/);
  });
});

describe("process", () => {
  test("env is deduplicated: the last value wins, in the first one's place", () => {
    expect(dedupeEnv(["A=1", "B=2", "A=3", "C=x=y", "B="])).toEqual(["A=3", "B=", "C=x=y"]);
    expect(values({ process: { env: ["PATH=/bin", "X=a b", "PATH=/usr/bin"] } }, "lxc.environment")).toEqual(["PATH=/usr/bin", "X=a b"]);
  });
  test("init identity; supplementary groups are comma-separated", () => {
    const { items } = run({ process: { cwd: "/work", user: { uid: 1000, gid: 100, additionalGids: [10, 20] } } });
    expect(items.filter(([k]) => k.startsWith("lxc.init."))).toEqual([
      ["lxc.init.cwd", "/work"], ["lxc.init.uid", "1000"], ["lxc.init.gid", "100"], ["lxc.init.groups", "10,20"],
    ]);
  });
  test("rlimits as soft:hard; RLIM_INFINITY as unlimited", () => {
    const rlimits = [{ type: "RLIMIT_NOFILE", soft: 1024, hard: 4096 }, { type: "RLIMIT_MEMLOCK", soft: 18446744073709551615, hard: 18446744073709551615 }];
    const { items } = run({ process: { rlimits } });
    expect(items.filter(([k]) => k.startsWith("lxc.prlimit."))).toEqual([["lxc.prlimit.nofile", "1024:4096"], ["lxc.prlimit.memlock", "unlimited:unlimited"]]);
  });
  test("no_new_privs and oom_score_adj only when asked", () => {
    expect(values({ process: { noNewPrivileges: true, oomScoreAdj: -500 } }, "lxc.proc.oom_score_adj")).toEqual(["-500"]);
    expect(values({ process: { noNewPrivileges: true } }, "lxc.no_new_privs")).toEqual(["1"]);
    const keys = run().items.map(([k]) => k);
    expect(keys).not.toContain("lxc.no_new_privs");
    expect(keys).not.toContain("lxc.proc.oom_score_adj");
    expect(keys).not.toContain("lxc.init.cmd");
  });
  test("rootfs path is resolved against the bundle; readonly root", () => {
    expect(values({ root: { path: "rootfs", readonly: true } }, "lxc.rootfs.path")).toEqual(["dir:/run/bundles/c0ffee/rootfs"]);
    expect(values({ root: { path: "rootfs", readonly: true } }, "lxc.rootfs.options")).toEqual(["ro"]);
    expect(values({ root: { path: "/srv/root" } }, "lxc.rootfs.path")).toEqual(["dir:/srv/root"]);
  });
});

describe("sysctl", () => {
  const withNs = (sysctl: Record<string, string>, ...extra: string[]) => ({
    linux: { namespaces: ["mount", "uts", ...extra].map((type) => ({ type })), sysctl },
  });

  test("namespaced sysctls of the container's namespaces", () => {
    const spec = withNs({ "net.ipv4.ping_group_range": "0 2147483647", "kernel.shmmax": "1024", "fs.mqueue.msg_max": "20", "kernel.domainname": "example.org" }, "network", "ipc");
    expect(run(spec).items.filter(([k]) => k.startsWith("lxc.sysctl."))).toEqual([
      ["lxc.sysctl.net.ipv4.ping_group_range", "0 2147483647"],
      ["lxc.sysctl.kernel.shmmax", "1024"],
      ["lxc.sysctl.fs.mqueue.msg_max", "20"],
      ["lxc.sysctl.kernel.domainname", "example.org"],
    ]);
  });
  test("refusals", () => {
    expect(refusal(withNs({ "vm.swappiness": "10" }))).toMatch(/^linux\.sysctl\["vm\.swappiness"\]: not a namespaced sysctl/);
    expect(refusal(withNs({ "net.ipv4.ip_forward": "1" }))).toMatch(/^linux\.sysctl\["net\.ipv4\.ip_forward"\]: requires a network namespace/);
    expect(refusal(withNs({ "kernel.msgmax": "1" }))).toMatch(/requires a ipc namespace/);
    expect(refusal({ ...withNs({ "kernel.hostname": "x" }), hostname: "y" })).toMatch(/conflicts with hostname/);
    const readonly = { linux: { ...withNs({ "net.core.somaxconn": "1024" }, "network").linux, readonlyPaths: ["/proc/sys"] } };
    expect(refusal(readonly)).toMatch(/^linux\.sysctl\["net\.core\.somaxconn"\]: not supported yet by crio-lxc together with "\/proc\/sys"/);
  });
});

describe("resources", () => {
  const resources = (r: object) => ({ linux: { namespaces: [{ type: "mount" }], resources: r } });

  test("device rules in order, then the default devices", () => {
    const devices = [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 1, minor: 3, access: "rw" }, { allow: true, type: "b", minor: 0 }];
    const rules = run(resources({ devices })).items.filter(([k]) => k.startsWith("lxc.cgroup2.devices."));
    expect(rules.slice(0, 3)).toEqual([
      ["lxc.cgroup2.devices.deny", "a"],
      ["lxc.cgroup2.devices.allow", "c 1:3 rw"],
      ["lxc.cgroup2.devices.allow", "b *:0 rwm"],
    ]);
    expect(rules.slice(3).map(([, v]) => v)).toContain("c 1:3 rwm");
  });
  test("device rules switched off: skipped with a note", () => {
    const { items, notes } = run(resources({ devices: [{ allow: false }] }), { features: { ...ALL_ON, cgroupDevices: false } });
    expect(items.some(([k]) => k.startsWith("lxc.cgroup2.devices"))).toBe(false);
    expect(notes.join()).toMatch(/linux\.resources\.devices skipped/);
  });
  test("pids and memory limits; negative means max, zero means unset", () => {
    expect(values(resources({ pids: { limit: 100 } }), "lxc.cgroup2.pids.max")).toEqual(["100"]);
    expect(values(resources({ pids: { limit: -1 } }), "lxc.cgroup2.pids.max")).toEqual(["max"]);
    expect(values(resources({ pids: { limit: 0 } }), "lxc.cgroup2.pids.max")).toEqual([]);
    expect(values(resources({ memory: { limit: 1048576 } }), "lxc.cgroup2.memory.max")).toEqual(["1048576"]);
    expect(values(resources({ memory: { limit: -1 } }), "lxc.cgroup2.memory.max")).toEqual(["max"]);
  });
});
