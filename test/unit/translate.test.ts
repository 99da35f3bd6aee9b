import { describe, expect, test } from "bun:test";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseSpec } from "../../src/oci/schema";
import { configFileText } from "../../src/translate/output";
import { dedupeEnv, translate, type TranslateContext } from "../../src/translate/translate";
import { ALL_ON, context, refusal, run, values, type SpecPatch } from "./spec-fixtures";

const GOLDEN_DIR = join(import.meta.dir, "../golden");

/** What create writes as the container's lxc.conf. */
const render = (items: readonly (readonly [string, string])[]) => configFileText(items);

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

describe("the lxc.conf file", () => {
  test("a value with a line break becomes a comment with the value quoted, not a line cut in two", () => {
    const text = configFileText([["lxc.environment", "A=1"], ["lxc.environment", "B=two\nlines"], ["lxc.init.cwd", "/"]], ["a note"]);
    expect(text).toBe('# a note\nlxc.environment = A=1\n# lxc.environment = "B=two\\nlines" (set through liblxc\'s API: a line break can\'t be written in this file)\nlxc.init.cwd = /\n');
  });
});

describe("refusals name the field", () => {
  const cases: [string, SpecPatch, RegExp, Partial<TranslateContext>?][] = [
    ["process", { process: null }, /^process: required/],
    ["selinuxLabel", { process: { selinuxLabel: "system_u:system_r:container_t:s0" } }, /^process\.selinuxLabel: SELinux/],
    ["mountLabel", { linux: { mountLabel: "system_u:object_r:container_file_t:s0" } }, /^linux\.mountLabel: SELinux/],
    ["domainname without uts", { domainname: "example.com", linux: { namespaces: [{ type: "mount" }] } }, /^domainname: requires a uts namespace/],
    ["device outside /dev", { linux: { devices: [{ path: "/etc/fuse", type: "c", major: 10, minor: 229 }] } }, /^linux\.devices\[0\]\.path: crio-lxc creates device nodes only under \/dev/],
    ["device without major", { linux: { devices: [{ path: "/dev/fuse", type: "c", minor: 229 }] } }, /^linux\.devices\[0\]\.major: required for a device of type "c"/],
    ["device in a bind mount", { mounts: [{ destination: "/dev/host", type: "bind", source: "/srv/data" }], linux: { devices: [{ path: "/dev/host/fuse", type: "c", major: 10, minor: 229 }] } }, /^linux\.devices\[0\]\.path: lies in a bind mount/],
    ["duplicate device", { linux: { devices: [{ path: "/dev/a", type: "p" }, { path: "/dev//a", type: "p" }] } }, /^linux\.devices\[1\]\.path: duplicate device/],
    ["timeOffsets without time namespace", { linux: { timeOffsets: { monotonic: { secs: 10 } } } }, /^linux\.timeOffsets\.monotonic: requires a new time namespace/],
    ["personality flags", { linux: { personality: { domain: "LINUX32", flags: ["ADDR_NO_RANDOMIZE"] } } }, /^linux\.personality\.flags: not supported by crio-lxc/],
    ["intelRdt", { linux: { intelRdt: { closID: "x" } } }, /^linux\.intelRdt\.closID: not supported yet/],
    ["rootfsPropagation unknown", { linux: { rootfsPropagation: "sideways" } }, /^linux\.rootfsPropagation: unknown propagation "sideways"/],
    ["cwd is a file", { process: { cwd: "/etc/passwd" } }, /^process\.cwd: "\/etc\/passwd" is not a directory/, { resolvePath: (path) => ({ target: path.slice(1), kind: "file", belowMount: false }) }],
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
    ["hostname without uts", { hostname: "h", linux: { namespaces: [{ type: "mount" }] } }, /^hostname: requires a uts namespace/],
    ["device rule taking back an exception", { linux: { resources: { devices: [{ allow: false }, { allow: true, type: "c", access: "rwm" }, { allow: false, type: "c", major: 1, minor: 3, access: "w" }] } } }, /^linux\.resources\.devices\[2\]: can't be honoured/],
  ];
  for (const [name, patch, message, ctx] of cases) {
    test(name, () => expect(refusal(patch, ctx)).toMatch(message));
  }
});

describe("capabilities", () => {
  const caps = (capabilities: object, user = { uid: 0, gid: 0 }) => ({ process: { user, capabilities } });
  const initCaps = (patch: SpecPatch) => run(patch).initCapabilities;

  test("the bounding set is kept, lowercased without CAP_", () => {
    expect(values(caps({ bounding: ["CAP_CHOWN", "CAP_NET_RAW"], effective: ["CAP_NET_RAW", "CAP_CHOWN"], permitted: ["CAP_CHOWN", "CAP_NET_RAW"] }), "lxc.cap.keep"))
      .toEqual(["chown net_raw"]);
  });
  test("an empty bounding set keeps none; no capabilities object means every set empty (like runc)", () => {
    expect(values(caps({}), "lxc.cap.keep")).toEqual(["none"]);
    expect(values({}, "lxc.cap.keep")).toEqual(["none"]);
    expect(initCaps({})).toMatchObject({ inheritable: [], ambient: [], effective: [], permitted: [], atExec: true });
  });
  test("inheritable and ambient sets go to the monitor, as capability numbers", () => {
    const all = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"];
    const root = caps({ bounding: all, effective: all, permitted: all, inheritable: ["CAP_NET_RAW", "CAP_KILL"], ambient: ["CAP_KILL"] });
    expect(initCaps(root)).toEqual({
      inheritable: [5, 13], ambient: [5], effective: [0, 5, 13], permitted: [0, 5, 13], keepAmbientOnSetuid: false, atExec: true, atSetuid: false, initUid: 0,
    });
    const user = caps({ bounding: all, effective: ["CAP_KILL"], permitted: ["CAP_KILL"], inheritable: ["CAP_KILL"], ambient: ["CAP_KILL"] }, { uid: 1000, gid: 1000 });
    expect(initCaps(user)).toMatchObject({ inheritable: [5], ambient: [5], keepAmbientOnSetuid: true, atExec: false, atSetuid: false, initUid: 1000 });
    expect(initCaps(caps({ bounding: all }, { uid: 1000, gid: 1000 }))).toMatchObject({ inheritable: [], ambient: [], keepAmbientOnSetuid: false });
  });
  test("in a user namespace a non-root init gets inheritable and ambient at liblxc's switch to its uid (the new namespace reset them)", () => {
    const userns = { namespaces: [{ type: "mount" }, { type: "user" }], uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }] };
    const kill = ["CAP_KILL"];
    const spec = caps({ bounding: kill, effective: kill, permitted: kill, inheritable: kill, ambient: kill }, { uid: 1000, gid: 1000 });
    expect(initCaps({ ...spec, linux: userns })).toMatchObject({ atSetuid: true, atExec: false, initUid: 1000 });
    expect(initCaps(spec)).toMatchObject({ atSetuid: false });
  });
  test("for uid 0, effective and permitted narrower than the bounding set are set right before the exec, as runc sets them", () => {
    const both = ["CAP_KILL", "CAP_CHOWN"];
    expect(values(caps({ bounding: both, effective: both, permitted: both, inheritable: ["CAP_CHOWN"] }), "lxc.cap.keep")).toEqual(["kill chown"]);
    expect(initCaps(caps({ bounding: both, effective: ["CAP_KILL"], permitted: ["CAP_KILL"] }))).toMatchObject({ effective: [5], permitted: [5], atExec: true });
  });
  test("non-root: effective and permitted beyond ambient are accepted, with a note (the kernel drops them at exec, as with runc)", () => {
    const { notes } = run(caps({ bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"] }, { uid: 1000, gid: 1000 }));
    expect(notes.join()).toMatch(/non-root init gets permitted = effective = ambient \(none\)/);
  });
  test("ambient capabilities outside permitted ∩ inheritable (runc spec's defaults) are dropped with a warning, as runc and crun run them", () => {
    const user = { uid: 1000, gid: 1000 };
    const runcSpec = caps({ bounding: ["CAP_KILL", "CAP_CHOWN"], effective: ["CAP_KILL", "CAP_CHOWN"], permitted: ["CAP_KILL", "CAP_CHOWN"], ambient: ["CAP_KILL", "CAP_CHOWN"] });
    const { warnings } = run(runcSpec);
    expect(warnings.join()).toMatch(/^process\.capabilities\.ambient: CAP_KILL, CAP_CHOWN not raised: the kernel only keeps ambient capabilities that are both permitted and inheritable/);
    expect(initCaps(runcSpec)).toMatchObject({ inheritable: [], ambient: [], keepAmbientOnSetuid: false });
    const partly = caps({ bounding: ["CAP_KILL", "CAP_CHOWN"], permitted: ["CAP_KILL"], inheritable: ["CAP_KILL", "CAP_CHOWN"], ambient: ["CAP_KILL", "CAP_CHOWN"] }, user);
    expect(initCaps(partly)).toMatchObject({ inheritable: [0, 5], ambient: [5], keepAmbientOnSetuid: true });
  });
  test("sets the kernel can't hold", () => {
    const user = { uid: 1000, gid: 1000 };
    expect(refusal(caps({ bounding: ["CAP_KILL"], inheritable: ["CAP_KILL", "CAP_CHOWN"] }))).toMatch(/^process\.capabilities\.inheritable\[1\]: CAP_CHOWN is not in the bounding set/);
    expect(refusal(caps({ bounding: ["CAP_KILL"], effective: ["CAP_KILL"] }, user))).toMatch(/^process\.capabilities\.effective\[0\]: CAP_KILL is not in the permitted set/);
  });
  test("unknown capability", () => {
    expect(refusal(caps({ bounding: ["CAP_CHOWN", "CAP_FLY"] }))).toMatch(/^process\.capabilities\.bounding\[1\]: unknown capability "CAP_FLY"/);
  });
  test("switched off: skipped with a note", () => {
    const { items, notes, initCapabilities } = run(caps({ bounding: ["CAP_FLY"] }), { features: { ...ALL_ON, capabilities: false } });
    expect(items.some(([k]) => k === "lxc.cap.keep")).toBe(false);
    expect(initCapabilities).toBeUndefined();
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

describe("process", () => {
  test("env is deduplicated as runc does: the last value wins, in its own place", () => {
    expect(dedupeEnv(["A=1", "B=2", "A=3", "C=x=y", "B="])).toEqual(["A=3", "C=x=y", "B="]);
    expect(values({ process: { env: ["PATH=/bin", "X=a b", "PATH=/usr/bin", "HOME=/h"] } }, "lxc.environment")).toEqual(["X=a b", "PATH=/usr/bin", "HOME=/h"]);
    expect(refusal({ process: { env: ["A=1", "B=x\u0000y"] } })).toMatch(/^process\.env\[1\]: contains a NUL byte/);
  });
  test("HOME, when the env has none, from the container's /etc/passwd, else / (as runc)", () => {
    const homeDirectory = (uid: number) => (uid === 1000 ? "/home/app" : undefined);
    expect(values({ process: { user: { uid: 1000, gid: 1000 }, env: ["A=1"] } }, "lxc.environment", { homeDirectory })).toEqual(["A=1", "HOME=/home/app"]);
    expect(values({ process: { env: ["A=1"] } }, "lxc.environment", { homeDirectory })).toEqual(["A=1", "HOME=/"]);
    expect(values({ process: { env: ["HOME=", "A=1"] } }, "lxc.environment")).toEqual(["A=1", "HOME=/"]);
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
  test("address space, data and stack limits are applied by a start-host hook that runs before the holding one", () => {
    const rlimits = [{ type: "RLIMIT_AS", soft: 1024, hard: 2048 }, { type: "RLIMIT_STACK", soft: 8192, hard: 18446744073709551615 }];
    const { items, files } = run({ process: { rlimits } });
    expect(items.filter(([k]) => k.startsWith("lxc.prlimit."))).toEqual([]);
    const hooks = items.filter(([k]) => k === "lxc.hook.start-host").map(([, v]) => v);
    expect(hooks).toEqual(["/bin/sh '/run/crio-lxc/c0ffee/start-host-hook.sh'", "/usr/local/bin/crio-lxc hook start-host"]);
    expect(files.find((f) => f.name === "start-host-hook.sh")!.content).toContain('prlimit --pid "$LXC_PID" --as=1024:2048\nprlimit --pid "$LXC_PID" --stack=8192:unlimited\n');
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

describe("fields that look empty but ask for something", () => {
  test("a netDevices entry without a new name is refused", () => {
    expect(refusal({ linux: { netDevices: { eth0: {} } } })).toMatch(/^linux\.netDevices\.eth0: not supported yet/);
  });
  test.each(["enableCMT", "enableMBM"])("intelRdt.%s is refused", (field) => {
    expect(refusal({ linux: { intelRdt: { [field]: true } } })).toMatch(new RegExp(`^linux\\.intelRdt\\.${field}: not supported yet`));
  });
});
