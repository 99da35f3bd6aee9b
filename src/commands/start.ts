import { defineCommand } from "./define";
import type { RuntimeContext } from "../runtime/context";
import { startContainer } from "../runtime/start";
import { validateId } from "../state";

export default defineCommand({
  meta: { name: "start", description: "start the process of a created container" },
  args: { id: { type: "positional", description: "container id", required: true } },
  run({ args, data }) {
    const ctx = data as RuntimeContext;
    ctx.log = ctx.log.with({ cid: args.id });
    startContainer(ctx, validateId(args.id));
  },
});
