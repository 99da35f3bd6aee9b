// CRI-O's calls, as shared/notes/clients.md records them (CRI-O itself is not
// packaged here): every call with --root, --systemd-cgroup with a pod's
// slice:prefix:name cgroupsPath, state polled, a streaming exec in the
// foreground with --process, kill --all, delete --force. This process is the
// subreaper, as conmon is. Run in scripts/cgroup2-lane, as root.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Sandbox, becomeSubreaper, busyboxSpec, cgroupExists, requireBuilt, waitExit } from "../support/runtime";

let sb: Sandbox;
beforeAll(() => { requireBuilt(); becomeSubreaper(); sb = new Sandbox(); });
afterAll(() => sb.cleanup());

// A slice tree of this file's own (systemd nests a-b-c.slice as a.slice/a-b.slice/a-b-c.slice).
const TOP = `crioltest${process.pid}`;
const POD_SLICE = `${TOP}-burstable-pod1.slice`;
const POD_DIR = `${TOP}.slice/${TOP}-burstable.slice/${POD_SLICE}`;

function createInPod(id: string): number {
  const bundle = sb.bundle(busyboxSpec({ args: ["sleep", "300"], cgroupsPath: `${POD_SLICE}:crio:${id}` }));
  const pidFile = join(sb.dir, `${id}.pid`);
  const r = sb.run(["--systemd-cgroup", "create", "--bundle", bundle, "--pid-file", pidFile, id]);
  expect([r.code, r.stderr]).toEqual([0, ""]);
  return Number(readFileSync(pidFile, "utf8"));
}

/** The process's cgroup v2 path (a hybrid host lists its v1 hierarchies too). */
const unifiedCgroup = (pid: number) => /^0::(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, "utf8"))?.[1];

/** CRI-O's streaming exec: foreground, --process, the runtime's own stdio. */
function streamingExec(id: string, process: Record<string, unknown>): { code: number | null; out: string } {
  const file = join(sb.dir, `${id}-process.json`);
  writeFileSync(file, JSON.stringify(process));
  const outFile = join(sb.dir, `${id}-exec.out`);
  const fd = openSync(outFile, "w");
  const r = sb.run(["--systemd-cgroup", "exec", "--process", file, id], { stdout: fd });
  closeSync(fd);
  return { code: r.code, out: readFileSync(outFile, "utf8") };
}

test("a pod's containers in its systemd-form slice, exec, kill --all, delete --force: the slices crio-lxc made go with the last container", async () => {
  const [first, second] = [`crio-a-${process.pid}`, `crio-b-${process.pid}`];
  const pids = [createInPod(first), createInPod(second)];
  for (const [i, id] of [first, second].entries()) {
    expect(unifiedCgroup(pids[i]!)).toBe(`/${POD_DIR}/crio-${id}.scope`);
    expect(sb.state(id)).toMatchObject({ status: "created", pid: pids[i] });
    expect(sb.run(["--systemd-cgroup", "start", id]).code).toBe(0);
    expect(sb.state(id)).toMatchObject({ status: "running", pid: pids[i] });
  }

  const exec = streamingExec(first, { args: ["sh", "-c", "hostname; grep ^0:: /proc/self/cgroup; exit 3"], cwd: "/", env: ["PATH=/bin"], user: { uid: 0, gid: 0 } });
  expect(exec).toEqual({ code: 3, out: `crio-lxc-test\n0::/${POD_DIR}/crio-${first}.scope\n` });

  expect(sb.run(["--systemd-cgroup", "kill", "--all", first, "9"]).code).toBe(0);
  expect(await waitExit(pids[0]!)).toBe(137);
  expect(sb.state(first).status).toBe("stopped");
  expect(sb.run(["--systemd-cgroup", "delete", "--force", first]).code).toBe(0);
  expect([cgroupExists(`${POD_DIR}/crio-${first}.scope`), cgroupExists(POD_DIR)]).toEqual([false, true]);

  expect(sb.run(["--systemd-cgroup", "delete", "--force", second]).code).toBe(0);
  expect(await waitExit(pids[1]!)).toBe(137);
  expect(cgroupExists(`${TOP}.slice`)).toBe(false);
});
