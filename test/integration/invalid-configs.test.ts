// Invalid or unsupported config.json variants through `crio-lxc create`: each
// fails with exit 1, a message naming the JSON path, and leaves nothing behind.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { merge, type Spec } from "../support/inside";
import { Sandbox, busyboxSpec, cgroupExists, requireBuilt } from "../support/runtime";

let sb: Sandbox;
beforeAll(() => { requireBuilt(); sb = new Sandbox(); });
afterAll(() => sb.cleanup());

const base = () => busyboxSpec({ args: ["true"] });
const withProcess = (p: Spec) => merge(base(), { process: p });
const withLinux = (l: Spec) => merge(base(), { linux: l });
const without = (path: string[]) => {
  const spec = base() as Record<string, any>;
  const parent = path.slice(0, -1).reduce((o, k) => o[k], spec);
  delete parent[path.at(-1)!];
  return spec;
};

/** [what, spec, the JSON path the error must name] */
const CASES: Array<[string, Spec, string]> = [
  ["ociVersion of the wrong type", merge(base(), { ociVersion: 1 }), "ociVersion"],
  ["missing root", without(["root"]), "root"],
  ["missing root.path", without(["root", "path"]), "root.path"],
  ["root.readonly not a boolean", merge(base(), { root: { readonly: "yes" } }), "root.readonly"],
  ["missing process", without(["process"]), "process"],
  ["empty process.args", withProcess({ args: [] }), "process.args"],
  ["process.args not strings", withProcess({ args: ["sh", 1] }), "process.args[1]"],
  ["relative process.cwd", withProcess({ cwd: "tmp" }), "process.cwd"],
  ["process.env entry without =", withProcess({ env: ["PATH=/bin", "NOEQUALS"] }), "process.env[1]"],
  ["negative uid", withProcess({ user: { uid: -1, gid: 0 } }), "process.user.uid"],
  ["bad capability name", withProcess({ capabilities: { bounding: ["CAP_FLY"] } }), "process.capabilities.bounding[0]"],
  ["unknown rlimit type", withProcess({ rlimits: [{ type: "RLIMIT_WINGS", soft: 1, hard: 1 }] }), "process.rlimits[0].type"],
  ["rlimit soft above hard", withProcess({ rlimits: [{ type: "RLIMIT_NOFILE", soft: 20, hard: 10 }] }), "process.rlimits[0]"],
  ["oomScoreAdj out of range", withProcess({ oomScoreAdj: 5000 }), "process.oomScoreAdj"],
  ["unknown namespace type", withLinux({ namespaces: [{ type: "mount" }, { type: "dream" }] }), "linux.namespaces[1].type"],
  ["duplicate namespace", withLinux({ namespaces: [{ type: "mount" }, { type: "pid" }, { type: "pid" }] }), "linux.namespaces[2].type"],
  ["relative namespace path", withLinux({ namespaces: [{ type: "mount" }, { type: "network", path: "proc/1/ns/net" }] }), "linux.namespaces[1].path"],
  ["no mount namespace", withLinux({ namespaces: [{ type: "pid" }] }), "linux.namespaces"],
  ["relative mount destination", merge(base(), { mounts: [{ destination: "mnt", type: "tmpfs", source: "tmpfs" }] }), "mounts[0].destination"],
  ["unknown mount type", merge(base(), { mounts: [{ destination: "/mnt", type: "zfs-of-dreams", source: "x" }] }), "mounts[0]"],
  ["missing bind source", merge(base(), { mounts: [{ destination: "/mnt", type: "bind", source: "/no/such/dir", options: ["bind"] }] }), "mounts[0]"],
  ["mount destination escaping to /", merge(base(), { mounts: [{ destination: "/../../..", type: "tmpfs", source: "tmpfs" }] }), "mounts[0].destination"],
  ["bad seccomp default action", withLinux({ seccomp: { defaultAction: "SCMP_ACT_EXPLODE" } }), "linux.seccomp.defaultAction"],
  ["bad seccomp syscall action", withLinux({ seccomp: { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_NOPE" }] } }), "linux.seccomp.syscalls[0].action"],
  ["bad seccomp operator", withLinux({ seccomp: { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["kill"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 1, op: "SCMP_CMP_ROUGHLY" }] }] } }), "linux.seccomp.syscalls[0].args[0].op"],
  ["unsupported seccomp action", withLinux({ seccomp: { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["kill"], action: "SCMP_ACT_TRACE" }] } }), "linux.seccomp.syscalls[0].action"],
  ["non-namespaced sysctl", withLinux({ sysctl: { "vm.swappiness": "10" } }), "linux.sysctl"],
  ["uidMappings without a user namespace", withLinux({ uidMappings: [{ containerID: 0, hostID: 100000, size: 1 }] }), "linux.uidMappings"],
  ["bad device type", withLinux({ devices: [{ path: "/dev/x", type: "q", major: 1, minor: 3 }] }), "linux.devices[0].type"],
  ["memory.disableOOMKiller", withLinux({ resources: { memory: { disableOOMKiller: true } } }), "linux.resources.memory.disableOOMKiller"],
  ["unified key without a controller", withLinux({ resources: { unified: { "nonsense": "1" } } }), "linux.resources.unified"],
  ["SELinux label", withProcess({ selinuxLabel: "system_u:system_r:container_t:s0" }), "process.selinuxLabel"],
  ["terminal without a console socket", withProcess({ terminal: true }), "process.terminal"],
  ["cgroupsPath escaping the hierarchy", withLinux({ cgroupsPath: "/a/../../b" }), "linux.cgroupsPath"],
];

test(`${CASES.length} invalid configs fail create naming the JSON path and leave nothing behind`, () => {
  expect(CASES.length).toBeGreaterThanOrEqual(25);
  const failures: string[] = [];
  CASES.forEach(([what, spec, path], i) => {
    const id = `bad-${process.pid}-${i}`;
    const cgroupsPath = path === "linux.cgroupsPath" ? {} : { linux: { cgroupsPath: `/crio-lxc-test/${id}` } };
    const r = sb.run(["create", "--bundle", sb.bundle(merge(spec, cgroupsPath)), id]);
    const problems = [
      r.code !== 1 && `exit ${r.code}`,
      !r.stderr.includes(path) && `message does not name ${path}: ${r.stderr.trim()}`,
      existsSync(join(sb.root, id)) && "state dir left",
      cgroupExists(`crio-lxc-test/${id}`) && "cgroup left",
      cgroupExists(`crio-lxc-monitor/${id}`) && "monitor cgroup left",
    ].filter(Boolean);
    if (problems.length) failures.push(`${what}: ${problems.join("; ")}`);
  });
  expect(failures).toEqual([]);
  expect(existsSync(sb.root) ? readdirSync(sb.root) : []).toEqual([]);
});
