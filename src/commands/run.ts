import { defineCommand } from "./define";
import type { RuntimeContext } from "../runtime/context";
import { runContainer } from "../runtime/run";
import { createArgs, createOptions } from "./create";

export default defineCommand({
  meta: { name: "run", description: "create and start a container; in the foreground wait for it, exit with its status and delete it" },
  args: {
    ...createArgs,
    detach: { type: "boolean", alias: "d", description: "return once the container started; the caller reaps and deletes it" },
    keep: { type: "boolean", description: "do not delete the container after it exits (foreground only)" },
  },
  run({ args, data }) {
    const ctx = data as RuntimeContext;
    ctx.log = ctx.log.with({ cid: args.id });
    return runContainer(ctx, {
      ...createOptions(args),
      detach: args.detach === true, keep: args.keep === true,
    });
  },
});
