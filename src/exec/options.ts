// exec's command line, parsed the way runc's is: flags first, then the
// container id, then the command and its arguments verbatim (`exec ID sh -c x`
// passes -c to sh). Repeatable flags (--env, --cap, --additional-gids,
// --cgroup) collect every value; citty keeps only the last one, so exec
// parses its own argv.
import { ExecError } from "./errors";

export interface ExecOptions {
  id: string;
  /** The command and its arguments; empty with --process. */
  command: string[];
  processFile?: string;
  cwd?: string;
  env: string[];
  user?: { uid: number; gid?: number };
  additionalGids: number[];
  caps: string[];
  noNewPrivs?: boolean;
  apparmor?: string;
  processLabel?: string;
  preserveFds: number;
  pidFile?: string;
  detach: boolean;
  tty: boolean;
  consoleSocket?: string;
  pidfdSocket?: string;
  cgroup: string[];
  ignorePaused: boolean;
}

type Kind = "string" | "list" | "boolean" | "count" | "gids";

interface FlagDef {
  key: keyof ExecOptions;
  kind: Kind;
  alias?: string;
  help: string;
}

export const EXEC_FLAGS: Readonly<Record<string, FlagDef>> = {
  process: { key: "processFile", kind: "string", alias: "p", help: "path to the process.json (instead of a command)" },
  cwd: { key: "cwd", kind: "string", help: "current working directory in the container" },
  env: { key: "env", kind: "list", alias: "e", help: "set an environment variable KEY=value (repeatable)" },
  user: { key: "user", kind: "string", alias: "u", help: "UID[:GID] to run the process as" },
  "additional-gids": { key: "additionalGids", kind: "gids", alias: "g", help: "additional group id (repeatable)" },
  cap: { key: "caps", kind: "list", alias: "c", help: "add a capability, e.g. CAP_NET_ADMIN (repeatable)" },
  "no-new-privs": { key: "noNewPrivs", kind: "boolean", help: "set no_new_privs for the process" },
  apparmor: { key: "apparmor", kind: "string", help: "AppArmor profile for the process" },
  "process-label": { key: "processLabel", kind: "string", help: "SELinux label (refused: crio-lxc has no SELinux support)" },
  "preserve-fds": { key: "preserveFds", kind: "count", help: "pass N additional fds (3 … 3+N-1) to the process" },
  "pid-file": { key: "pidFile", kind: "string", help: "file to write the process's pid to" },
  detach: { key: "detach", kind: "boolean", alias: "d", help: "return once the process has started; the caller reaps it" },
  tty: { key: "tty", kind: "boolean", alias: "t", help: "allocate a pseudo-terminal in the container" },
  "console-socket": { key: "consoleSocket", kind: "string", help: "unix socket to receive the pty master (with --tty --detach)" },
  "pidfd-socket": { key: "pidfdSocket", kind: "string", help: "unix socket to receive a pidfd of the process (not supported yet)" },
  cgroup: { key: "cgroup", kind: "list", help: "run the process in this existing sub-cgroup of the container's" },
  "ignore-paused": { key: "ignorePaused", kind: "boolean", help: "allow exec into a paused container" },
};

const BY_ALIAS = new Map(Object.entries(EXEC_FLAGS).flatMap(([name, def]) => (def.alias ? [[def.alias, name]] : [])));

function usage(message: string): ExecError {
  return new ExecError(`crio-lxc exec: ${message}`, 1);
}

/** The flag's long name for `--name`, `-name` (Go style) or `-x`; undefined if unknown. */
function flagName(word: string): string | undefined {
  const bare = word.replace(/^--?/, "");
  if (EXEC_FLAGS[bare]) return bare;
  return BY_ALIAS.get(bare);
}

const isFlag = (word: string) => word.startsWith("-") && word !== "-" && word !== "--";

/** Index just past the container id: what follows belongs to the command. */
export function execFlagsEnd(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "--") return i + 2;
    if (!isFlag(word)) return i + 1;
    const name = flagName(word.split("=")[0]!);
    if (name && EXEC_FLAGS[name]!.kind !== "boolean" && !word.includes("=")) i++;
  }
  return argv.length;
}

function parseBoolean(flag: string, value: string | undefined): boolean {
  if (value === undefined || value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw usage(`${flag}: expected true or false, got ${JSON.stringify(value)}`);
}

function parseId(flag: string, text: string, what: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff) throw usage(`${flag}: bad ${what} ${JSON.stringify(text)} (expected a number from 0 to 4294967295)`);
  return Number(text);
}

/** runc's -u: numeric UID[:GID]; names are resolved by the engine, not the runtime. */
function parseUser(text: string): { uid: number; gid?: number } {
  const [uid, gid, ...rest] = text.split(":");
  if (rest.length) throw usage(`--user: expected UID[:GID], got ${JSON.stringify(text)}`);
  return { uid: parseId("--user", uid!, "uid"), ...(gid !== undefined ? { gid: parseId("--user", gid, "gid") } : {}) };
}

function applyFlag(opts: ExecOptions, name: string, def: FlagDef, value: string | undefined): void {
  const flag = `--${name}`;
  const target = opts as unknown as Record<string, unknown>;
  switch (def.kind) {
    case "boolean": target[def.key] = parseBoolean(flag, value); return;
    case "list": (target[def.key] as string[]).push(value!); return;
    case "gids": opts.additionalGids.push(parseId(flag, value!, "gid")); return;
    case "count":
      if (!/^\d+$/.test(value!)) throw usage(`${flag}: expected a number of fds, got ${JSON.stringify(value)}`);
      opts.preserveFds = Number(value);
      return;
    case "string":
      if (name === "user") opts.user = parseUser(value!);
      else target[def.key] = value;
  }
}

export function parseExecArgv(argv: readonly string[]): ExecOptions {
  const opts: ExecOptions = {
    id: "", command: [], env: [], additionalGids: [], caps: [], cgroup: [],
    preserveFds: 0, detach: false, tty: false, ignorePaused: false,
  };
  let i = 0;
  for (; i < argv.length && isFlag(argv[i]!); i++) {
    const word = argv[i]!;
    const eq = word.indexOf("=");
    const name = flagName(eq < 0 ? word : word.slice(0, eq));
    if (!name) throw usage(`unknown flag ${eq < 0 ? word : word.slice(0, eq)}`);
    const def = EXEC_FLAGS[name]!;
    let value = eq < 0 ? undefined : word.slice(eq + 1);
    if (value === undefined && def.kind !== "boolean") {
      if (i + 1 >= argv.length) throw usage(`flag --${name} needs a value`);
      value = argv[++i];
    }
    applyFlag(opts, name, def, value);
  }
  if (argv[i] === "--") i++;
  opts.id = argv[i] ?? "";
  opts.command = argv.slice(i + 1);
  if (opts.command[0] === "--") opts.command.shift();
  if (!opts.id) throw usage("a container id is required");
  return opts;
}
