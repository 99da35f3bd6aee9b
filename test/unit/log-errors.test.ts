import { afterAll, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { consoleDeniedSince, failedMount, initExecFailure, logSize, lxcErrorsSince } from "../../src/lxc/log-errors";

const dir = mkdtempSync(join(tmpdir(), "crio-lxc-log-errors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("liblxc's ERROR lines since an offset, without their source location; the runtime's own lines skipped", () => {
  const log = join(dir, "log");
  writeFileSync(log, 'lxc 20261127005912.900 ERROR    conf - ../src/lxc/conf.c:mount:1 - an older failure\n');
  const offset = logSize(log);
  appendFileSync(log, [
    'lxc 20261127005912.933 WARN     start - ../src/lxc/start.c:start:1 - a warning',
    '{"l":"error","m":"ours"}',
    'lxc 20261127005912.933 ERROR    start - ../src/lxc/start.c:start:2197 - No such file or directory - Failed to exec "/hosttrue"',
    "",
  ].join("\n"));
  expect(lxcErrorsSince(log, offset)).toEqual(['No such file or directory - Failed to exec "/hosttrue"']);
  expect(lxcErrorsSince(join(dir, "missing"), 0)).toEqual([]);
  expect(logSize(join(dir, "missing"))).toBe(0);
});

test("an init's failed exec in runc's words", () => {
  expect(initExecFailure(["something else", 'No such file or directory - Failed to exec "/hosttrue"'])).toBe('exec: "/hosttrue": no such file or directory');
  expect(initExecFailure(['Permission denied - Failed to exec "/etc/passwd"'])).toBe('exec: "/etc/passwd": permission denied');
  expect(initExecFailure(["Failed to mount"])).toBeUndefined();
});

test("the mount liblxc failed on, with its target inside the container", () => {
  const message = 'No such device - Failed to mount "x" onto "/usr/lib/x86_64-linux-gnu/lxc/rootfs/mnt/data"';
  expect(failedMount(["something else", message])).toEqual({ why: "No such device", target: "/mnt/data" });
  expect(failedMount(["Failed to setup mount entries"])).toBeUndefined();
});

test("a console the container's device rules don't let liblxc open (a warning before the error)", () => {
  const log = join(dir, "console");
  writeFileSync(log, "");
  appendFileSync(log, [
    "lxc 20261206101540.207 WARN     terminal - ../src/lxc/terminal.c:lxc_devpts_terminal:971 - Operation not permitted - Failed to open terminal multiplexer device",
    "lxc 20261206101540.207 ERROR    conf - ../src/lxc/conf.c:lxc_setup_console:2200 - Failed to allocate console from container's devpts instance",
    "",
  ].join("\n"));
  expect(consoleDeniedSince(log, 0)).toBe(true);
  expect(consoleDeniedSince(log, logSize(log))).toBe(false);
});
