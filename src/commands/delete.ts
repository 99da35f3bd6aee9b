import { defineCommand } from "./define";
import type { RuntimeContext } from "../runtime/context";
import { deleteContainer } from "../runtime/delete";
import { validateId } from "../state";

export default defineCommand({
  meta: { name: "delete", description: "delete a container and everything it left behind" },
  args: {
    id: { type: "positional", description: "container id", required: true },
    force: { type: "boolean", alias: "f", description: "kill a running container first" },
  },
  run({ args, data }) {
    const ctx = data as RuntimeContext;
    ctx.log = ctx.log.with({ cid: args.id });
    deleteContainer(ctx, validateId(args.id), args.force === true);
  },
});
