// Every command ends within its own timeout when a hook hangs for good (no
// `timeout` of its own), and leaves nothing behind; a wiped --root (a reboot's
// tmpfs) breaks no later call.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NOTHING_LEFT, settledLeftovers } from "../support/leftovers";
import { Sandbox, becomeSubreaper, busyboxSpec, requireBuilt, waitExit } from "../support/runtime";

let sb: Sandbox;
beforeAll(() => { requireBuilt(); becomeSubreaper(); sb = new Sandbox(); });
afterAll(() => sb.cleanup());

const MARKER = `to-${process.pid}-`;
let seq = 0;
const newId = () => `${MARKER}${++seq}`;
/** Generous: the command's own timeout plus the start-up and teardown of a loaded machine. */
const SLACK_MS = 8_000;

/** A hook that never ends; its command line names the id, so leftovers() would find it. */
const hangingHook = (id: string) => ({ path: "/bin/sh", args: ["sh", "-c", "while :; do sleep 1; done", id] });

function bundleWith(id: string, hooks: Record<string, unknown>): string {
  return sb.bundle(busyboxSpec({ args: ["sleep", "60"], cgroupsPath: `/crio-lxc-test/${id}`, extra: { hooks } }));
}

function timed(args: string[], env: Record<string, string>) {
  const began = Date.now();
  const r = sb.run(args, { env });
  return { ...r, ms: Date.now() - began };
}

describe("a hook that hangs for good", () => {
  for (const phase of ["prestart", "createRuntime", "createContainer"]) {
    test(`${phase}: create fails at CRIO_LXC_CREATE_TIMEOUT naming the hook, nothing left`, async () => {
      const id = newId();
      const r = timed(["create", "--bundle", bundleWith(id, { [phase]: [hangingHook(id)] }), id], { CRIO_LXC_CREATE_TIMEOUT: "2s" });
      expect(r.code).toBe(1);
      expect(r.ms).toBeLessThan(2_000 + SLACK_MS);
      expect(r.stderr).toContain(`${phase}[0] hook /bin/sh killed after the deadline of the operation`);
      expect(await settledLeftovers(sb, id)).toEqual(NOTHING_LEFT);
    });
  }

  test("startContainer: start fails at CRIO_LXC_START_TIMEOUT and stops the container", async () => {
    const id = newId();
    expect(sb.run(["create", "--bundle", bundleWith(id, { startContainer: [hangingHook(id)] }), id]).code).toBe(0);
    const init = sb.state(id).pid;
    const r = timed(["start", id], { CRIO_LXC_START_TIMEOUT: "2s" });
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(2_000 + SLACK_MS);
    expect(r.stderr).toContain("startContainer[0] hook /bin/sh killed after the deadline of the operation");
    expect(await waitExit(init)).toBe(137);
    expect(sb.state(id).status).toBe("stopped");
    const deleted = sb.run(["delete", id]);
    expect([deleted.code, deleted.stderr]).toEqual([0, ""]);
    expect(await settledLeftovers(sb, id)).toEqual(NOTHING_LEFT);
  });

  test("poststart and poststop: start and delete end at their timeouts with a warning, the container runs and goes", async () => {
    const id = newId();
    expect(sb.run(["create", "--bundle", bundleWith(id, { poststart: [hangingHook(id)], poststop: [hangingHook(id)] }), id]).code).toBe(0);
    const started = timed(["start", id], { CRIO_LXC_START_TIMEOUT: "2s" });
    expect(started.code).toBe(0);
    expect(started.ms).toBeLessThan(2_000 + SLACK_MS);
    expect(sb.state(id).status).toBe("running");
    const deleted = timed(["delete", "--force", id], { CRIO_LXC_DELETE_TIMEOUT: "2s" });
    expect(deleted.code).toBe(0);
    expect(deleted.ms).toBeLessThan(2_000 + SLACK_MS);
    expect(sb.log()).toContain("poststop[0] hook /bin/sh killed after the deadline of the operation");
    expect(await settledLeftovers(sb, id)).toEqual(NOTHING_LEFT);
  });

  test("CRIO_LXC_CREATE_HOOK: killed at CRIO_LXC_CREATE_HOOK_TIMEOUT, the create succeeds", async () => {
    const id = newId();
    const hook = join(sb.dir, `${id}-hook.sh`);
    writeFileSync(hook, "#!/bin/sh\nwhile :; do sleep 1; done\n");
    chmodSync(hook, 0o755);
    const bundle = sb.bundle(busyboxSpec({ args: ["sleep", "60"], cgroupsPath: `/crio-lxc-test/${id}` }));
    const r = timed(["create", "--bundle", bundle, id], { CRIO_LXC_CREATE_HOOK: hook, CRIO_LXC_CREATE_HOOK_TIMEOUT: "1s" });
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(1_000 + SLACK_MS);
    expect(sb.run(["delete", "--force", id]).code).toBe(0);
    expect(await settledLeftovers(sb, id)).toEqual(NOTHING_LEFT);
  });
});

describe("--root wiped under live containers (a reboot's tmpfs)", () => {
  test("later calls say the containers don't exist, and the same ids create, start and delete again", async () => {
    const ids = [newId(), newId()];
    const bundles = ids.map((id) => sb.bundle(busyboxSpec({ args: ["sleep", "60"], cgroupsPath: `/crio-lxc-test/${id}` })));
    ids.forEach((id, i) => expect(sb.run(["create", "--bundle", bundles[i]!, id]).code).toBe(0));
    expect(sb.run(["start", ids[1]!]).code).toBe(0);
    // The reboot: every process goes, and so does the tmpfs --root lived on. (Empty cgroups stay here.)
    const records = ids.map((id) => JSON.parse(readFileSync(join(sb.root, id, "state.json"), "utf8")));
    for (const r of records) for (const dir of [r.cgroupDir, r.monitorCgroupDir]) {
      try { writeFileSync(`/sys/fs/cgroup/${dir}/cgroup.kill`, "1"); } catch { /* already gone */ }
    }
    await waitExit(records[1].init.pid);
    rmSync(sb.root, { recursive: true, force: true });

    for (const id of ids) {
      for (const args of [["state", id], ["start", id], ["kill", id, "KILL"], ["delete", id], ["pause", id], ["exec", id, "true"]]) {
        const r = timed(args, {});
        expect(r.ms).toBeLessThan(SLACK_MS);
        expect([args[0], r.code, r.stderr.trim()]).toEqual([args[0], args[0] === "exec" ? 255 : 1, `container ${id} does not exist`]);
      }
      expect(sb.run(["delete", "--force", id]).code).toBe(0);
    }
    ids.forEach((id, i) => expect(sb.run(["create", "--bundle", bundles[i]!, id]).code).toBe(0));
    expect(sb.run(["start", ids[0]!]).code).toBe(0);
    expect(sb.state(ids[0]!).status).toBe("running");
    for (const id of ids) expect(sb.run(["delete", "--force", id]).code).toBe(0);
    for (const id of ids) expect(await settledLeftovers(sb, id)).toEqual(NOTHING_LEFT);
  });
});
