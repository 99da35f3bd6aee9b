import { defineCommand } from "./define";
import { RuntimeError, type RuntimeContext } from "../runtime/context";
import { listContainers, listTable } from "../runtime/list";
import { writeOut } from "../proc";

export default defineCommand({
  meta: { name: "list", description: "list the containers under --root" },
  args: {
    format: { type: "string", alias: "f", description: "table or json (runc's list JSON)", default: "table" },
    quiet: { type: "boolean", alias: "q", description: "print only the container ids" },
  },
  run({ args, data }) {
    const ctx = data as RuntimeContext;
    if (args.format !== "table" && args.format !== "json") throw new RuntimeError(`--format: expected table or json, got ${JSON.stringify(args.format)}`);
    const containers = listContainers(ctx.store);
    if (args.quiet) return void writeOut(1, containers.map((c) => `${c.id}\n`).join(""));
    writeOut(1, args.format === "json" ? `${JSON.stringify(containers)}\n` : listTable(containers));
  },
});
