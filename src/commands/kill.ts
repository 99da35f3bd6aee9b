import { defineCommand } from "./define";
import type { RuntimeContext } from "../runtime/context";
import { killContainer } from "../runtime/kill";
import { parseSignal } from "../signals";
import { validateId } from "../state";

export default defineCommand({
  meta: { name: "kill", description: "send a signal (default SIGTERM) to the container's init" },
  args: {
    id: { type: "positional", description: "container id", required: true },
    signal: { type: "positional", description: "signal number or name (9, KILL, SIGKILL)", required: false },
    all: { type: "boolean", alias: "a", description: "signal every process of the container" },
  },
  run({ args, data }) {
    const ctx = data as RuntimeContext;
    ctx.log = ctx.log.with({ cid: args.id });
    killContainer(ctx, validateId(args.id), parseSignal(args.signal), args.all === true);
  },
});
