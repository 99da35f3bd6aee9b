// The OCI process an exec runs, as runc builds it: either a process.json
// (--process), or the container's config.json process with the command and
// the flags laid over it.
import { isAbsolute } from "node:path";
import type { Spec } from "../oci/schema";
import type { Process } from "../oci/schema-process";
import { CAPABILITY_NUMBERS } from "./capabilities";
import { ExecError } from "./errors";
import type { ExecOptions } from "./options";

/** The process to run and where it came from, so errors can name the file. */
export interface ExecProcess {
  process: Process;
  /** process.json, or the bundle's config.json. */
  file: string;
  /** JSON path of the process inside `file`: [] for process.json, ["process"] for config.json. */
  at: readonly string[];
  /** What the flags changed, so errors about those name the flag instead of the file. */
  flagged: ReadonlySet<string>;
}

/** Flags runc silently ignores with --process; we refuse them. */
const PROCESS_FLAGS: readonly [keyof ExecOptions, string][] = [
  ["cwd", "--cwd"], ["env", "--env"], ["user", "--user"], ["additionalGids", "--additional-gids"],
  ["caps", "--cap"], ["noNewPrivs", "--no-new-privs"], ["apparmor", "--apparmor"], ["processLabel", "--process-label"],
];

function isGiven(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : value !== undefined;
}

export function execProcess(opts: ExecOptions, spec: Spec, specFile: string): ExecProcess {
  return opts.processFile ? processFromFile(opts, opts.processFile) : processFromFlags(opts, spec, specFile);
}

function processFromFile(opts: ExecOptions, file: string): ExecProcess {
  if (opts.command.length) throw new ExecError(`crio-lxc exec: a command can't be given together with --process ${file}`, 1);
  for (const [key, flag] of PROCESS_FLAGS) {
    if (isGiven(opts[key])) throw new ExecError(`crio-lxc exec: ${flag} can't be combined with --process (set it in ${file})`, 1);
  }
  // valibot and the process schema load only for a process.json: exec's usual argv needs neither (~1 ms).
  const { readJsonFile } = require("../oci/parse") as typeof import("../oci/parse");
  const { parseProcess } = require("../oci/schema-process") as typeof import("../oci/schema-process");
  return { process: parseProcess(readJsonFile(file), file), file, at: [], flagged: new Set() };
}

function processFromFlags(opts: ExecOptions, spec: Spec, specFile: string): ExecProcess {
  if (!opts.command.length) throw new ExecError("crio-lxc exec: a command is required (or --process FILE)", 1);
  if (!spec.process) throw new ExecError(`${specFile}: process: required to take exec's defaults from (or use --process FILE)`);
  const base = structuredClone(spec.process);
  const flagged = new Set<string>();
  // runc: the config's terminal setting is not inherited; only --tty asks for one.
  const process: Process = { ...base, args: opts.command, terminal: opts.tty };
  if (opts.cwd !== undefined) {
    if (!isAbsolute(opts.cwd)) throw new ExecError(`crio-lxc exec: --cwd ${opts.cwd}: expected an absolute path`, 1);
    process.cwd = opts.cwd;
  }
  if (opts.apparmor) { process.apparmorProfile = opts.apparmor; flagged.add("apparmorProfile"); }
  if (opts.processLabel) { process.selinuxLabel = opts.processLabel; flagged.add("selinuxLabel"); }
  if (opts.noNewPrivs !== undefined) process.noNewPrivileges = opts.noNewPrivs;
  process.env = [...(base.env ?? []), ...opts.env.map(checkFlagEnv)];
  process.user = { ...base.user, ...(opts.user ?? {}), additionalGids: [...(base.user.additionalGids ?? []), ...opts.additionalGids] };
  if (opts.caps.length) process.capabilities = withAddedCaps(base.capabilities, opts.caps.map(checkFlagCap));
  return { process, file: specFile, at: ["process"], flagged };
}

function checkFlagEnv(variable: string): string {
  if (!/^[^=]+=/.test(variable)) throw new ExecError(`crio-lxc exec: --env ${JSON.stringify(variable)}: expected KEY=value`, 1);
  return variable;
}

function checkFlagCap(name: string): string {
  const canonical = name.toUpperCase().startsWith("CAP_") ? name.toUpperCase() : `CAP_${name.toUpperCase()}`;
  if (CAPABILITY_NUMBERS[canonical] === undefined) throw new ExecError(`crio-lxc exec: --cap ${name}: unknown capability`, 1);
  return canonical;
}

/**
 * runc's --cap: added to bounding, effective and permitted, and to ambient
 * when the config has an inheritable set. Ambient needs the capability in
 * inheritable too, which runc forgets (its raise then fails with a warning);
 * we add it there so a non-root process really gets it.
 */
function withAddedCaps(caps: Process["capabilities"], added: string[]): Process["capabilities"] {
  if (!caps) return undefined; // no capabilities object: nothing is restricted, every capability is kept
  const plus = (set: string[] | undefined) => [...(set ?? []), ...added];
  const result = { ...caps, bounding: plus(caps.bounding), effective: plus(caps.effective), permitted: plus(caps.permitted) };
  if (caps.inheritable) Object.assign(result, { inheritable: plus(caps.inheritable), ambient: plus(caps.ambient) });
  return result;
}
