import { afterAll, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initExecFailure, logSize, lxcErrorsSince } from "../../src/lxc/log-errors";

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
