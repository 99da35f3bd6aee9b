// OCI hooks through dist/crio-lxc: when each of the six runs, in which
// namespaces, with which state, and what a failing or hanging hook does.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOTFS, Sandbox, becomeSubreaper, busyboxSpec, cgroupExists, reapOrphans, requireBuilt, waitExit, waitFor } from "../support/runtime";

let sb: Sandbox;
let hooksDir: string;
beforeAll(() => {
  requireBuilt();
  becomeSubreaper();
  sb = new Sandbox();
  // In a user namespace the hooks and liblxc run as the container's root (host uid 100000).
  chmodSync(sb.dir, 0o711);
  hooksDir = join(sb.dir, "hooks");
  mkdirSync(hooksDir);
  for (const [name, body] of Object.entries(HOOK_SCRIPTS)) {
    writeFileSync(join(hooksDir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(hooksDir, name), 0o755);
  }
});
afterAll(() => sb.cleanup());

const HOOK_SCRIPTS = {
  // record.sh OUT PHASE: the state on stdin and this process's namespaces to OUT/PHASE, the phase to OUT/order.
  "record.sh": `{ cat; echo; for ns in mnt pid net uts ipc user; do echo "$ns=$(readlink /proc/self/ns/$ns)"; done; echo "hostname=$(hostname)"; echo "uid=$(id -u)"; } >"$1/$2"
echo "$2" >>"$1/order"`,
  "fail.sh": `echo "$2 refused by the hook" >&2; exit 2`,
  // Reports its host pid (pre-pivot, /proc is the host's), then hangs.
  "hang.sh": `read -r pid rest </proc/self/stat; echo "$pid" >"$1/hang.pid"; exec sleep 30`,
  "write-under-root.sh": `echo "$2" >"$3/tmp/marker"`,
};

let seq = 0;
const newId = () => `hk-${process.pid}-${++seq}`;
const PATH = ["PATH=/usr/bin:/bin"];

interface Case { id: string; out: string; bundle: string; pidFile: string }

/** A bundle whose container sees the hook scripts at /hooks and the output dir at /out. */
function hooked(hooks: Record<string, unknown>, args = ["sh", "-c", "echo main >>/out/order; exec sleep 30"], namespaces?: string[]): Case {
  const id = newId();
  const out = join(sb.dir, `${id}.out`);
  mkdirSync(out);
  chmodSync(out, 0o777);
  writeFileSync(join(out, "order"), "", { mode: 0o666 });
  chmodSync(join(out, "order"), 0o666);
  const spec = busyboxSpec({ args, namespaces, cgroupsPath: `/crio-lxc-test/${id}`, extra: { hooks, annotations: { "org.example/test": id } } });
  (spec.mounts as unknown[]).push(
    { destination: "/out", type: "bind", source: out, options: ["bind"] },
    { destination: "/hooks", type: "bind", source: hooksDir, options: ["bind", "ro"] },
  );
  return { id, out, bundle: sb.bundle(spec), pidFile: join(sb.dir, `${id}.pid`) };
}

/** A hook entry running one of HOOK_SCRIPTS: from the host's view, or the container's (/hooks, /out). */
function hook(c: Case, script: keyof typeof HOOK_SCRIPTS, phase: string, opts: { inContainer?: boolean; timeout?: number; extra?: string[] } = {}) {
  const [dir, out] = opts.inContainer ? ["/hooks", "/out"] : [hooksDir, c.out];
  return { path: join(dir, script), args: [script, out, phase, ...(opts.extra ?? [])], env: PATH, ...(opts.timeout ? { timeout: opts.timeout } : {}) };
}

function recorded(c: Case, phase: string): { state: Record<string, unknown>; ns: Record<string, string> } {
  const [json, ...lines] = readFileSync(join(c.out, phase), "utf8").trim().split("\n");
  return { state: JSON.parse(json!), ns: Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)])) };
}

const order = (c: Case) => readFileSync(join(c.out, "order"), "utf8").split("\n").filter(Boolean);
const nsOf = (pid: number | "self") => Object.fromEntries(["mnt", "pid", "net", "uts", "ipc", "user"].map((ns) => [ns, readlinkSync(`/proc/${pid}/ns/${ns}`)]));

function expectGone(id: string) {
  expect(existsSync(join(sb.root, id))).toBe(false);
  expect(cgroupExists(`crio-lxc-test/${id}`)).toBe(false);
  expect(cgroupExists(`crio-lxc-monitor/${id}`)).toBe(false);
}

/** Gone, or a zombie only waiting for us (its subreaper) to reap it. */
function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

describe("OCI hooks", () => {
  test("all six run in order, each in its namespaces with the state of its phase", async () => {
    const c = hooked({});
    const spec = JSON.parse(readFileSync(join(c.bundle, "config.json"), "utf8"));
    spec.hooks = {
      prestart: [hook(c, "record.sh", "prestart")],
      createRuntime: [hook(c, "record.sh", "createRuntime")],
      createContainer: [hook(c, "record.sh", "createContainer"), hook(c, "write-under-root.sh", "from-createContainer", { extra: [ROOTFS] })],
      startContainer: [hook(c, "record.sh", "startContainer", { inContainer: true })],
      poststart: [hook(c, "record.sh", "poststart")],
      poststop: [hook(c, "record.sh", "poststop")],
    };
    spec.process.args = ["sh", "-c", "echo main >>/out/order; cat /tmp/marker >/out/marker; exec sleep 30"];
    writeFileSync(join(c.bundle, "config.json"), JSON.stringify(spec));

    expect(sb.run(["create", "--bundle", c.bundle, "--pid-file", c.pidFile, c.id]).code).toBe(0);
    const pid = Number(readFileSync(c.pidFile, "utf8"));
    expect(order(c)).toEqual(["prestart", "createRuntime", "createContainer"]);
    const base = { ociVersion: "1.2.0", id: c.id, bundle: c.bundle, annotations: { "org.example/test": c.id } };
    const runtimeNs = nsOf("self");
    const containerNs = nsOf(pid);
    for (const phase of ["prestart", "createRuntime"]) {
      expect(recorded(c, phase)).toEqual({ state: { ...base, status: "creating", pid }, ns: { ...runtimeNs, hostname: expect.any(String), uid: "0" } });
    }
    // In the container's namespaces, with the pid the container sees, before pivot_root (it wrote to a host path).
    expect(recorded(c, "createContainer")).toEqual({ state: { ...base, status: "creating", pid: 1 }, ns: { ...containerNs, hostname: "crio-lxc-test", uid: "0" } });

    expect(sb.run(["start", c.id]).code).toBe(0);
    expect(recorded(c, "startContainer")).toEqual({ state: { ...base, status: "created", pid: 1 }, ns: { ...containerNs, hostname: "crio-lxc-test", uid: "0" } });
    expect(recorded(c, "poststart")).toEqual({ state: { ...base, status: "running", pid }, ns: { ...runtimeNs, hostname: expect.any(String), uid: "0" } });
    await waitFor(() => order(c).includes("main"), "the container's process");
    expect(order(c).slice(0, 5)).toEqual(["prestart", "createRuntime", "createContainer", "startContainer", "main"]);
    // What the createContainer hook wrote under root.path landed on the container's /tmp, not the host's rootfs.
    expect(readFileSync(join(c.out, "marker"), "utf8")).toBe("from-createContainer\n");
    expect(existsSync(join(ROOTFS, "tmp/marker"))).toBe(false);

    expect(sb.run(["kill", c.id, "KILL"]).code).toBe(0);
    expect(await waitExit(pid)).toBe(137);
    expect(existsSync(join(c.out, "poststop"))).toBe(false);
    expect(sb.run(["delete", c.id]).code).toBe(0);
    expect(recorded(c, "poststop")).toEqual({ state: { ...base, status: "stopped" }, ns: { ...runtimeNs, hostname: expect.any(String), uid: "0" } });
    expect(order(c).at(-1)).toBe("poststop");
    expectGone(c.id);
  });

  test("a root.path that is a symlink is followed, as runc does (liblxc mounts the rootfs on root.path itself for these hooks)", async () => {
    const c = hooked({});
    const file = join(c.bundle, "config.json");
    const spec = JSON.parse(readFileSync(file, "utf8"));
    symlinkSync(spec.root.path, join(c.bundle, "rootfs-link"));
    spec.root.path = "rootfs-link";
    spec.hooks = { createContainer: [hook(c, "record.sh", "createContainer")] };
    writeFileSync(file, JSON.stringify(spec));
    const r = sb.run(["create", "--bundle", c.bundle, "--pid-file", c.pidFile, c.id]);
    expect(r.stderr).toBe("");
    expect(order(c)).toEqual(["createContainer"]);
    expect(sb.run(["delete", "--force", c.id]).code).toBe(0);
    expectGone(c.id);
  });

  test("with the spec's own tmpfs on /dev (lxc.autodev off, so no autodev hook) the create-phase hooks run all the same", async () => {
    const c = hooked({});
    const file = join(c.bundle, "config.json");
    const spec = JSON.parse(readFileSync(file, "utf8"));
    spec.hooks = { prestart: [hook(c, "record.sh", "prestart")], createContainer: [hook(c, "record.sh", "createContainer")] };
    spec.mounts.push({ destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "mode=755"] });
    writeFileSync(file, JSON.stringify(spec));
    expect(sb.run(["create", "--bundle", c.bundle, "--pid-file", c.pidFile, c.id]).code).toBe(0);
    expect(order(c)).toEqual(["prestart", "createContainer"]);
    // In the container's namespaces before pivot_root: it ran from the host's path.
    expect(recorded(c, "createContainer").state.pid).toBe(1);
    expect(sb.run(["delete", "--force", c.id]).code).toBe(0);
    expectGone(c.id);
  });

  test("in a user namespace, container hooks run as the container's root and runtime hooks as the runtime's", async () => {
    const c = hooked({}, undefined, ["pid", "mount", "ipc", "uts", "network", "user"]);
    const file = join(c.bundle, "config.json");
    const spec = JSON.parse(readFileSync(file, "utf8"));
    spec.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    spec.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    spec.hooks = {
      createRuntime: [hook(c, "record.sh", "createRuntime")],
      createContainer: [hook(c, "record.sh", "createContainer")],
      startContainer: [hook(c, "record.sh", "startContainer", { inContainer: true })],
    };
    writeFileSync(file, JSON.stringify(spec));
    expect(sb.run(["create", "--bundle", c.bundle, "--pid-file", c.pidFile, c.id]).stderr).toBe("");
    const pid = Number(readFileSync(c.pidFile, "utf8"));
    expect(sb.run(["start", c.id]).code).toBe(0);
    expect(recorded(c, "createRuntime").ns).toEqual({ ...nsOf("self"), hostname: expect.any(String), uid: "0" });
    for (const phase of ["createContainer", "startContainer"]) {
      expect(recorded(c, phase).ns).toEqual({ ...nsOf(pid), hostname: "crio-lxc-test", uid: "0" });
    }
    expect(nsOf(pid).user).not.toBe(nsOf("self").user);
    expect(sb.run(["delete", "--force", c.id]).code).toBe(0);
    expect(await waitExit(pid)).toBe(137);
    expectGone(c.id);
  });

  for (const phase of ["prestart", "createRuntime", "createContainer"] as const) {
    test(`a failing ${phase} hook fails create with its output, runs poststop and leaves nothing`, () => {
      const c = hooked({});
      const hooks: Record<string, unknown> = { createContainer: [hook(c, "record.sh", "createContainer")], poststop: [hook(c, "record.sh", "poststop")] };
      hooks[phase] = [hook(c, "fail.sh", phase)];
      writeHooks(c, hooks);
      const r = sb.run(["create", "--bundle", c.bundle, c.id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^${phase}\\[0\\] hook /\\S+/fail\\.sh failed: exit status 2: "${phase} refused by the hook"\\n$`));
      expect(order(c)).toEqual(["poststop"]);
      expect(recorded(c, "poststop").state.status).toBe("stopped");
      expectGone(c.id);
    });
  }

  test("a createContainer hook past its timeout is killed and fails create", async () => {
    const c = hooked({});
    writeHooks(c, { createContainer: [hook(c, "hang.sh", "createContainer", { timeout: 1 })] });
    const started = Date.now();
    const r = sb.run(["create", "--bundle", c.bundle, c.id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^createContainer\[0\] hook \S+\/hang\.sh killed after its timeout of 1 s\n$/);
    expect(Date.now() - started).toBeLessThan(10_000);
    const hungPid = Number(readFileSync(join(c.out, "hang.pid"), "utf8"));
    await waitFor(() => processGone(hungPid), "the hung hook to die");
    reapOrphans();
    expectGone(c.id);
  });

  test("a failing startContainer hook fails start and stops the container; delete runs poststop", async () => {
    const c = hooked({});
    writeHooks(c, { startContainer: [hook(c, "fail.sh", "startContainer", { inContainer: true })], poststop: [hook(c, "record.sh", "poststop")] });
    expect(sb.run(["create", "--bundle", c.bundle, "--pid-file", c.pidFile, c.id]).code).toBe(0);
    const pid = Number(readFileSync(c.pidFile, "utf8"));
    const r = sb.run(["start", c.id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('startContainer[0] hook /hooks/fail.sh failed: exit status 2: "startContainer refused by the hook"\n');
    expect(await waitExit(pid)).toBe(137);
    expect(order(c)).toEqual([]);
    expect(sb.state(c.id).status).toBe("stopped");
    expect(sb.run(["delete", c.id]).code).toBe(0);
    expect(order(c)).toEqual(["poststop"]);
    expectGone(c.id);
  });

  test("a startContainer hook's path resolves in the container", async () => {
    const c = hooked({});
    writeHooks(c, { startContainer: [hook(c, "record.sh", "startContainer")] });
    expect(sb.run(["create", "--bundle", c.bundle, "--pid-file", c.pidFile, c.id]).code).toBe(0);
    const r = sb.run(["start", c.id]);
    expect(r.stderr).toBe(`startContainer[0] hook ${hooksDir}/record.sh could not run: execve: No such file or directory\n`);
    expect(await waitExit(Number(readFileSync(c.pidFile, "utf8")))).toBe(137);
    expect(sb.run(["delete", c.id]).code).toBe(0);
  });

  test("poststart and poststop failures are warnings: the container runs, delete succeeds, later hooks run", async () => {
    const c = hooked({});
    writeHooks(c, { poststart: [hook(c, "fail.sh", "poststart"), hook(c, "record.sh", "poststart")], poststop: [hook(c, "fail.sh", "poststop"), hook(c, "record.sh", "poststop")] });
    expect(sb.run(["create", "--bundle", c.bundle, "--pid-file", c.pidFile, c.id]).code).toBe(0);
    const pid = Number(readFileSync(c.pidFile, "utf8"));
    expect(sb.run(["start", c.id]).code).toBe(0);
    expect(sb.state(c.id).status).toBe("running");
    expect(sb.run(["delete", "--force", c.id]).code).toBe(0);
    expect(await waitExit(pid)).toBe(137);
    expect(order(c).filter((p) => p !== "main")).toEqual(["poststart", "poststop"]);
    const warnings = sb.log().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)).filter((l) => l.cid === c.id && l.l === "warn").map((l) => l.m);
    expect(warnings).toEqual([
      expect.stringMatching(/^poststart\[0\] hook \S+\/fail\.sh failed: exit status 2: "poststart refused by the hook"$/),
      expect.stringMatching(/^poststop\[0\] hook \S+\/fail\.sh failed: exit status 2: "poststop refused by the hook"$/),
    ]);
    expectGone(c.id);
  });
});

function writeHooks(c: Case, hooks: Record<string, unknown>) {
  const file = join(c.bundle, "config.json");
  const spec = JSON.parse(readFileSync(file, "utf8"));
  spec.hooks = hooks;
  writeFileSync(file, JSON.stringify(spec));
}
