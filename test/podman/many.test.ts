// Twenty containers started at once (twenty concurrent `crio-lxc create`s
// under twenty conmons), all running together, then all removed with one
// command: nothing of them may be left on the host.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { leftovers, leftoversOnceSettled, STATE_ROOT } from "../support/podman-leftovers";
import { IMAGE, Podman } from "../support/podman";
import { requireBuilt } from "../support/runtime";

const COUNT = 20;
const pm = new Podman();
const names = Array.from({ length: COUNT }, (_, i) => `many-${process.pid}-${i}`);
beforeAll(() => { requireBuilt(); pm.setup(); });
afterAll(() => pm.cleanup());

describe(`${COUNT} containers at once with dist/crio-lxc`, () => {
  const ids: string[] = [];
  const merged: string[] = [];

  test("started concurrently, all running, each its own init in its own namespaces and cgroup", async () => {
    const runs = names.map((name, i) => pm.spawn(["run", "-d", "--name", name, IMAGE, "sh", "-c", `echo container ${i}; exec sleep 300`]));
    const results = await Promise.all(runs.map(async (p) => ({ code: await p.exited, stdout: await new Response(p.stdout).text(), stderr: await new Response(p.stderr).text() })));
    for (const r of results) expect(r).toMatchObject({ code: 0, stderr: "" });
    ids.push(...results.map((r) => r.stdout.trim()));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{64}$/);

    const running = pm.run(["ps", "-q", "--no-trunc", "--filter", `name=many-${process.pid}-`]).stdout.trim().split("\n").sort();
    expect(running).toEqual([...ids].sort());
    const pids = names.map((name) => Number(pm.inspect(name, "{{.State.Pid}}")));
    const seen = { pid: new Set<string>(), cgroup: new Set<string>() };
    pids.forEach((pid, i) => {
      expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).toBe("sleep\u0000300\u0000");
      expect(/^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]!.split(/\s+/).at(-1)).toBe("1");
      seen.pid.add(require("node:fs").readlinkSync(`/proc/${pid}/ns/pid`));
      seen.cgroup.add(/^0::(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, "utf8"))![1]!);
      expect(existsSync(join(STATE_ROOT, ids[i]!))).toBe(true);
    });
    expect([seen.pid.size, seen.cgroup.size]).toEqual([COUNT, COUNT]);
    names.forEach((name, i) => expect(pm.run(["logs", name]).stdout).toBe(`container ${i}\n`));
    merged.push(...names.map((name) => pm.inspect(name, "{{.GraphDriver.Data.MergedDir}}")));
    // What the leftover check looks for is there while they run.
    const whileRunning = leftovers(ids);
    for (const kind of ["cgroup", "mount", "state directory", "process"]) expect(whileRunning.some((l) => l.startsWith(`${kind} `))).toBe(true);
  });

  test("exec into each of them", () => {
    names.forEach((name, i) => expect(pm.run(["exec", name, "sh", "-c", `echo exec ${i}`]).stdout).toBe(`exec ${i}\n`));
  });

  test("removed with one podman rm -f: no cgroup, mount, state directory or process of theirs is left", async () => {
    expect(ids.length).toBe(COUNT);
    const rm = pm.run(["rm", "-f", "-t", "0", ...names]);
    expect(rm.stderr).toBe("");
    expect(rm.code).toBe(0);
    expect(pm.run(["ps", "-aq", "--filter", `name=many-${process.pid}-`]).stdout).toBe("");
    expect(await leftoversOnceSettled([...ids, ...merged])).toEqual([]);
  });
});
