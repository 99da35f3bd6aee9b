// --pid/--network/--ipc/--uts container:X: podman puts /proc/<X's State.Pid>/ns/<type>
// in the second container's spec, so State.Pid must be X's init and the
// namespaces must really be shared (same nsfs inode seen from inside both).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, readlinkSync } from "node:fs";
import { IMAGE, Podman } from "../support/podman";
import { requireBuilt } from "../support/runtime";

const pm = new Podman();
const first = `ns-first-${process.pid}`;
const TYPES = ["pid", "net", "ipc", "uts", "mnt", "cgroup"] as const;
let firstPid = 0;

beforeAll(() => {
  requireBuilt();
  pm.setup();
  // A marker for the IPC check: a POSIX shm object lives in the IPC namespace's /dev/shm mount.
  expect(pm.run(["run", "-d", "--name", first, "--hostname", "first", IMAGE, "sh", "-c", "echo from-first > /dev/shm/marker; exec sleep 300"]).code).toBe(0);
  firstPid = Number(pm.inspect(first, "{{.State.Pid}}"));
});
afterAll(() => pm.cleanup());

const nsfs = (pid: number) => Object.fromEntries(TYPES.map((t) => [t, readlinkSync(`/proc/${pid}/ns/${t}`)]));
/** The namespaces a container's process sees for itself, from inside. */
const inside = (args: string[]) => {
  const script = TYPES.map((t) => `readlink /proc/self/ns/${t}`).join("; ");
  const r = pm.run(["run", "--rm", ...args, IMAGE, "sh", "-c", script]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return Object.fromEntries(r.stdout.trim().split("\n").map((line, i) => [TYPES[i], line]));
};

describe("podman run --<ns> container:X with dist/crio-lxc", () => {
  test("inspect's State.Pid of X is its init: pid 1 of its PID namespace, running X's command", () => {
    const nspid = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${firstPid}/status`, "utf8"))![1]!.split(/\s+/);
    expect(nspid.at(-1)).toBe("1");
    expect(readFileSync(`/proc/${firstPid}/cmdline`, "utf8")).toBe("sleep\u0000300\u0000");
  });

  test("nothing shared: every namespace differs from X's", () => {
    const own = inside([]);
    const x = nsfs(firstPid);
    for (const t of TYPES) expect(own[t]).not.toBe(x[t]);
  });

  test("--pid container:X: X's PID namespace; X's init is pid 1 there; the second container's State.Pid is its own init", async () => {
    const x = nsfs(firstPid);
    expect(inside(["--pid", `container:${first}`])).toMatchObject({ pid: x.pid });
    const second = `ns-pid-${process.pid}`;
    // The second init prints its pid as seen in the shared namespace.
    expect(pm.run(["run", "-d", "--name", second, "--pid", `container:${first}`, IMAGE, "sh", "-c", "echo $$; ps -o pid,args; exec sleep 300"]).code).toBe(0);
    const pid = Number(pm.inspect(second, "{{.State.Pid}}"));
    expect(readlinkSync(`/proc/${pid}/ns/pid`)).toBe(x.pid);
    const nspid = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]!.split(/\s+/);
    const logs = pm.run(["logs", second]).stdout.split("\n");
    expect(nspid.at(-1)).toBe(logs[0]);
    expect(logs[0]).not.toBe("1");
    expect(logs.some((l) => /^\s*1\s+sleep 300$/.test(l))).toBe(true);
    expect(pm.run(["rm", "-f", "-t", "0", second]).code).toBe(0);
  });

  test("--network container:X: X's network namespace (and only that)", () => {
    const x = nsfs(firstPid);
    const seen = inside(["--network", `container:${first}`]);
    expect(seen.net).toBe(x.net);
    for (const t of ["pid", "ipc", "mnt"] as const) expect(seen[t]).not.toBe(x[t]);
  });

  test("--ipc container:X: X's IPC namespace and its /dev/shm", () => {
    const x = nsfs(firstPid);
    expect(inside(["--ipc", `container:${first}`])).toMatchObject({ ipc: x.ipc });
    expect(pm.run(["run", "--rm", "--ipc", `container:${first}`, IMAGE, "cat", "/dev/shm/marker"]).stdout).toBe("from-first\n");
  });

  test("--uts container:X: X's UTS namespace and its hostname", () => {
    const x = nsfs(firstPid);
    expect(inside(["--uts", `container:${first}`])).toMatchObject({ uts: x.uts });
    expect(pm.run(["run", "--rm", "--uts", `container:${first}`, IMAGE, "hostname"]).stdout).toBe("first\n");
  });

  test("all of them at once, and exec into the joining container", () => {
    const x = nsfs(firstPid);
    const joined = ["--pid", "--network", "--ipc", "--uts"].flatMap((flag) => [flag, `container:${first}`]);
    expect(inside(joined)).toMatchObject({ pid: x.pid, net: x.net, ipc: x.ipc, uts: x.uts });
    const second = `ns-all-${process.pid}`;
    expect(pm.run(["run", "-d", "--name", second, ...joined, IMAGE, "sleep", "300"]).code).toBe(0);
    const r = pm.run(["exec", second, "sh", "-c", "for t in pid net ipc uts; do readlink /proc/self/ns/$t; done"]);
    expect(r.stdout).toBe(`${x.pid}\n${x.net}\n${x.ipc}\n${x.uts}\n`);
    expect(pm.run(["rm", "-f", "-t", "0", second]).code).toBe(0);
    // X is untouched by the joining container's removal.
    expect(pm.inspect(first, "{{.State.Status}}")).toBe("running");
  });
});
