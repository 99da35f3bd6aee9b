// What a container's processes can reach of the runtime and the host:
// /proc/<pid>/exe never opens the runtime's binary (CVE-2019-5736 class), no
// fd of the runtime or of liblxc is reachable, nor usable as a cwd
// (CVE-2024-21626 class), and another uid can't drive a container through
// --root or the hold's FIFOs.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inside as makeInside, merge, type Inside } from "../support/inside";
import { NOTHING_LEFT, settledLeftovers } from "../support/leftovers";
import { PODMAN_CAPABILITIES } from "../support/podman-seccomp";
import { BIN, Sandbox, becomeSubreaper, busyboxSpec, reapOrphans, requireBuilt, waitExit } from "../support/runtime";

const MARKER = `es-${process.pid}-`;
let sb: Sandbox;
let inside: Inside;
beforeAll(() => { requireBuilt(); becomeSubreaper(); sb = new Sandbox(); inside = makeInside(sb, `${MARKER}in`); });
afterAll(() => sb.cleanup());

let seq = 0;
const newId = () => `${MARKER}${++seq}`;
const RUNTIME_SIZE = statSync(BIN).size;

/** podman's default capabilities: no CAP_SYS_PTRACE, as in nearly every real container. */
const podmanCaps = { process: { capabilities: { bounding: PODMAN_CAPABILITIES, effective: PODMAN_CAPABILITIES, permitted: PODMAN_CAPABILITIES } } };

function create(id: string, args: string[], patch: Record<string, unknown> = {}, start = true): number {
  const spec = merge(busyboxSpec({ args, cgroupsPath: `/crio-lxc-test/${id}` }), patch);
  const pidFile = join(sb.dir, `${id}.pid`);
  const r = sb.run(["create", "--bundle", sb.bundle(spec), "--pid-file", pidFile, id]);
  if (r.code !== 0) throw new Error(`create ${id}: ${r.stderr}`);
  if (start) expect(sb.run(["start", id]).code).toBe(0);
  return Number(readFileSync(pidFile, "utf8"));
}

/** For every pid the script's /proc shows: what its exe link says and how many bytes can be read through it. */
const PROBE_EXES = `for p in /proc/[0-9]*; do echo "$p $(readlink $p/exe 2>&1) $(wc -c <$p/exe 2>&1)"; done`;

function runtimeExposures(probeOutput: string): string[] {
  return probeOutput.split("\n").filter((l) => l.includes("crio-lxc") || l.includes(` ${RUNTIME_SIZE}`));
}

describe("/proc/<pid>/exe", () => {
  test("init and exec'd processes see their own program, not the runtime", async () => {
    const r = await inside.run(`readlink /proc/self/exe; readlink /proc/1/exe; ${PROBE_EXES}`);
    expect(r.out.split("\n").slice(0, 2)).toEqual(["/bin/busybox", "/bin/busybox"]);
    expect(runtimeExposures(r.out)).toEqual([]);
    const id = newId();
    create(id, ["sleep", "60"]);
    const exec = sb.run(["exec", id, "sh", "-c", `readlink /proc/self/exe; ${PROBE_EXES}`]);
    expect(exec.stdout.split("\n")[0]).toBe("/bin/busybox");
    expect(runtimeExposures(exec.stdout)).toEqual([]);
    expect(sb.run(["delete", "--force", id]).code).toBe(0);
  });

  test("a created container's init (still a copy of the runtime) is closed to the container: exe, fds, cwd, root, environ", () => {
    const id = newId();
    create(id, ["sleep", "60"], podmanCaps, false);
    const script = `${PROBE_EXES}; for f in fd/5 fd/7 cwd root; do ls /proc/1/$f/ >/dev/null 2>&1 && echo "reachable /proc/1/$f"; done; cat /proc/1/environ >/dev/null 2>&1 && echo "reachable environ"; true`;
    const r = sb.run(["exec", id, "sh", "-c", script]);
    expect(r.code).toBe(0);
    expect(runtimeExposures(r.stdout)).toEqual([]);
    expect(r.stdout).not.toContain("reachable");
    // Once it runs the container's program, it is an ordinary process again.
    expect(sb.run(["start", id]).code).toBe(0);
    expect(sb.run(["exec", id, "readlink", "/proc/1/exe"]).stdout).toBe("/bin/busybox\n");
    expect(sb.run(["delete", "--force", id]).code).toBe(0);
  });

  test("a container created into another's pid namespace (a pod) is closed to the other's processes", () => {
    const [pod, app] = [newId(), newId()];
    const podInit = create(pod, ["sleep", "60"], podmanCaps);
    create(app, ["sleep", "60"], merge(podmanCaps, { linux: { namespaces: [{ type: "mount" }, { type: "uts" }, { type: "pid", path: `/proc/${podInit}/ns/pid` }] } }), false);
    const r = sb.run(["exec", pod, "sh", "-c", PROBE_EXES]);
    expect(r.stdout.split("\n").filter(Boolean).length).toBeGreaterThanOrEqual(3); // the pod's init, app's held init, the probe
    expect(runtimeExposures(r.stdout)).toEqual([]);
    expect(sb.run(["delete", "--force", app]).code).toBe(0);
    // app's killed init is a zombie in the pod's pid namespace until we (its subreaper, as conmon is) reap it;
    // the pod's init can't finish exiting before that.
    reapOrphans();
    expect(sb.run(["delete", "--force", pod]).code).toBe(0);
  });
});

describe("fds and cwd", () => {
  test("process.cwd through /proc/self/fd/N, /proc/1/cwd or an image symlink to them is refused, and the image is untouched", () => {
    const rootfs = inside.rootfsCopy();
    symlinkSync("/proc/self/fd/7", join(rootfs, "leak"));
    const cwds = [...[3, 4, 5, 6, 7, 8, 10, 16].map((n) => `/proc/self/fd/${n}`), "/proc/1/cwd", "/proc/1/root", "/proc/thread-self/cwd", "/leak", "/leak/.."];
    for (const cwd of cwds) {
      const id = newId();
      const r = sb.run(["create", "--bundle", sb.bundle(merge(busyboxSpec({ args: ["pwd"], cgroupsPath: `/crio-lxc-test/${id}` }), { root: { path: rootfs }, process: { cwd } })), id]);
      expect([cwd, r.code]).toEqual([cwd, 1]);
      expect(r.stderr).toContain("process.cwd");
      expect(existsSync(join(sb.root, id))).toBe(false);
    }
    expect(existsSync(join(rootfs, "proc/self"))).toBe(false);
    expect(existsSync(join(rootfs, "proc/1"))).toBe(false);
  });

  test("exec --cwd through a leaked fd never lands outside the container", () => {
    const [running, held] = [newId(), newId()];
    create(running, ["sleep", "60"]);
    create(held, ["sleep", "60"], podmanCaps, false);
    const landed: string[] = [];
    for (const id of [running, held]) {
      for (const cwd of [...Array.from({ length: 30 }, (_, n) => `/proc/self/fd/${n + 3}`), "/proc/1/fd/5", "/proc/1/fd/7", "/proc/1/cwd/.."]) {
        // pwd prints nothing for a cwd its root can't reach.
        const r = sb.run(["exec", "--cwd", cwd, id, "pwd"]);
        if (r.code === 0 && !r.stdout.startsWith("/")) landed.push(`${id} ${cwd}: ${JSON.stringify(r.stdout)}`);
        if (r.code !== 0) expect([cwd, r.code, r.stderr]).toEqual([cwd, 255, expect.stringContaining(`${JSON.stringify(cwd)}`)]);
      }
    }
    expect(landed).toEqual([]);
    for (const id of [running, held]) expect(sb.run(["delete", "--force", id]).code).toBe(0);
  });

  test("a cwd swapped for a leaked-fd symlink after create's checks (a createRuntime hook) stops the container at start", async () => {
    const id = newId();
    const volume = join(sb.dir, `${id}-volume`);
    mkdirSync(join(volume, "work"), { recursive: true });
    // The hook finds a directory fd of the held init (liblxc's /sys/fs/cgroup) and points the cwd at it.
    const swap = `pid=$(sed -n 's/.*"pid": *\\([0-9]*\\).*/\\1/p'); for f in /proc/$pid/fd/*; do [ -d "$f" ] && n=\${f##*/}; done; `
      + `rmdir ${volume}/work && ln -s /proc/self/fd/$n ${volume}/work`;
    const out = join(sb.dir, `${id}.out`);
    const spec = merge(busyboxSpec({ args: ["sh", "-c", `pwd >/dev/null && echo ran`], cgroupsPath: `/crio-lxc-test/${id}` }), {
      process: { cwd: "/volume/work" },
      hooks: { createRuntime: [{ path: "/bin/sh", args: ["sh", "-c", swap], env: ["PATH=/usr/bin:/bin"] }] },
    });
    (spec.mounts as unknown[]).push({ destination: "/volume", type: "bind", source: volume, options: ["bind"] });
    const fd = openSync(out, "w");
    const created = sb.run(["create", "--bundle", sb.bundle(spec), id], { stdout: fd });
    closeSync(fd);
    expect(created.code).toBe(0);
    expect(readlinkSync(join(volume, "work"))).toMatch(/^\/proc\/self\/fd\/\d+$/);
    const r = sb.run(["start", id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^process\.cwd: the container's process would start in \/\S+, outside the container; it was stopped\n$/);
    expect(readFileSync(out, "utf8")).toBe("");
    expect(sb.state(id).status).toBe("stopped");
    expect(sb.run(["delete", id]).code).toBe(0);
    expect(await settledLeftovers(sb, id)).toEqual(NOTHING_LEFT);
  });
});

describe("another uid", () => {
  const NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];

  test("can't start, kill, exec into, delete or read a container, nor use its FIFOs", async () => {
    chmodSync(sb.dir, 0o711); // only --root's own modes protect it now
    const id = newId();
    const init = create(id, ["sleep", "60"], {}, false);
    const dir = join(sb.root, id);
    expect(statSync(sb.root).mode & 0o777).toBe(0o700);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const file of ["state.json", "start", "ready", "lxc.conf"]) expect([file, statSync(join(dir, file)).mode & 0o077]).toEqual([file, 0]);
    const nobodyDir = join(sb.dir, "nobody");
    mkdirSync(nobodyDir);
    chmodSync(nobodyDir, 0o777);
    const env = { ...sb.env(), CRIO_LXC_LOG_FILE: join(nobodyDir, "log"), CRIO_LXC_ENV_FILE: join(nobodyDir, "env") };
    writeFileSync(env.CRIO_LXC_ENV_FILE, "");
    const asNobody = (argv: string[]) => Bun.spawnSync([...NOBODY, ...argv], { env, stdout: "pipe", stderr: "pipe" });
    for (const args of [["start", id], ["kill", id, "KILL"], ["delete", "--force", id], ["state", id], ["exec", id, "true"], ["pause", id]]) {
      const r = asNobody([BIN, "--root", sb.root, ...args]);
      expect([args[0], r.exitCode === 0]).toEqual([args[0], false]);
    }
    for (const fifo of ["start", "ready"]) {
      expect(asNobody(["sh", "-c", `echo start >${join(dir, fifo)}`]).stderr.toString()).toContain("Permission denied");
    }
    expect(sb.state(id)).toMatchObject({ status: "created", pid: init });
    expect(sb.run(["start", id]).code).toBe(0);
    expect(asNobody([BIN, "--root", sb.root, "kill", id, "KILL"]).exitCode).not.toBe(0);
    expect(sb.state(id).status).toBe("running");
    expect(sb.run(["kill", id, "KILL"]).code).toBe(0);
    expect(await waitExit(init)).toBe(137);
    expect(sb.run(["delete", id]).code).toBe(0);
    expect(await settledLeftovers(sb, id)).toEqual(NOTHING_LEFT);
  });
});

test("nothing of these tests is left", async () => {
  expect(await settledLeftovers(sb, MARKER)).toEqual(NOTHING_LEFT);
});
