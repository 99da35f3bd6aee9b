import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLogger, lxcTimestamp, type LoggerOptions } from '../../src/log';

const dir = mkdtempSync(join(tmpdir(), 'crio-lxc-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const logModule = resolve(import.meta.dir, '../../src/log.ts');

let fileCount = 0;
function newLogFile(): string {
  return join(dir, `logs-${++fileCount}`, 'crio-lxc.log');
}

function logger(overrides: Partial<LoggerOptions> = {}) {
  const file = overrides.file ?? newLogFile();
  return { file, log: createLogger({ file, level: 'trace', timestamp: 'lxc', ...overrides }) };
}

function readLines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

/** Line number of the statement that calls this. */
function thisLine(): number {
  const frame = new Error().stack!.split('\n').filter((l) => l.trimStart().startsWith('at '))[1]!;
  return Number(/:(\d+):\d+\)?$/.exec(frame)![1]);
}

/** Runs `code` in a fresh bun process with `log` bound to src/log.ts. */
function runScript(code: string) {
  const script = `import * as log from ${JSON.stringify(logModule)};\n${code}`;
  const result = Bun.spawnSync([process.execPath, '-e', script], { stdout: 'pipe', stderr: 'pipe' });
  return { exitCode: result.exitCode, stderr: result.stderr.toString() };
}

describe('lxcTimestamp', () => {
  test("formats UTC time like liblxc's log", () => {
    expect(lxcTimestamp(new Date(Date.UTC(2026, 10, 26, 21, 33, 21, 123)))).toBe('20261126213321.123');
    expect(lxcTimestamp(new Date(Date.UTC(2027, 0, 2, 3, 4, 5, 6)))).toBe('20270102030405.006');
  });
});

describe('createLogger', () => {
  test('writes one JSON object per line with the zerolog fields', () => {
    const { file, log } = logger({ cmd: 'create', cid: 'c1' });
    const before = Date.now();
    log.info('container created', { file: '/x/config.json', 'lxc.config': '/run/c1/config' }); const line = thisLine();
    const after = Date.now();

    const [record] = readLines(file);
    expect(record).toMatchObject({
      l: 'info',
      m: 'container created',
      c: `log.test.ts:${line}`,
      cid: 'c1',
      cmd: 'create',
      pid: process.pid,
      file: '/x/config.json',
      'lxc.config': '/run/c1/config',
    });
    const t = record!.t as string;
    expect(t).toMatch(/^\d{14}\.\d{3}$/);
    const [, y, mo, d, h, mi, s, ms] = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)\.(\d{3})$/.exec(t)!.map(Number);
    const loggedAt = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!, ms!);
    expect(loggedAt).toBeGreaterThanOrEqual(before);
    expect(loggedAt).toBeLessThanOrEqual(after);
  });

  test('rfc3339 timestamps are UTC ISO strings', () => {
    const { file, log } = logger({ timestamp: 'rfc3339' });
    log.warn('w');
    const t = readLines(file)[0]!.t as string;
    expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Math.abs(Date.parse(t) - Date.now())).toBeLessThan(5_000);
  });

  test('appends to an existing file, creating parent directories with restricted modes', () => {
    const file = join(dir, 'nested', 'deeper', 'crio-lxc.log');
    createLogger({ file, level: 'info', timestamp: 'lxc' }).info('first');
    createLogger({ file, level: 'info', timestamp: 'lxc' }).info('second');
    expect(readLines(file).map((r) => r.m)).toEqual(['first', 'second']);
    const umask = process.umask();
    expect(statSync(file).mode & 0o777).toBe(0o640 & ~umask);
    expect(statSync(join(dir, 'nested', 'deeper')).mode & 0o777).toBe(0o750 & ~umask);
  });

  test('lines below the level are not written', () => {
    const { file, log } = logger({ level: 'warn' });
    log.trace('t');
    log.debug('d');
    log.info('i');
    expect(existsSync(file)).toBe(false);
    log.warn('w');
    log.error('e');
    expect(readLines(file).map((r) => [r.l, r.m])).toEqual([['warn', 'w'], ['error', 'e']]);
    expect(log.enabled('info')).toBe(false);
    expect(log.enabled('warn')).toBe(true);
  });

  test('every level method reports its own level and call site', () => {
    const { file, log } = logger();
    const start = thisLine();
    log.trace('t');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(readLines(file).map((r) => [r.l, r.c])).toEqual([
      ['trace', `log.test.ts:${start + 1}`],
      ['debug', `log.test.ts:${start + 2}`],
      ['info', `log.test.ts:${start + 3}`],
      ['warn', `log.test.ts:${start + 4}`],
      ['error', `log.test.ts:${start + 5}`],
    ]);
  });

  test('child loggers add fields without changing the parent', () => {
    const { file, log } = logger({ cmd: 'start' });
    const child = log.with({ cid: 'abc' });
    const grandchild = child.with({ bundle: '/b' });
    log.info('parent');
    child.info('child'); const childLine = thisLine();
    grandchild.info('grandchild', { extra: 1 });
    const [parent, childRecord, grandchildRecord] = readLines(file);
    expect(parent).not.toHaveProperty('cid');
    expect(parent).toMatchObject({ cmd: 'start', m: 'parent' });
    expect(childRecord).toMatchObject({ cmd: 'start', cid: 'abc', m: 'child', c: `log.test.ts:${childLine}` });
    expect(grandchildRecord).toMatchObject({ cmd: 'start', cid: 'abc', bundle: '/b', extra: 1 });
  });

  test('core fields cannot be overridden, errors are logged as their message', () => {
    const { file, log } = logger();
    log.error('failed', { l: 'info', m: 'other', pid: 1, err: new Error('boom'), env: ['A=1'] });
    expect(readLines(file)[0]).toMatchObject({ l: 'error', m: 'failed', pid: process.pid, err: 'boom', env: ['A=1'] });
  });

  test('unserializable fields still log the message', () => {
    const { file, log } = logger();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    log.info('still here', { circular });
    const [record] = readLines(file);
    expect(record).toMatchObject({ l: 'info', m: 'still here' });
    expect(record!.logErr).toContain('fields not logged');
  });

  test('an unwritable log file never throws and falls back to stderr once', () => {
    const blocker = join(dir, 'not-a-directory');
    writeFileSync(blocker, '');
    const { exitCode, stderr } = runScript(`
      const l = log.createLogger({ file: ${JSON.stringify(join(blocker, 'crio-lxc.log'))}, level: 'info', timestamp: 'lxc' });
      l.info('one');
      l.error('two');
    `);
    expect(exitCode).toBe(0);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toStartWith(`crio-lxc: cannot write log file ${join(blocker, 'crio-lxc.log')}: `);
    expect(lines[0]).toEndWith('logging to stderr instead');
    expect(JSON.parse(lines[1]!)).toMatchObject({ l: 'info', m: 'one' });
    expect(JSON.parse(lines[2]!)).toMatchObject({ l: 'error', m: 'two' });
  });
});

describe('reportClientError', () => {
  test('json: the --log file holds exactly one object, and stderr the text', () => {
    const logPath = join(dir, 'client.json');
    writeFileSync(logPath, 'old content that must go away\n'.repeat(10));
    const before = Date.now();
    const { stderr } = runScript(
      `log.reportClientError('container "c1" not found in /run/crio-lxc', { logPath: ${JSON.stringify(logPath)}, logFormat: 'json' });`,
    );
    const content = readFileSync(logPath, 'utf8');
    expect(content.endsWith('\n')).toBe(true);
    expect(content.trimEnd().split('\n')).toHaveLength(1);
    const record = JSON.parse(content);
    expect(Object.keys(record).sort()).toEqual(['level', 'msg', 'time']);
    expect(record.level).toBe('error');
    expect(record.msg).toBe('container "c1" not found in /run/crio-lxc');
    expect(record.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(record.time)).toBeGreaterThanOrEqual(before - 1);
    expect(stderr).toBe('container "c1" not found in /run/crio-lxc\n');
  });

  test('text: one logrus-style line', () => {
    const logPath = join(dir, 'client.txt');
    const { stderr } = runScript(
      `log.reportClientError('bad "quote"\\nnext', { logPath: ${JSON.stringify(logPath)}, logFormat: 'text' });`,
    );
    const content = readFileSync(logPath, 'utf8');
    expect(content).toMatch(/^time="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z" level=error msg="bad \\"quote\\"\\nnext"\n$/);
    expect(stderr).toBe('bad "quote"\nnext\n');
  });

  test('without --log only stderr is written; an unwritable --log is reported, not thrown', () => {
    expect(runScript(`log.reportClientError('just stderr', { logFormat: 'json' });`).stderr).toBe('just stderr\n');
    const bad = join(dir, 'missing-dir', 'log.json');
    const { exitCode, stderr } = runScript(
      `log.reportClientError('oops', { logPath: ${JSON.stringify(bad)}, logFormat: 'json' });`,
    );
    expect(exitCode).toBe(0);
    expect(stderr).toStartWith(`oops\ncrio-lxc: cannot write error to --log ${bad}: `);
  });
});
