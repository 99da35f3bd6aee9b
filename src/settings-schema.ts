// The valibot schema of the settings: each setting's winning raw string (flag,
// environment, environment file) in, its value out. Loaded only when some
// setting is given, and each setting's schema is built only when a value of it
// is checked (a cold process pays for each: most calls give only --root and
// the log file). The defaults need no checking (DEFAULT_SETTINGS in
// settings.ts; a unit test runs them through this schema).
import * as v from 'valibot';
import { LOG_LEVELS } from './log';
import { CONTAINER_LOG_LEVELS, LOG_TIMESTAMPS } from './setting-values';

const absolutePath = () => v.pipe(v.string(), v.trim(), v.startsWith('/', 'expected an absolute path'));

const optionalPath = () => v.pipe(
  v.string(),
  v.trim(),
  v.check((p) => p === '' || p.startsWith('/'), 'expected an absolute path, or empty for none'),
);

const cgroupPath = () => v.pipe(
  v.string(),
  v.trim(),
  v.check((p) => !p.split('/').includes('..'), 'expected a cgroup path without ".." components'),
  v.transform((p) => p.replace(/^\/+|\/+$/g, '')),
  v.nonEmpty('expected a cgroup path relative to the cgroup2 root'),
);

const flag = () => v.pipe(
  v.string(),
  v.trim(),
  v.parseBoolean(
    { truthy: ['true', '1', 'yes', 'on'], falsy: ['false', '0', 'no', 'off'] },
    'expected true or false',
  ),
);

const picklistOf = <const T extends readonly [string, ...string[]]>(options: T) => () =>
  v.pipe(v.string(), v.trim(), v.toLowerCase(), v.picklist(options, `expected one of ${options.join(', ')}`));

// setTimeout cannot wait longer than 2^31-1 ms (about 24.8 days).
const MAX_TIMER_MS = 2 ** 31 - 1;
const DURATION = /^(?:\d+|(?:\d+(?:\.\d+)?(?:ms|h|m|s))+)$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a Go-style duration (`1m30s`, `500ms`) or a plain number of seconds. */
function durationMs(text: string): number {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(DURATION_PART)) ms += Number(amount) * UNIT_MS[unit!]!;
  return Math.round(ms);
}

export const duration = () => v.pipe(
  v.string(),
  v.trim(),
  v.regex(DURATION, 'expected a duration like 500ms, 10s, 2m, 1m30s, 1h, or a whole number of seconds'),
  v.transform(durationMs),
  v.maxValue(MAX_TIMER_MS, 'expected a duration of at most 596h'),
);

/** How to build each setting's schema. */
const settingSchemas = {
  root: absolutePath,
  logLevel: picklistOf(LOG_LEVELS),
  containerLogLevel: picklistOf(CONTAINER_LOG_LEVELS),
  logFile: absolutePath,
  logTimestamp: picklistOf(LOG_TIMESTAMPS),
  monitorCgroup: cgroupPath,
  apparmor: flag,
  capabilities: flag,
  cgroupDevices: flag,
  seccomp: flag,
  liblxc: () => v.union([v.picklist(['auto', 'embedded', 'system']), absolutePath()], 'expected auto, embedded, system or an absolute path'),
  createTimeout: duration,
  createHook: optionalPath,
  createHookTimeout: duration,
  startTimeout: duration,
  killTimeout: duration,
  deleteTimeout: duration,
};

export type Settings = { -readonly [K in keyof typeof settingSchemas]: v.InferOutput<ReturnType<(typeof settingSchemas)[K]>> };
export type SettingKey = keyof Settings;

export interface SettingIssue { key: SettingKey; message: string }

/** Checks the given raw values, each on its own; the first issue of each bad one. */
export function validateSettings(raw: Partial<Record<SettingKey, string>>): { values: Partial<Settings>; issues: SettingIssue[] } {
  const values: Record<string, unknown> = {};
  const issues: SettingIssue[] = [];
  for (const [key, text] of Object.entries(raw) as Array<[SettingKey, string]>) {
    const result = v.safeParse(settingSchemas[key](), text, { abortPipeEarly: true });
    if (result.success) values[key] = result.output;
    else issues.push({ key, message: result.issues[0].message });
  }
  return { values: values as Partial<Settings>, issues };
}
