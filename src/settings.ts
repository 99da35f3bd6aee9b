// Every runtime setting, from (highest precedence first) CLI flag, process
// environment, environment file, or built-in default.
import { readRegularFile } from './files';
import { LOG_LEVELS } from './log';
import { TEST_PAUSE_VARIABLE } from './runtime/test-pause';
import { CONTAINER_LOG_LEVELS, LOG_TIMESTAMPS } from './setting-values';
import type { Settings, SettingKey } from './settings-schema';

export const ENV_FILE_VARIABLE = 'CRIO_LXC_ENV_FILE';
export const DEFAULT_ENV_FILE = '/etc/default/crio-lxc';
const SETTING_PREFIX = 'CRIO_LXC_';

/** liblxc's log levels (lxc.log.level). */

// Deprecated keys of the Go crio-lxc, which named separate helper binaries.
const DEPRECATED_KEYS = ['CRIO_LXC_INIT_CMD', 'CRIO_LXC_START_CMD', 'CRIO_LXC_CONTAINER_HOOK'];

export type { Settings, SettingKey } from './settings-schema';

export interface SettingDefinition {
  key: SettingKey;
  /** Environment variable, also the key in the environment file. */
  env: string;
  /** CLI flag, with its leading dashes. */
  flag: string;
  /** Value type as shown to users: path, boolean, duration, string, or the allowed values. */
  type: string;
  /** Default as the user would write it; empty means none. */
  default: string;
  help: string;
}

type DefinitionFields = Omit<SettingDefinition, 'key'>;

const definitionsByKey = {
  root: { env: 'CRIO_LXC_ROOT', flag: '--root', type: 'path', default: '/run/crio-lxc', help: 'state directory' },
  logLevel: {
    env: 'CRIO_LXC_LOG_LEVEL', flag: '--log-level', type: LOG_LEVELS.join('|'), default: 'info',
    help: 'runtime log level (--debug forces at least debug)',
  },
  containerLogLevel: {
    env: 'CRIO_LXC_CONTAINER_LOG_LEVEL', flag: '--container-log-level', type: CONTAINER_LOG_LEVELS.join('|'),
    default: 'warn', help: 'liblxc log level',
  },
  logFile: {
    env: 'CRIO_LXC_LOG_FILE', flag: '--log-file', type: 'path', default: '/var/log/crio-lxc/crio-lxc.log',
    help: 'one log file for runtime and liblxc',
  },
  logTimestamp: {
    env: 'CRIO_LXC_LOG_TIMESTAMP', flag: '--log-timestamp', type: LOG_TIMESTAMPS.join('|'), default: 'lxc',
    help: "format of the log time field (lxc = liblxc's YYYYMMDDhhmmss.mmm, UTC)",
  },
  monitorCgroup: {
    env: 'CRIO_LXC_MONITOR_CGROUP', flag: '--monitor-cgroup', type: 'string', default: 'crio-lxc-monitor',
    help: 'cgroup (relative to the cgroup2 root) of the liblxc monitor while a container is created',
  },
  apparmor: { env: 'CRIO_LXC_APPARMOR', flag: '--apparmor', type: 'boolean', default: 'true', help: 'apply AppArmor profiles' },
  capabilities: {
    env: 'CRIO_LXC_CAPABILITIES', flag: '--capabilities', type: 'boolean', default: 'true', help: 'restrict capabilities',
  },
  cgroupDevices: {
    env: 'CRIO_LXC_CGROUP_DEVICES', flag: '--cgroup-devices', type: 'boolean', default: 'true',
    help: 'restrict device access through the cgroup device controller',
  },
  seccomp: { env: 'CRIO_LXC_SECCOMP', flag: '--seccomp', type: 'boolean', default: 'true', help: 'apply seccomp profiles' },
  liblxc: {
    env: 'CRIO_LXC_LIBLXC', flag: '--liblxc', type: 'auto|embedded|system|path', default: 'auto',
    help: "the liblxc to use: the host's when crio-lxc knows its version, else the embedded one (auto); embedded; system; or a file",
  },
  createTimeout: {
    env: 'CRIO_LXC_CREATE_TIMEOUT', flag: '--create-timeout', type: 'duration', default: '60s',
    help: 'maximum time for create',
  },
  createHook: {
    env: 'CRIO_LXC_CREATE_HOOK', flag: '--create-hook', type: 'path', default: '',
    help: 'program run after the container is created (empty: none)',
  },
  createHookTimeout: {
    env: 'CRIO_LXC_CREATE_HOOK_TIMEOUT', flag: '--create-hook-timeout', type: 'duration', default: '5s',
    help: 'maximum time for the create hook',
  },
  startTimeout: {
    env: 'CRIO_LXC_START_TIMEOUT', flag: '--start-timeout', type: 'duration', default: '30s',
    help: 'maximum time for start',
  },
  killTimeout: {
    env: 'CRIO_LXC_KILL_TIMEOUT', flag: '--kill-timeout', type: 'duration', default: '10s',
    help: 'maximum time for kill',
  },
  deleteTimeout: {
    env: 'CRIO_LXC_DELETE_TIMEOUT', flag: '--delete-timeout', type: 'duration', default: '10s',
    help: 'maximum time for delete',
  },
} satisfies Record<SettingKey, DefinitionFields>;

/**
 * The defaults above as the schema reads them (a unit test checks they agree):
 * a call given no setting needs no validation, and loads no valibot for it.
 */
export const DEFAULT_SETTINGS: Readonly<Settings> = {
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
};

/** Every setting with its variable, flag, default and help, for `--help` and an env template. */
export const settingDefinitions: ReadonlyArray<SettingDefinition> = Object.entries(definitionsByKey).map(
  ([key, fields]) => ({ key: key as SettingKey, ...fields }),
);

export class SettingsError extends Error {
  override name = 'SettingsError';
}

export type SettingFlags = Partial<Record<SettingKey, string | boolean | undefined>> & {
  /** The global `--debug` flag: raises the log level to at least debug. */
  debug?: boolean;
};

/** The setting flags among parsed command-line args (`--log-level` → logLevel); unset and empty ones left out. */
export function settingFlagsFromArgs(args: Record<string, unknown>): SettingFlags {
  const flags: SettingFlags = { debug: args.debug === true };
  for (const d of settingDefinitions) {
    const value = args[d.flag.replace(/^--/, '')];
    if (value !== undefined && value !== '') flags[d.key] = value as string | boolean;
  }
  return flags;
}

export interface EnvFileEntry {
  value: string;
  line: number;
}

const KEY_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses `KEY=VALUE` lines; throws SettingsError naming `file:line` on a malformed line. */
export function parseEnvFile(text: string, file: string): { entries: Map<string, EnvFileEntry> } {
  const entries = new Map<string, EnvFileEntry>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const content = raw.trim();
    if (content === '' || content.startsWith('#')) return;
    const assignment = content.replace(/^export\s+/, '');
    const eq = assignment.indexOf('=');
    if (eq < 0) throw new SettingsError(`${file}:${line}: expected KEY=VALUE, got ${JSON.stringify(content)}`);
    const key = assignment.slice(0, eq).trim();
    if (!KEY_NAME.test(key)) {
      throw new SettingsError(
        `${file}:${line}: invalid variable name ${JSON.stringify(key)}: expected letters, digits and _, not starting with a digit`,
      );
    }
    entries.set(key, { value: unquote(assignment.slice(eq + 1).trim(), `${file}:${line}`, key), line });
  });
  return { entries };
}

function unquote(value: string, where: string, key: string): string {
  const quote = value[0];
  if (quote !== '"' && quote !== "'") return value;
  if (value.length < 2 || !value.endsWith(quote)) {
    throw new SettingsError(`${where}: ${key}: unterminated ${quote === '"' ? 'double' : 'single'} quote in ${JSON.stringify(value)}`);
  }
  return value.slice(1, -1);
}

/** Where a raw value came from, as error and warning messages name it. */
type Origin = { value: string; where: string; isDefault?: boolean };

function readEnvFile(env: Record<string, string | undefined>): { file: string; entries: Map<string, EnvFileEntry> } {
  const file = env[ENV_FILE_VARIABLE] ?? DEFAULT_ENV_FILE;
  if (file === '') return { file, entries: new Map() };
  let text: string;
  try {
    text = readRegularFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { file, entries: new Map() };
    const from = env[ENV_FILE_VARIABLE] === undefined ? 'default environment file' : `environment file (${ENV_FILE_VARIABLE})`;
    throw new SettingsError(`cannot read ${from} ${file}: ${(err as Error).message}`);
  }
  return { file, ...parseEnvFile(text, file) };
}

const knownVariables = new Set(settingDefinitions.map((d) => d.env));

/** Warning for a variable that is not a setting, or undefined if it is one. */
function unknownVariableWarning(name: string, where: string, inFile: boolean): string | undefined {
  if (knownVariables.has(name)) return undefined;
  if (DEPRECATED_KEYS.includes(name)) {
    return `${where}: no longer used: it named a separate helper binary, but crio-lxc runs the container init, monitor and hooks from its own single binary (value ignored)`;
  }
  if (name === ENV_FILE_VARIABLE) return inFile ? `${where}: has no effect inside the environment file (ignored)` : undefined;
  // Read from the process environment only, by runtime/test-pause.ts.
  if (name === TEST_PAUSE_VARIABLE && !inFile) return undefined;
  if (name.startsWith(SETTING_PREFIX)) return `${where}: unknown setting (ignored)`;
  return inFile ? `${where}: not a crio-lxc setting (ignored)` : undefined;
}

function originOf(
  def: SettingDefinition,
  flags: SettingFlags,
  env: Record<string, string | undefined>,
  envFile: { file: string; entries: Map<string, EnvFileEntry> },
): Origin {
  const flagValue = flags[def.key];
  if (flagValue !== undefined) return { value: String(flagValue), where: `flag ${def.flag}` };
  const envValue = env[def.env];
  if (envValue !== undefined) return { value: envValue, where: `environment variable ${def.env}` };
  const entry = envFile.entries.get(def.env);
  if (entry) return { value: entry.value, where: `${envFile.file}:${entry.line}: ${def.env}` };
  return { value: def.default, where: `default of ${def.env}`, isDefault: true };
}

/**
 * Resolves every setting (flag > environment > environment file > default).
 * Throws SettingsError naming file:line, variable or flag of each bad value;
 * unknown and deprecated variables come back as warnings.
 */
export function loadSettings(
  flags: SettingFlags,
  env: Record<string, string | undefined> = process.env,
): { settings: Settings; warnings: string[] } {
  const envFile = readEnvFile(env);
  const warnings: string[] = [];
  for (const [name, entry] of envFile.entries) {
    const warning = unknownVariableWarning(name, `${envFile.file}:${entry.line}: ${name}`, true);
    if (warning) warnings.push(warning);
  }
  for (const name of Object.keys(env)) {
    const warning = name.startsWith(SETTING_PREFIX) && unknownVariableWarning(name, `environment variable ${name}`, false);
    if (warning) warnings.push(warning);
  }

  const origins = new Map(settingDefinitions.map((def) => [def.key, originOf(def, flags, env, envFile)]));
  const settings: Settings = { ...DEFAULT_SETTINGS };
  const given = [...origins].filter(([, origin]) => !origin.isDefault);
  if (given.length) {
    const { validateSettings } = require('./settings-schema') as typeof import('./settings-schema');
    const { values, issues } = validateSettings(Object.fromEntries(given.map(([key, origin]) => [key, origin.value])));
    if (issues.length) {
      throw new SettingsError(issues.map(({ key, message }) => {
        const origin = origins.get(key)!;
        return `${origin.where}: ${message}, got ${JSON.stringify(origin.value)}`;
      }).join('\n'));
    }
    Object.assign(settings, values);
  }
  if (flags.debug && settings.logLevel !== 'trace') settings.logLevel = 'debug';
  return { settings, warnings };
}
