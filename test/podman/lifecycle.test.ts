// What a user does with podman --runtime dist/crio-lxc, one container's life
// at a time, each step checked from podman and from the host.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { leftovers, leftoversOnceSettled, STATE_ROOT } from "../support/podman-leftovers";
import { IMAGE, Podman } from "../support/podman";
import { requireBuilt } from "../support/runtime";

const pm = new Podman();
beforeAll(() => { requireBuilt(); pm.setup(); });
afterAll(() => pm.cleanup());

let serial = 0;
const newName = () => `lc-${process.pid}-${++serial}`;
const nspid = (pid: number) => /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]!.split(/\s+/);
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));

/** Polls `podman logs` until it contains `text`; the output so far. */
async function logsUntil(name: string, text: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const logs = pm.run(["logs", name]).stdout;
    if (logs.includes(text) || Date.now() > deadline) return logs;
    await Bun.sleep(50);
  }
}

/** A shell that reports each of its signals on stdout and otherwise idles (in `sleep`s it waits for, so traps run at once). */
const trapping = (traps: string) => ["sh", "-c", `${traps}; echo ready; while :; do sleep 1 & wait $!; done`];

describe("podman run", () => {
  test("in the foreground: stdout and stderr apart, the exit code", () => {
    expect(pm.run(["run", "--rm", IMAGE, "sh", "-c", "echo out; echo err >&2; exit 4"])).toEqual({ code: 4, stdout: "out\n", stderr: "err\n" });
  });

  test("-i with stdin piped: the container reads it to its end", () => {
    const input = Array.from({ length: 2000 }, (_, i) => `line ${i}\n`).join("");
    const r = pm.run(["run", "--rm", "-i", IMAGE, "sh", "-c", "wc -l; echo eof"], { stdin: new Blob([input]) });
    expect(r).toEqual({ code: 0, stdout: "2000\neof\n", stderr: "" });
  });

  test("without -i the container's stdin is empty", () => {
    const r = pm.run(["run", "--rm", IMAGE, "sh", "-c", "cat; echo eof"], { stdin: new Blob(["not for the container\n"]) });
    expect(r).toEqual({ code: 0, stdout: "eof\n", stderr: "" });
  });

  test("--rm: the container, its crio-lxc state and everything else of it are gone once it exits", async () => {
    const cidfile = join(pm.dir, `cid-${++serial}`);
    expect(pm.run(["run", "--rm", "--cidfile", cidfile, IMAGE, "true"]).code).toBe(0);
    const id = readFileSync(cidfile, "utf8").trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(pm.run(["ps", "-aq", "--no-trunc"]).stdout).not.toContain(id);
    expect(await leftoversOnceSettled([id])).toEqual([]);
  });

  test("-d, then podman wait and podman logs (both streams, in the order written)", () => {
    const name = newName();
    const r = pm.run(["run", "-d", "--name", name, IMAGE, "sh", "-c", "echo one; echo two >&2; echo three; exit 6"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(pm.run(["wait", name]).stdout.trim()).toBe("6");
    const logs = pm.run(["logs", name]);
    expect(logs.stdout).toBe("one\nthree\n");
    expect(logs.stderr).toBe("two\n");
    expect(pm.inspect(name, "{{.State.Status}} {{.State.ExitCode}}")).toBe("exited 6");
    expect(pm.run(["rm", name]).code).toBe(0);
  });
});

describe("signals: podman stop and podman kill", () => {
  test("stop: a SIGTERM trap runs and the container exits with its status, well before the timeout's SIGKILL", async () => {
    const name = newName();
    expect(pm.run(["run", "-d", "--name", name, IMAGE, ...trapping("trap 'echo got TERM; exit 0' TERM")]).code).toBe(0);
    expect(await logsUntil(name, "ready")).toBe("ready\n");
    // -t 600: had SIGTERM not reached the trap, SIGKILL would have made it 137 (and this test would time out first).
    expect(pm.run(["stop", "-t", "600", name]).code).toBe(0);
    expect(pm.inspect(name, "{{.State.Status}} {{.State.ExitCode}}")).toBe("exited 0");
    expect(pm.run(["logs", name]).stdout).toBe("ready\ngot TERM\n");
    expect(pm.run(["rm", name]).code).toBe(0);
  });

  test("stop: a trap that ignores SIGTERM sees it, then the timeout's SIGKILL ends it: 137", async () => {
    const name = newName();
    expect(pm.run(["run", "-d", "--name", name, IMAGE, ...trapping("trap 'echo ignoring TERM' TERM")]).code).toBe(0);
    await logsUntil(name, "ready");
    expect(pm.run(["stop", "-t", "1", name]).code).toBe(0);
    expect(pm.inspect(name, "{{.State.Status}} {{.State.ExitCode}}")).toBe("exited 137");
    expect(pm.run(["logs", name]).stdout).toBe("ready\nignoring TERM\n");
    expect(pm.run(["rm", name]).code).toBe(0);
  });

  test("kill -s USR1 reaches a trap and the container goes on; kill -s HUP (name) too; kill (SIGKILL): 137", async () => {
    const name = newName();
    expect(pm.run(["run", "-d", "--name", name, IMAGE, ...trapping("trap 'echo got USR1' USR1; trap 'echo got HUP' HUP")]).code).toBe(0);
    await logsUntil(name, "ready");
    expect(pm.run(["kill", "-s", "USR1", name]).code).toBe(0);
    expect(await logsUntil(name, "got USR1")).toBe("ready\ngot USR1\n");
    expect(pm.run(["kill", "-s", "SIGHUP", name]).code).toBe(0);
    expect(await logsUntil(name, "got HUP")).toBe("ready\ngot USR1\ngot HUP\n");
    expect(pm.inspect(name, "{{.State.Status}}")).toBe("running");
    expect(pm.run(["kill", name]).code).toBe(0);
    expect(pm.run(["wait", name]).stdout.trim()).toBe("137");
    expect(pm.run(["rm", name]).code).toBe(0);
  });
});

describe("pause, restart, rm -f", () => {
  test("pause freezes the container's cgroup (cgroup.events), unpause thaws it, and the process goes on", async () => {
    const name = newName();
    expect(pm.run(["run", "-d", "--name", name, IMAGE, ...trapping("trap 'echo got USR1' USR1")]).code).toBe(0);
    await logsUntil(name, "ready");
    const pid = Number(pm.inspect(name, "{{.State.Pid}}"));
    // The host's v1 hierarchies are listed too; the unified one is the "0::" line.
    const events = join("/sys/fs/cgroup", /^0::(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, "utf8"))![1]!, "cgroup.events");
    expect(pm.run(["pause", name]).code).toBe(0);
    expect(pm.inspect(name, "{{.State.Status}}")).toBe("paused");
    expect(readFileSync(events, "utf8")).toContain("frozen 1");
    expect(pm.run(["unpause", name]).code).toBe(0);
    expect(readFileSync(events, "utf8")).toContain("frozen 0");
    expect(pm.inspect(name, "{{.State.Status}}")).toBe("running");
    // Still the same process, and it still answers.
    expect(Number(pm.inspect(name, "{{.State.Pid}}"))).toBe(pid);
    expect(pm.run(["kill", "-s", "USR1", name]).code).toBe(0);
    expect(await logsUntil(name, "got USR1")).toBe("ready\ngot USR1\n");
    expect(pm.run(["rm", "-f", "-t", "0", name]).code).toBe(0);
  });

  test("restart: a new init (pid 1 of its PID namespace) runs the command again; the old one is gone", async () => {
    const name = newName();
    expect(pm.run(["run", "-d", "--name", name, IMAGE, ...trapping("trap 'exit 0' TERM")]).code).toBe(0);
    await logsUntil(name, "ready");
    const before = Number(pm.inspect(name, "{{.State.Pid}}"));
    expect(pm.run(["restart", "-t", "30", name]).code).toBe(0);
    expect(pm.inspect(name, "{{.State.Status}}")).toBe("running");
    const after = Number(pm.inspect(name, "{{.State.Pid}}"));
    expect(after).not.toBe(before);
    expect(alive(before)).toBe(false);
    expect(nspid(after).at(-1)).toBe("1");
    expect(await logsUntil(name, "ready\nready\n")).toBe("ready\nready\n");
    expect(pm.run(["exec", name, "echo", "exec after restart"]).stdout).toBe("exec after restart\n");
    expect(pm.run(["rm", "-f", "-t", "0", name]).code).toBe(0);
  });

  test("rm -f of a running container: its processes, crio-lxc state, cgroup and mounts are gone", async () => {
    const name = newName();
    const id = pm.run(["run", "-d", "--name", name, IMAGE, "sh", "-c", "sleep 300 & sleep 300"]).stdout.trim();
    const pid = Number(pm.inspect(name, "{{.State.Pid}}"));
    const merged = pm.inspect(name, "{{.GraphDriver.Data.MergedDir}}");
    expect(existsSync(join(STATE_ROOT, id))).toBe(true);
    expect(leftovers([id, merged]).length).toBeGreaterThan(0); // the check sees a running container
    expect(pm.run(["rm", "-f", "-t", "0", name]).code).toBe(0);
    expect(alive(pid)).toBe(false);
    expect(pm.run(["ps", "-aq", "--no-trunc"]).stdout).not.toContain(id);
    expect(await leftoversOnceSettled([id, merged])).toEqual([]);
  });
});
