import { defineCommand } from "./define";
import type { RuntimeContext } from "../runtime/context";
import { resumeContainer } from "../runtime/pause";
import { validateId } from "../state";

export default defineCommand({
  meta: { name: "resume", description: "thaw a paused container" },
  args: { id: { type: "positional", description: "container id", required: true } },
  run({ args, data }) {
    const ctx = data as RuntimeContext;
    ctx.log = ctx.log.with({ cid: args.id });
    resumeContainer(ctx, validateId(args.id));
  },
});
