// process.* checked from inside running containers (run by scripts/test
// inside scripts/cgroup2-lane), as root.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, openSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { inside, merge, type Inside } from "../support/inside";
import { BIN, Sandbox, becomeSubreaper, requireBuilt, waitExit } from "../support/runtime";

let sb: Sandbox;
let box: Inside;
beforeAll(() => { requireBuilt(); becomeSubreaper(); sb = new Sandbox(); box = inside(sb, "proc"); });
afterAll(() => sb.cleanup());

const process_ = (fields: object) => ({ process: fields });

describe("args, env, cwd", () => {
  test("args reach the program as given", async () => {
    const { out } = await box.run("", { process: { args: ["sh", "-c", 'printf "[%s]" "$0" "$@"', "zero", "a b", "", "c"] } });
    expect(out).toBe("[zero][a b][][c]");
  });

  test("env: deduplicated (last wins), HOME from /etc/passwd, no container=lxc from liblxc", async () => {
    const env = ["PATH=/bin", "A=1", "B=x y", "A=2", "container=podman"];
    const { out } = await box.run("env | sort", process_({ env }));
    expect(out.split("\n").filter((l) => /^(A|B|HOME|PATH|container)=/.test(l))).toEqual(["A=2", "B=x y", "HOME=/root", "PATH=/bin", "container=podman"]);
    const plain = await box.run("env", process_({ env: ["PATH=/bin"] }));
    expect(plain.out).not.toContain("container=");
    expect(plain.out).toContain("HOME=/root");
  });

  test("env: a value with line breaks reaches the process whole", async () => {
    const { out } = await box.run('printf "[%s]" "$MULTI"', process_({ env: ["PATH=/bin", "MULTI=one\ntwo\n"] }));
    expect(out).toBe("[one\ntwo\n]");
  });

  test("cwd: used as is, created when missing (in the image or in a mount), refused when a file", async () => {
    expect((await box.run("pwd", process_({ cwd: "/etc" }))).out).toBe("/etc\n");
    const rootfs = box.rootfsCopy();
    const created = await box.run("pwd", { root: { path: rootfs }, process: { cwd: "/work/new" } });
    expect(created.out).toBe("/work/new\n");
    expect(statSync(join(rootfs, "work/new")).mode & 0o7777).toBe(0o755);
    expect((await box.run("pwd; ls -ld .", process_({ cwd: "/tmp/a/b" }))).out).toMatch(/^\/tmp\/a\/b\ndrwxr-xr-x /);
    const file = box.create(box.spec("true", process_({ cwd: "/etc/passwd" })));
    expect(file.stderr).toContain('process.cwd: "/etc/passwd" is not a directory');
  });
});

describe("user and umask", () => {
  test("uid, gid and additional gids", async () => {
    const { out } = await box.run("id", process_({ user: { uid: 1000, gid: 1001, additionalGids: [10, 20] } }));
    expect(out).toBe("uid=1000 gid=1001 groups=10,20\n");
    // Without additionalGids the init has no supplementary groups.
    expect((await box.run("id", process_({ user: { uid: 0, gid: 0 } }))).out).toBe("uid=0(root) gid=0(root)\n");
  });

  test("umask reaches the init; runc's 0022 without one; the runtime's own files keep their modes", async () => {
    const { out } = await box.run("umask; touch /tmp/f; stat -c %a /tmp/f", process_({ user: { uid: 0, gid: 0, umask: 0o77 } }));
    expect(out).toBe("0077\n600\n");
    expect((await box.run("umask")).out).toBe("0022\n");
    // A spec umask of 0 must not leak into what create writes after forking the monitor.
    const id = `proc-umask-${process.pid}`;
    const pidFile = join(sb.dir, `${id}.pid`);
    const bundle = sb.bundle(merge(box.spec("sleep 5", process_({ user: { uid: 0, gid: 0, umask: 0 } })), { linux: { cgroupsPath: `/crio-lxc-test/${id}` } }));
    expect(sb.run(["create", "--bundle", bundle, "--pid-file", pidFile, id]).code).toBe(0);
    expect(statSync(pidFile).mode & 0o777).toBe(0o644);
    expect(statSync(join(sb.root, id, "state.json")).mode & 0o777).toBe(0o600);
    sb.run(["delete", "--force", id]);
  });
});

/** Limits at or below this machine's hard limits (root lacks CAP_SYS_RESOURCE: no raising). */
const RLIMITS: [type: string, soft: number, hard: number, row: string][] = [
  ["RLIMIT_AS", 2 ** 31, 2 ** 32, "Max address space"],
  ["RLIMIT_CORE", 0, 4096, "Max core file size"],
  ["RLIMIT_CPU", 100, 200, "Max cpu time"],
  ["RLIMIT_DATA", 2 ** 30, 2 ** 31, "Max data size"],
  ["RLIMIT_FSIZE", 2 ** 30, 2 ** 31, "Max file size"],
  ["RLIMIT_LOCKS", 100, 200, "Max file locks"],
  ["RLIMIT_MEMLOCK", 65536, 131072, "Max locked memory"],
  ["RLIMIT_MSGQUEUE", 8192, 16384, "Max msgqueue size"],
  ["RLIMIT_NICE", 0, 0, "Max nice priority"],
  ["RLIMIT_NOFILE", 1000, 2000, "Max open files"],
  ["RLIMIT_NPROC", 500, 1000, "Max processes"],
  ["RLIMIT_RSS", 2 ** 30, 2 ** 31, "Max resident set"],
  ["RLIMIT_RTPRIO", 0, 0, "Max realtime priority"],
  ["RLIMIT_RTTIME", 1000, 2000, "Max realtime timeout"],
  ["RLIMIT_SIGPENDING", 100, 200, "Max pending signals"],
  ["RLIMIT_STACK", 2 ** 22, 2 ** 23, "Max stack size"],
];

describe("rlimits, no_new_privs, oom_score_adj", () => {
  test("every RLIMIT_* type is applied, soft and hard", async () => {
    const rlimits = RLIMITS.map(([type, soft, hard]) => ({ type, soft, hard }));
    const { out } = await box.run("cat /proc/self/limits; ulimit -n", process_({ rlimits }));
    for (const [, soft, hard, row] of RLIMITS) {
      expect(out).toMatch(new RegExp(`^${row}\\s+${soft}\\s+${hard}\\s`, "m"));
    }
    expect(out.trim().split("\n").at(-1)).toBe("1000");
  });

  test("without RLIMIT_NOFILE the init gets the caller's limit, not the one Bun raised for itself", async () => {
    const id = `proc-nofile-${process.pid}`;
    const outFile = join(sb.dir, `${id}.out`);
    const pidFile = join(sb.dir, `${id}.pid`);
    const bundle = sb.bundle(merge(box.spec("ulimit -n; ulimit -Hn"), { linux: { cgroupsPath: `/crio-lxc-test/${id}` } }));
    const fd = openSync(outFile, "w");
    // sh stays crio-lxc's parent (no exec), as conmon would be.
    const caller = `ulimit -Sn 1234; "$0" --root "$1" create --bundle "$2" --pid-file "$3" "$4"; true`;
    Bun.spawnSync(["sh", "-c", caller, BIN, sb.root, bundle, pidFile, id], { env: sb.env(), stdout: fd, stderr: fd });
    closeSync(fd);
    const pid = Number(readFileSync(pidFile, "utf8"));
    expect(sb.run(["start", id]).code).toBe(0);
    expect(await waitExit(pid)).toBe(0);
    expect(readFileSync(outFile, "utf8")).toMatch(/^1234\n\d+\n$/m);
    sb.run(["delete", "--force", id]);
  });

  test("noNewPrivileges and oomScoreAdj", async () => {
    const script = "grep NoNewPrivs /proc/self/status; cat /proc/self/oom_score_adj";
    expect((await box.run(script, process_({ noNewPrivileges: true, oomScoreAdj: 500 }))).out).toMatch(/^NoNewPrivs:\s+1\n500\n$/);
    expect((await box.run(script, process_({ noNewPrivileges: false }))).out).toMatch(/^NoNewPrivs:\s+0\n0\n$/);
  });
});

test("the caller's stdio keeps its mode and owner (liblxc would chmod it 0700 and chown it to the init's uid)", () => {
  const out = join(sb.dir, "stdio-mode.out");
  const fd = openSync(out, "w", 0o644);
  const spec = box.spec("echo hi", { process: { user: { uid: 1000, gid: 1000 } } });
  const r = sb.run(["run", "--bundle", sb.bundle(merge(spec, { linux: { cgroupsPath: `/crio-lxc-test/proc-${process.pid}-stdio` } })), `proc-${process.pid}-stdio`], { stdout: fd });
  closeSync(fd);
  expect(r.code).toBe(0);
  expect(readFileSync(out, "utf8")).toBe("hi\n");
  const st = statSync(out);
  expect([st.mode & 0o777, st.uid, st.gid]).toEqual([0o644, 0, 0]);
});

/** /proc/self/status capability lines as numbers. */
function capabilities(out: string): Record<string, bigint> {
  return Object.fromEntries([...out.matchAll(/^Cap(\w+):\s+([0-9a-f]+)$/gm)].map(([, set, hex]) => [set!, BigInt(`0x${hex}`)]));
}

const CHOWN = 1n << 0n;
const KILL = 1n << 5n;
const NET_BIND_SERVICE = 1n << 10n;
const NET_RAW = 1n << 13n;

describe("capabilities", () => {
  const STATUS = "grep ^Cap /proc/self/status";
  const caps = (uid: number, sets: Record<string, string[]>) => process_({ user: { uid, gid: uid }, capabilities: sets });

  test("root with a reduced set, an inheritable and an ambient capability", async () => {
    const bounding = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
    const { out } = await box.run(STATUS, caps(0, { bounding, effective: bounding, permitted: bounding, inheritable: ["CAP_KILL"], ambient: ["CAP_KILL"] }));
    expect(capabilities(out)).toEqual({ Inh: KILL, Prm: CHOWN | KILL | NET_BIND_SERVICE, Eff: CHOWN | KILL | NET_BIND_SERVICE, Bnd: CHOWN | KILL | NET_BIND_SERVICE, Amb: KILL });
  });

  test("no capabilities object: every set empty, as with runc", async () => {
    const { out } = await box.run(STATUS, process_({ capabilities: undefined }));
    expect(capabilities(out)).toEqual({ Inh: 0n, Prm: 0n, Eff: 0n, Bnd: 0n, Amb: 0n });
  });

  test("root with no_new_privs and permitted narrower than bounding keeps no more than permitted, as with runc", async () => {
    const bounding = ["CAP_CHOWN", "CAP_KILL"];
    const narrow = await box.run(STATUS, process_({ noNewPrivileges: true, user: { uid: 0, gid: 0 }, capabilities: { bounding, effective: ["CAP_KILL"], permitted: ["CAP_KILL"] } }));
    expect(capabilities(narrow.out)).toEqual({ Inh: 0n, Prm: KILL, Eff: KILL, Bnd: CHOWN | KILL, Amb: 0n });
    // Without no_new_privs the kernel gives root the whole bounding set at exec.
    const wide = await box.run(STATUS, process_({ noNewPrivileges: false, user: { uid: 0, gid: 0 }, capabilities: { bounding, effective: ["CAP_KILL"], permitted: ["CAP_KILL"] } }));
    expect(capabilities(wide.out)).toEqual({ Inh: 0n, Prm: CHOWN | KILL, Eff: CHOWN | KILL, Bnd: CHOWN | KILL, Amb: 0n });
  });

  test("non-root with ambient capabilities: permitted = effective = ambient", async () => {
    const set = ["CAP_KILL", "CAP_NET_RAW"];
    const { out } = await box.run(`${STATUS}; id -u`, caps(1000, { bounding: [...set, "CAP_CHOWN"], effective: set, permitted: set, inheritable: set, ambient: set }));
    expect(capabilities(out)).toEqual({ Inh: KILL | NET_RAW, Prm: KILL | NET_RAW, Eff: KILL | NET_RAW, Bnd: CHOWN | KILL | NET_RAW, Amb: KILL | NET_RAW });
    expect(out).toContain("1000\n");
  });

  test("non-root with empty effective, permitted and ambient sets has none", async () => {
    const { out } = await box.run(STATUS, caps(1000, { bounding: ["CAP_KILL"], effective: [], permitted: [], inheritable: [], ambient: [] }));
    expect(capabilities(out)).toEqual({ Inh: 0n, Prm: 0n, Eff: 0n, Bnd: KILL, Amb: 0n });
  });

  test("non-root with effective but no ambient capabilities (as CRI-O sends): none, as with runc", async () => {
    const set = ["CAP_KILL", "CAP_CHOWN"];
    const { out } = await box.run(STATUS, caps(1000, { bounding: set, effective: set, permitted: set }));
    expect(capabilities(out)).toEqual({ Inh: 0n, Prm: 0n, Eff: 0n, Bnd: CHOWN | KILL, Amb: 0n });
  });

  test("sets the kernel recomputes are run as runc runs them: uid 0 gets bounding ∪ inheritable, ambient outside permitted ∩ inheritable is dropped (runc spec's defaults)", async () => {
    const rootReduced = await box.run(STATUS, caps(0, { bounding: ["CAP_KILL", "CAP_CHOWN"], effective: ["CAP_KILL"], permitted: ["CAP_KILL", "CAP_CHOWN"] }));
    expect(capabilities(rootReduced.out)).toEqual({ Inh: 0n, Prm: CHOWN | KILL, Eff: CHOWN | KILL, Bnd: CHOWN | KILL, Amb: 0n });
    const set = ["CAP_KILL", "CAP_CHOWN"];
    const ambient = await box.run(STATUS, caps(1000, { bounding: set, effective: set, permitted: set, inheritable: ["CAP_KILL"], ambient: set }));
    expect(capabilities(ambient.out)).toEqual({ Inh: KILL, Prm: KILL, Eff: KILL, Bnd: CHOWN | KILL, Amb: KILL });
    expect(sb.log()).toContain("process.capabilities.ambient: CAP_CHOWN not raised");
  });

  test("sets the kernel can't hold are refused, naming the set", () => {
    const notPermitted = box.create(box.spec("true", caps(1000, { bounding: ["CAP_KILL"], effective: ["CAP_KILL"] })));
    expect(notPermitted.stderr).toContain("process.capabilities.effective[0]: CAP_KILL is not in the permitted set");
  });
});
