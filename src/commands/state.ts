import { defineCommand } from "./define";
import type { RuntimeContext } from "../runtime/context";
import { ociState, statusOf, validateId } from "../state";
import { writeOut } from "../proc";

export default defineCommand({
  meta: { name: "state", description: "print the OCI state of a container as JSON" },
  args: { id: { type: "positional", description: "container id", required: true } },
  run({ args, data }) {
    const ctx = data as RuntimeContext;
    const record = ctx.store.load(validateId(args.id));
    writeOut(1, `${JSON.stringify(ociState(record, statusOf(record)), null, 2)}\n`);
  },
});
