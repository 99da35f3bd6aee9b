import { defineCommand } from "./define";
import * as v from "valibot";
import { RuntimeError, type RuntimeContext } from "../runtime/context";
import { streamEvents } from "../runtime/events";
import { duration } from "../settings-schema";
import { validateId } from "../state";
import { writeOut } from "../proc";

function intervalMs(text: string): number {
  const result = v.safeParse(duration(), text);
  if (!result.success || result.output <= 0) {
    throw new RuntimeError(`--interval: expected a duration greater than zero like 500ms or 5s, got ${JSON.stringify(text)}`);
  }
  return result.output;
}

export default defineCommand({
  meta: { name: "events", description: "print stats every interval and OOM notifications as JSON lines, as runc does" },
  args: {
    id: { type: "positional", description: "container id", required: true },
    stats: { type: "boolean", description: "print one stats sample and exit" },
    interval: { type: "string", description: "time between stats samples (default 5s)", default: "5s" },
  },
  async run({ args, data }) {
    const ctx = data as RuntimeContext;
    ctx.log = ctx.log.with({ cid: args.id });
    await streamEvents(ctx, validateId(args.id), {
      stats: args.stats === true,
      intervalMs: intervalMs(String(args.interval)),
      write: (line) => writeOut(1, line),
    });
  },
});
