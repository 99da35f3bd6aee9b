import type { ArgsDef } from "citty";
import { defineCommand } from "./define";
import { EXEC_FLAGS, execFlagsEnd, parseExecArgv } from "../exec/options";
import type { RuntimeContext } from "../runtime/context";
import { execInContainer } from "../runtime/exec";

// For --help and the central unknown-flag check; the argv itself is parsed by
// parseExecArgv, which keeps repeated flags and leaves the command's own alone.
const args: ArgsDef = {
  id: { type: "positional", description: "container id", required: false },
  command: { type: "positional", description: "command and arguments (unless --process)", required: false },
  ...Object.fromEntries(Object.entries(EXEC_FLAGS).map(([name, def]) => [name, {
    type: def.kind === "boolean" ? "boolean" : "string",
    description: def.help,
    ...(def.alias ? { alias: def.alias } : {}),
  }])),
};

const command = defineCommand({
  meta: { name: "exec", description: "run a new process inside a created or running container" },
  args,
  run({ rawArgs, data }) {
    const ctx = data as RuntimeContext;
    const opts = parseExecArgv(rawArgs);
    ctx.log = ctx.log.with({ cid: opts.id });
    return execInContainer(ctx, opts).catch((err: Error & { exitCode?: number }) => {
      // As runc: whatever failed once the arguments were read (an unknown container too) is the runtime's 255.
      err.exitCode ??= 255;
      throw err;
    });
  },
});

/** Where exec's own flags end: the rest is the command's; and run reads the whole argv itself (see src/cli.ts). */
export default Object.assign(command, { flagsEnd: execFlagsEnd, parsesOwnArgv: true });
