// OCI hooks run in the runtime's namespaces, the create-phase hold, and fd
// passing: everything that works unprivileged.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, closeSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../../src/log";
import { acceptUnix, connectUnix, listenUnix, recvFd, sendFd } from "../../src/native/unix-socket";
import { loadSettings } from "../../src/settings";
import { StateStore, type ContainerRecord } from "../../src/state";
import type { RuntimeContext } from "../../src/runtime/context";
import { CreatePhase } from "../../src/runtime/create-phase";
import { hasHooks, hookState, runHooks, runHooksWarnOnFailure, type OciHooks } from "../../src/runtime/oci-hooks";
import { checkTerminalRequest } from "../../src/runtime/terminal";
import { run, values } from "./spec-fixtures";

const dir = mkdtempSync(join(tmpdir(), "crio-lxc-unit-hooks-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const logFile = join(dir, "log");
const ctx: RuntimeContext = {
  settings: loadSettings({}, { CRIO_LXC_ENV_FILE: "", CRIO_LXC_LOG_FILE: logFile }).settings,
  log: createLogger({ file: logFile, level: "debug", timestamp: "lxc" }),
  store: new StateStore(join(dir, "root")),
  systemdCgroup: false,
  runtimePath: "/usr/local/bin/crio-lxc",
};

function record(hooks: OciHooks): ContainerRecord {
  return {
    id: "c1", ociVersion: "1.2.0", bundle: "/b", annotations: { k: "v" }, created: "2024-01-01T00:00:00Z",
    cgroupDir: "x", monitorCgroupDir: "y", started: false, hooks,
  };
}

let scripts = 0;
function script(body: string): string {
  const file = join(dir, `hook-${++scripts}.sh`);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

const soon = () => Date.now() + 10_000;

describe("OCI hooks in the runtime's namespaces", () => {
  test("state on stdin; exactly the hook's args and env; hooks in order", () => {
    const out = join(dir, "out-1");
    const hook = script(`{ cat; echo; echo "args=$*"; env | grep -v '^PWD=' | sort; } >> ${out}`);
    runHooks(ctx, record({ poststart: [
      { path: hook, args: ["first", "a b", "c"], env: ["ONLY=this"] },
      { path: hook, args: ["second"] },
    ] }), "poststart", { status: "running", pid: 4242, deadline: soon() });
    const [first, second] = readFileSync(out, "utf8").split(/(?=\{"ociVersion")/);
    expect(first).toBe(`${JSON.stringify({ ociVersion: "1.2.0", id: "c1", status: "running", pid: 4242, bundle: "/b", annotations: { k: "v" } })}\nargs=a b c\nONLY=this\n`);
    expect(second).toContain("\nargs=\n");
    expect(second).not.toContain("ONLY=");
  });

  test("args[0] is the program's argv[0], not its path", () => {
    const out = join(dir, "argv0");
    runHooks(ctx, record({ poststop: [{ path: "/bin/sh", args: ["my-argv0", "-c", `tr '\\0' ' ' </proc/$$/cmdline >${out}`] }] }), "poststop", { status: "stopped", deadline: soon() });
    expect(readFileSync(out, "utf8")).toStartWith("my-argv0 -c ");
  });

  test("a failing hook names itself, its exit status and output, and stops the phase", () => {
    const never = join(dir, "never");
    const hooks = { createRuntime: [{ path: script("echo broken setup >&2; exit 3") }, { path: script(`touch ${never}`) }] };
    expect(() => runHooks(ctx, record(hooks), "createRuntime", { status: "creating", pid: 1, deadline: soon() }))
      .toThrow(/^createRuntime\[0\] hook \/.*hook-\d+\.sh failed: exit status 3: "broken setup"$/);
    expect(() => readFileSync(never)).toThrow();
  });

  test("a hook is killed at its timeout", () => {
    const started = Date.now();
    expect(() => runHooks(ctx, record({ prestart: [{ path: script("echo waiting; exec sleep 30"), timeout: 1 }] }), "prestart", { status: "creating", pid: 1, deadline: soon() }))
      .toThrow(/^prestart\[0\] hook .* killed after its timeout of 1 s: "waiting"$/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test("a missing program says why it could not run", () => {
    expect(() => runHooks(ctx, record({ poststop: [{ path: "/no/such/hook" }] }), "poststop", { status: "stopped", deadline: soon() }))
      .toThrow("poststop[0] hook /no/such/hook could not run: execve: No such file or directory");
  });

  test("poststart/poststop failures are warnings and the remaining hooks still run", () => {
    const ran = join(dir, "ran");
    runHooksWarnOnFailure(ctx, record({ poststop: [{ path: script("exit 1") }, { path: script(`touch ${ran}`) }] }), "poststop", { status: "stopped", deadline: soon() });
    expect(readFileSync(ran, "utf8")).toBe("");
    const warning = readFileSync(logFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)).findLast((l) => l.l === "warn");
    expect(warning.m).toMatch(/^poststop\[0\] hook .* failed: exit status 1$/);
  });

  test("the state of a stopped container has no pid", () => {
    expect(hookState(record({}), "stopped", undefined)).toEqual({ ociVersion: "1.2.0", id: "c1", status: "stopped", bundle: "/b", annotations: { k: "v" } });
  });

  test("hasHooks looks at non-empty phases only", () => {
    expect(hasHooks({ prestart: [], poststop: [{ path: "/x" }] }, "prestart", "createRuntime")).toBe(false);
    expect(hasHooks({ createContainer: [{ path: "/x" }] }, "prestart", "createContainer")).toBe(true);
    expect(hasHooks(undefined, "poststop")).toBe(false);
  });
});

describe("create-phase hold", () => {
  test("only with create-phase hooks; mounts the rootfs on root.path and holds in the last autodev hook (the last mount hook with lxc.autodev off)", () => {
    expect(CreatePhase.prepare(record({ poststop: [{ path: "/x" }] }), dir)).toBeUndefined();
    const phase = CreatePhase.prepare(record({ createContainer: [{ path: "/x" }] }), dir)!;
    try {
      const items = phase.configItems("/b/rootfs", undefined, true);
      expect(items[0]).toEqual(["lxc.rootfs.mount", "/b/rootfs"]);
      expect(items[1]![0]).toBe("lxc.hook.autodev");
      expect(items[1]![1]).toMatch(/^\/bin\/sh -c '.*create-phase \$4.*"\$cmd" = continue.*' '.*'$/);
      expect(phase.configItems("/b/rootfs", undefined, false)[1]![0]).toBe("lxc.hook.mount");
    } finally {
      phase.close();
    }
  });
});

describe("terminal requests", () => {
  test("a terminal needs a console socket, and a size a terminal can have", () => {
    expect(() => checkTerminalRequest(true, undefined)).toThrow("process.terminal is true in config.json but no --console-socket was given");
    expect(() => checkTerminalRequest(true, "/s", { height: 70000, width: 80 })).toThrow(/^process\.consoleSize: /);
    expect(() => checkTerminalRequest(false, undefined)).not.toThrow();
    expect(() => checkTerminalRequest(true, "/s", { height: 24, width: 80 })).not.toThrow();
  });

  test("an fd sent over a unix socket arrives with its name", () => {
    const path = join(dir, "sock");
    const server = listenUnix(path);
    const client = connectUnix(path);
    const file = join(dir, "passed");
    writeFileSync(file, "");
    const fd = require("node:fs").openSync(file, "w");
    sendFd(client, fd, "/dev/ptmx");
    const conn = acceptUnix(server);
    const received = recvFd(conn);
    expect(received.name).toBe("/dev/ptmx");
    require("node:fs").writeSync(received.fd, "through the socket");
    for (const f of [fd, received.fd, conn, client, server]) closeSync(f);
    expect(readFileSync(file, "utf8")).toBe("through the socket");
  });
});

describe("translation", () => {
  const userns = { namespaces: [{ type: "mount" }, { type: "user" }], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] };

  test("hooks make no config items of their own; only a terminal keeps liblxc's console", () => {
    expect(values({ hooks: { poststop: [{ path: "/x" }] } }, "lxc.console.path")).toEqual(["none"]);
    expect(values({ process: { terminal: true } }, "lxc.console.path")).toEqual([]);
  });

  test("with a user namespace the translation says whom liblxc runs its hooks as", () => {
    expect(run({ linux: userns, hooks: { createContainer: [{ path: "/x" }] } }).hookOwner).toEqual({ uid: 1000, gid: 1000 });
    expect(run({ hooks: { createContainer: [{ path: "/x" }] } }).hookOwner).toBeUndefined();
  });
});
