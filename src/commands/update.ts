import type { ArgsDef } from "citty";
import { defineCommand } from "./define";
import { SpecError } from "../oci/errors";
import { RuntimeError, type RuntimeContext } from "../runtime/context";
import { updateContainer } from "../runtime/update";
import { RDT_FLAGS, UPDATE_FLAGS, asFlagError, readResourcesFile, resourcesFromFlags, type UpdateFlag } from "../runtime/update-flags";
import { validateId } from "../state";

const flagArgs = Object.fromEntries(Object.entries(UPDATE_FLAGS).map(([flag, { help }]) => [flag, {
  type: "string", description: help, ...(flag === "cpu-share" ? { alias: "cpu-shares" } : {}),
}])) as ArgsDef;

export default defineCommand({
  meta: { name: "update", description: "change the resource limits of a container" },
  args: {
    id: { type: "positional", description: "container id", required: true },
    resources: { type: "string", alias: "r", description: "LinuxResources JSON file to apply, - for stdin" },
    ...flagArgs,
    ...Object.fromEntries(RDT_FLAGS.map((flag) => [flag, { type: "string", description: "Intel RDT (refused: not supported)" }])),
  },
  run({ args, data }) {
    const ctx = data as RuntimeContext;
    ctx.log = ctx.log.with({ cid: args.id });
    const given = Object.keys(UPDATE_FLAGS).filter((flag) => args[flag] !== undefined) as UpdateFlag[];
    const rdt = RDT_FLAGS.find((flag) => args[flag] !== undefined);
    if (rdt) throw new RuntimeError(`--${rdt}: Intel RDT is not supported by crio-lxc`);
    if (args.resources !== undefined && given.length) throw new RuntimeError(`--resources can't be combined with --${given[0]}`);
    if (args.resources === undefined && !given.length) throw new RuntimeError("nothing to update: give --resources FILE or a flag such as --memory");
    const resources = args.resources !== undefined
      ? readResourcesFile(args.resources)
      : resourcesFromFlags(Object.fromEntries(given.map((flag) => [flag, String(args[flag])])));
    try {
      updateContainer(ctx, validateId(args.id), resources);
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      // Name where the field came from: the flag, or the file.
      throw args.resources === undefined ? asFlagError(err) : err.inFile(args.resources === "-" ? "stdin" : args.resources);
    }
  },
});
