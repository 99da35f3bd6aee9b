import { defineCommand } from "./define";
import type { RuntimeContext } from "../runtime/context";
import { createContainer, preservedFdCount } from "../runtime/create";

/** runc's create flags, which `run` takes too. */
export const createArgs = {
  id: { type: "positional", description: "container id", required: true },
  bundle: { type: "string", alias: "b", description: "path to the bundle directory (default: current directory)" },
  "pid-file": { type: "string", description: "file to write the container init's pid to" },
  "console-socket": { type: "string", description: "unix socket to receive the pty master of a terminal container" },
  "preserve-fds": { type: "string", description: "pass N additional fds (3 … 3+N-1) to the container's process", default: "0" },
  // runc's --no-pivot and --no-new-keyring: citty reads --no-X as X = false.
  pivot: { type: "boolean", default: true, description: "move into the rootfs with pivot_root", negativeDescription: "accepted for runc compatibility; liblxc always uses pivot_root" },
  "new-keyring": { type: "boolean", default: true, description: "give the container a new session keyring", negativeDescription: "keep the caller's session keyring instead of a new one for the container" },
} as const;

/** The create flags as createContainer takes them. */
export function createOptions(args: { id: string; bundle?: string; "pid-file"?: string; "console-socket"?: string; "preserve-fds"?: string; pivot?: boolean; "new-keyring"?: boolean }) {
  return {
    id: args.id, bundle: args.bundle, pidFile: args["pid-file"], consoleSocket: args["console-socket"],
    preserveFds: preservedFdCount(args["preserve-fds"]), noPivot: args.pivot === false, noNewKeyring: args["new-keyring"] === false,
  };
}

export default defineCommand({
  meta: { name: "create", description: "create a container from a bundle and hold it until start" },
  args: createArgs,
  async run({ args, data }) {
    const ctx = data as RuntimeContext;
    ctx.log = ctx.log.with({ cid: args.id });
    await createContainer(ctx, createOptions(args));
  },
});
