// Namespaces, user namespaces, sysctls, UTS names and personality, checked
// from inside running containers (run in scripts/cgroup2-lane, as root).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Sandbox, becomeSubreaper, busyboxSpec, requireBuilt, waitExit, waitFor } from "../support/runtime";

let sb: Sandbox;
// liblxc sets a user-namespaced container up as its root (host uid 100000), which must search every directory down to --root.
beforeAll(() => { requireBuilt(); becomeSubreaper(); sb = new Sandbox(); chmodSync(sb.dir, 0o711); });
afterAll(() => sb.cleanup());

let seq = 0;
const newId = () => `ns-${process.pid}-${++seq}`;
const NS_TYPES = ["pid", "net", "ipc", "uts", "user", "cgroup", "time"];
/** Prints `<type> <readlink /proc/self/ns/<type>>` for every namespace type (busybox readlink takes one file). */
const PRINT_NAMESPACES = `for t in ${NS_TYPES.join(" ")}; do echo "$t $(readlink /proc/self/ns/$t)"; done`;
const USER_MAPPINGS = {
  uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
  gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
};

type Spec = Record<string, unknown> & { linux: Record<string, unknown> };

/** The busybox spec with `linux` merged in and `top` fields set (undefined removes one). */
function spec(args: string[], linux: Record<string, unknown> = {}, top: Record<string, unknown> = {}): Spec {
  const s = busyboxSpec({ args }) as Spec;
  Object.assign(s.linux, linux);
  for (const [key, value] of Object.entries(top)) {
    if (value === undefined) delete s[key];
    else s[key] = value;
  }
  return s;
}

const joinAll = (pid: number, ...types: [oci: string, proc: string][]) => [
  { type: "mount" },
  ...types.map(([type, proc]) => ({ type, path: `/proc/${pid}/ns/${proc}` })),
];

interface Running { id: string; pid: number; out: string }

/** create + start with the container's stdout/stderr in a file; throws with create's error. */
function run(id: string, s: Spec): Running {
  s.linux.cgroupsPath = `/crio-lxc-test/${id}`;
  const out = join(sb.dir, `${id}.out`);
  const fd = openSync(out, "w");
  const pidFile = join(sb.dir, `${id}.pid`);
  const r = sb.run(["create", "--bundle", sb.bundle(s), "--pid-file", pidFile, id], { stdout: fd });
  closeSync(fd);
  if (r.code !== 0) throw new Error(readFileSync(out, "utf8"));
  expect(sb.run(["start", id]).code).toBe(0);
  return { id, pid: Number(readFileSync(pidFile, "utf8")), out };
}

/** Runs a short-lived container to its end; returns its output. */
async function output(id: string, s: Spec): Promise<string> {
  const c = run(id, s);
  expect(await waitExit(c.pid)).toBe(0);
  expect(sb.run(["delete", id]).code).toBe(0);
  return readFileSync(c.out, "utf8");
}

/** A create that must fail; returns its stderr. */
function failedCreate(id: string, s: Spec): string {
  s.linux.cgroupsPath = `/crio-lxc-test/${id}`;
  const r = sb.run(["create", "--bundle", sb.bundle(s), id]);
  expect(r.code).toBe(1);
  return r.stderr;
}

async function stop(c: Running): Promise<void> {
  process.kill(c.pid, "SIGKILL");
  await waitExit(c.pid);
  expect(sb.run(["delete", c.id]).code).toBe(0);
}

function namespacesIn(text: string): Record<string, string> {
  return Object.fromEntries(text.split("\n").map((l) => l.split(" ")).filter(([t, ns]) => NS_TYPES.includes(t!) && ns).map(([t, ns]) => [t, ns]));
}

const hostNamespace = (pid: number | "self", type: string) => readlinkSync(`/proc/${pid}/ns/${type}`);

describe("joining namespaces by /proc/<pid>/ns path, as CRI-O does for a pod", () => {
  let pod: Running;
  beforeAll(() => { pod = run(newId(), spec(["sleep", "60"], {}, { hostname: "pod-a" })); });
  afterAll(() => stop(pod));

  test("pid: the joiner sees the first container's processes, in the same namespace, and runs in its own cgroup", async () => {
    const id = newId();
    const s = spec(["sh", "-c", `ps -o pid,args; cat /proc/self/cgroup; ${PRINT_NAMESPACES}`], { namespaces: joinAll(pod.pid, ["pid", "pid"]) }, { hostname: undefined });
    const text = await output(id, s);
    expect(text).toMatch(/^\s*1 sleep 60$/m);
    expect(text).toContain(`\n0::/crio-lxc-test/${id}\n`);
    const inside = namespacesIn(text);
    expect(inside.pid).toBe(hostNamespace(pod.pid, "pid"));
    expect(inside.cgroup).toBe(hostNamespace("self", "cgroup")); // not listed: the host's
  });

  test("net, ipc and uts: the joiner is in the first container's namespaces and has its hostname", async () => {
    const namespaces = joinAll(pod.pid, ["network", "net"], ["ipc", "ipc"], ["uts", "uts"]);
    const text = await output(newId(), spec(["sh", "-c", `hostname; ${PRINT_NAMESPACES}`], { namespaces }, { hostname: undefined }));
    const inside = namespacesIn(text);
    for (const type of ["net", "ipc", "uts"]) expect(inside[type]).toBe(hostNamespace(pod.pid, type));
    expect(inside.pid).toBe(hostNamespace("self", "pid")); // not listed: the host's
    expect(text.split("\n")[0]).toBe("pod-a");
  });

  test("a joined uts namespace is renamed to the spec's hostname, as runc does (CRI-O's pinns never names a pod's)", async () => {
    const namespaces = joinAll(pod.pid, ["uts", "uts"]);
    const podHostname = () => Bun.spawnSync(["nsenter", `--uts=/proc/${pod.pid}/ns/uts`, "hostname"]).stdout.toString();
    expect(await output(newId(), spec(["hostname"], { namespaces }, { hostname: "pod-a" }))).toBe("pod-a\n");
    try {
      expect(await output(newId(), spec(["hostname"], { namespaces }, { hostname: "renamed" }))).toBe("renamed\n");
      expect(podHostname()).toBe("renamed\n");
    } finally {
      Bun.spawnSync(["nsenter", `--uts=/proc/${pod.pid}/ns/uts`, "hostname", "pod-a"]);
    }
    expect(podHostname()).toBe("pod-a\n");
  });

  test("a joined mount namespace: liblxc mounts the rootfs and pivots in it, as runc does", async () => {
    // A namespace that sees the host's files (the rootfs path must resolve in it), as runc needs too.
    const holder = Bun.spawn(["unshare", "--mount", "--propagation", "private", "sleep", "60"]);
    try {
      await waitFor(() => readlinkSync(`/proc/${holder.pid}/ns/mnt`) !== hostNamespace("self", "mnt"), "the holder's mount namespace");
      const namespaces = [{ type: "mount", path: `/proc/${holder.pid}/ns/mnt` }, { type: "cgroup" }, { type: "pid" }];
      const text = await output(newId(), spec(["sh", "-c", "readlink /proc/self/ns/mnt; ls /bin/busybox"], { namespaces }, { hostname: undefined }));
      expect(text).toBe(`${hostNamespace(holder.pid, "mnt")}\n/bin/busybox\n`);
    } finally {
      holder.kill("SIGKILL");
      await holder.exited;
    }
  });

  test("a path to a namespace of another type is refused, naming the field", () => {
    const s = spec(["true"], { namespaces: [{ type: "mount" }, { type: "pid", path: `/proc/${pod.pid}/ns/net` }] }, { hostname: undefined });
    expect(failedCreate(newId(), s)).toContain(`linux.namespaces[1].path: /proc/${pod.pid}/ns/net is a network namespace, not a pid namespace`);
  });
});

test("a network namespace pinned by a bind mount (CRI-O's /var/run/netns/<id>) can be joined", async () => {
  const pin = join(sb.dir, "netns-pin");
  writeFileSync(pin, "");
  const unshare = Bun.spawnSync(["unshare", `--net=${pin}`, "true"]);
  expect(unshare.exitCode).toBe(0);
  try {
    const pinned = Bun.spawnSync(["nsenter", `--net=${pin}`, "readlink", "/proc/self/ns/net"]).stdout.toString().trim();
    const namespaces = [{ type: "mount" }, { type: "pid" }, { type: "network", path: pin }];
    const text = await output(newId(), spec(["sh", "-c", PRINT_NAMESPACES], { namespaces }, { hostname: undefined }));
    expect(namespacesIn(text).net).toBe(pinned);
  } finally {
    Bun.spawnSync(["umount", pin]);
  }
});

test("new cgroup and time namespaces; time offsets shift the container's clocks", async () => {
  const namespaces = ["mount", "pid", "cgroup", "time"].map((type) => ({ type }));
  const timeOffsets = { boottime: { secs: 86400 * 365 } };
  const text = await output(newId(), spec(["sh", "-c", `cat /proc/uptime; grep '^0::' /proc/self/cgroup; ${PRINT_NAMESPACES}`], { namespaces, timeOffsets }, { hostname: undefined }));
  const uptime = Number(text.split(" ")[0]);
  const hostUptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
  expect(uptime - hostUptime).toBeGreaterThan(86400 * 365 - 60);
  expect(text).toContain("\n0::/\n");
  const inside = namespacesIn(text);
  expect(inside.cgroup).not.toBe(hostNamespace("self", "cgroup"));
  expect(inside.time).not.toBe(hostNamespace("self", "time"));
});

test("a joined time namespace brings its clock offsets", async () => {
  const offset = 86400 * 365;
  const first = run(newId(), spec(["sleep", "60"], { namespaces: [{ type: "mount" }, { type: "time" }], timeOffsets: { boottime: { secs: offset } } }, { hostname: undefined }));
  try {
    const namespaces = joinAll(first.pid, ["time", "time"]);
    const text = await output(newId(), spec(["sh", "-c", `cat /proc/uptime; ${PRINT_NAMESPACES}`], { namespaces }, { hostname: undefined }));
    const hostUptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    expect(Number(text.split(" ")[0]) - hostUptime).toBeGreaterThan(offset - 60);
    expect(namespacesIn(text).time).toBe(hostNamespace(first.pid, "time"));
  } finally {
    await stop(first);
  }
});

describe("user namespace", () => {
  const userNamespaces = ["pid", "mount", "ipc", "uts", "network", "user"].map((type) => ({ type }));

  test("root in the container is host uid 100000; the busybox rootfs, owned by host root, is usable", async () => {
    const text = await output(newId(), spec(["sh", "-c", "id; cat /proc/self/uid_map /proc/self/gid_map; ls /bin/busybox"], { namespaces: userNamespaces, ...USER_MAPPINGS }));
    expect(text).toStartWith("uid=0(root) gid=0(root)\n");
    expect(text).toMatch(/^\s+0\s+100000\s+65536\n\s+0\s+100000\s+65536\n\/bin\/busybox\n$/m);
  });

  test("sysctls, domainname and hostname are set inside a user namespace too", async () => {
    const sysctl = { "net.ipv4.ping_group_range": "0 65535", "kernel.shmmax": "123456789" };
    const s = spec(["sh", "-c", "cat /proc/sys/net/ipv4/ping_group_range /proc/sys/kernel/shmmax /proc/sys/kernel/domainname; hostname"],
      { namespaces: userNamespaces, ...USER_MAPPINGS, sysctl, readonlyPaths: ["/proc/sys"] }, { domainname: "example.org", hostname: "userns" });
    expect(await output(newId(), s)).toBe("0\t65535\n123456789\nexample.org\nuserns\n");
  });

  test("all five capability sets as asked, for root and a non-root user (the new namespace resets inheritable and ambient; runc sets them in it)", async () => {
    const sets = { bounding: ["CAP_CHOWN", "CAP_KILL"], effective: ["CAP_CHOWN", "CAP_KILL"], permitted: ["CAP_CHOWN", "CAP_KILL"], inheritable: ["CAP_KILL"], ambient: ["CAP_KILL"] };
    const status = ["sh", "-c", "grep ^Cap /proc/self/status"];
    const lines = (inh: string, prm: string, amb: string) => `CapInh:\t${inh}\nCapPrm:\t${prm}\nCapEff:\t${prm}\nCapBnd:\t0000000000000021\nCapAmb:\t${amb}\n`;
    const root = spec(status, { namespaces: userNamespaces, ...USER_MAPPINGS }, { process: { ...(busyboxSpec({ args: status }).process as object), capabilities: sets } });
    expect(await output(newId(), root)).toBe(lines("0000000000000020", "0000000000000021", "0000000000000020"));
    const user = spec(status, { namespaces: userNamespaces, ...USER_MAPPINGS }, { process: { ...(busyboxSpec({ args: status }).process as object), user: { uid: 1000, gid: 1000 }, capabilities: sets } });
    expect(await output(newId(), user)).toBe(lines("0000000000000020", "0000000000000020", "0000000000000020"));
  });

  test("supplementary groups, for root and a non-root user (liblxc drops them there; runc sets them, as podman --uidmap needs)", async () => {
    const groups = ["sh", "-c", "grep ^Groups /proc/self/status"];
    for (const uid of [0, 1000]) {
      const s = spec(groups, { namespaces: userNamespaces, ...USER_MAPPINGS }, { process: { ...(busyboxSpec({ args: groups }).process as object), user: { uid, gid: uid, additionalGids: [10, 20] } } });
      expect(await output(newId(), s)).toBe("Groups:\t10 20 \n");
    }
  });

  test("idmapped bind mounts: the volume's host-root files are the container root's, through the container's mappings (idmap) or the mount's own", async () => {
    const volume = join(sb.dir, `volume-${newId()}`);
    mkdirSync(volume);
    writeFileSync(join(volume, "file"), "hi\n");
    const script = ["sh", "-c", "stat -c '%u:%g' /vol/file /plain/file; echo new > /vol/made-inside"];
    const plain = { destination: "/plain", type: "bind", source: volume, options: ["rbind"] };
    const idmapped = [
      { destination: "/vol", type: "bind", source: volume, options: ["rbind", "idmap"] },
      { destination: "/vol", type: "bind", source: volume, options: ["rbind"], ...USER_MAPPINGS },
    ];
    for (const mount of idmapped) {
      const s = spec(script, { namespaces: userNamespaces, ...USER_MAPPINGS });
      (s.mounts as object[]).push(mount, plain);
      // Inside, root's files are root's through the idmapped mount; the plain bind shows the overflow ids.
      expect(await output(newId(), s)).toBe("0:0\n65534:65534\n");
      // What the container's root made there is the host's root's.
      expect([statSync(join(volume, "made-inside")).uid, statSync(join(volume, "made-inside")).gid]).toEqual([0, 0]);
      rmSync(join(volume, "made-inside"));
    }
  });

  test("a second container joins the first one's user and pid namespaces", async () => {
    const first = run(newId(), spec(["sleep", "60"], { namespaces: userNamespaces, ...USER_MAPPINGS }));
    try {
      // liblxc joins the user namespace itself, which always costs init a cgroup namespace: the spec must ask for one.
      const namespaces = [...joinAll(first.pid, ["user", "user"], ["pid", "pid"]), { type: "cgroup" }];
      const text = await output(newId(), spec(["sh", "-c", `id -u; ps -o pid,args; ${PRINT_NAMESPACES}`], { namespaces, ...USER_MAPPINGS }, { hostname: undefined }));
      expect(text).toStartWith("0\n");
      expect(text).toMatch(/^\s*1 sleep 60$/m);
      expect(namespacesIn(text).user).toBe(hostNamespace(first.pid, "user"));
    } finally {
      await stop(first);
    }
  });
});

describe("sysctl", () => {
  test("set in the container's namespaces while /proc/sys is read-only; the host's values are untouched", async () => {
    const hostPing = readFileSync("/proc/sys/net/ipv4/ping_group_range", "utf8");
    const hostShmmax = readFileSync("/proc/sys/kernel/shmmax", "utf8");
    const sysctl = { "net.ipv4.ping_group_range": "0 2147483647", "kernel.shmmax": "123456789", "fs.mqueue.msg_max": "20" };
    const script = "cat /proc/sys/net/ipv4/ping_group_range /proc/sys/kernel/shmmax /proc/sys/fs/mqueue/msg_max; echo 1 >/proc/sys/kernel/shmmax || echo read-only";
    const text = await output(newId(), spec(["sh", "-c", script], { sysctl, readonlyPaths: ["/proc/sys"] }));
    expect(text).toBe("0\t2147483647\n123456789\n20\nsh: can't create /proc/sys/kernel/shmmax: Read-only file system\nread-only\n");
    expect(readFileSync("/proc/sys/net/ipv4/ping_group_range", "utf8")).toBe(hostPing);
    expect(readFileSync("/proc/sys/kernel/shmmax", "utf8")).toBe(hostShmmax);
  });

  test("a value the kernel rejects fails create naming the sysctl, and leaves nothing", () => {
    const id = newId();
    const err = failedCreate(id, spec(["true"], { sysctl: { "kernel.shmmax": "banana" } }));
    expect(err).toContain('linux.sysctl["kernel.shmmax"]: could not write "banana" to /proc/sys/kernel/shmmax');
    expect(sb.run(["state", id]).code).toBe(1);
  });

  test("a sysctl that would change the host is refused", () => {
    expect(failedCreate(newId(), spec(["true"], { sysctl: { "vm.swappiness": "10" } }))).toContain('linux.sysctl["vm.swappiness"]: not a namespaced sysctl');
  });
});

test("hostname and domainname", async () => {
  const text = await output(newId(), spec(["sh", "-c", "hostname; cat /proc/sys/kernel/domainname; uname -n"], {}, { hostname: "web", domainname: "example.org" }));
  expect(text).toBe("web\nexample.org\nweb\n");
});

test("without a hostname a new uts namespace keeps the caller's, as with runc", async () => {
  expect(await output(newId(), spec(["hostname"], {}, { hostname: undefined }))).toBe(`${readFileSync("/proc/sys/kernel/hostname", "utf8").trim()}\n`);
});

test("personality LINUX32 makes uname -m report i686", async () => {
  expect(await output(newId(), spec(["uname", "-m"], { personality: { domain: "LINUX32" } }))).toBe("i686\n");
  expect(await output(newId(), spec(["uname", "-m"], { personality: { domain: "LINUX" } }))).toBe("x86_64\n");
});
