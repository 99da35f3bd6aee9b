// The container lifecycle through dist/crio-lxc, in a pure cgroup2 view
// (run by scripts/test inside scripts/cgroup2-lane), as root.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Sandbox, becomeSubreaper, busyboxSpec, cgroupExists, requireBuilt, waitExit } from "../support/runtime";

let sb: Sandbox;
beforeAll(() => { requireBuilt(); becomeSubreaper(); sb = new Sandbox(); });
afterAll(() => sb.cleanup());

let seq = 0;
const newId = () => `lc-${process.pid}-${++seq}`;

/** create + start with the container's stdout/stderr in a file; returns init's pid. */
function createAndStart(id: string, args: string[], start = true) {
  const out = join(sb.dir, `${id}.out`);
  const fd = openSync(out, "w");
  const bundle = sb.bundle(busyboxSpec({ args, cgroupsPath: `/crio-lxc-test/${id}` }));
  const pidFile = join(sb.dir, `${id}.pid`);
  const r = sb.run(["create", "--bundle", bundle, "--pid-file", pidFile, id], { stdout: fd });
  closeSync(fd);
  if (r.code !== 0) throw new Error(`create failed: ${readFileSync(out, "utf8")}`);
  const pid = Number(readFileSync(pidFile, "utf8"));
  if (start) expect(sb.run(["start", id]).code).toBe(0);
  return { pid, out, bundle };
}

function expectGone(id: string) {
  expect(existsSync(join(sb.root, id))).toBe(false);
  expect(cgroupExists(`crio-lxc-test/${id}`)).toBe(false);
  expect(cgroupExists(`crio-lxc-monitor/${id}`)).toBe(false);
}

describe("lifecycle", () => {
  test("create → created → start → running → kill → stopped → delete", async () => {
    const id = newId();
    const { pid } = createAndStart(id, ["sleep", "30"], false);
    const created = sb.state(id);
    expect(created).toMatchObject({ ociVersion: "1.2.0", id, status: "created", pid });
    expect(created.bundle).toBeString();
    // The pid-file names the container's init, in the container's cgroup.
    expect(readFileSync(`/proc/${pid}/cgroup`, "utf8")).toContain(`/crio-lxc-test/${id}`);
    expect(sb.run(["start", id]).code).toBe(0);
    expect(sb.state(id)).toMatchObject({ status: "running", pid });
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).toBe("sleep\u000030\u0000");
    // init is now our child (we are the subreaper, as conmon is).
    expect(readFileSync(`/proc/${pid}/status`, "utf8")).toMatch(new RegExp(`^PPid:\\s+${process.pid}$`, "m"));
    expect(sb.run(["kill", id, "KILL"]).code).toBe(0);
    expect(await waitExit(pid)).toBe(137);
    expect(sb.state(id)).toMatchObject({ status: "stopped", pid: 0 });
    expect(sb.run(["delete", id]).code).toBe(0);
    expectGone(id);
  });

  for (const [script, code] of [["exit 0", 0], ["exit 3", 3]] as const) {
    test(`exit status ${code} reaches the caller (sh -c '${script}')`, async () => {
      const id = newId();
      const { pid } = createAndStart(id, ["sh", "-c", script]);
      expect(await waitExit(pid)).toBe(code);
      expect(sb.run(["delete", id]).code).toBe(0);
      expectGone(id);
    });
  }

  test("death by SIGKILL reaches the caller as 137", async () => {
    // The namespace's init ignores signals from inside it (even `kill -9 $$`), so kill it from the host.
    const id = newId();
    const { pid } = createAndStart(id, ["sleep", "30"]);
    process.kill(pid, "SIGKILL");
    expect(await waitExit(pid)).toBe(137);
    expect(sb.run(["delete", id]).code).toBe(0);
    expectGone(id);
  });

  test("an init that exits the instant it starts is still reaped by the caller", async () => {
    for (let i = 0; i < 5; i++) {
      const id = newId();
      const { pid } = createAndStart(id, ["true"]);
      expect(await waitExit(pid)).toBe(0);
      expect(sb.run(["delete", id]).code).toBe(0);
    }
  });

  test("stdout and stderr of the container reach the caller's fds; no runtime fd leaks in", async () => {
    const id = newId();
    const { pid, out } = createAndStart(id, ["sh", "-c", "echo to-stdout; echo to-stderr >&2; ls /proc/self/fd"]);
    expect(await waitExit(pid)).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(text).toContain("to-stdout");
    expect(text).toContain("to-stderr");
    // 0, 1, 2 and the fd ls itself opens.
    expect(text.split("\n").filter((l) => /^\d+$/.test(l)).sort()).toEqual(["0", "1", "2", "3"]);
    sb.run(["delete", id]);
  });

  test("kill of a created container tears it down", async () => {
    const id = newId();
    const { pid } = createAndStart(id, ["sleep", "30"], false);
    expect(sb.run(["kill", id, "TERM"]).code).toBe(0);
    expect(await waitExit(pid)).toBe(137);
    expect(sb.state(id).status).toBe("stopped");
    expect(sb.run(["delete", id]).code).toBe(0);
    expectGone(id);
  });

  test("delete of a created container, without --force", async () => {
    const id = newId();
    const { pid } = createAndStart(id, ["sleep", "30"], false);
    expect(sb.run(["delete", id]).code).toBe(0);
    expect(await waitExit(pid)).toBe(137);
    expectGone(id);
  });

  test("delete of a running container needs --force", async () => {
    const id = newId();
    const { pid } = createAndStart(id, ["sleep", "30"]);
    const refused = sb.run(["delete", id]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("running");
    expect(sb.run(["delete", "--force", id]).code).toBe(0);
    expect(await waitExit(pid)).toBe(137);
    expectGone(id);
  });

  test("kill --all signals every process of the container", async () => {
    const id = newId();
    const { pid } = createAndStart(id, ["sh", "-c", "sleep 30 & sleep 30 & wait"]);
    await Bun.sleep(100);
    expect(sb.run(["kill", "--all", id, "9"]).code).toBe(0);
    expect(await waitExit(pid)).toBe(137);
    sb.run(["delete", id]);
    expectGone(id);
  });

  test("unknown ids: state, start, kill and delete fail clearly; delete --force succeeds", () => {
    for (const cmd of [["state"], ["start"], ["kill"], ["delete"]]) {
      const r = sb.run([...cmd, "no-such-container"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("container no-such-container does not exist");
    }
    expect(sb.run(["delete", "--force", "no-such-container"]).code).toBe(0);
  });

  test("a missing program fails create with the exit-127 wording and leaves nothing", () => {
    const id = newId();
    const bundle = sb.bundle(busyboxSpec({ args: ["no-such-program"], cgroupsPath: `/crio-lxc-test/${id}` }));
    const r = sb.run(["create", "--bundle", bundle, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("executable file not found in $PATH");
    expectGone(id);
  });

  test("a program that exists but can't be exec'd (its ELF interpreter is missing): start fails saying so, runc's way, and delete leaves nothing", () => {
    const id = newId();
    // The host's dynamically linked `true` in a static busybox rootfs: no /lib64/ld-linux*.
    const spec = busyboxSpec({ args: ["/hosttrue"], cgroupsPath: `/crio-lxc-test/${id}` });
    (spec.mounts as unknown[]).push({ destination: "/hosttrue", type: "bind", source: "/usr/bin/true", options: ["bind", "ro"] });
    expect(sb.run(["create", "--bundle", sb.bundle(spec), id]).code).toBe(0);
    const r = sb.run(["start", id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toStartWith('unable to start container process: exec: "/hosttrue": no such file or directory (see ');
    expect(sb.state(id).status).toBe("stopped");
    expect(sb.run(["delete", id]).code).toBe(0);
    expectGone(id);
  });

  test("a create liblxc refuses fails with liblxc's reason, naming the mount, in one JSON object for --log, and leaves nothing", () => {
    const id = newId();
    const spec = busyboxSpec({ args: ["true"], cgroupsPath: `/crio-lxc-test/${id}` });
    (spec.mounts as unknown[]).push({ destination: "/mnt", type: "tmpfs", source: "tmpfs", options: ["size=banana"] });
    const clientLog = join(sb.dir, `${id}.oci-log`);
    const r = sb.run(["--log", clientLog, "--log-format=json", "create", "--bundle", sb.bundle(spec), id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('mounts[2]: mounting "tmpfs" (type "tmpfs") on /mnt failed: Invalid argument');
    const logged = JSON.parse(readFileSync(clientLog, "utf8"));
    expect(Object.keys(logged).sort()).toEqual(["level", "msg", "time"]);
    expect(logged).toMatchObject({ level: "error", msg: r.stderr.trim() });
    expectGone(id);
  });

  test("a missing bind source fails create naming the mount", () => {
    const id = newId();
    const spec = busyboxSpec({ args: ["true"], cgroupsPath: `/crio-lxc-test/${id}` });
    (spec.mounts as unknown[]).push({ destination: "/mnt", type: "bind", source: "/no/such/source", options: ["bind"] });
    const r = sb.run(["create", "--bundle", sb.bundle(spec), id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/mounts\[2\].*\/no\/such\/source/);
    expectGone(id);
  });

  test("the state root holds nothing when all containers are deleted", () => {
    expect(existsSync(sb.root) ? readdirSync(sb.root) : []).toEqual([]);
  });
});
