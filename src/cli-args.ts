// The global flags (runc's, then one per runtime setting) and where the
// subcommand starts: plain data, so the entry point can look at a command line
// without loading the CLI machinery (citty, the commands).
import type { ArgsDef } from "citty";
import { settingDefinitions } from "./settings";

const settingArgs: ArgsDef = Object.fromEntries(
  settingDefinitions.map((d) => [d.flag.replace(/^--/, ""), {
    type: d.type === "boolean" ? "boolean" : "string",
    description: `${d.help} (${d.env}, default ${d.default || '""'})`,
  }]),
) as ArgsDef;

export const globalArgs = {
  log: { type: "string", description: "write errors for the caller to this file (as runc does)", valueHint: "file" },
  "log-format": { type: "string", description: "format of --log: text or json", default: "text" },
  debug: { type: "boolean", description: "runtime log level debug" },
  "systemd-cgroup": { type: "boolean", description: "linux.cgroupsPath is in systemd form slice:prefix:name" },
  ...settingArgs,
} as const satisfies ArgsDef;

/** Where the subcommand starts: the first argument that is not a global flag or its value. */
export function splitAtSubcommand(argv: string[]): [string[], string | undefined, string[]] {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("-")) return [argv.slice(0, i), arg, argv.slice(i + 1)];
    const name = arg.replace(/^--?/, "").split("=")[0]!;
    const def = (globalArgs as ArgsDef)[name];
    if (def && def.type !== "boolean" && !arg.includes("=")) i++;
  }
  return [argv, undefined, []];
}

export type GlobalFlags = Record<string, string | boolean>;

/** What parseSimpleArgs gives: flags by name, positionals by name and in `_`, as citty's args. */
export type SimpleArgs = Record<string, string | boolean> & { _: string[] };

/**
 * Arguments of the common shapes (`--name value`, `--name=value`, bare
 * `--flag`, each once; positionals in order) without citty, whose first parse
 * costs a cold process over a millisecond (it loads node:util); undefined for
 * anything else (short or negated flags, `--`, a flag twice, a value that
 * looks like a flag, a missing or extra positional), which citty then parses
 * and reports (cli.ts). Defaults are applied as citty applies them.
 */
export function parseSimpleArgs(argv: readonly string[], def: ArgsDef): SimpleArgs | undefined {
  const args: Record<string, string | boolean> = {};
  const positionals = Object.entries(def).filter(([, d]) => d.type === "positional");
  const given: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("-")) {
      const slot = positionals[given.length];
      if (!slot) return undefined;
      args[slot[0]] = arg;
      given.push(arg);
      continue;
    }
    if (!arg.startsWith("--") || arg === "--") return undefined;
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const flag = def[name];
    if (!flag || flag.type === "positional" || name in args) return undefined;
    if (flag.type === "boolean") {
      if (eq >= 0) return undefined;
      args[name] = true;
      continue;
    }
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || value.startsWith("-")) return undefined;
    args[name] = value;
  }
  for (const [name, d] of Object.entries(def)) {
    if (d.type === "positional" ? d.required !== false && !(name in args) : false) return undefined;
    if (d.type !== "positional" && !(name in args) && d.default !== undefined) args[name] = d.default as string | boolean;
  }
  return Object.assign(args, { _: given });
}

/** The global flags parseSimpleArgs takes; undefined for anything else. */
export function parseGlobalFlags(argv: string[]): GlobalFlags | undefined {
  const args = parseSimpleArgs(argv, globalArgs as ArgsDef);
  if (!args) return undefined;
  const { _: positionals, ...globals } = args;
  return positionals.length ? undefined : globals;
}
