// `crio-lxc [global flags] state ID`, which CRI-O calls all the time, answered
// straight from the state file without the CLI machinery (citty and the
// node:util it loads, the command modules). Only a command line the normal
// path accepts, and a call it would answer without a word in the log, is
// served here; anything else (help, other flags, a bad or unknown setting, a
// missing container) goes the normal way (cli.ts), which says what is wrong.
import { type GlobalFlags, parseGlobalFlags, splitAtSubcommand } from "./cli-args";
import { loadSettings, settingFlagsFromArgs } from "./settings";
import { StateStore, ociState, statusOf, validateId } from "./state";
import { writeOut } from "./proc";

export interface StateCall { globals: GlobalFlags; id: string }

/** Global flags parseGlobalFlags takes, then `state ID`; undefined for anything else. */
export function parseStateCall(argv: string[]): StateCall | undefined {
  const [globalArgv, command, rest] = splitAtSubcommand(argv);
  if (command !== "state" || rest.length !== 1 || rest[0]!.startsWith("-")) return undefined;
  const globals = parseGlobalFlags(globalArgv);
  return globals && { globals, id: rest[0]! };
}

/** Prints the OCI state and returns true, or returns false having done nothing. */
export function serveState(argv: string[]): boolean {
  const call = parseStateCall(argv);
  const format = call?.globals["log-format"];
  if (!call || (format !== "json" && format !== "text")) return false;
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
