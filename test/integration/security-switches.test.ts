// The four security features are on by default and each can be switched off
// (here through the environment file, as an operator would); runtime hygiene.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { inside, type Inside } from "../support/inside";
import { Sandbox, becomeSubreaper, requireBuilt } from "../support/runtime";

let sb: Sandbox;
let box: Inside;
beforeAll(() => { requireBuilt(); becomeSubreaper(); sb = new Sandbox(); box = inside(sb, "sw"); });
afterEach(() => writeFileSync(sb.envFile, ""));
afterAll(() => sb.cleanup());

/** The bounding set crio-lxc itself has (root here lacks CAP_SYS_RESOURCE): all a container can get. */
const hostBounding = () => /^CapBnd:\s+(\w+)$/m.exec(readFileSync("/proc/self/status", "utf8"))![1];
const chownOnly = { bounding: ["CAP_CHOWN"], effective: ["CAP_CHOWN"], permitted: ["CAP_CHOWN"] };
// /dev/kmsg (1:11): outside the standard allowed set.
// In /dev (liblxc's tmpfs): /tmp is mounted nodev by the test spec.
const mknodKmsg = "mknod /dev/test-kmsg c 1 11 && head -c1 /dev/test-kmsg >/dev/null && echo opened || echo denied";
// mknod needs CAP_MKNOD, reading /dev/kmsg CAP_SYSLOG (no capabilities object: none at all).
const mknodCaps = ["CAP_MKNOD", "CAP_SYSLOG"];
const denyAllDevices = { linux: { resources: { devices: [{ allow: false, access: "rwm" }] } }, process: { capabilities: { bounding: mknodCaps, effective: mknodCaps, permitted: mknodCaps } } };
const mkdirDenied = { linux: { seccomp: { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO" }] } } };

function switchOff(variable: string) {
  writeFileSync(sb.envFile, `# switched off by the test\n${variable}=false\n`);
}
const notes = () => sb.log().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)).filter((l) => l.l === "info" && / skipped: /.test(l.m));

describe("capabilities", () => {
  test("on: the spec's bounding set", async () => {
    expect((await box.run("grep CapBnd /proc/self/status", { process: { capabilities: chownOnly } })).out).toMatch(/^CapBnd:\s+0000000000000001$/m);
  });
  test("CRIO_LXC_CAPABILITIES=false: the full bounding set, and the log says so", async () => {
    switchOff("CRIO_LXC_CAPABILITIES");
    const before = notes().length;
    expect((await box.run("grep CapBnd /proc/self/status", { process: { capabilities: chownOnly } })).out).toBe(`CapBnd:\t${hostBounding()}\n`);
    expect(notes().slice(before).map((l) => l.m)).toEqual(["process.capabilities skipped: capabilities are disabled (CRIO_LXC_CAPABILITIES=false)"]);
  });
});

describe("cgroup devices", () => {
  test("on: a device outside the rules can't be opened", async () => {
    expect((await box.run(mknodKmsg, denyAllDevices)).out).toContain("denied");
  });
  test("CRIO_LXC_CGROUP_DEVICES=false: no device rules", async () => {
    switchOff("CRIO_LXC_CGROUP_DEVICES");
    expect((await box.run(mknodKmsg, denyAllDevices)).out).toContain("opened");
  });
});

describe("seccomp", () => {
  test("on: the profile is loaded", async () => {
    expect((await box.run("grep Seccomp: /proc/self/status; mkdir /tmp/x || echo refused", mkdirDenied)).out).toMatch(/Seccomp:\s+2\n[^]*refused/);
  });
  test("CRIO_LXC_SECCOMP=false: no filter", async () => {
    switchOff("CRIO_LXC_SECCOMP");
    expect((await box.run("grep Seccomp: /proc/self/status; mkdir /tmp/x && echo made", mkdirDenied)).out).toMatch(/Seccomp:\s+0\n[^]*made/);
  });
});

describe("apparmor", () => {
  test("a profile on a host without AppArmor is refused unless CRIO_LXC_APPARMOR=false", () => {
    const spec = box.spec("true", { process: { apparmorProfile: "containers-default-0.50" } });
    const refused = box.create(spec);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("process.apparmorProfile");
    switchOff("CRIO_LXC_APPARMOR");
    expect(box.create(spec).code).toBe(0);
  });
});

describe("runtime hygiene", () => {
  test("the runtime's environment does not reach the container, only process.env", async () => {
    writeFileSync(sb.envFile, "CRIO_LXC_LOG_LEVEL=debug\n");
    const r = Bun.spawnSync(["env"], { env: { ...sb.env(), LEAKY: "yes" } });
    expect(r.stdout.toString()).toContain("LEAKY=yes");
    // The sandbox passes its own environment (PATH, CRIO_LXC_*) to crio-lxc:
    const { out } = await box.run("env", { process: { env: ["PATH=/bin", "ONLY=this"] } });
    expect(out.split("\n").filter(Boolean).sort()).toEqual(["HOME=/root", "ONLY=this", "PATH=/bin", "PWD=/", "SHLVL=1"]);
  });
});
