// run, list and spec through dist/crio-lxc, in a pure cgroup2 view
// (scripts/cgroup2-lane), as root.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readTerminal, withConsole } from "../support/console";
import { waitStopped } from "../support/leftovers";
import { BIN, ROOTFS, Sandbox, becomeSubreaper, busyboxSpec, cgroupExists, requireBuilt, waitExit, waitFor } from "../support/runtime";

let sb: Sandbox;
beforeAll(() => { requireBuilt(); becomeSubreaper(); sb = new Sandbox(); });
afterAll(() => sb.cleanup());

let seq = 0;
const newId = () => `rls-${process.pid}-${++seq}`;
const bundleFor = (id: string, args: string[], extra: Record<string, unknown> = {}) => sb.bundle(busyboxSpec({ args, cgroupsPath: `/crio-lxc-test/${id}`, extra }));

function expectGone(id: string) {
  expect(existsSync(join(sb.root, id))).toBe(false);
  expect(cgroupExists(`crio-lxc-test/${id}`)).toBe(false);
}

/** `run` in the background; resolves to its exit code. */
function runInBackground(args: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn([BIN, "--root", sb.root, "run", ...args], { env: sb.env(env), stdout: "ignore", stderr: "pipe" });
  return proc;
}

async function waitForStatus(id: string, status: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(join(sb.root, id, "state.json")) && sb.run(["state", id]).stdout.includes(`"status": "${status}"`)) return;
    await Bun.sleep(20);
  }
  throw new Error(`${id} never became ${status}`);
}

describe("run in the foreground", () => {
  for (const [script, code] of [["echo out; exit 0", 0], ["exit 3", 3]] as const) {
    test(`exits with the container's status (${code}), its output on run's stdout, then deletes it`, () => {
      const id = newId();
      const r = sb.run(["run", "--bundle", bundleFor(id, ["sh", "-c", script]), id]);
      expect(r.code).toBe(code);
      expect(r.stdout).toBe(code === 0 ? "out\n" : "");
      expectGone(id);
    });
  }

  test("a container killed with SIGKILL: 137", async () => {
    const id = newId();
    const proc = runInBackground(["--bundle", bundleFor(id, ["sleep", "30"]), id]);
    await waitForStatus(id, "running");
    expect(sb.run(["kill", id, "KILL"]).code).toBe(0);
    expect(await proc.exited).toBe(137);
    expectGone(id);
  });

  test("signals sent to run reach the container's init", async () => {
    const id = newId();
    const proc = runInBackground(["--bundle", bundleFor(id, ["sh", "-c", "trap 'exit 7' TERM; touch /tmp/trapped; while :; do sleep 0.05; done"]), id]);
    await waitForStatus(id, "running");
    // pid 1 ignores a SIGTERM it has no handler for: wait until the trap is set.
    const init = (sb.state(id) as { pid: number }).pid;
    await waitFor(() => existsSync(`/proc/${init}/root/tmp/trapped`), "the trap to be set");
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(7);
    expectGone(id);
  });

  test("a signal that reaches run while it is still creating the container goes to init once it runs", async () => {
    const id = newId();
    // No PID namespace: init is not a pid 1, which would ignore a SIGTERM it has no handler for.
    const bundle = sb.bundle(busyboxSpec({ args: ["sleep", "30"], cgroupsPath: `/crio-lxc-test/${id}`, namespaces: ["mount", "ipc", "uts", "network"] }));
    const proc = runInBackground(["--bundle", bundle, id], { CRIO_LXC_TEST_PAUSE_AT: "create-after-fork" });
    expect(await waitStopped(proc.pid)).toBe(true);
    proc.kill("SIGTERM");
    proc.kill("SIGCONT");
    expect(await proc.exited).toBe(128 + 15);
    expect(proc.signalCode).toBeNull(); // run itself lived, and exited with init's status
    expectGone(id);
  });

  test("--keep leaves the stopped container for delete; --pid-file names its init", () => {
    const id = newId();
    const pidFile = join(sb.dir, `${id}.pid`);
    expect(sb.run(["run", "--keep", "--pid-file", pidFile, "--bundle", bundleFor(id, ["true"]), id]).code).toBe(0);
    expect(Number(readFileSync(pidFile, "utf8"))).toBeGreaterThan(1);
    expect(sb.state(id)).toMatchObject({ status: "stopped", pid: 0 });
    expect(sb.run(["delete", id]).code).toBe(0);
    expectGone(id);
  });

  test("a terminal container gets a pty that run relays", () => {
    const id = newId();
    const bundle = bundleFor(id, ["sh", "-c", "tty; exit 4"]);
    const spec = JSON.parse(readFileSync(join(bundle, "config.json"), "utf8"));
    spec.process.terminal = true;
    writeFileSync(join(bundle, "config.json"), JSON.stringify(spec));
    const r = sb.run(["run", "--bundle", bundle, id]);
    expect([r.code, r.stdout]).toEqual([4, expect.stringMatching(/^\/dev\/pts\/\d+\r\n$/)]);
    expectGone(id);
  });

  test("a failing create leaves nothing behind", () => {
    const id = newId();
    const r = sb.run(["run", "--bundle", bundleFor(id, ["/no/such/program"]), id]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("/no/such/program");
    expectGone(id);
  });
});

describe("run --detach and list", () => {
  test("detached: returns once started; list shows it as table, JSON and ids", async () => {
    const id = newId();
    const pidFile = join(sb.dir, `${id}.pid`);
    const bundle = bundleFor(id, ["sleep", "30"]);
    expect(sb.run(["run", "--detach", "--pid-file", pidFile, "--bundle", bundle, id])).toMatchObject({ code: 0, stderr: "" });
    const pid = Number(readFileSync(pidFile, "utf8"));
    expect(sb.state(id)).toMatchObject({ status: "running", pid });

    const listed = JSON.parse(sb.run(["list", "--format", "json"]).stdout);
    const mine = listed.find((c: { id: string }) => c.id === id);
    expect(mine).toEqual({
      ociVersion: "1.2.0", id, pid, status: "running", bundle, rootfs: ROOTFS,
      created: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), owner: "root", annotations: {},
    });
    expect(sb.run(["list", "-q"]).stdout.split("\n")).toContain(id);
    // A second run with the id fails and leaves the first container alone.
    expect(sb.run(["run", "--bundle", bundle, id])).toMatchObject({ code: 1, stderr: `container ${id} already exists\n` });
    expect(sb.state(id)).toMatchObject({ status: "running", pid });
    const table = sb.run(["list"]).stdout.split("\n");
    expect(table[0]).toMatch(/^ID {2,}PID {2,}STATUS {2,}BUNDLE {2,}CREATED {2,}OWNER$/);
    expect(table.find((line) => line.startsWith(`${id} `))).toMatch(new RegExp(`^${id} +${pid} +running +${bundle} +\\S+ +root$`));

    expect(sb.run(["kill", id, "KILL"]).code).toBe(0);
    expect(await waitExit(pid)).toBe(137);
    expect(JSON.parse(sb.run(["list", "--format", "json"]).stdout).find((c: { id: string }) => c.id === id).status).toBe("stopped");
    expect(sb.run(["delete", id]).code).toBe(0);
    expect(sb.run(["list", "-q"]).stdout.split("\n")).not.toContain(id);
  });

  test("--detach with --keep is refused; list of an empty root is a header or []", () => {
    const r = sb.run(["run", "--detach", "--keep", "--bundle", sb.dir, "x"]);
    expect([r.code, r.stderr]).toEqual([1, "crio-lxc run: --keep and --detach can't be used together (a detached container is the caller's to delete)\n"]);
    const empty = join(sb.dir, "empty-root");
    const list = (args: string[]) => Bun.spawnSync([BIN, "--root", empty, "list", ...args], { env: sb.env() }).stdout.toString();
    expect(list([])).toMatch(/^ID +PID +STATUS +BUNDLE +CREATED +OWNER\n$/);
    expect(list(["--format", "json"])).toBe("[]\n");
    expect(list(["--quiet"])).toBe("");
  });
});

describe("spec", () => {
  test("writes a config.json that create accepts (terminal, read-only root, default mounts)", async () => {
    const id = newId();
    const bundle = join(sb.dir, `spec-${id}`);
    mkdirSync(bundle);
    expect(sb.run(["spec", "--bundle", bundle])).toEqual({ code: 0, stdout: "", stderr: "" });
    const spec = JSON.parse(readFileSync(join(bundle, "config.json"), "utf8"));
    expect(spec).toMatchObject({ ociVersion: "1.2.0", root: { path: "rootfs", readonly: true }, process: { terminal: true, args: ["sh"] } });
    // Only what this machine needs: the shared busybox image, a command that ends, a test cgroup.
    spec.root.path = ROOTFS;
    spec.process.args = ["sh", "-c", "echo spec-ok"];
    spec.linux.cgroupsPath = `/crio-lxc-test/${id}`;
    writeFileSync(join(bundle, "config.json"), JSON.stringify(spec));
    await withConsole(sb, bundle, id, async ({ fd, pid, start }) => {
      start();
      expect(readTerminal(fd, /spec-ok\r\n/)).toContain("spec-ok");
      expect(await waitExit(pid)).toBe(0);
    });
    expect(sb.run(["delete", id]).code).toBe(0);
    expectGone(id);
  });

  test("never overwrites a config.json; --rootless and a missing bundle are refused", () => {
    const bundle = join(sb.dir, "spec-twice");
    mkdirSync(bundle);
    expect(sb.run(["spec", "-b", bundle]).code).toBe(0);
    expect(sb.run(["spec", "-b", bundle])).toEqual({ code: 1, stdout: "", stderr: `crio-lxc spec: ${bundle}/config.json already exists: remove it first\n` });
    expect(sb.run(["spec", "--rootless", "-b", bundle]).stderr).toBe("crio-lxc spec: --rootless is not supported: crio-lxc runs containers as root only\n");
    expect(sb.run(["spec", "-b", join(sb.dir, "nope")]).stderr).toContain("not a directory");
  });
});
