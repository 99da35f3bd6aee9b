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

/**
 * The global flags of the common shapes (`--name value`, `--name=value`, bare
 * `--flag`, each once) without citty, whose first parse costs a cold process
 * over a millisecond; undefined for anything else, which citty then parses and
 * reports (cli.ts). `log-format` gets its default as citty gives it.
 */
export function parseGlobalFlags(argv: string[]): GlobalFlags | undefined {
  const globals: GlobalFlags = {};
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i]!.startsWith("--")) return undefined;
    const eq = argv[i]!.indexOf("=");
    const name = argv[i]!.slice(2, eq < 0 ? undefined : eq);
    const def = (globalArgs as ArgsDef)[name];
    if (!def || name in globals) return undefined;
    if (def.type === "boolean") {
      if (eq >= 0) return undefined;
      globals[name] = true;
      continue;
    }
    const value = eq < 0 ? argv[++i] : argv[i]!.slice(eq + 1);
    if (value === undefined || value.startsWith("-")) return undefined;
    globals[name] = value;
  }
  globals["log-format"] ??= globalArgs["log-format"].default;
  return globals;
}
