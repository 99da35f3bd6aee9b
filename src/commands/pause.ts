import { defineCommand } from "./define";
import type { RuntimeContext } from "../runtime/context";
import { pauseContainer } from "../runtime/pause";
import { validateId } from "../state";

export default defineCommand({
  meta: { name: "pause", description: "freeze every process of the container (cgroup.freeze)" },
  args: { id: { type: "positional", description: "container id", required: true } },
  run({ args, data }) {
    const ctx = data as RuntimeContext;
    ctx.log = ctx.log.with({ cid: args.id });
    pauseContainer(ctx, validateId(args.id));
  },
});
