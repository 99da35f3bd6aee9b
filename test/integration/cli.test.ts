// The CLI contract, the log file, the env file and the create hook, through dist/crio-lxc.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { BIN, Sandbox, becomeSubreaper, busyboxSpec, requireBuilt, waitExit } from "../support/runtime";

let sb: Sandbox;
beforeAll(() => { requireBuilt(); becomeSubreaper(); sb = new Sandbox(); });
afterAll(() => sb.cleanup());

let seq = 0;
const newId = () => `cli-${process.pid}-${++seq}`;
const logLines = () => sb.log().split("\n").filter(Boolean);
const runtimeLines = () => logLines().filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));

describe("command line", () => {
  test("--help is coloured only on a terminal, and never with NO_COLOR", () => {
    const ESC = "\u001b[";
    const piped = Bun.spawnSync([BIN, "--help"], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
    expect(piped.stdout.toString()).toContain("OCI runtime");
    expect(piped.stdout.toString()).not.toContain(ESC);
    expect(Bun.spawnSync([BIN, "create", "--help"]).stdout.toString()).not.toContain(ESC);
    // script(1) gives it a pty, as a user's shell would.
    const onTty = (env: Record<string, string>) => Bun.spawnSync(["script", "-qc", `${BIN} --help`, "/dev/null"], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TERM: "xterm", ...env } }).stdout.toString();
    expect(onTty({})).toContain(ESC);
    expect(onTty({ NO_COLOR: "1" })).not.toContain(ESC);
  });

  test("--version names crio-lxc, the spec and liblxc", () => {
    const r = sb.run(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^crio-lxc version \d+\.\d+\.\d+\nspec: 1\.\d+\.\d+\nliblxc: \d+\.\d+\.\d+ \((system|embedded|path): .+\)\n$/);
  });

  test("--help lists the commands and every CRIO_LXC_* variable", () => {
    const r = sb.run(["--help"]);
    expect(r.code).toBe(0);
    for (const word of ["create", "start", "state", "kill", "delete", "--root", "--log-format", "--systemd-cgroup"]) expect(r.stdout).toContain(word);
    for (const v of ["LOG_LEVEL", "CONTAINER_LOG_LEVEL", "LOG_FILE", "LOG_TIMESTAMP", "MONITOR_CGROUP", "APPARMOR", "CAPABILITIES",
      "CGROUP_DEVICES", "SECCOMP", "CREATE_TIMEOUT", "CREATE_HOOK", "CREATE_HOOK_TIMEOUT", "START_TIMEOUT", "KILL_TIMEOUT", "DELETE_TIMEOUT"]) {
      expect(r.stdout).toContain(`CRIO_LXC_${v} `);
    }
    expect(sb.run(["create", "--help"]).stdout).toContain("--pid-file");
  });

  test("unknown commands and flags fail with a clear message", () => {
    const cmd = sb.run(["frobnicate", "x"]);
    expect([cmd.code, cmd.stderr]).toEqual([1, 'unknown command "frobnicate" (commands: create, start, state, kill, delete, exec, pause, resume, update, events, ps, run, list, spec, features, check, env-template)\n']);
    const flag = sb.run(["state", "--bogus", "x"]);
    expect([flag.code, flag.stderr]).toEqual([1, "crio-lxc state: unknown flag --bogus\n"]);
    const global = sb.run(["--bogus", "state", "x"]);
    expect([global.code, global.stderr]).toEqual([1, "crio-lxc: unknown flag --bogus\n"]);
    expect(sb.run([]).code).toBe(1);
  });

  test("invalid ids are refused before touching the filesystem", () => {
    for (const id of ["../etc", "a/b", ".."]) {
      const r = sb.run(["state", id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("invalid container id");
    }
  });

  test("a .env or bunfig.toml in the working directory changes nothing (Bun's autoloading is off)", () => {
    const cwd = join(sb.dir, "dotenv");
    mkdirSync(cwd);
    writeFileSync(join(cwd, ".env"), "CRIO_LXC_LOG_LEVEL=bogus\nCRIO_LXC_ROOT=relative\n");
    writeFileSync(join(cwd, "bunfig.toml"), "this is not toml\n");
    const r = Bun.spawnSync([BIN, "--root", sb.root, "state", "nothing-here"], { cwd, env: sb.env(), stderr: "pipe" });
    expect([r.exitCode, r.stderr.toString()]).toEqual([1, "container nothing-here does not exist\n"]);
  });

  test("a malformed env file fails the call naming file:line; unknown and deprecated keys are logged warnings", () => {
    writeFileSync(sb.envFile, "# comment\n\nCRIO_LXC_LOG_LEVEL=debug\nnot a setting\n");
    const bad = sb.run(["state", "x"], { env: { CRIO_LXC_LOG_LEVEL: "" } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${sb.envFile}:4`);
    writeFileSync(sb.envFile, "CRIO_LXC_INIT_CMD=/usr/bin/crio-lxc-init\nCRIO_LXC_FROB=1\n");
    sb.run(["delete", "--force", "x"]);
    const warnings = runtimeLines().filter((l) => l.l === "warn").map((l) => l.m).join("\n");
    expect(warnings).toContain("CRIO_LXC_INIT_CMD");
    expect(warnings).toContain("CRIO_LXC_FROB");
    writeFileSync(sb.envFile, "");
  });
});

describe("log file", () => {
  test("runtime lines are zerolog-style JSON next to liblxc's own lines", async () => {
    const id = newId();
    const bundle = sb.bundle(busyboxSpec({ args: ["true"], cgroupsPath: `/crio-lxc-test/${id}` }));
    const pidFile = join(sb.dir, `${id}.pid`);
    expect(sb.run(["create", "--bundle", bundle, "--pid-file", pidFile, id]).code).toBe(0);
    expect(sb.run(["start", id]).code).toBe(0);
    expect(await waitExit(Number(readFileSync(pidFile, "utf8")))).toBe(0);
    expect(sb.run(["delete", id]).code).toBe(0);
    expect(logLines().some((l) => /^lxc \d{14}\.\d{3} (INFO|NOTICE|DEBUG) /.test(l))).toBe(true);
    const mine = runtimeLines().filter((l) => l.cid === id);
    expect(mine.map((l) => l.cmd)).toEqual(expect.arrayContaining(["create", "start", "delete"]));
    for (const line of mine) {
      expect(line.t).toMatch(/^\d{14}\.\d{3}$/);
      expect(line.l).toMatch(/^(trace|debug|info|warn|error)$/);
      expect(line.c).toMatch(/^[\w-]+\.ts:\d+$/);
      expect(line.pid).toBeNumber();
    }
    expect(mine.some((l) => l["lxc.config"])).toBe(true);
  });

  test("state directories are private (0700)", () => {
    const id = newId();
    const bundle = sb.bundle(busyboxSpec({ args: ["sleep", "10"], cgroupsPath: `/crio-lxc-test/${id}` }));
    expect(sb.run(["create", "--bundle", bundle, id]).code).toBe(0);
    expect(statSync(sb.root).mode & 0o777).toBe(0o700);
    expect(statSync(join(sb.root, id)).mode & 0o777).toBe(0o700);
    expect(sb.run(["delete", id]).code).toBe(0);
  });
});

describe("create hook (CRIO_LXC_CREATE_HOOK)", () => {
  function hookScript(body: string): string {
    const file = join(sb.dir, `hook-${++seq}.sh`);
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
    return file;
  }

  test("runs before create returns with the documented environment and stdio nulled", () => {
    const id = newId();
    const out = join(sb.dir, `${id}.hook-env`);
    const hook = hookScript(`fds="$(readlink /proc/$$/fd/0) $(readlink /proc/$$/fd/1) $(readlink /proc/$$/fd/2)"; env > ${out}; echo "fds=$fds" >> ${out}`);
    const bundle = sb.bundle(busyboxSpec({ args: ["sleep", "10"], cgroupsPath: `/crio-lxc-test/${id}` }));
    expect(sb.run(["create", "--bundle", bundle, id], { env: { CRIO_LXC_CREATE_HOOK: hook } }).code).toBe(0);
    const env = readFileSync(out, "utf8");
    for (const [k, v] of Object.entries({ CONTAINER_ID: id, BUNDLE_PATH: bundle, SPEC_PATH: `${bundle}/config.json`, LOG_FILE: sb.logFile, RUNTIME_CMD: "create", LXC_CONFIG: join(sb.root, id, "lxc.conf") })) {
      expect(env).toContain(`\n${k}=${v}\n`);
    }
    expect(env).toMatch(/\nRUNTIME_PATH=\//);
    expect(env).not.toContain("RUNTIME_ERROR=");
    expect(env).toContain("\nfds=/dev/null /dev/null /dev/null\n");
    expect(existsSync(join(sb.root, id, "lxc.conf"))).toBe(true);
    expect(sb.run(["delete", id]).code).toBe(0);
  });

  test("runs when create fails, with RUNTIME_ERROR, and sees the LXC config", () => {
    const id = newId();
    const out = join(sb.dir, `${id}.hook-env`);
    const hook = hookScript(`env > ${out}; cp "$LXC_CONFIG" ${out}.conf`);
    const spec = busyboxSpec({ args: ["true"], cgroupsPath: `/crio-lxc-test/${id}` });
    (spec.mounts as unknown[]).push({ destination: "/mnt", type: "tmpfs", source: "tmpfs", options: ["size=banana"] });
    const r = sb.run(["create", "--bundle", sb.bundle(spec), id], { env: { CRIO_LXC_CREATE_HOOK: hook } });
    expect(r.code).toBe(1);
    expect(readFileSync(out, "utf8")).toContain(`RUNTIME_ERROR=${r.stderr.trim()}`);
    expect(readFileSync(`${out}.conf`, "utf8")).toContain("lxc.rootfs.path = dir:");
  });

  test("is killed after CRIO_LXC_CREATE_HOOK_TIMEOUT and the create still succeeds", () => {
    const id = newId();
    const hook = hookScript("exec sleep 30");
    const bundle = sb.bundle(busyboxSpec({ args: ["sleep", "10"], cgroupsPath: `/crio-lxc-test/${id}` }));
    const started = Date.now();
    const r = sb.run(["create", "--bundle", bundle, id], { env: { CRIO_LXC_CREATE_HOOK: hook, CRIO_LXC_CREATE_HOOK_TIMEOUT: "300ms" } });
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(runtimeLines().some((l) => l.cid === id && l.l === "error" && /CREATE_HOOK_TIMEOUT/.test(l.m))).toBe(true);
    expect(sb.run(["delete", id]).code).toBe(0);
  });
});
