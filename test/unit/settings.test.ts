import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SETTINGS, loadSettings, parseEnvFile, settingDefinitions, SettingsError } from '../../src/settings';
import { validateSettings } from '../../src/settings-schema';

const dir = mkdtempSync(join(tmpdir(), 'crio-lxc-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
/** Writes an env file and returns a process environment pointing at it. */
function envWithFile(text: string, extra: Record<string, string> = {}): { file: string; env: Record<string, string> } {
  const file = join(dir, `env-${++fileCount}`);
  writeFileSync(file, text);
  return { file, env: { CRIO_LXC_ENV_FILE: file, ...extra } };
}

const noFile = { CRIO_LXC_ENV_FILE: join(dir, 'does-not-exist') };

function loadError(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError);
    return (err as Error).message;
  }
  throw new Error('expected a SettingsError');
}

describe('defaults', () => {
  test('a missing env file gives the documented defaults and no warnings', () => {
    const { settings, warnings } = loadSettings({}, noFile);
    expect(warnings).toEqual([]);
    expect(settings).toEqual({
      root: '/run/crio-lxc',
      logLevel: 'info',
      containerLogLevel: 'warn',
      logFile: '/var/log/crio-lxc/crio-lxc.log',
      logTimestamp: 'lxc',
      monitorCgroup: 'crio-lxc-monitor',
      apparmor: true,
      capabilities: true,
      cgroupDevices: true,
      seccomp: true,
      liblxc: 'auto',
      createTimeout: 60_000,
      createHook: '',
      createHookTimeout: 5_000,
      startTimeout: 30_000,
      killTimeout: 10_000,
      deleteTimeout: 10_000,
    });
  });

  test('DEFAULT_SETTINGS is what the schema makes of each documented default', () => {
    const { values, issues } = validateSettings(Object.fromEntries(settingDefinitions.map((d) => [d.key, d.default])));
    expect(issues).toEqual([]);
    expect(values).toEqual(DEFAULT_SETTINGS);
  });

  test('every definition has a unique env var and flag, and a help text', () => {
    expect(settingDefinitions).toHaveLength(17);
    expect(new Set(settingDefinitions.map((d) => d.env)).size).toBe(17);
    expect(new Set(settingDefinitions.map((d) => d.flag)).size).toBe(17);
    for (const d of settingDefinitions) {
      expect(d.env).toStartWith('CRIO_LXC_');
      expect(d.flag).toStartWith('--');
      expect(d.help.length).toBeGreaterThan(0);
    }
  });
});

describe('precedence: flag > environment > env file > default', () => {
  const { env } = envWithFile(
    ['CRIO_LXC_ROOT=/file/root', 'CRIO_LXC_SECCOMP=false', 'CRIO_LXC_KILL_TIMEOUT=1m', 'CRIO_LXC_LOG_LEVEL=warn'].join('\n'),
    { CRIO_LXC_SECCOMP: 'on', CRIO_LXC_KILL_TIMEOUT: '2m', CRIO_LXC_LOG_LEVEL: 'error' },
  );

  test('file beats default', () => {
    expect(loadSettings({}, env).settings.root).toBe('/file/root');
  });

  test('environment beats file', () => {
    const { settings } = loadSettings({}, env);
    expect(settings.seccomp).toBe(true);
    expect(settings.killTimeout).toBe(120_000);
    expect(settings.logLevel).toBe('error');
  });

  test('flag beats environment', () => {
    const { settings } = loadSettings(
      { root: '/flag/root', seccomp: false, killTimeout: '500ms', logLevel: 'trace' },
      env,
    );
    expect(settings.root).toBe('/flag/root');
    expect(settings.seccomp).toBe(false);
    expect(settings.killTimeout).toBe(500);
    expect(settings.logLevel).toBe('trace');
  });

  test('file values apply where neither flag nor environment is set', () => {
    const { env: fileOnly } = envWithFile('CRIO_LXC_SECCOMP=no\nCRIO_LXC_APPARMOR=OFF\n');
    const { settings } = loadSettings({ apparmor: 'yes' }, fileOnly);
    expect(settings.seccomp).toBe(false);
    expect(settings.apparmor).toBe(true);
    expect(settings.capabilities).toBe(true);
  });

  test('--debug raises the log level to debug but keeps trace', () => {
    expect(loadSettings({ debug: true }, noFile).settings.logLevel).toBe('debug');
    expect(loadSettings({ debug: true, logLevel: 'error' }, noFile).settings.logLevel).toBe('debug');
    expect(loadSettings({ debug: true, logLevel: 'trace' }, noFile).settings.logLevel).toBe('trace');
  });

  test('undefined flags are ignored', () => {
    expect(loadSettings({ root: undefined }, { ...noFile, CRIO_LXC_ROOT: '/env' }).settings.root).toBe('/env');
  });
});

describe('value parsing', () => {
  test.each([
    ['true', true], ['FALSE', false], ['1', true], ['0', false],
    ['Yes', true], ['no', false], ['on', true], ['Off', false],
  ])('boolean %p', (text, expected) => {
    expect(loadSettings({ cgroupDevices: text }, noFile).settings.cgroupDevices).toBe(expected);
  });

  test.each([
    ['10s', 10_000], ['500ms', 500], ['1m30s', 90_000], ['2m', 120_000],
    ['1h', 3_600_000], ['7', 7_000], ['0', 0], ['1.5s', 1_500], ['1h2m3s4ms', 3_723_004],
  ])('duration %p', (text, ms) => {
    expect(loadSettings({ createTimeout: text }, noFile).settings.createTimeout).toBe(ms);
  });

  test('enums are case-insensitive, paths and cgroups are normalized', () => {
    const { settings } = loadSettings(
      { containerLogLevel: 'NOTICE', logTimestamp: 'rfc3339', createHook: '/usr/bin/hook', monitorCgroup: '/sys/monitor/' },
      noFile,
    );
    expect(settings.containerLogLevel).toBe('notice');
    expect(settings.logTimestamp).toBe('rfc3339');
    expect(settings.createHook).toBe('/usr/bin/hook');
    expect(settings.monitorCgroup).toBe('sys/monitor');
  });
});

describe('bad values name their source', () => {
  test('env file value names file:line and the variable', () => {
    const { file, env } = envWithFile('# settings\n\nCRIO_LXC_SECCOMP=maybe\n');
    expect(loadError(() => loadSettings({}, env))).toBe(`${file}:3: CRIO_LXC_SECCOMP: expected true or false, got "maybe"`);
  });

  test('environment value names the variable', () => {
    expect(loadError(() => loadSettings({}, { ...noFile, CRIO_LXC_SECCOMP: 'maybe' }))).toBe(
      'environment variable CRIO_LXC_SECCOMP: expected true or false, got "maybe"',
    );
  });

  test('flag value names the flag', () => {
    expect(loadError(() => loadSettings({ startTimeout: '5 minutes' }, noFile))).toStartWith(
      'flag --start-timeout: expected a duration',
    );
  });

  test.each([
    [{ killTimeout: '-1s' }, 'flag --kill-timeout: expected a duration'],
    [{ killTimeout: '10x' }, 'flag --kill-timeout: expected a duration'],
    [{ killTimeout: '1000h' }, 'flag --kill-timeout: expected a duration of at most'],
    [{ logLevel: 'verbose' }, 'flag --log-level: expected one of trace, debug, info, warn, error, got "verbose"'],
    [{ root: 'relative/dir' }, 'flag --root: expected an absolute path, got "relative/dir"'],
    [{ createHook: 'hook.sh' }, 'flag --create-hook: expected an absolute path, or empty for none'],
    [{ monitorCgroup: 'a/../b' }, 'flag --monitor-cgroup: expected a cgroup path without ".."'],
    [{ monitorCgroup: '/' }, 'flag --monitor-cgroup: expected a cgroup path relative to the cgroup2 root'],
  ])('%p is rejected', (flags, message) => {
    expect(loadError(() => loadSettings(flags, noFile))).toStartWith(message);
  });

  test('every bad value is reported, one per line', () => {
    const message = loadError(() =>
      loadSettings({ seccomp: 'maybe' }, { ...noFile, CRIO_LXC_DELETE_TIMEOUT: 'soon' }),
    );
    const lines = message.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('flag --seccomp: expected true or false, got "maybe"');
    expect(lines[1]).toStartWith('environment variable CRIO_LXC_DELETE_TIMEOUT: expected a duration');
  });

  test('an overridden bad file value does not matter', () => {
    const { env } = envWithFile('CRIO_LXC_SECCOMP=maybe\n');
    expect(loadSettings({ seccomp: true }, env).settings.seccomp).toBe(true);
  });
});

describe('env file parsing', () => {
  test('comments, blanks, export, quotes, whitespace and CRLF', () => {
    const text = [
      '# comment',
      '',
      '   ',
      '  # indented comment',
      'export CRIO_LXC_ROOT=/a',
      '  CRIO_LXC_LOG_FILE = "/b c/log"  ',
      "CRIO_LXC_CREATE_HOOK='/hook # not a comment'",
      'CRIO_LXC_EMPTY=',
      'CRIO_LXC_QUOTED_EMPTY=""',
      'CRIO_LXC_INNER=a"b\'c',
      'CRIO_LXC_EQ=a=b',
    ].join('\r\n');
    const { entries } = parseEnvFile(text, 'f');
    expect(Object.fromEntries(entries)).toEqual({
      CRIO_LXC_ROOT: { value: '/a', line: 5 },
      CRIO_LXC_LOG_FILE: { value: '/b c/log', line: 6 },
      CRIO_LXC_CREATE_HOOK: { value: '/hook # not a comment', line: 7 },
      CRIO_LXC_EMPTY: { value: '', line: 8 },
      CRIO_LXC_QUOTED_EMPTY: { value: '', line: 9 },
      CRIO_LXC_INNER: { value: 'a"b\'c', line: 10 },
      CRIO_LXC_EQ: { value: 'a=b', line: 11 },
    });
  });

  test('the last assignment of a key wins', () => {
    expect(parseEnvFile('A=1\nA=2\n', 'f').entries.get('A')).toEqual({ value: '2', line: 2 });
  });

  test.each([
    ['CRIO_LXC_ROOT=/a\nfoo\n', '/etc/x:2: expected KEY=VALUE, got "foo"'],
    ['export\n', '/etc/x:1: expected KEY=VALUE, got "export"'],
    ['\n\n1ABC=2\n', '/etc/x:3: invalid variable name "1ABC"'],
    ['CRIO-LXC=1', '/etc/x:1: invalid variable name "CRIO-LXC"'],
    ['=1', '/etc/x:1: invalid variable name ""'],
    ['A="abc\n', '/etc/x:1: A: unterminated double quote'],
    ["A='abc\"\n", '/etc/x:1: A: unterminated single quote'],
    ['A="\n', '/etc/x:1: A: unterminated double quote'],
  ])('malformed %p', (text, message) => {
    let thrown: unknown;
    try {
      parseEnvFile(text, '/etc/x');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(SettingsError);
    expect((thrown as Error).message).toStartWith(message);
  });

  test('loadSettings reports a malformed file with file:line', () => {
    const { file, env } = envWithFile('CRIO_LXC_ROOT=/a\n\nnonsense\n');
    expect(loadError(() => loadSettings({}, env))).toBe(`${file}:3: expected KEY=VALUE, got "nonsense"`);
  });
});

describe('env file location', () => {
  test('CRIO_LXC_ENV_FILE selects the file, and it is read on every call', () => {
    const { file, env } = envWithFile('CRIO_LXC_ROOT=/first\n');
    expect(loadSettings({}, env).settings.root).toBe('/first');
    writeFileSync(file, 'CRIO_LXC_ROOT=/second\n');
    expect(loadSettings({}, env).settings.root).toBe('/second');
  });

  test('an empty CRIO_LXC_ENV_FILE disables the env file', () => {
    expect(loadSettings({}, { CRIO_LXC_ENV_FILE: '' }).settings.root).toBe('/run/crio-lxc');
  });

  test('an unreadable env file is an error naming it', () => {
    expect(loadError(() => loadSettings({}, { CRIO_LXC_ENV_FILE: dir }))).toContain(`cannot read environment file (CRIO_LXC_ENV_FILE) ${dir}`);
  });
});

describe('warnings', () => {
  test('unknown CRIO_LXC_* and foreign keys in the file name file:line', () => {
    const { file, env } = envWithFile('CRIO_LXC_ROOT=/a\nCRIO_LXC_ROOTT=/b\nPATH=/bin\nCRIO_LXC_ENV_FILE=/x\n');
    const { settings, warnings } = loadSettings({}, env);
    expect(settings.root).toBe('/a');
    expect(warnings).toEqual([
      `${file}:2: CRIO_LXC_ROOTT: unknown setting (ignored)`,
      `${file}:3: PATH: not a crio-lxc setting (ignored)`,
      `${file}:4: CRIO_LXC_ENV_FILE: has no effect inside the environment file (ignored)`,
    ]);
  });

  test('unknown CRIO_LXC_* environment variables warn; other variables do not', () => {
    const { warnings } = loadSettings({}, { ...noFile, CRIO_LXC_SECOMP: 'false', HOME: '/root' });
    expect(warnings).toEqual(['environment variable CRIO_LXC_SECOMP: unknown setting (ignored)']);
  });

  test('deprecated Go crio-lxc keys are accepted with a warning', () => {
    const { file, env } = envWithFile('CRIO_LXC_INIT_CMD=/usr/bin/crio-lxc-init\nCRIO_LXC_START_CMD=/x\n', {
      CRIO_LXC_CONTAINER_HOOK: '/usr/bin/crio-lxc-container-hook',
    });
    const { warnings } = loadSettings({}, env);
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toStartWith(`${file}:1: CRIO_LXC_INIT_CMD: no longer used`);
    expect(warnings[1]).toStartWith(`${file}:2: CRIO_LXC_START_CMD: no longer used`);
    expect(warnings[2]).toStartWith('environment variable CRIO_LXC_CONTAINER_HOOK: no longer used');
    for (const warning of warnings) {
      expect(warning).toContain('single binary');
      expect(warning).toEndWith('(value ignored)');
    }
  });
});
