// Limits doing their job on a real cgroup2 (run with scripts/qemu-lane): an
// OOM kill seen where conmon looks, a fork loop stopped at pids.max, device
// rules enforced; and the monitor kept out of the container's cgroup.
import { describe, expect, test } from "bun:test";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BIN, type Sandbox, waitExit } from "../support/runtime";
import { CG, cgroupFile, createContainer, guestSuite, keyed } from "./guest";

const MiB = 1024 * 1024;
let sb: Sandbox;
const { top: TOP, newId } = guestSuite("qlim", (made) => { sb = made; });
const procs = (dir: string) => cgroupFile(dir, "cgroup.procs").split("\n").filter(Boolean).map(Number);

describe("memory", () => {
  test("a hog under memory.max 32M is OOM-killed: exit 137, oom_kill in the container's memory.events, an oom event", async () => {
    const id = newId();
    const dir = `${TOP}/${id}`;
    const monitorCgroup = `${TOP}/monitors`;
    const env = { CRIO_LXC_MONITOR_CGROUP: monitorCgroup };
    const { pid, out } = createContainer(sb, id, {
      args: ["sh", "-c", "head -c 200m /dev/zero | tail"], cgroupsPath: `/${dir}`, start: false, env,
      resources: { memory: { limit: 32 * MiB, swap: 32 * MiB } },
    });
    // The monitor waits in its own cgroup: the container's holds init alone, which is what the pid-file names.
    expect(procs(dir)).toEqual([pid]);
    expect(procs(`${monitorCgroup}/${id}`).length).toBeGreaterThan(0);
    expect(readFileSync(`/proc/${pid}/cgroup`, "utf8")).toBe(`0::/${dir}\n`);
    const eventsFile = join(sb.dir, `${id}.events`);
    const fd = openSync(eventsFile, "w");
    const events = Bun.spawn([BIN, "--root", sb.root, "events", "--interval", "10s", id], { env: sb.env(env), stdout: fd, stderr: fd });
    closeSync(fd);
    expect(sb.run(["start", id], { env }).code).toBe(0);
    expect(await waitExit(pid, 60_000)).toBe(137);
    // What conmon reads to report OOMKilled: memory.events of the pid-file's cgroup.
    expect(keyed(dir, "memory.events").oom_kill).toBeGreaterThanOrEqual(1);
    expect(await events.exited).toBe(0);
    const lines = readFileSync(eventsFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
    expect(lines).toContainEqual({ type: "oom", id });
    // The shell saw its pipeline killed (the OOM killer may take more than one of its processes).
    expect(readFileSync(out, "utf8")).toMatch(/^(Killed\n)+$/);
    expect(sb.run(["delete", id], { env }).code).toBe(0);
    expect([existsSync(join(CG, dir)), existsSync(join(CG, monitorCgroup))]).toEqual([false, false]);
  });
});

describe("pids", () => {
  test("a fork loop stops at pids.max", async () => {
    const id = newId();
    const dir = `${TOP}/${id}`;
    const { pid, out } = createContainer(sb, id, {
      args: ["sh", "-c", "i=0; while [ $i -lt 64 ]; do sleep 60 & i=$((i+1)); done; echo all-forked"], cgroupsPath: `/${dir}`,
      resources: { pids: { limit: 16 } },
    });
    expect(await waitExit(pid, 60_000)).not.toBe(0);
    expect(keyed(dir, "pids.events").max).toBeGreaterThanOrEqual(1);
    const output = readFileSync(out, "utf8");
    expect(output).toContain("can't fork");
    expect(output).not.toContain("all-forked");
    expect(sb.run(["delete", id]).code).toBe(0);
  });
});

describe("devices", () => {
  test("default deny: a device outside the rules can't be opened; the spec's rule and the standard set can", async () => {
    const id = newId();
    // /dev/mem (1:1) is denied; fuse (10:229) is allowed by the spec, but its module isn't loaded:
    // opening it fails, and not with the cgroup's EPERM.
    // In /dev: the spec mounts /tmp nodev, where no device opens at all.
    const script = [
      "mknod /dev/xmem c 1 1", "mknod /dev/xfuse c 10 229",
      "head -c 1 /dev/xmem >/dev/null 2>/tmp/mem.err; cat /tmp/mem.err",
      "head -c 1 /dev/xfuse >/dev/null 2>/tmp/fuse.err; cat /tmp/fuse.err",
      "head -c 4 /dev/zero | wc -c", "echo x >/dev/null && echo null-ok",
    ].join("; ");
    const { pid, out } = createContainer(sb, id, {
      args: ["sh", "-c", script], cgroupsPath: `/${TOP}/${id}`, capabilities: ["CAP_MKNOD"],
      resources: { devices: [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 10, minor: 229, access: "rwm" }] },
    });
    expect(await waitExit(pid, 60_000)).toBe(0);
    const lines = readFileSync(out, "utf8").trim().split("\n");
    expect(lines[0]).toMatch(/\/dev\/xmem.*Operation not permitted/);
    expect(lines[1]).toMatch(/\/dev\/xfuse/);
    expect(lines[1]).not.toMatch(/Operation not permitted/);
    expect(lines.slice(2).map((l) => l.trim())).toEqual(["4", "null-ok"]);
    expect(sb.run(["delete", id]).code).toBe(0);
  });
});
