// OOM as a fault (run with scripts/qemu-lane: a real memory controller). The
// container's init itself OOM-killed, or a limit too small for anything to
// start: `state` says what is true and delete leaves no cgroup, process or
// state directory. (limits.test.ts has an OOM kill seen the way conmon sees it.)
import { expect, test } from "bun:test";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { NOTHING_LEFT, settledLeftovers } from "../support/leftovers";
import { type Sandbox, waitExit } from "../support/runtime";
import { guestSuite, keyed, spec } from "./guest";

const MiB = 1024 * 1024;
let sb: Sandbox;
const { top: TOP, newId } = guestSuite("qoom", (made) => { sb = made; });
const memory = (limit: number) => ({ memory: { limit, swap: limit } });

function createWith(id: string, args: string[], resources: Record<string, unknown>) {
  const pidFile = join(sb.dir, `${id}.pid`);
  const out = join(sb.dir, `${id}.out`);
  const fd = openSync(out, "w");
  const r = sb.run(["create", "--bundle", sb.bundle(spec(sb, { args, cgroupsPath: `/${TOP}/${id}`, resources })), "--pid-file", pidFile, id], { stdout: fd });
  closeSync(fd);
  return { code: r.code, pidFile, out };
}

test("an init that is itself OOM-killed: exit 137, state stopped, delete (no --force) leaves nothing", async () => {
  const id = newId();
  // tail keeps the one endless "line" of /dev/zero in memory.
  const { code, pidFile } = createWith(id, ["tail", "/dev/zero"], memory(32 * MiB));
  expect(code).toBe(0);
  expect(sb.run(["start", id]).code).toBe(0);
  expect(await waitExit(Number(readFileSync(pidFile, "utf8")), 60_000)).toBe(137);
  expect(keyed(`${TOP}/${id}`, "memory.events").oom_kill).toBeGreaterThanOrEqual(1);
  expect(sb.state(id)).toMatchObject({ status: "stopped", pid: 0 });
  expect(sb.run(["delete", id]).code).toBe(0);
  expect(await settledLeftovers(sb, id)).toEqual(NOTHING_LEFT);
});

test("a limit too small for the container to start: whatever fails says so, and delete --force leaves nothing", async () => {
  const id = newId();
  const { code, pidFile, out } = createWith(id, ["sh", "-c", "echo started"], memory(1 * MiB));
  if (code === 0) {
    const init = Number(readFileSync(pidFile, "utf8"));
    const started = sb.run(["start", id]);
    if (started.code !== 0) expect(started.stderr).not.toBe("");
    await waitExit(init, 60_000).catch(() => undefined);
    expect(["stopped", "running"]).toContain(sb.state(id).status);
  } else {
    expect(readFileSync(out, "utf8")).not.toBe("");
  }
  expect(sb.run(["delete", "--force", id]).code).toBe(0);
  expect(await settledLeftovers(sb, id)).toEqual(NOTHING_LEFT);
});
