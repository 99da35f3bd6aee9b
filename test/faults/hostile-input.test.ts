// Hostile input, generated: malformed config.json and process.json files,
// environment files, flag combinations and container ids. Each call exits
// non-zero within 1 s with a message naming the path (file, file:line, JSON
// path, flag) and leaves nothing behind. (test/integration/invalid-configs
// has 34 more config.json cases, mounts.test.ts the rootfs symlinks.)
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { merge } from "../support/inside";
import { NOTHING_LEFT, processesMatching, settledLeftovers } from "../support/leftovers";
import { Sandbox, becomeSubreaper, busyboxSpec, requireBuilt } from "../support/runtime";

const MARKER = `hi-${process.pid}-`;
// Made at load: the cases below write their input files into it.
const sb = new Sandbox();
const running = `${MARKER}running`;
beforeAll(() => {
  requireBuilt();
  becomeSubreaper();
  const r = sb.run(["create", "--bundle", sb.bundle(busyboxSpec({ args: ["sleep", "600"], cgroupsPath: `/crio-lxc-test/${running}` })), running]);
  if (r.code !== 0 || sb.run(["start", running]).code !== 0) throw new Error(`the running container: ${r.stderr}`);
});
afterAll(() => sb.cleanup());

const REFUSED_WITHIN_MS = 1_000;
let seq = 0;
const newId = () => `${MARKER}${++seq}`;

interface Case {
  what: string;
  /** crio-lxc's arguments after --root; `id` is a fresh container id. */
  args: (id: string) => string[];
  env?: Record<string, string>;
  /** What the message must contain; `id` and the sandbox's paths as the case knows them. */
  names: (id: string) => string;
  code?: number;
}

function dirWith(name: string, make: (path: string) => void): string {
  const dir = join(sb.dir, `input-${++seq}`);
  mkdirSync(dir);
  make(join(dir, name));
  return dir;
}
const fifo = (path: string) => { if (Bun.spawnSync(["mkfifo", path]).exitCode !== 0) throw new Error(`mkfifo ${path}`); };
const garbage = (path: string) => writeFileSync(path, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256)));
const text = (content: string) => (path: string) => writeFileSync(path, content);

// ---- config.json, through create ------------------------------------------------
const configFile = (make: (path: string) => void): Pick<Case, "args" | "names"> => {
  const bundle = dirWith("config.json", make);
  return { args: (id) => ["create", "--bundle", bundle, id], names: () => join(bundle, "config.json") };
};
const spec = (patch: Record<string, unknown>, jsonPath: string): Pick<Case, "args" | "names"> => ({
  args: (id) => ["create", "--bundle", sb.bundle(merge(busyboxSpec({ args: ["true"], cgroupsPath: `/crio-lxc-test/${id}` }), patch)), id],
  names: () => jsonPath,
});

const CONFIG_CASES: Array<[string, Pick<Case, "args" | "names">]> = [
  ["an empty config.json", configFile(text(""))],
  ["config.json: null", configFile(text("null"))],
  ["config.json: an array", configFile(text("[]"))],
  ["config.json: truncated JSON", configFile(text('{"ociVersion": "1.0.2", "process": {'))],
  ["config.json: binary garbage", configFile(garbage)],
  ["config.json: 200000 levels of nesting", configFile(text("[".repeat(200_000) + "]".repeat(200_000)))],
  ["config.json: 17 MB", configFile(text(JSON.stringify({ ociVersion: "1.0.2", annotations: { big: "x".repeat(17 * 1024 * 1024) } })))],
  ["config.json is a directory", configFile((p) => mkdirSync(p))],
  ["config.json is a FIFO (would block for ever)", configFile(fifo)],
  ["config.json links to /dev/zero (never ends)", configFile((p) => symlinkSync("/dev/zero", p))],
  ["config.json links to nowhere", configFile((p) => symlinkSync("/nonexistent/config.json", p))],
  ["no config.json in the bundle", configFile(() => {})],
  ["hostname with a newline (an lxc.conf line)", spec({ hostname: "box\nlxc.hook.pre-start = /bin/false" }, "hostname")],
  ["hostname with a NUL", spec({ hostname: "box\u0000evil" }, "hostname")],
  ["domainname with a control character", spec({ domainname: "ex\u001bample" }, "domainname")],
  ["domainname longer than 64 bytes", spec({ domainname: "d".repeat(65) }, "domainname")],
  ["process.args[0] with a NUL", spec({ process: { args: ["true\u0000rm"] } }, "process.args[0]")],
  ["process.args[2] with a NUL", spec({ process: { args: ["echo", "a", "b\u0000c"] } }, "process.args[2]")],
  ["root.path with a NUL", spec({ root: { path: "/rootfs\u0000/etc" } }, "root.path")],
  ["uid above 2^32-1", spec({ process: { user: { uid: 2 ** 32, gid: 0 } } }, "process.user.uid")],
  ["additionalGids not numbers", spec({ process: { user: { uid: 0, gid: 0, additionalGids: ["wheel"] } } }, "process.user.additionalGids[0]")],
  ["mounts not an array", spec({ mounts: { destination: "/mnt" } }, "mounts")],
  ["mount options not strings", spec({ mounts: [{ destination: "/mnt", type: "tmpfs", source: "tmpfs", options: [1] }] }, "mounts[0].options[0]")],
  ["memory limit as a string", spec({ linux: { resources: { memory: { limit: "1g" } } } }, "linux.resources.memory.limit")],
  ["annotations with a non-string value", spec({ annotations: { a: 1 } }, "annotations.a")],
  ["a hook with a relative path", spec({ hooks: { prestart: [{ path: "bin/true" }] } }, "hooks.prestart[0].path")],
  ["a namespace path that is no namespace", spec({ linux: { namespaces: [{ type: "mount" }, { type: "network", path: "/etc/hostname" }] } }, "linux.namespaces[1].path")],
  ["root.path naming a file", spec({ root: { path: "/etc/hostname" } }, "root.path")],
  ["missing ociVersion", spec({ ociVersion: undefined }, "ociVersion")],
  ["capabilities not a list", spec({ process: { capabilities: { effective: "CAP_KILL" } } }, "process.capabilities.effective")],
];

// ---- process.json, through exec into a running container ----------------------------
const processFile = (make: (path: string) => void, jsonPath = ""): Pick<Case, "args" | "names" | "code"> => {
  const dir = dirWith("process.json", make);
  const file = join(dir, "process.json");
  return { args: () => ["exec", "--process", file, running], names: () => (jsonPath ? `${file}: ${jsonPath}` : file), code: 255 };
};
const processJson = (process: Record<string, unknown>, jsonPath: string) =>
  processFile(text(JSON.stringify({ args: ["true"], cwd: "/", user: { uid: 0, gid: 0 }, ...process })), jsonPath);

const PROCESS_CASES: Array<[string, Pick<Case, "args" | "names" | "code">]> = [
  ["process.json missing", { args: () => ["exec", "--process", join(sb.dir, "no-such-process.json"), running], names: () => join(sb.dir, "no-such-process.json"), code: 255 }],
  ["process.json empty", processFile(text(""))],
  ["process.json truncated", processFile(text('{"args": ["sh"'))],
  ["process.json: null", processFile(text("null"))],
  ["process.json is a FIFO", processFile(fifo)],
  ["process.json links to /dev/zero", processFile((p) => symlinkSync("/dev/zero", p))],
  ["process.json is a directory", processFile((p) => mkdirSync(p))],
  ["process.json: binary garbage", processFile(garbage)],
  ["process.json without args", processJson({ args: undefined }, "args")],
  ["process.json with empty args", processJson({ args: [] }, "args")],
  ["process.json with a relative cwd", processJson({ cwd: "tmp" }, "cwd")],
  ["process.json env entry without =", processJson({ env: ["PATH=/bin", "JUNK"] }, "env[1]")],
  ["process.json negative uid", processJson({ user: { uid: -5, gid: 0 } }, "user.uid")],
  ["process.json unknown capability", processJson({ capabilities: { bounding: ["CAP_TIME_TRAVEL"] } }, "capabilities.bounding[0]")],
  ["process.json unknown rlimit", processJson({ rlimits: [{ type: "RLIMIT_HAPPINESS", soft: 1, hard: 1 }] }, "rlimits[0].type")],
];

// ---- environment files, through state (every command reads them first) ----------------
const envFile = (make: (path: string) => void, line?: number): Pick<Case, "args" | "names" | "env"> => {
  const file = join(dirWith("env", make), "env");
  return { args: () => ["state", running], env: { CRIO_LXC_ENV_FILE: file }, names: () => (line ? `${file}:${line}` : file) };
};

const ENV_CASES: Array<[string, Pick<Case, "args" | "names" | "env">]> = [
  ["a line without =", envFile(text("# settings\nCRIO_LXC_LOG_LEVEL=debug\nJUST_A_WORD\n"), 3)],
  ["a duration that is no duration", envFile(text("CRIO_LXC_CREATE_TIMEOUT=banana\n"), 1)],
  ["a negative duration", envFile(text("\n\nCRIO_LXC_KILL_TIMEOUT=-5s\n"), 3)],
  ["a relative create hook", envFile(text("CRIO_LXC_CREATE_HOOK=hooks/backup.sh\n"), 1)],
  ["an unknown timestamp format", envFile(text("CRIO_LXC_LOG_TIMESTAMP=sundial\n"), 1)],
  ["an unterminated quote", envFile(text('CRIO_LXC_LOG_LEVEL="debug\n'), 1)],
  ["a duration past 596h", envFile(text("CRIO_LXC_START_TIMEOUT=9999h\n"), 1)],
  ["a monitor cgroup with ..", envFile(text("CRIO_LXC_MONITOR_CGROUP=../escape\n"), 1)],
  ["a switch that is not a boolean", envFile(text("CRIO_LXC_SECCOMP=maybe\n"), 1)],
  ["the env file is a directory", envFile((p) => mkdirSync(p))],
  ["the env file is a FIFO", envFile(fifo)],
  ["the env file links to /dev/zero", envFile((p) => symlinkSync("/dev/zero", p))],
  ["the env file is 17 MB", envFile(text(`# ${"x".repeat(17 * 1024 * 1024)}\n`))],
];

// ---- flags and their combinations --------------------------------------------------
const flag = (args: (id: string) => string[], names: string | ((id: string) => string), env?: Record<string, string>): Pick<Case, "args" | "names" | "env"> =>
  ({ args, names: typeof names === "string" ? () => names : names, env });
const validBundle = (id: string, patch: Record<string, unknown> = {}) =>
  sb.bundle(merge(busyboxSpec({ args: ["true"], cgroupsPath: `/crio-lxc-test/${id}` }), patch));

const FLAG_CASES: Array<[string, Pick<Case, "args" | "names" | "env">]> = [
  ["an unknown global flag", flag(() => ["--bogus", "state", running], "--bogus")],
  ["an unknown command", flag(() => ["explode", running], '"explode"')],
  ["an unknown create flag", flag((id) => ["create", "--bundel", validBundle(id), id], "--bundel")],
  ["create without an id", flag((id) => ["create", "--bundle", validBundle(id)], "ID")],
  ["--log-format yaml", flag(() => ["--log-format", "yaml", "state", running], "--log-format")],
  ["--create-timeout banana", flag((id) => ["--create-timeout", "banana", "create", "--bundle", validBundle(id), id], "--create-timeout")],
  ["a relative --root", flag(() => ["--root", "relative/root", "state", running], "--root")],
  ["--pid-file in a missing directory (create is undone)", flag((id) => ["create", "--bundle", validBundle(id), "--pid-file", join(sb.dir, "no/such/dir/pid"), id], () => join(sb.dir, "no/such/dir"))],
  ["--console-socket without process.terminal", flag((id) => ["create", "--bundle", validBundle(id), "--console-socket", join(sb.dir, "sock"), id], "process.terminal")],
  ["--console-socket that does not exist", flag((id) => ["create", "--bundle", validBundle(id, { process: { terminal: true } }), "--console-socket", join(sb.dir, "no-sock"), id], () => join(sb.dir, "no-sock"))],
  ["kill with an unknown signal", flag(() => ["kill", running, "SIGFOO"], "SIGFOO")],
  ["kill with signal 0", flag(() => ["kill", running, "0"], "signal")],
  ["kill with signal 65", flag(() => ["kill", running, "65"], "signal")],
  ["exec --preserve-fds -1", flag(() => ["exec", "--preserve-fds", "-1", running, "true"], "--preserve-fds")],
  ["exec --preserve-fds abc", flag(() => ["exec", "--preserve-fds", "abc", running, "true"], "--preserve-fds")],
  ["exec without a command", flag(() => ["exec", running], "command")],
  ["exec --process and a command", flag(() => ["exec", "--process", join(sb.dir, "p.json"), running, "true"], "--process")],
  ["update --memory banana", flag(() => ["update", "--memory", "banana", running], "--memory")],
  ["update --resources missing file", flag(() => ["update", "--resources", join(sb.dir, "none.json"), running], () => join(sb.dir, "none.json"))],
  ["update --resources with --memory", flag(() => ["update", "--resources", "-", "--memory", "1m", running], "--memory")],
  ["events --interval -5s", flag(() => ["events", "--interval", "-5s", running], "--interval")],
  ["ps --format xml", flag(() => ["ps", "--format", "xml", running], "--format")],
  ["--systemd-cgroup with a cgroupfs path", flag((id) => ["--systemd-cgroup", "create", "--bundle", validBundle(id), id], "linux.cgroupsPath")],
];

// ---- container ids ----------------------------------------------------------------
const ID_CASES: Array<[string, Pick<Case, "args" | "names">]> = [
  ...["a/b", "..", ".", "../../etc", "a..b", "x".repeat(256), "y".repeat(1000), "sp ace", "new\nline", "tab\t", "ünï", "$(id)"].map((bad): [string, Pick<Case, "args" | "names">] =>
    [`id ${JSON.stringify(bad.length > 20 ? `${bad.slice(0, 8)}… (${bad.length})` : bad)}`, { args: (id) => ["create", "--bundle", validBundle(id), "--", bad], names: () => "container id" }]),
  ["state of an id with a slash", { args: () => ["state", "../root"], names: () => "container id" }],
  ["delete of an id with ..", { args: () => ["delete", "--force", ".."], names: () => "container id" }],
];

function runCase(kind: string, what: string, c: Omit<Case, "what">) {
  test(`${kind}: ${what}`, async () => {
    const id = newId();
    const before = readdirSync(sb.root).sort();
    const began = Date.now();
    const r = sb.run(c.args(id), { env: c.env });
    const ms = Date.now() - began;
    expect(r.code).toBe(c.code ?? 1);
    expect(r.stderr).toContain(c.names(id));
    expect(ms).toBeLessThan(REFUSED_WITHIN_MS);
    expect(readdirSync(sb.root).sort()).toEqual(before);
    expect(await settledLeftovers(sb, id, 1_000)).toEqual(NOTHING_LEFT);
  });
}

describe("config.json", () => CONFIG_CASES.forEach(([what, c]) => runCase("config.json", what, c)));
describe("process.json", () => PROCESS_CASES.forEach(([what, c]) => runCase("process.json", what, c)));
describe("environment file", () => ENV_CASES.forEach(([what, c]) => runCase("env file", what, c)));
describe("flags", () => FLAG_CASES.forEach(([what, c]) => runCase("flags", what, c)));
describe("container ids", () => ID_CASES.forEach(([what, c]) => runCase("id", what, c)));

test(`${CONFIG_CASES.length + PROCESS_CASES.length + ENV_CASES.length + FLAG_CASES.length + ID_CASES.length} hostile inputs, and the running container has only its init`, () => {
  expect(CONFIG_CASES.length + PROCESS_CASES.length + ENV_CASES.length + FLAG_CASES.length + ID_CASES.length).toBeGreaterThanOrEqual(50);
  expect(sb.state(running).status).toBe("running");
  expect(processesMatching(running).map((p) => p.cmdline)).toEqual(["sleep 600"]);
});

describe("bundle paths through symlinks (followed, as runc does)", () => {
  test("a bundle directory and a config.json that are symlinks work", () => {
    const id = newId();
    const real = validBundle(id);
    const linkedBundle = join(sb.dir, `${id}-link`);
    symlinkSync(real, linkedBundle);
    expect(sb.run(["create", "--bundle", linkedBundle, id]).code).toBe(0);
    expect(sb.state(id).bundle).toBe(linkedBundle);
    expect(sb.run(["delete", "--force", id]).code).toBe(0);
    const id2 = newId();
    const dir = join(sb.dir, `${id2}-bundle`);
    mkdirSync(dir);
    symlinkSync(join(validBundle(id2), "config.json"), join(dir, "config.json"));
    expect(sb.run(["create", "--bundle", dir, id2]).code).toBe(0);
    const deleted = sb.run(["delete", "--force", id2]);
    expect([deleted.code, deleted.stderr]).toEqual([0, ""]);
  });
});
