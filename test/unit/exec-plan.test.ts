import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseExecArgv } from "../../src/exec/options";
import { DEFAULT_PATH, type PlanContext, planExec } from "../../src/exec/plan";
import { execProcess } from "../../src/exec/process";
import { parseSpec } from "../../src/oci/schema";

const dir = mkdtempSync(join(tmpdir(), "crio-lxc-exec-plan-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SPEC_FILE = "/bundle/config.json";
const CAP = (n: number) => 1n << BigInt(n);
const [CHOWN, KILL, NET_ADMIN] = [0, 5, 12];

function spec(patch: (s: Record<string, any>) => void = () => {}) {
  const json: Record<string, any> = {
    ociVersion: "1.2.0",
    root: { path: "rootfs" },
    process: {
      user: { uid: 0, gid: 0, umask: 0o27 },
      args: ["sleep", "30"],
      env: ["PATH=/bin:/usr/bin", "TERM=xterm"],
      cwd: "/",
      noNewPrivileges: true,
      capabilities: { bounding: ["CAP_CHOWN", "CAP_KILL"], effective: ["CAP_CHOWN", "CAP_KILL"], permitted: ["CAP_CHOWN", "CAP_KILL"] },
      rlimits: [{ type: "RLIMIT_NOFILE", soft: 100, hard: 200 }],
    },
    linux: { namespaces: [{ type: "mount" }] },
  };
  patch(json);
  return parseSpec(json, SPEC_FILE);
}

const notes: string[] = [];
function context(overrides: Partial<PlanContext> = {}): PlanContext {
  return {
    spec: spec(), specFile: SPEC_FILE,
    features: { capabilities: true, apparmor: true, seccomp: true },
    hostHasAppArmor: false, lastCap: 40,
    homeOf: (uid) => (uid === 0 ? "/root" : undefined),
    note: (m) => notes.push(m),
    ...overrides,
  };
}

function plan(argv: string[], ctx = context()) {
  return planExec(execProcess(parseExecArgv(argv), ctx.spec, SPEC_FILE), ctx);
}

let files = 0;
function processFile(json: unknown): string {
  const file = join(dir, `process-${++files}.json`);
  writeFileSync(file, JSON.stringify(json));
  return file;
}

const errorOf = (fn: () => unknown) => {
  try { fn(); } catch (err) { return (err as Error).message; }
  throw new Error("expected an error");
};

describe("exec with a command: config.json's process, flags laid over it", () => {
  test("defaults come from the container's process", () => {
    const p = plan(["c1", "ls", "-l"]);
    expect(p).toMatchObject({ args: ["ls", "-l"], cwd: "/", uid: 0, gid: 0, groups: [], noNewPrivs: true, umask: 0o27 });
    expect(p.env).toEqual(["PATH=/bin:/usr/bin", "TERM=xterm", "HOME=/root"]);
    expect(p.caps).toEqual({ bounding: CAP(CHOWN) | CAP(KILL), effective: CAP(CHOWN) | CAP(KILL), permitted: CAP(CHOWN) | CAP(KILL), inheritable: 0n, ambient: 0n });
    expect(p.rlimits).toEqual([{ resource: 7, soft: 100n, hard: 200n }]);
    expect(p.searchDirs).toEqual(["/bin", "/usr/bin"]);
  });

  test("--env appends; the last value of a key wins at its last position (runc's prepareEnv)", () => {
    const p = plan(["-e", "TERM=dumb", "-e", "A=1", "-e", "HOME=/h", "c1", "env"]);
    expect(p.env).toEqual(["PATH=/bin:/usr/bin", "TERM=dumb", "A=1", "HOME=/h"]);
    expect(plan(["-e", "HOME=", "c1", "env"]).env.at(-1)).toBe("HOME=/root");
    expect(plan(["-u", "7", "c1", "env"]).env.at(-1)).toBe("HOME=/");
  });

  test("--cwd, --user, --additional-gids, --no-new-privs override", () => {
    const p = plan(["--cwd", "/tmp", "-u", "1000:1001", "-g", "5", "-g", "6", "--no-new-privs=false", "c1", "id"]);
    expect(p).toMatchObject({ cwd: "/tmp", uid: 1000, gid: 1001, groups: [5, 6], noNewPrivs: false });
    expect(plan(["-u", "1000", "c1", "id"])).toMatchObject({ uid: 1000, gid: 0 });
    expect(errorOf(() => plan(["--cwd", "tmp", "c1", "id"]))).toBe("crio-lxc exec: --cwd tmp: expected an absolute path");
  });

  test("--cap adds to bounding, effective and permitted (and ambient + inheritable when there is an inheritable set)", () => {
    const p = plan(["--cap", "CAP_NET_ADMIN", "c1", "ip"]);
    expect(p.caps!.bounding).toBe(CAP(CHOWN) | CAP(KILL) | CAP(NET_ADMIN));
    expect(p.caps!.permitted).toBe(p.caps!.bounding);
    expect(p.caps!.ambient).toBe(0n);
    const withInheritable = context({ spec: spec((s) => { s.process.capabilities.inheritable = []; }) });
    const q = plan(["--cap", "net_admin", "c1", "ip"], withInheritable);
    expect(q.caps!.ambient).toBe(CAP(NET_ADMIN));
    expect(q.caps!.inheritable).toBe(CAP(NET_ADMIN));
    expect(errorOf(() => plan(["--cap", "CAP_BOGUS", "c1", "ip"]))).toBe("crio-lxc exec: --cap CAP_BOGUS: unknown capability");
  });

  test("a program with a slash is not searched; PATH defaults without one; empty entries mean cwd", () => {
    expect(plan(["c1", "/bin/ls"]).searchDirs).toBeUndefined();
    const noPath = context({ spec: spec((s) => { s.process.env = ["TERM=x"]; }) });
    expect(plan(["c1", "ls"], noPath).searchDirs).toEqual(DEFAULT_PATH.split(":"));
    expect(plan(["-e", "PATH=/a::/b", "c1", "ls"]).searchDirs).toEqual(["/a", ".", "/b"]);
  });

  test("the caller's RLIMIT_NOFILE is restored when no rlimit sets it (Bun raised ours)", () => {
    const ctx = context({ spec: spec((s) => { s.process.rlimits = [{ type: "RLIMIT_CORE", soft: 0, hard: 2 ** 64 }]; }), callerNofile: { soft: 1024n, hard: 4096n } });
    expect(plan(["c1", "x"], ctx).rlimits).toEqual([{ resource: 4, soft: 0n, hard: (1n << 64n) - 1n }, { resource: 7, soft: 1024n, hard: 4096n }]);
  });

  test("a terminal only with --tty (the config's process.terminal is not inherited, as in runc)", () => {
    const terminalConfig = context({ spec: spec((s) => { s.process.terminal = true; s.process.consoleSize = { height: 24, width: 80 }; }) });
    expect(plan(["c1", "sh"], terminalConfig).terminal).toBe(false);
    expect(plan(["-t", "c1", "sh"], terminalConfig)).toMatchObject({ terminal: true, consoleSize: { height: 24, width: 80 } });
  });

  test("refusals name the flag", () => {
    expect(errorOf(() => plan(["--process-label", "x", "c1", "sh"]))).toBe("crio-lxc exec: --process-label: SELinux is not supported by crio-lxc");
    expect(errorOf(() => plan(["--apparmor", "p", "c1", "sh"]))).toContain("crio-lxc exec: --apparmor: AppArmor is not enabled on this host");
  });

  test("refusals about the container's process name config.json and the JSON path", () => {
    const badCap = context({ spec: spec((s) => { s.process.capabilities.bounding.push("CAP_NOPE"); }) });
    expect(errorOf(() => plan(["c1", "x"], badCap))).toBe('/bundle/config.json: process.capabilities.bounding[2]: unknown capability "CAP_NOPE"');
    const badRlimit = context({ spec: spec((s) => { s.process.rlimits[0].soft = 300; }) });
    expect(errorOf(() => plan(["c1", "x"], badRlimit))).toBe("/bundle/config.json: process.rlimits[0].soft: soft limit 300 exceeds hard limit 200");
    const apparmor = context({ spec: spec((s) => { s.process.apparmorProfile = "p"; }) });
    expect(errorOf(() => plan(["c1", "x"], apparmor))).toContain("/bundle/config.json: process.apparmorProfile: AppArmor is not enabled on this host");
  });

  test("linux.personality: the persona init got", () => {
    expect(plan(["c1", "x"]).personality).toBeUndefined();
    expect(plan(["c1", "x"], context({ spec: spec((s) => { s.linux.personality = { domain: "LINUX32" }; }) })).personality).toBe(8);
  });

  test("switched-off features are skipped with a note, as create does", () => {
    const off = context({
      spec: spec((s) => { s.process.apparmorProfile = "p"; }),
      features: { capabilities: false, apparmor: false, seccomp: false },
    });
    const p = plan(["c1", "x"], off);
    expect(p.caps).toBeUndefined();
    expect(p.apparmor).toBeUndefined();
    expect(notes.some((n) => n.includes("CRIO_LXC_CAPABILITIES=false"))).toBe(true);
    expect(notes.some((n) => n.includes("CRIO_LXC_APPARMOR=false"))).toBe(true);
  });
});

describe("exec --process FILE", () => {
  const minimal = { user: { uid: 5, gid: 6, additionalGids: [7] }, args: ["id"], cwd: "/tmp", env: ["PATH=/bin"] };

  test("the file is the process; runc's fallbacks to the container: caps, rlimits, AppArmor, umask", () => {
    const p = plan(["-p", processFile(minimal), "c1"]);
    expect(p).toMatchObject({ args: ["id"], cwd: "/tmp", uid: 5, gid: 6, groups: [7], noNewPrivs: false, umask: 0o27 });
    expect(p.env).toEqual(["PATH=/bin", "HOME=/"]);
    expect(p.caps!.bounding).toBe(CAP(CHOWN) | CAP(KILL));
    expect(p.rlimits).toEqual([{ resource: 7, soft: 100n, hard: 200n }]);
  });

  test("the file's own capabilities, all five sets", () => {
    const caps = { bounding: ["CAP_KILL", "CAP_CHOWN"], effective: ["CAP_KILL"], permitted: ["CAP_KILL", "CAP_CHOWN"], inheritable: ["CAP_KILL"], ambient: ["CAP_KILL"] };
    const p = plan(["-p", processFile({ ...minimal, capabilities: caps }), "c1"]);
    expect(p.caps).toEqual({ bounding: CAP(CHOWN) | CAP(KILL), effective: CAP(KILL), permitted: CAP(CHOWN) | CAP(KILL), inheritable: CAP(KILL), ambient: CAP(KILL) });
  });

  test("ambient capabilities outside permitted ∩ inheritable are dropped, not refused (runc spec's defaults, as runc and crun)", () => {
    const ambient = processFile({ ...minimal, capabilities: { bounding: ["CAP_KILL"], permitted: ["CAP_KILL"], ambient: ["CAP_KILL"] } });
    expect(plan(["-p", ambient, "c1"]).caps!.ambient).toBe(0n);
  });

  test("errors name the file and the JSON path", () => {
    const noCwd = processFile({ args: ["x"] });
    expect(errorOf(() => plan(["-p", noCwd, "c1"]))).toBe(`${noCwd}: cwd: required`);
    const effective = processFile({ ...minimal, capabilities: { effective: ["CAP_KILL"] } });
    expect(errorOf(() => plan(["-p", effective, "c1"]))).toBe(`${effective}: capabilities.effective: CAP_KILL not in the permitted set`);
    const scheduler = processFile({ ...minimal, scheduler: { policy: "SCHED_OTHER" } });
    expect(errorOf(() => plan(["-p", scheduler, "c1"]))).toBe(`${scheduler}: scheduler: not supported yet by crio-lxc`);
    const rlimit = processFile({ ...minimal, rlimits: [{ type: "RLIMIT_BOGUS", soft: 1, hard: 1 }] });
    expect(errorOf(() => plan(["-p", rlimit, "c1"]))).toBe(`${rlimit}: rlimits[0].type: unknown resource limit "RLIMIT_BOGUS"`);
    expect(errorOf(() => plan(["-p", join(dir, "missing.json"), "c1"]))).toBe(`${join(dir, "missing.json")}: no such file`);
  });

  test("flags runc would silently ignore next to --process are refused", () => {
    const file = processFile(minimal);
    expect(errorOf(() => plan(["-p", file, "-e", "A=1", "c1"]))).toBe(`crio-lxc exec: --env can't be combined with --process (set it in ${file})`);
    expect(errorOf(() => plan(["-p", file, "c1", "ls"]))).toBe(`crio-lxc exec: a command can't be given together with --process ${file}`);
    expect(errorOf(() => plan(["c1"]))).toBe("crio-lxc exec: a command is required (or --process FILE)");
  });
});
