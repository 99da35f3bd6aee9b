// /dev inside running containers: the standard set and linux.devices
// (run by scripts/test inside scripts/cgroup2-lane), as root.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { inside, type Inside } from "../support/inside";
import { BIN, Sandbox, becomeSubreaper, requireBuilt, sh } from "../support/runtime";
import { MOUNTS as RUNC_SPEC_MOUNTS } from "../../src/ops/default-spec";

let sb: Sandbox;
let box: Inside;
beforeAll(() => { requireBuilt(); becomeSubreaper(); sb = new Sandbox(); box = inside(sb, "dev"); });
afterAll(() => sb.cleanup());

/** The mounts of runc's default spec (without cgroup2, which these tests don't need). */
const RUNC_MOUNTS = RUNC_SPEC_MOUNTS.filter((m) => m.type !== "cgroup");

const STANDARD_DEV = [
  "echo x > /dev/null && echo null-ok",
  "echo zero=$(head -c1 /dev/zero | od -An -tx1)",
  "echo x 2>&1 > /dev/full",
  "echo random=$(head -c4 /dev/random | wc -c) urandom=$(head -c4 /dev/urandom | wc -c)",
  "ls -l /dev/tty",
  // A subshell: a failed redirection of exec would end the script.
  "(exec 3<>/dev/ptmx && echo pts=$(ls /dev/pts | tr '\\n' ' '))",
  "echo stdin=$(readlink /dev/stdin) stdout=$(readlink /dev/stdout) stderr=$(readlink /dev/stderr) fd=$(readlink /dev/fd) core=$(readlink /dev/core)",
  "ls /dev/fd/ | tr '\\n' ' '; echo",
  "[ -d /dev/shm ] && touch /dev/shm/x && echo shm-ok",
  "[ -d /dev/mqueue ] && echo mqueue-ok",
].join("; ");

function expectStandardDev(out: string, devpts = true) {
  expect(out).toContain("null-ok");
  expect(out).toContain("zero= 00");
  expect(out).toContain("No space left on device");
  expect(out).toContain("random=4 urandom=4");
  expect(out).toMatch(/^crw-rw-rw-\s+1 root\s+root\s+5,\s+0 .* \/dev\/tty$/m);
  // Opening ptmx (runc's symlink to pts/ptmx) allocated pts/0; without a devpts mounted it leads nowhere, as with runc.
  if (devpts) expect(out).toContain("pts=0 ptmx\n");
  else expect(out).not.toContain("pts=");
  // runc's /dev/core, made only where the node has a /proc/kcore (this one may not).
  const core = existsSync("/proc/kcore") ? "/proc/kcore" : "";
  expect(out).toContain(`stdin=/proc/self/fd/0 stdout=/proc/self/fd/1 stderr=/proc/self/fd/2 fd=/proc/self/fd core=${core}\n`);
  expect(out).toMatch(/^0 1 2 /m);
}

describe("standard /dev", () => {
  test("with runc's default mounts (the spec's tmpfs on /dev, lxc.autodev off)", async () => {
    const { code, out } = await box.run(STANDARD_DEV, { mounts: RUNC_MOUNTS });
    expect(code).toBe(0);
    expectStandardDev(out);
    expect(out).toContain("shm-ok");
    expect(out).toContain("mqueue-ok");
  });

  test("with no /dev mounts at all (lxc.autodev's tmpfs): no devpts either", async () => {
    const { out } = await box.run(STANDARD_DEV, { mounts: [RUNC_MOUNTS[0]] });
    expectStandardDev(out, false);
  });
});

describe("linux.devices", () => {
  const devices = [
    { path: "/dev/mynull", type: "c", major: 1, minor: 3, fileMode: 0o620, uid: 1000, gid: 20 },
    { path: "/dev/sub/loop7", type: "b", major: 7, minor: 7, fileMode: 0o600 },
    { path: "/dev/fifo", type: "p", fileMode: 0o640, uid: 5, gid: 6 },
    { path: "/dev/myzero", type: "u", major: 1, minor: 5 },
  ];

  test("nodes have the type, numbers, mode and owner asked for, and work", async () => {
    const script = "ls -l /dev/mynull /dev/sub/loop7 /dev/fifo /dev/myzero; echo x > /dev/mynull && echo mynull-ok";
    // Root needs CAP_DAC_OVERRIDE to write a node owned by 1000 with mode 0620 (no capabilities object: none at all).
    const caps = ["CAP_DAC_OVERRIDE"];
    const { code, out } = await box.run(script, { mounts: RUNC_MOUNTS, linux: { devices }, process: { capabilities: { bounding: caps, effective: caps, permitted: caps } } });
    expect(code).toBe(0);
    expect(out).toMatch(/^crw--w----\s+1 1000\s+20\s+1,\s+3 .* \/dev\/mynull$/m);
    expect(out).toMatch(/^brw-------\s+1 root\s+root\s+7,\s+7 .* \/dev\/sub\/loop7$/m);
    expect(out).toMatch(/^prw-r-----\s+1 5\s+6\s+0 .* \/dev\/fifo$/m);
    // runc's defaults: 0666, root:root.
    expect(out).toMatch(/^crw-rw-rw-\s+1 root\s+root\s+1,\s+5 .* \/dev\/myzero$/m);
    expect(out).toContain("mynull-ok");
  });

  test("in a user namespace (no mknod there): the host's nodes bound over empty files, as runc makes them", async () => {
    chmodSync(sb.dir, 0o711);
    const rootfs = box.rootfsCopy();
    sh(`chown -R 100000:100000 ${rootfs}`);
    const mapping = [{ containerID: 0, hostID: 100000, size: 65536 }];
    const linux = {
      namespaces: ["pid", "mount", "ipc", "uts", "network", "user"].map((type) => ({ type })), uidMappings: mapping, gidMappings: mapping,
      devices: [{ path: "/dev/net/tun", type: "c", major: 10, minor: 200 }, { path: "/dev/fuse", type: "c", major: 10, minor: 229 }],
    };
    const script = "stat -c '%n %t:%T' /dev/net/tun /dev/fuse /dev/null; grep -cE ' /dev/(net/tun|fuse|null) .* - devtmpfs ' /proc/self/mountinfo";
    const { code, out } = await box.run(script, { root: { path: rootfs }, mounts: RUNC_MOUNTS, linux });
    expect([code, out]).toEqual([0, "/dev/net/tun a:c8\n/dev/fuse a:e5\n/dev/null 1:3\n3\n"]);
  });

  test("the monitor makes the nodes, applies the container's mount operations and holds it itself: no shell, mknod or chown, no helper of create's", async () => {
    const id = `dev-native-${process.pid}`;
    const spec = box.spec("", { mounts: RUNC_MOUNTS, linux: { devices: [...devices, { path: "/dev/net/tun", type: "c", major: 10, minor: 200 }] } }) as
      { process: { args: string[] }; linux: Record<string, unknown> };
    spec.process.args = ["ls", "-l", "/dev/fifo", "/dev/net/tun"];
    spec.linux.cgroupsPath = `/crio-lxc-test/${id}`;
    const bundle = sb.bundle(spec);
    const trace = join(sb.dir, `${id}.trace`);
    const out = join(sb.dir, `${id}.out`);
    // strace follows the monitor, the hooks' children and init until the container's process ends.
    const traced = Bun.spawn(["strace", "-f", "-qq", "-e", "trace=execve,setns,clone,clone3,fork", "-o", trace, "sh", "-c", 'exec "$@" >"$0" 2>&1 </dev/null', out,
      BIN, "--root", sb.root, "create", "--bundle", bundle, id], { env: sb.env() });
    try {
      for (let i = 0; i < 300 && !(existsSync(join(sb.root, id, "state.json")) && sb.state(id).status === "created"); i++) await Bun.sleep(50);
      expect(sb.state(id).status).toBe("created");
      // While it is created: the monitor and its hold, both crio-lxc, no shell.
      const monitor = (JSON.parse(readFileSync(join(sb.root, id, "state.json"), "utf8")) as { monitor: { pid: number } }).monitor.pid;
      const held = readFileSync(`/proc/${monitor}/task/${monitor}/children`, "utf8").trim().split(/\s+/).map(Number)
        .filter((pid) => pid !== sb.state(id).pid);
      expect(held.length).toBe(1);
      expect(held.map((pid) => readFileSync(`/proc/${pid}/comm`, "utf8").trim())).toEqual(["crio-lxc"]);
      expect(sb.run(["start", id]).code).toBe(0);
      expect(await traced.exited).toBe(0);
    } finally {
      sb.run(["delete", "--force", id]);
    }
    const lines = readFileSync(trace, "utf8").split("\n");
    // The masks and propagation are applied in init's mount namespace by the hold, not by a helper create forks.
    const pidOf = (line: string) => line.split(" ")[0]!;
    const parent = new Map(lines.flatMap((l) => {
      const child = /^(\d+) +(?:clone3?|fork)\(.*\) = (\d+)$/.exec(l);
      return child ? [[child[2]!, child[1]!] as const] : [];
    }));
    const createPid = pidOf(lines[0]!);
    const setns = lines.filter((l) => l.includes("setns(") && l.includes("CLONE_NEWNS"));
    expect(setns.length).toBe(1);
    expect(parent.get(pidOf(setns[0]!))).toBeDefined();
    expect(parent.get(pidOf(setns[0]!))).not.toBe(createPid);
    const execs = lines.filter((l) => l.includes("execve(") && !l.includes("= -1"))
      .map((l) => /execve\("([^"]+)"/.exec(l)![1]!);
    // The test's own sh (redirecting create's output), crio-lxc, then only the container's process.
    expect(execs.length).toBe(3);
    expect(execs[0]).toMatch(/\/sh$/);
    expect(execs[1]).toBe(BIN);
    expect(execs[2]).toMatch(/\/ls$/);
    expect(readFileSync(out, "utf8")).toMatch(/^prw-r-----\s+1 5\s+6\s+0 .* \/dev\/fifo$/m);
  });

  test("a node that can't be made fails create naming the device and the error, and leaves nothing behind", () => {
    const r = box.create(box.spec("true", { mounts: RUNC_MOUNTS, linux: { devices: [{ path: "/dev/pts/bad", type: "c", major: 1, minor: 3 }] } }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("linux.devices[0]: mknod /dev/pts/bad failed: ");
    expect(existsSync(join(sb.root, r.id))).toBe(false);
  });

  test("a node outside /dev is refused, naming the device", () => {
    const r = box.create(box.spec("true", { linux: { devices: [{ path: "/etc/fuse", type: "c", major: 10, minor: 229 }] } }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("linux.devices[0].path: crio-lxc creates device nodes only under /dev");
  });
});
