import { defineCommand } from "./define";
import { RuntimeError, type RuntimeContext } from "../runtime/context";
import { containerPids, psTable } from "../runtime/ps";
import { validateId } from "../state";
import { writeOut } from "../proc";

export default defineCommand({
  meta: { name: "ps", description: "list the processes of a container; ps options go after --" },
  args: {
    id: { type: "positional", description: "container id", required: true },
    format: { type: "string", alias: "f", description: "table (filtered `ps -ef`) or json (a list of pids)", default: "table" },
  },
  run({ args, rawArgs, data }) {
    const ctx = data as RuntimeContext;
    if (args.format !== "table" && args.format !== "json") throw new RuntimeError(`--format: expected table or json, got ${JSON.stringify(args.format)}`);
    const pids = containerPids(ctx, validateId(args.id));
    const psArgs = rawArgs.includes("--") ? rawArgs.slice(rawArgs.indexOf("--") + 1) : [];
    if (args.format === "json" && psArgs.length) throw new RuntimeError("ps options only go with --format table");
    writeOut(1, args.format === "json" ? `${JSON.stringify(pids)}\n` : psTable(pids, psArgs));
  },
});
