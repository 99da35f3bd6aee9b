// check, features and env-template through dist/crio-lxc. check is run in
// the view the tests run in (scripts/cgroup2-lane: pure cgroup2) and in the
// host's layout (this machine: hybrid), which a private mount namespace shows
// once the lane's cgroup2 mount is taken off /sys/fs/cgroup.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { runtimeFeatures } from "../../src/translate/features";
import { envTemplate } from "../../src/ops/env-template";
import { join } from "node:path";
import { BIN, REPO, Sandbox, requireBuilt } from "../support/runtime";

let sb: Sandbox;
beforeAll(() => { requireBuilt(); sb = new Sandbox(); });
afterAll(() => sb.cleanup());

const ALL_CHECKS = ["env-file", "cgroup2", "cgroup-controllers", "cgroup-files", "kernel", "liblxc", "lxc-config-items", "seccomp", "apparmor", "ptrace"];
const hereUnified = existsSync("/sys/fs/cgroup/cgroup.controllers");
/** In scripts/cgroup2-lane: a cgroup2 mount on top of the host's /sys/fs/cgroup. */
const inLane = hereUnified && readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => l.split(" ")[4] === "/sys/fs/cgroup").length > 1;
const hostHybrid = inLane || (!hereUnified && existsSync("/sys/fs/cgroup/unified"));
const PURE_VIEW = hereUnified ? [BIN, "check", "--json"] : [join(REPO, "scripts/cgroup2-lane"), BIN, "check", "--json"];
const HOST_VIEW = inLane
  ? ["unshare", "-m", "--propagation", "private", "sh", "-c", 'umount /sys/fs/cgroup && exec "$0" check --json', BIN]
  : [BIN, "check", "--json"];

function checkJson(argv: string[] = [BIN, "check", "--json"], env = sb.env()) {
  const p = Bun.spawnSync(argv, { env, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, report: JSON.parse(p.stdout.toString()) as { ok: boolean; checks: { id: string; status: string; message: string }[] } };
}
const statusOf = (report: ReturnType<typeof checkJson>["report"], id: string) => report.checks.find((c) => c.id === id)?.status;

describe("check", () => {
  test("in a pure cgroup2 view: every check runs, none fails, exit 0", () => {
    const { code, report } = checkJson(PURE_VIEW);
    expect(report.checks.map((c) => c.id)).toEqual(ALL_CHECKS);
    expect(report.checks.filter((c) => c.status === "fail")).toEqual([]);
    expect([code, report.ok]).toEqual([0, true]);
    expect(report.checks.find((c) => c.id === "liblxc")?.message).toMatch(/^\d+\.\d+\.\d+, (system|embedded|path): .* \(mapped: .*liblxc.*\); struct lxc_container layout checked$/);
    expect(statusOf(report, "lxc-config-items")).toBe("ok");
  });

  test.skipIf(!hostHybrid)("in the host's hybrid layout: cgroup2 fails naming the layout, exit 1", () => {
    const { code, report } = checkJson(HOST_VIEW);
    expect([code, report.ok]).toEqual([1, false]);
    const cgroup2 = report.checks.find((c) => c.id === "cgroup2")!;
    expect(cgroup2.status).toBe("fail");
    expect(cgroup2.message).toMatch(/^hybrid layout: cgroup v1 controllers at \/sys\/fs\/cgroup\/\{.*memory.*\}, cgroup v2 only at \/sys\/fs\/cgroup\/unified; /);
    // Checks that need a unified hierarchy are left out; the others still run.
    expect(report.checks.map((c) => c.id)).toEqual(ALL_CHECKS.filter((id) => !id.startsWith("cgroup-")));
    expect(statusOf(report, "liblxc")).toBe("ok");
  });

  test("a malformed env file fails its check (naming file:line), and the other checks still run", () => {
    writeFileSync(sb.envFile, "CRIO_LXC_LOG_LEVEL=debug\nnot a setting\n");
    try {
      const { code, report } = checkJson();
      expect(code).toBe(1);
      expect(report.checks[0]).toEqual({ id: "env-file", status: "fail", message: `${sb.envFile}:2: expected KEY=VALUE, got "not a setting"` });
      expect(statusOf(report, "kernel")).toBe("ok");
    } finally {
      writeFileSync(sb.envFile, "");
    }
  });

  test("unknown variables and switched-off seccomp are warnings, not failures", () => {
    writeFileSync(sb.envFile, "CRIO_LXC_FROB=1\nCRIO_LXC_SECCOMP=false\n");
    try {
      const { report } = checkJson();
      expect(statusOf(report, "env-file")).toBe("warn");
      expect(report.checks[0]!.message).toContain("CRIO_LXC_FROB: unknown setting");
      expect(report.checks.find((c) => c.id === "seccomp")).toMatchObject({ status: "warn", message: expect.stringContaining("CRIO_LXC_SECCOMP=false") });
    } finally {
      writeFileSync(sb.envFile, "");
    }
  });

  test("the report for people: one ✔/⚠/✖ line per check and a verdict, same exit status", () => {
    const r = sb.run(["check"]);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(checkJson().report.checks.length + 1);
    for (const line of lines) expect(line).toMatch(/^[✔⚠✖] \S/);
    expect(lines).toContain("✔ kernel: " + lines.find((l) => l.includes(" kernel: "))!.split(" kernel: ")[1]);
    expect(lines.at(-1)).toMatch(r.code === 0 ? /^✔ this node can run containers with crio-lxc$/ : /^✖ \d+ checks? failed: crio-lxc can't run containers on this node$/);
  });
});

describe("features and env-template", () => {
  test("features prints the translator's features with the loaded liblxc's version", () => {
    const r = sb.run(["features"]);
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout);
    expect(printed).toEqual(runtimeFeatures(undefined, printed.annotations["crio-lxc.liblxc.version"], printed.annotations["crio-lxc.liblxc.source"]));
    expect(printed.annotations["crio-lxc.liblxc.source"]).toMatch(/^(system|embedded|path): /);
    expect(printed.annotations["crio-lxc.liblxc.version"]).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test("env-template prints the template, even when the env file is broken", () => {
    writeFileSync(sb.envFile, "garbage\n");
    try {
      expect(sb.run(["env-template"])).toEqual({ code: 0, stdout: envTemplate(), stderr: "" });
    } finally {
      writeFileSync(sb.envFile, "");
    }
  });
});
