// Translation of namespaces, id mappings, time offsets, UTS names, personality and sysctls.
import { describe, expect, test } from "bun:test";
import { CLONE_FLAG } from "../../src/translate/namespaces";
import { SETUP_ERRORS_FILE } from "../../src/translate/output";
import { refusal, run, values, type SpecPatch } from "./spec-fixtures";

const ns = (...namespaces: object[]) => ({ linux: { namespaces } });
const USER_NS = {
  namespaces: [{ type: "mount" }, { type: "user" }, { type: "uts" }, { type: "network" }],
  uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
  gidMappings: [{ containerID: 0, hostID: 200000, size: 65536 }],
};

/** The mount hook's lines after its `set -eu` and stderr redirection. */
function mountHookLines(patch: SpecPatch): string[] {
  const script = run(patch).files.find((f) => f.name === "mount-hook.sh");
  // After the prologue: set -eu, PATH, stderr to the error file.
  return script ? script.content.trim().split("\n").slice(3) : [];
}

describe("namespaces", () => {
  test("types without a path are cloned under liblxc's names, in spec order", () => {
    const spec = ns({ type: "mount" }, { type: "network" }, { type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "cgroup" }, { type: "time" });
    expect(values(spec, "lxc.namespace.clone")).toEqual(["mnt net pid ipc uts cgroup time"]);
  });
  test("types with a path are joined by the monitor, not liblxc; unlisted ones stay the host's", () => {
    const { items, joins } = run(ns({ type: "mount" }, { type: "network", path: "/run/netns/pod" }, { type: "ipc", path: "/proc/42/ns/ipc" }));
    expect(items.filter(([k]) => k.startsWith("lxc.namespace.") || k.startsWith("lxc.net."))).toEqual([["lxc.namespace.clone", "mnt"]]);
    expect(joins).toEqual([
      { type: "network", flag: 0x40000000, path: "/run/netns/pod", jsonPath: "linux.namespaces[1].path" },
      { type: "ipc", flag: 0x08000000, path: "/proc/42/ns/ipc", jsonPath: "linux.namespaces[2].path" },
    ]);
  });
  test("pid, network, ipc, uts and time can be joined; with a joined user namespace liblxc joins them all", () => {
    const joined = ["pid", "network", "ipc", "uts", "time"].map((type) => ({ type, path: `/proc/42/ns/${type}` }));
    expect(run(ns({ type: "mount" }, ...joined)).joins.map((j) => j.type)).toEqual(["pid", "network", "ipc", "uts", "time"]);
    const user = { linux: { ...USER_NS, namespaces: [{ type: "mount" }, { type: "cgroup" }, { type: "user", path: "/proc/42/ns/user" }, { type: "pid", path: "/proc/42/ns/pid" }] } };
    const { items, joins } = run(user);
    expect(items.filter(([k]) => k.startsWith("lxc.namespace.share."))).toEqual([
      ["lxc.namespace.share.user", "/proc/42/ns/user"], ["lxc.namespace.share.pid", "/proc/42/ns/pid"],
    ]);
    expect(joins).toEqual([]);
  });
  test("an empty network is configured only for a new network namespace", () => {
    expect(values(ns({ type: "mount" }, { type: "network" }), "lxc.net.0.type")).toEqual(["empty"]);
    expect(values(ns({ type: "mount" }), "lxc.net.0.type")).toEqual([]);
    expect(values(ns({ type: "mount" }, { type: "network", path: "/run/netns/pod" }), "lxc.net.0.type")).toEqual([]);
  });
  test("a joined path must be a namespace of the listed type", () => {
    const fileType = (path: string) => (path === "/run/netns/pod" ? CLONE_FLAG.network : path.includes("gone") ? "missing" as const : undefined);
    const ctx = { namespaceFileType: fileType };
    expect(run(ns({ type: "mount" }, { type: "network", path: "/run/netns/pod" }), ctx).joins).toHaveLength(1);
    expect(refusal(ns({ type: "mount" }, { type: "pid", path: "/run/netns/pod" }), ctx))
      .toMatch(/^linux\.namespaces\[1\]\.path: \/run\/netns\/pod is a network namespace, not a pid namespace$/);
    expect(refusal(ns({ type: "mount" }, { type: "ipc", path: "/proc/gone/ns/ipc" }), ctx)).toMatch(/^linux\.namespaces\[1\]\.path: \/proc\/gone\/ns\/ipc does not exist/);
    expect(refusal(ns({ type: "mount" }, { type: "ipc", path: "/etc/passwd" }), ctx)).toMatch(/^linux\.namespaces\[1\]\.path: \/etc\/passwd is not a namespace file/);
  });
  test("a mount namespace joined by path is liblxc's to join, with every other joined one (lxc.namespace.share.*)", () => {
    const spec = ns({ type: "mount", path: "/proc/1/ns/mnt" }, { type: "cgroup" }, { type: "network", path: "/var/run/netns/pod" });
    expect(values(spec, "lxc.namespace.clone")).toEqual(["cgroup"]);
    expect(values(spec, "lxc.namespace.share.mnt")).toEqual(["/proc/1/ns/mnt"]);
    expect(values(spec, "lxc.namespace.share.net")).toEqual(["/var/run/netns/pod"]);
    expect(run(spec).joins).toEqual([]);
  });
  test("refusals", () => {
    expect(refusal(ns({ type: "mount" }, { type: "pid" }, { type: "pid" }))).toMatch(/^linux\.namespaces\[2\]\.type: duplicate namespace type "pid"/);
    expect(refusal(ns({ type: "mount" }, { type: "pid" }, { type: "pid", path: "/proc/1/ns/pid" }))).toMatch(/^linux\.namespaces\[2\]\.type: duplicate/);
    expect(refusal(ns({ type: "pid" }))).toMatch(/^linux\.namespaces: a mount namespace \(new or joined by path\) is required/);
    expect(refusal(ns({ type: "mount", path: "/proc/1/ns/mnt" }))).toMatch(/^linux\.namespaces: joining a mount namespace requires a new cgroup namespace too/);
    expect(refusal(ns({ type: "mount" }, { type: "network", path: "netns" }))).toMatch(/^linux\.namespaces\[1\]\.path: expected an absolute path/);
    expect(refusal(ns({ type: "mount" }, { type: "cgroup", path: "/proc/1/ns/cgroup" }))).toMatch(/^linux\.namespaces\[1\]\.path: joining an existing cgroup namespace is not supported by liblxc/);
    expect(refusal({ linux: { ...USER_NS, namespaces: [{ type: "mount" }, { type: "user", path: "/proc/1/ns/user" }] } }))
      .toMatch(/^linux\.namespaces: joining a user namespace requires a new cgroup namespace too/);
    expect(refusal(ns({ type: "mount" }, { type: "bogus" }))).toMatch(/linux\.namespaces\[1\]\.type: invalid value "bogus"/);
  });
});

describe("user namespace", () => {
  test("id mappings become lxc.idmap", () => {
    const spec = { linux: { ...USER_NS, gidMappings: [{ containerID: 0, hostID: 200000, size: 1000 }, { containerID: 1000, hostID: 1000, size: 1 }] } };
    expect(values(spec, "lxc.idmap")).toEqual(["u 0 100000 65536", "g 0 200000 1000", "g 1000 1000 1"]);
    expect(values(spec, "lxc.namespace.clone")).toEqual(["mnt user uts net"]);
  });
  test("a joined user namespace still needs its mappings (liblxc uses them, without writing them)", () => {
    const joined = { ...USER_NS, namespaces: [{ type: "mount" }, { type: "cgroup" }, { type: "user", path: "/proc/42/ns/user" }] };
    expect(values({ linux: joined }, "lxc.idmap")).toEqual(["u 0 100000 65536", "g 0 200000 65536"]);
    expect(refusal({ linux: { namespaces: joined.namespaces } })).toMatch(/^linux\.uidMappings: required with a user namespace/);
  });
  test("hook scripts are readable by, and the error file belongs to, the container's root", () => {
    const { files } = run({ domainname: "example.org", linux: USER_NS });
    expect(files.find((f) => f.name === "mount-hook.sh")).toMatchObject({ mode: 0o644 });
    expect(files.find((f) => f.name === "mount-hook.sh")?.owner).toBeUndefined();
    expect(files.find((f) => f.name === SETUP_ERRORS_FILE)).toMatchObject({ owner: { uid: 100000, gid: 200000 } });
  });
  test("without root mapped, the hooks run as init's user", () => {
    const linux = { ...USER_NS, uidMappings: [{ containerID: 1000, hostID: 101000, size: 10 }], gidMappings: [{ containerID: 1000, hostID: 101000, size: 10 }] };
    const { files } = run({ domainname: "x", linux, process: { user: { uid: 1001, gid: 1002 } } });
    expect(files.find((f) => f.name === SETUP_ERRORS_FILE)?.owner).toEqual({ uid: 101001, gid: 101002 });
    expect(refusal({ linux, process: { user: { uid: 5, gid: 1000 } } })).toMatch(/^linux\.uidMappings: maps neither root nor process\.user\.uid 5/);
  });
  test("refusals", () => {
    expect(refusal(ns({ type: "mount" }, { type: "user" }))).toMatch(/^linux\.uidMappings: required with a user namespace/);
    expect(refusal({ linux: { uidMappings: [{ containerID: 0, hostID: 1, size: 1 }] } })).toMatch(/^linux\.uidMappings: requires a user namespace/);
  });
  test("supplementary groups in a user namespace are the init's to set (liblxc ignores lxc.init.groups there)", () => {
    const withGroups = run({ linux: USER_NS, process: { user: { uid: 1000, gid: 1000, additionalGids: [10, 20] } } });
    expect(withGroups.initGroups).toEqual({ uid: 1000, gids: [10, 20] });
    expect(withGroups.items.some(([k]) => k === "lxc.init.groups")).toBe(false);
    const without = run({ process: { user: { uid: 1000, gid: 1000, additionalGids: [10, 20] } } });
    expect(without.initGroups).toBeUndefined();
    expect(values({ process: { user: { uid: 1000, gid: 1000, additionalGids: [10, 20] } } }, "lxc.init.groups")).toEqual(["10,20"]);
  });
});

describe("time namespace", () => {
  const time = (timeOffsets: object) => ({ linux: { namespaces: [{ type: "mount" }, { type: "time" }], timeOffsets } });

  test("offsets in seconds, or in nanoseconds alone", () => {
    const { items } = run(time({ boottime: { secs: 86400 }, monotonic: { nanosecs: 5000 } }));
    expect(items.filter(([k]) => k.startsWith("lxc.time."))).toEqual([
      ["lxc.time.offset.boot", "86400s"], ["lxc.time.offset.monotonic", "5000ns"],
    ]);
    expect(values(time({ monotonic: { secs: -60 } }), "lxc.time.offset.monotonic")).toEqual(["-60s"]);
  });
  test("refusals", () => {
    expect(refusal(time({ realtime: { secs: 1 } }))).toMatch(/^linux\.timeOffsets\.realtime: unknown clock/);
    expect(refusal(time({ boottime: { secs: 1, nanosecs: 1 } }))).toMatch(/^linux\.timeOffsets\.boottime\.nanosecs: not supported together with secs/);
    const joined = { linux: { namespaces: [{ type: "mount" }, { type: "time", path: "/proc/1/ns/time" }], timeOffsets: { boottime: { secs: 1 } } } };
    expect(refusal(joined)).toMatch(/^linux\.timeOffsets\.boottime: requires a new time namespace/);
  });
});

describe("hostname and domainname", () => {
  test("the hostname is set only with a new uts namespace; without one the namespace keeps the caller's (like runc)", () => {
    expect(values({ hostname: "web" }, "lxc.uts.name")).toEqual(["web"]);
    expect(values({}, "lxc.uts.name")).toEqual([]);
    expect(values(ns({ type: "mount" }), "lxc.uts.name")).toEqual([]);
  });
  test("the domainname is written by the mount hook; in a user namespace through setdomainname(2)", () => {
    expect(mountHookLines({ domainname: "example.org" })).toEqual([
      `printf '%s\\n' 'example.org' >/proc/sys/kernel/domainname || { printf '%s\\n' 'domainname: could not set domainname "example.org"' >&2; exit 1; }`,
    ]);
    expect(mountHookLines({ domainname: "it's", linux: USER_NS })).toEqual([
      `domainname -- 'it'\\''s' || { printf '%s\\n' 'domainname: could not set domainname "it'\\''s" with the host'\\''s domainname command' >&2; exit 1; }`,
    ]);
  });
  test("the hook script sends its stderr to the error file and is run by liblxc", () => {
    const { files, items } = run({ domainname: "example.org" });
    expect(files.find((f) => f.name === "mount-hook.sh")?.content).toStartWith(`set -eu\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nexec 2>>'/run/crio-lxc/c0ffee/${SETUP_ERRORS_FILE}'\n`);
    expect(items.filter(([k]) => k === "lxc.hook.mount")).toEqual([["lxc.hook.mount", "/bin/sh '/run/crio-lxc/c0ffee/mount-hook.sh'"]]);
  });
  test("a joined uts namespace gets the spec's names from the mount hook (runc sets them in a joined namespace too)", () => {
    const joined = { hostname: "pod", domainname: "example.org", linux: { namespaces: [{ type: "mount" }, { type: "uts", path: "/proc/42/ns/uts" }] } };
    expect(values(joined, "lxc.uts.name")).toEqual([]);
    const lines = mountHookLines(joined);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toStartWith(`printf '%s\\n' 'pod' >/proc/sys/kernel/hostname || `);
    expect(lines[1]).toStartWith(`printf '%s\\n' 'example.org' >/proc/sys/kernel/domainname || `);
    expect(mountHookLines({ ...joined, hostname: undefined, domainname: undefined })).toEqual([]);
  });
  test("refusals", () => {
    expect(refusal({ hostname: "h".repeat(65) })).toMatch(/^hostname: longer than 64 bytes/);
    expect(refusal({ domainname: "d".repeat(65) })).toMatch(/^domainname: longer than 64 bytes/);
    expect(refusal({ hostname: "h", linux: { namespaces: [{ type: "mount" }] } })).toMatch(/^hostname: requires a uts namespace/);
  });
});

describe("personality", () => {
  test("the domain becomes lxc.arch", () => {
    expect(values({ linux: { personality: { domain: "LINUX32" } } }, "lxc.arch")).toEqual(["linux32"]);
    expect(values({ linux: { personality: { domain: "LINUX", flags: [] } } }, "lxc.arch")).toEqual(["linux64"]);
    expect(values({}, "lxc.arch")).toEqual([]);
  });
  test("refusals", () => {
    expect(refusal({ linux: { personality: { domain: "LINUX", flags: ["ADDR_NO_RANDOMIZE"] } } })).toMatch(/^linux\.personality\.flags: not supported/);
    expect(refusal({ linux: { personality: { domain: "SVR4" } } })).toMatch(/linux\.personality\.domain: invalid value "SVR4"/);
  });
});

describe("sysctl", () => {
  const withNs = (sysctl: Record<string, string>, ...extra: string[]) => ({
    linux: { namespaces: ["mount", "uts", ...extra].map((type) => ({ type })), sysctl },
  });

  test("written by the mount hook, not lxc.sysctl (which fails under a read-only /proc/sys)", () => {
    const spec = withNs({ "net.ipv4.ping_group_range": "0 2147483647", "kernel.shmmax": "1024", "fs.mqueue.msg_max": "20" }, "network", "ipc");
    const readonly = { linux: { ...spec.linux, readonlyPaths: ["/proc/sys"] } };
    expect(run(readonly).items.some(([k]) => k.startsWith("lxc.sysctl."))).toBe(false);
    expect(mountHookLines(readonly)).toEqual([
      `printf '%s\\n' '0 2147483647' >/proc/sys/net/ipv4/ping_group_range || { printf '%s\\n' 'linux.sysctl["net.ipv4.ping_group_range"]: could not write "0 2147483647" to /proc/sys/net/ipv4/ping_group_range' >&2; exit 1; }`,
      `printf '%s\\n' '1024' >/proc/sys/kernel/shmmax || { printf '%s\\n' 'linux.sysctl["kernel.shmmax"]: could not write "1024" to /proc/sys/kernel/shmmax' >&2; exit 1; }`,
      `printf '%s\\n' '20' >/proc/sys/fs/mqueue/msg_max || { printf '%s\\n' 'linux.sysctl["fs.mqueue.msg_max"]: could not write "20" to /proc/sys/fs/mqueue/msg_max' >&2; exit 1; }`,
    ]);
  });
  test("sysctls of a joined namespace are allowed", () => {
    const spec = { linux: { namespaces: [{ type: "mount" }, { type: "network", path: "/run/netns/pod" }], sysctl: { "net.core.somaxconn": "1024" } } };
    expect(mountHookLines(spec)).toHaveLength(1);
  });
  test("kernel.hostname and kernel.domainname name the uts namespace, a joined one too", () => {
    const joinedUts = { linux: { namespaces: [{ type: "mount" }, { type: "uts", path: "/proc/1/ns/uts" }], sysctl: { "kernel.hostname": "x" } } };
    expect(mountHookLines(joinedUts)[0]).toStartWith(`printf '%s\\n' 'x' >/proc/sys/kernel/hostname || `);
    expect(mountHookLines(withNs({ "kernel.domainname": "example.org" }))[0]).toStartWith(`printf '%s\\n' 'example.org' >/proc/sys/kernel/domainname || `);
    expect(mountHookLines({ linux: { ...USER_NS, sysctl: { "kernel.hostname": "h" } } })[0]).toStartWith("hostname -- 'h' || ");
  });
  test("refusals", () => {
    expect(refusal(withNs({ "vm.swappiness": "10" }))).toMatch(/^linux\.sysctl\["vm\.swappiness"\]: not a namespaced sysctl/);
    expect(refusal(withNs({ "kernel.pid_max": "10" }))).toMatch(/^linux\.sysctl\["kernel\.pid_max"\]: not a namespaced sysctl/);
    expect(refusal(withNs({ "net/ipv4/ip_forward": "1" }))).toMatch(/expected a dotted sysctl name/);
    expect(refusal(withNs({ "net.ipv4.ip_forward": "1" }))).toMatch(/^linux\.sysctl\["net\.ipv4\.ip_forward"\]: requires a network namespace/);
    expect(refusal(withNs({ "kernel.msgmax": "1" }))).toMatch(/requires a ipc namespace/);
    expect(refusal({ ...withNs({ "kernel.hostname": "x" }), hostname: "y" })).toMatch(/^linux\.sysctl\["kernel\.hostname"\]: conflicts with hostname/);
    expect(refusal({ ...withNs({ "kernel.domainname": "x" }), domainname: "y" })).toMatch(/conflicts with domainname/);
  });
});
