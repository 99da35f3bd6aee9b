import { defineCommand } from "citty";
import type { RuntimeContext } from "../runtime/context";
import { createContainer } from "../runtime/create";

/** runc's create flags, which `run` takes too. */
export const createArgs = {
  id: { type: "positional", description: "container id", required: true },
  bundle: { type: "string", alias: "b", description: "path to the bundle directory (default: current directory)" },
  "pid-file": { type: "string", description: "file to write the container init's pid to" },
  "console-socket": { type: "string", description: "unix socket to receive the pty master of a terminal container" },
} as const;

export default defineCommand({
  meta: { name: "create", description: "create a container from a bundle and hold it until start" },
  args: createArgs,
  async run({ args, data }) {
    const ctx = data as RuntimeContext;
    ctx.log = ctx.log.with({ cid: args.id });
    await createContainer(ctx, { id: args.id, bundle: args.bundle, pidFile: args["pid-file"], consoleSocket: args["console-socket"] });
  },
});
