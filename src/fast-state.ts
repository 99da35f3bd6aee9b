// `crio-lxc [global flags] state ID`, which CRI-O calls all the time, answered
// straight from the state file without the CLI machinery (citty and the
// node:util it loads, the command modules). Only a command line the normal
// path accepts, and a call it would answer without a word in the log, is
// served here; anything else (help, other flags, a bad or unknown setting, a
// missing container) goes the normal way (cli.ts), which says what is wrong.
import type { ArgsDef } from "citty";
import { globalArgs } from "./cli-args";
import { loadSettings, settingFlagsFromArgs } from "./settings";
import { StateStore, ociState, statusOf, validateId } from "./state";
import { writeOut } from "./sys";

export interface StateCall { globals: Record<string, string | boolean>; id: string }

/** `--name value`, `--name=value` and bare boolean flags, each once, then `state ID`; undefined for anything else. */
export function parseStateCall(argv: string[]): StateCall | undefined {
  const globals: Record<string, string | boolean> = {};
  let i = 0;
  for (; argv[i]?.startsWith("--"); i++) {
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
  if (argv[i] !== "state" || argv.length !== i + 2 || argv[i + 1]!.startsWith("-")) return undefined;
  return { globals, id: argv[i + 1]! };
}

/** Prints the OCI state and returns true, or returns false having done nothing. */
export function serveState(argv: string[]): boolean {
  const call = parseStateCall(argv);
  const format = call?.globals["log-format"];
  if (!call || (format !== undefined && format !== "json" && format !== "text")) return false;
  let text: string;
  try {
    const { settings, warnings } = loadSettings(settingFlagsFromArgs(call.globals));
    if (warnings.length) return false; // they belong in the log: the normal path writes them
    const record = new StateStore(settings.root).load(validateId(call.id));
    text = `${JSON.stringify(ociState(record, statusOf(record)), null, 2)}\n`;
  } catch {
    return false;
  }
  writeOut(1, text);
  return true;
}
