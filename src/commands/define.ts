// citty's defineCommand is an identity function that types `run`'s args from
// `args`; this is the same, with citty's types only: importing citty's code
// loads node:util (~1 ms per call), which a call needs only when citty parses
// what parseSimpleArgs leaves to it or prints usage (cli.ts loads it then).
import type { ArgsDef, CommandDef } from "citty";

export const defineCommand = <T extends ArgsDef = ArgsDef>(def: CommandDef<T>): CommandDef<T> => def;
