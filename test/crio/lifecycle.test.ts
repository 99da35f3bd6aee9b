// A container's life as the kubelet sees it through CRI-O (scripts/crio-lane):
// the exit code and reason it reports, a stop the workload honours and one it
// ignores (killed at the grace period), a container removed on its own, stats.
// Each runs with crio-lxc and with runc.
import { describe, expect } from "bun:test";
import { SKIP_REASON, crictlOk, crioSuite, scenario } from "../support/crio";

describe.skipIf(!!SKIP_REASON)("container lifecycle", () => {
  crioSuite();

  scenario("exit codes and reasons: 7 is an Error, 0 Completed, 138 (a shell's child killed by SIGUSR1) an Error", async (_rt, pod) => {
    const p = pod("exits");
    const seven = p.run("seven", { command: ["sh", "-c", "echo bye; exit 7"] });
    const zero = p.run("zero", { command: ["true"] });
    const killed = p.run("killed", { command: ["sh", "-c", "sleep 60 & kill -USR1 $!; wait $!"] });
    const states = [];
    for (const [c, code, reason] of [[seven, 7, "Error"], [zero, 0, "Completed"], [killed, 138, "Error"]] as const) {
      const s = await c.waitState("CONTAINER_EXITED");
      expect({ exitCode: s.exitCode ?? 0, reason: s.reason }).toEqual({ exitCode: code, reason });
      states.push(`${c.name}: ${s.exitCode ?? 0} ${s.reason}`);
    }
    expect(seven.logs()).toContain("bye");
    return states.join("\n");
  });

  scenario("stop: a workload that honours SIGTERM exits before the grace period", async (_rt, pod) => {
    const c = pod().run("c", { command: ["sh", "-c", "trap 'echo got-TERM; exit 0' TERM; echo started; sleep 3600 & wait"] });
    await c.waitLog("started");
    const ms = c.stop(30);
    expect(ms).toBeLessThan(20_000);
    const s = c.status();
    expect({ state: s.state, exitCode: s.exitCode ?? 0, reason: s.reason }).toEqual({ state: "CONTAINER_EXITED", exitCode: 0, reason: "Completed" });
    expect(c.logs()).toContain("got-TERM");
    c.rm();
    return `${s.exitCode ?? 0} ${s.reason}`;
  });

  scenario("stop: a workload that ignores SIGTERM is killed at the grace period", async (_rt, pod) => {
    const c = pod().run("c", { command: ["sh", "-c", "trap '' TERM; echo started; while :; do sleep 1; done"] });
    await c.waitLog("started");
    const ms = c.stop(2);
    expect(ms).toBeGreaterThanOrEqual(2_000);
    expect(ms).toBeLessThan(30_000);
    const s = c.status();
    expect({ state: s.state, exitCode: s.exitCode, reason: s.reason }).toEqual({ state: "CONTAINER_EXITED", exitCode: 137, reason: "Error" });
    c.rm();
    return `${s.exitCode} ${s.reason}`;
  });

  scenario("a container removed while running (crictl rm -f), its pod going on", async (_rt, pod) => {
    const p = pod("rm");
    const gone = p.run("gone");
    const stays = p.run("stays");
    gone.rm(true);
    expect(crictlOk(["ps", "-q", "--pod", p.id])).toBe(stays.id);
    expect(stays.sh("echo alive")).toBe("alive");
    return "removed";
  });

  scenario("a container restarted by the kubelet: attempt 1 beside the exited attempt 0, each with its log", async (_rt, pod) => {
    const p = pod("restarts");
    const command = ["sh", "-c", "echo run-$RANDOM-$$; exit 3"];
    const first = p.run("c", { command });
    expect((await first.waitState("CONTAINER_EXITED")).exitCode).toBe(3);
    const second = p.run("c", { command, metadata: { name: "c", attempt: 1 }, log_path: "c/1.log" });
    expect((await second.waitState("CONTAINER_EXITED")).exitCode).toBe(3);
    expect(first.logs()).toMatch(/^run-/);
    expect(second.logs()).toMatch(/^run-/);
    expect(second.logs()).not.toBe(first.logs());
    return "restarted";
  });

  scenario("stats: the container's CPU use, from its cgroup", async (_rt, pod) => {
    const c = pod().run("c", { command: ["sh", "-c", "trap 'exit 0' TERM; i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 3600 & wait"] });
    let cpu = 0;
    const deadline = Date.now() + 30_000;
    while (cpu === 0 && Date.now() < deadline) {
      const stats = JSON.parse(crictlOk(["stats", "-o", "json", "--id", c.id])).stats;
      expect(stats).toHaveLength(1);
      expect(stats[0].attributes.id).toBe(c.id);
      cpu = Number(stats[0].cpu?.usageCoreNanoSeconds?.value ?? 0);
      if (!cpu) await Bun.sleep(200);
    }
    expect(cpu).toBeGreaterThan(0);
    return "cpu seen";
  });
});
