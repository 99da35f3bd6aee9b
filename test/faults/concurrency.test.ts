// Concurrent calls on one container run one at a time (a flock on its state
// directory, src/container-lock.ts) and fail clearly; 50 containers at once.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { NOTHING_LEFT, settledLeftovers, spawnRuntime, waitStopped } from "../support/leftovers";
import { Sandbox, becomeSubreaper, busyboxSpec, requireBuilt } from "../support/runtime";

let sb: Sandbox;
beforeAll(() => { requireBuilt(); becomeSubreaper(); sb = new Sandbox(); });
afterAll(() => sb.cleanup());

const MARKER = `cc-${process.pid}-`;
let seq = 0;
const newId = () => `${MARKER}${++seq}`;

const bundleFor = (id: string, args = ["sleep", "60"]) => sb.bundle(busyboxSpec({ args, cgroupsPath: `/crio-lxc-test/${id}` }));

/** Runs several runtime calls at once; their exit codes and output. */
async function together(calls: Array<{ args: string[]; env?: Record<string, string> }>) {
  const running = calls.map(({ args, env }) => spawnRuntime(sb, args, env));
  const codes = await Promise.all(running.map(({ proc }) => proc.exited));
  return running.map(({ out }, i) => ({ code: codes[i]!, out: out() }));
}

/** Every `state` answer while calls race: valid OCI state JSON or a clear "does not exist". */
async function pollState(id: string, until: Promise<unknown>): Promise<string[]> {
  const bad: string[] = [];
  let done = false;
  void until.then(() => { done = true; });
  while (!done) {
    const { proc, out } = spawnRuntime(sb, ["state", id]);
    const code = await proc.exited;
    const text = out();
    if (code === 0) {
      try { JSON.parse(text); } catch { bad.push(`unparsable state: ${text}`); }
    } else if (!text.includes(`container ${id} does not exist`)) {
      bad.push(`state failed: ${text}`);
    }
  }
  return bad;
}

describe("one id, several calls", () => {
  test("create twice at once: one creates, the other says the id exists", async () => {
    for (let round = 0; round < 5; round++) {
      const id = newId();
      const bundle = bundleFor(id);
      const results = await together([{ args: ["create", "--bundle", bundle, id] }, { args: ["create", "--bundle", bundle, id] }]);
      expect(results.map((r) => r.code).sort()).toEqual([0, 1]);
      expect(results.find((r) => r.code === 1)!.out).toContain(`container ${id} already exists`);
      expect(sb.state(id).status).toBe("created");
      // The hold hook may die with the container between delete opening its FIFO and writing to it (EPIPE).
      const deleted = sb.run(["delete", "--force", id]);
      expect({ code: deleted.code, stderr: deleted.stderr }).toEqual({ code: 0, stderr: "" });
      expect(await settledLeftovers(sb, id)).toEqual(NOTHING_LEFT);
    }
  });

  test("a call waits for the one holding the lock and gives up clearly at its own timeout; state still answers", async () => {
    const id = newId();
    expect(sb.run(["create", "--bundle", bundleFor(id), id]).code).toBe(0);
    const start = spawnRuntime(sb, ["start", id], { CRIO_LXC_TEST_PAUSE_AT: "start-init-traced" });
    expect(await waitStopped(start.proc.pid)).toBe(true);
    for (const [args, env] of [[["delete", "--force", id], { CRIO_LXC_DELETE_TIMEOUT: "500ms" }], [["kill", id, "KILL"], { CRIO_LXC_KILL_TIMEOUT: "500ms" }], [["pause", id], { CRIO_LXC_KILL_TIMEOUT: "500ms" }]] as const) {
      const began = Date.now();
      const r = sb.run([...args], { env: { ...env } });
      expect(Date.now() - began).toBeLessThan(10_000);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${join(sb.root, id)} is locked by another call on container ${id} still running`);
    }
    expect(sb.state(id).status).toBe("running");
    start.proc.kill("SIGCONT");
    expect(await start.proc.exited).toBe(0);
    expect(sb.state(id).status).toBe("running");
    expect(sb.run(["delete", "--force", id]).code).toBe(0);
    expect(await settledLeftovers(sb, id)).toEqual(NOTHING_LEFT);
  });

  test("delete --force while starting, kill while deleting: clear outcomes, never a corrupt state file", async () => {
    const allowedFailures = /does not exist|cannot start a container that has stopped|container not running/;
    for (let round = 0; round < 6; round++) {
      const id = newId();
      expect(sb.run(["create", "--bundle", bundleFor(id), id]).code).toBe(0);
      if (round % 2) expect(sb.run(["start", id]).code).toBe(0);
      const calls = round % 2
        ? [{ args: ["kill", id, "KILL"] }, { args: ["delete", "--force", id] }, { args: ["kill", "--all", id, "TERM"] }]
        : [{ args: ["start", id] }, { args: ["delete", "--force", id] }, { args: ["kill", id, "KILL"] }];
      const racing = together(calls);
      const stateProblems = pollState(id, racing);
      const results = await racing;
      expect(await stateProblems).toEqual([]);
      for (const [i, r] of results.entries()) {
        if (r.code !== 0) expect(`${calls[i]!.args[0]}: ${r.out}`).toMatch(allowedFailures);
      }
      expect(results[1]!.code).toBe(0); // delete --force always succeeds
      expect(await settledLeftovers(sb, id)).toEqual(NOTHING_LEFT);
    }
  });
});

test("50 containers at once all reach running and all delete cleanly", async () => {
  const ids = Array.from({ length: 50 }, newId);
  const pidFile = (id: string) => join(sb.dir, `${id}.pid`);
  const created = await together(ids.map((id) => ({ args: ["create", "--bundle", bundleFor(id), "--pid-file", pidFile(id), id] })));
  expect(created.filter((r) => r.code !== 0)).toEqual([]);
  const started = await together(ids.map((id) => ({ args: ["start", id] })));
  expect(started.filter((r) => r.code !== 0)).toEqual([]);
  for (const id of ids) {
    expect(sb.state(id)).toMatchObject({ status: "running", pid: Number(readFileSync(pidFile(id), "utf8")) });
  }
  const deleted = await together(ids.map((id) => ({ args: ["delete", "--force", id] })));
  expect(deleted.filter((r) => r.code !== 0)).toEqual([]);
  expect(await settledLeftovers(sb, MARKER)).toEqual(NOTHING_LEFT);
});
