// The command line: runc's global flags (before the subcommand), one flag per
// runtime setting, and the subcommands. citty parses; we add what runc users
// expect of it: global flags only before the subcommand, unknown flags refused,
// errors reported the way conmon/podman read them.
import type { ArgsDef, CommandDef } from "citty";
import { createLogger, reportClientError, type Logger } from "./log";
import { globalArgs, parseGlobalFlags, parseSimpleArgs, splitAtSubcommand } from "./cli-args";
import { loadSettings, settingDefinitions, settingFlagsFromArgs } from "./settings";
import { StateStore } from "./state";
import type { RuntimeContext } from "./runtime/context";
import { VERSION } from "./version";
import { writeOut } from "./proc";

export class UsageError extends Error {}

const subCommands: Record<string, () => Promise<CommandDef<any>>> = {
  create: () => import("./commands/create").then((m) => m.default),
  start: () => import("./commands/start").then((m) => m.default),
  state: () => import("./commands/state").then((m) => m.default),
  kill: () => import("./commands/kill").then((m) => m.default),
  delete: () => import("./commands/delete").then((m) => m.default),
  exec: () => import("./commands/exec").then((m) => m.default),
  pause: () => import("./commands/pause").then((m) => m.default),
  resume: () => import("./commands/resume").then((m) => m.default),
  update: () => import("./commands/update").then((m) => m.default),
  events: () => import("./commands/events").then((m) => m.default),
  ps: () => import("./commands/ps").then((m) => m.default),
  run: () => import("./commands/run").then((m) => m.default),
  list: () => import("./commands/list").then((m) => m.default),
  spec: () => import("./commands/spec").then((m) => m.default),
  features: () => import("./commands/features").then((m) => m.default),
  check: () => import("./commands/check").then((m) => m.default),
  "env-template": () => import("./commands/env-template").then((m) => m.default),
};

export const mainCommand: CommandDef<typeof globalArgs> = {
  meta: { name: "crio-lxc", version: VERSION, description: "OCI runtime built on liblxc, a drop-in replacement for runc under CRI-O and podman" },
  args: globalArgs,
  subCommands,
};

function rejectUnknownFlags(argv: string[], def: ArgsDef, where: string): void {
  const known = new Set<string>(["help", "h"]);
  for (const [name, d] of Object.entries(def)) {
    known.add(name);
    for (const alias of [d.type !== "positional" ? (d as { alias?: string | string[] }).alias : undefined].flat()) if (alias) known.add(alias);
  }
  for (const arg of argv) {
    if (arg === "--") break;
    if (!arg.startsWith("-") || arg === "-") continue;
    const raw = arg.replace(/^--?/, "").split("=")[0]!;
    const name = known.has(raw) ? raw : raw.replace(/^no-/, "");
    if (!known.has(name)) throw new UsageError(`${where}: unknown flag ${arg.split("=")[0]}`);
  }
}

/** `--memory-swap -1` → `--memory-swap=-1`: a negative number is a string flag's value, not a flag. */
function attachNegativeValues(argv: string[], def: ArgsDef): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const flag = /^--([\w-]+)$/.exec(arg)?.[1];
    const takesValue = flag !== undefined && Object.entries(def).some(([name, d]) =>
      d.type === "string" && (name === flag || [(d as { alias?: string | string[] }).alias].flat().includes(flag)));
    if (takesValue && /^-\d/.test(argv[i + 1] ?? "")) out.push(`${arg}=${argv[++i]}`);
    else out.push(arg);
  }
  return out;
}

function environmentHelp(): string {
  const rows = settingDefinitions.map((d) => `  ${d.env.padEnd(30)} ${d.flag.padEnd(24)} default ${d.default || '""'}\n      ${d.help}`);
  return `\nEnvironment (flag > environment > CRIO_LXC_ENV_FILE, default /etc/default/crio-lxc > default):\n${rows.join("\n")}\n`;
}

/** Colour only on a terminal, and never with NO_COLOR (citty colours its usage regardless); loaded on --help only. */
async function plainUnlessTerminal(text: string): Promise<string> {
  const [{ isatty }, { stripVTControlCharacters }] = await Promise.all([import("node:tty"), import("node:util")]);
  return isatty(1) && !process.env.NO_COLOR ? text : stripVTControlCharacters(text);
}

/** citty's code, loaded only when it is needed: it loads node:util (~1 ms). */
const citty = () => import("citty");

async function printUsage(sub?: CommandDef<any>): Promise<void> {
  const { renderUsage } = await citty();
  const usage = sub ? `${await renderUsage(sub, mainCommand as CommandDef<any>)}\n` : `${await renderUsage(mainCommand as CommandDef<any>)}\n${environmentHelp()}`;
  writeOut(1, await plainUnlessTerminal(usage));
}

export async function main(argv: string[]): Promise<number> {
  const [globalArgv, name, subArgv] = splitAtSubcommand(argv);
  const globals: Record<string, unknown> = parseGlobalFlags(globalArgv) ?? (await citty()).parseArgs<typeof globalArgs>(globalArgv, globalArgs);
  const clientLog = { logPath: globals.log as string | undefined, logFormat: (globals["log-format"] === "json" ? "json" : "text") as "json" | "text" };
  let log: Logger | undefined;
  try {
    if (globalArgv.includes("--version") || globalArgv.includes("-v")) {
      const { versionText } = await import("./version");
      writeOut(1, versionText());
      return 0;
    }
    if (!name || globalArgv.includes("--help") || globalArgv.includes("-h")) {
      await printUsage();
      return name || globalArgv.some((a) => a === "--help" || a === "-h") ? 0 : 1;
    }
    rejectUnknownFlags(globalArgv, globalArgs, "crio-lxc");
    if (!["json", "text"].includes(String(globals["log-format"]))) throw new UsageError(`--log-format: expected text or json, got ${JSON.stringify(globals["log-format"])}`);
    const loadCommand = subCommands[name];
    if (!loadCommand) throw new UsageError(`unknown command ${JSON.stringify(name)} (commands: ${Object.keys(subCommands).join(", ")})`);
    const command = await loadCommand();
    // exec's argv ends with a command that has flags of its own (`exec ID sh -c …`).
    const ownEnd = (command as { flagsEnd?: (argv: string[]) => number }).flagsEnd?.(subArgv) ?? subArgv.length;
    const ownArgv = attachNegativeValues(subArgv.slice(0, ownEnd), (command.args ?? {}) as ArgsDef);
    const commandArgv = [...ownArgv, ...subArgv.slice(ownEnd)];
    if (ownArgv.includes("--help") || ownArgv.includes("-h")) {
      await printUsage(command);
      return 0;
    }
    rejectUnknownFlags(ownArgv, (command.args ?? {}) as ArgsDef, `crio-lxc ${name}`);
    // Commands that don't run containers (check, spec…) get the global flags instead: they must work with broken settings.
    const standalone = (command as { standalone?: boolean }).standalone === true;
    const ctx = standalone ? undefined : runtimeContext(globals, name);
    log = ctx?.log;
    const data = ctx ?? { globals };
    // Without citty's parse where it isn't needed (see parseSimpleArgs): exec reads its whole argv itself.
    const parsesOwnArgv = (command as { parsesOwnArgv?: boolean }).parsesOwnArgv === true;
    const args = parsesOwnArgv ? { _: [] } : ownEnd === subArgv.length ? parseSimpleArgs(commandArgv, (command.args ?? {}) as ArgsDef) : undefined;
    const result = args && command.run
      ? await command.run({ rawArgs: commandArgv, args: args as never, data, cmd: command })
      : (await (await citty()).runCommand(command, { rawArgs: commandArgv, data })).result;
    return typeof result === "number" ? result : 0;
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    log?.error(message);
    reportClientError(message, clientLog);
    return (err as { exitCode?: number }).exitCode ?? 1;
  }
}

function runtimeContext(globals: Record<string, unknown>, cmd: string): RuntimeContext {
  const { settings, warnings } = loadSettings(settingFlagsFromArgs(globals));
  const log = createLogger({ file: settings.logFile, level: settings.logLevel, timestamp: settings.logTimestamp, cmd });
  for (const warning of warnings) log.warn(warning);
  return {
    settings, log,
    store: new StateStore(settings.root),
    systemdCgroup: globals["systemd-cgroup"] === true,
    runtimePath: process.execPath,
  };
}
