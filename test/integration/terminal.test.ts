// process.terminal through dist/crio-lxc: the pty master arrives on the
// console socket during create, and the container's process has the slave as
// its stdio and controlling terminal once started.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readTerminal, withConsole, writeTerminal } from "../support/console";
import { Sandbox, becomeSubreaper, busyboxSpec, cgroupExists, requireBuilt, waitExit } from "../support/runtime";

let sb: Sandbox;
// A user-namespaced container is set up as its root (host uid 100000), which must reach --root.
beforeAll(() => { requireBuilt(); becomeSubreaper(); sb = new Sandbox(); chmodSync(sb.dir, 0o711); });
afterAll(() => sb.cleanup());

let seq = 0;
const newId = () => `tty-${process.pid}-${++seq}`;

function terminalBundle(id: string, args: string[], process: Record<string, unknown> = { terminal: true }, linux: Record<string, unknown> = {}, mounts: object[] = []) {
  const spec = busyboxSpec({ args, cgroupsPath: `/crio-lxc-test/${id}` });
  Object.assign(spec.process as object, process);
  Object.assign(spec.linux as object, linux);
  (spec.mounts as object[]).push(...mounts);
  return sb.bundle(spec);
}

/** Field 7 of /proc/<pid>/stat: the controlling terminal's device number, 0 without one. */
function controllingTty(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[4]);
}

function expectGone(id: string) {
  expect(existsSync(join(sb.root, id))).toBe(false);
  expect(cgroupExists(`crio-lxc-test/${id}`)).toBe(false);
}

describe("terminal", () => {
  test("create sends the master of the container's console pty; start makes it the controlling terminal", async () => {
    const id = newId();
    const script = "tty; stty size; exec 3</dev/tty && echo ctty=yes; read line; echo got:$line";
    const bundle = terminalBundle(id, ["sh", "-c", script], { terminal: true, consoleSize: { height: 30, width: 100 } });
    await withConsole(sb, bundle, id, async ({ fd, pid, start }) => {
      expect(controllingTty(pid)).toBe(0);
      start();
      writeTerminal(fd, "hello\n");
      expect(readTerminal(fd, /got:hello\r\n/)).toMatch(/^\/dev\/pts\/\d+\r\n30 100\r\nctty=yes\r\nhello\r\ngot:hello\r\n$/);
      expect(await waitExit(pid)).toBe(0);
    });
    expect(sb.run(["delete", id]).code).toBe(0);
    expectGone(id);
  });

  test("a signal typed on the terminal reaches the foreground process", async () => {
    const id = newId();
    const bundle = terminalBundle(id, ["sh", "-c", "trap 'echo interrupted; exit 7' INT; echo ready; while :; do sleep 1; done"]);
    await withConsole(sb, bundle, id, async ({ fd, pid, start }) => {
      start();
      expect(readTerminal(fd, /ready\r\n/)).toContain("ready");
      writeTerminal(fd, "\x03");
      expect(readTerminal(fd, /interrupted/)).toContain("interrupted");
      expect(await waitExit(pid)).toBe(7);
    });
    expect(sb.run(["delete", id]).code).toBe(0);
  });

  test("in a user namespace too", async () => {
    const id = newId();
    const mappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    const namespaces = ["pid", "mount", "ipc", "uts", "network", "user"].map((type) => ({ type }));
    const bundle = terminalBundle(id, ["sh", "-c", "tty; id -u; exec 3</dev/tty && echo ctty=yes"], { terminal: true }, { namespaces, uidMappings: mappings, gidMappings: mappings });
    await withConsole(sb, bundle, id, async ({ fd, pid, start }) => {
      start();
      expect(readTerminal(fd, /ctty=yes\r\n/)).toMatch(/^\/dev\/pts\/\d+\r\n0\r\nctty=yes\r\n$/);
      expect(await waitExit(pid)).toBe(0);
    });
    expect(sb.run(["delete", id]).code).toBe(0);
    expectGone(id);
  });

  test("/dev/ptmx is runc's symlink to pts/ptmx (not liblxc's bind mount) and opens a pty in the console's devpts", async () => {
    const script = "echo ptmx=$(readlink /dev/ptmx) mounts=$(grep -c ' /dev/ptmx ' /proc/self/mountinfo); exec 3<>/dev/ptmx && echo pts=$(ls /dev/pts | tr '\\n' ' ')";
    const devTmpfs = [
      { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
      { destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
    ];
    for (const mounts of [[], devTmpfs]) {
      const id = newId();
      await withConsole(sb, terminalBundle(id, ["sh", "-c", script], { terminal: true }, {}, mounts), id, async ({ fd, pid, start }) => {
        start();
        expect(readTerminal(fd, /pts=.*\r\n/)).toBe("ptmx=pts/ptmx mounts=0\r\npts=0 1 ptmx\r\n");
        expect(await waitExit(pid)).toBe(0);
      });
      expect(sb.run(["delete", id]).code).toBe(0);
    }
  });

  test("terminal: true without --console-socket is refused before anything is set up", () => {
    const id = newId();
    const r = sb.run(["create", "--bundle", terminalBundle(id, ["true"]), id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("process.terminal is true in config.json but no --console-socket was given to receive the pty master\n");
    expectGone(id);
  });

  test("a console socket nobody listens on fails create, naming it, and leaves nothing", () => {
    const id = newId();
    const path = join(sb.dir, "nobody.sock");
    const r = sb.run(["create", "--bundle", terminalBundle(id, ["true"]), "--console-socket", path, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`--console-socket ${path}: connect ${path}: No such file or directory\n`);
    expectGone(id);
  });
});
