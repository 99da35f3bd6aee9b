// Sequential create/start/kill/delete cycles (200 here; scripts/fault-soak runs
// 1000): every init gets fds 0-2 only, and nothing piles up on the host.
// The runtime is short-lived, so "no leak" means the same counts before and
// after: processes, cgroups, mounts, state directories, and our own fds.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { NOTHING_LEFT, settledLeftovers } from "../support/leftovers";
import { BIN, Sandbox, becomeSubreaper, busyboxSpec, requireBuilt, waitExit } from "../support/runtime";

const CYCLES = Number(process.env.FAULTS_CYCLES ?? 200);
let sb: Sandbox;
beforeAll(() => { requireBuilt(); becomeSubreaper(); sb = new Sandbox(); });
afterAll(() => sb.cleanup());

const MARKER = `cy-${process.pid}-`;

/** Processes running the runtime binary, anywhere on the host. */
function runtimeProcesses(): number[] {
  return readdirSync("/proc").filter((n) => /^\d+$/.test(n)).filter((pid) => {
    try { return readlinkSync(`/proc/${pid}/exe`) === BIN; } catch { return false; }
  }).map(Number);
}

function counts() {
  return {
    runtimeProcesses: runtimeProcesses().length,
    mounts: readFileSync("/proc/self/mountinfo", "utf8").split("\n").length,
    ownFds: readdirSync("/proc/self/fd").length,
    testCgroups: (() => { try { return readdirSync("/sys/fs/cgroup/crio-lxc-test").filter((n) => n.startsWith(MARKER)).length; } catch { return 0; } })(),
    stateDirs: readdirSync(sb.root, { withFileTypes: true }).length,
  };
}

test(`${CYCLES} create/start/kill/delete cycles: init sees fds 0-2 only, nothing accumulates`, async () => {
  const warmup = `${MARKER}warmup`;
  expect(sb.run(["create", "--bundle", sb.bundle(busyboxSpec({ args: ["true"], cgroupsPath: `/crio-lxc-test/${warmup}` })), warmup]).code).toBe(0);
  expect(sb.run(["delete", "--force", warmup]).code).toBe(0);
  const before = counts();
  const out = join(sb.dir, "cycles.out");
  const badFds: string[] = [];
  for (let i = 0; i < CYCLES; i++) {
    const id = `${MARKER}${i}`;
    const bundle = sb.bundle(busyboxSpec({ args: ["sleep", "60"], cgroupsPath: `/crio-lxc-test/${id}` }));
    const pidFile = join(sb.dir, "cycle.pid");
    const fd = openSync(out, "w");
    const created = sb.run(["create", "--bundle", bundle, "--pid-file", pidFile, id], { stdout: fd });
    closeSync(fd);
    if (created.code !== 0) throw new Error(`cycle ${i}: create failed: ${readFileSync(out, "utf8")}`);
    const pid = Number(readFileSync(pidFile, "utf8"));
    expect(sb.run(["start", id]).code).toBe(0);
    const fds = readdirSync(`/proc/${pid}/fd`).sort();
    if (fds.join(",") !== "0,1,2") badFds.push(`cycle ${i}: init has fds ${fds.join(",")}`);
    expect(sb.run(["kill", id, "KILL"]).code).toBe(0);
    expect(await waitExit(pid)).toBe(137);
    expect(sb.run(["delete", id]).code).toBe(0);
  }
  expect(badFds).toEqual([]);
  expect(counts()).toEqual(before);
  expect(await settledLeftovers(sb, MARKER)).toEqual(NOTHING_LEFT);
}, Math.max(120_000, CYCLES * 2_000));
