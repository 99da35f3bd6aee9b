import { defineCommand } from "./define";
import { RuntimeError } from "../runtime/context";

export default Object.assign(defineCommand({
  meta: { name: "spec", description: "write a starting config.json into the bundle directory (its rootfs in <bundle>/rootfs)" },
  args: {
    bundle: { type: "string", alias: "b", description: "bundle directory to write config.json into (default: current directory)" },
    rootless: { type: "boolean", description: "refused: crio-lxc runs containers as root only" },
  },
  async run({ args }) {
    if (args.rootless) throw new RuntimeError("crio-lxc spec: --rootless is not supported: crio-lxc runs containers as root only");
    const { writeDefaultSpec } = await import("../ops/default-spec");
    writeDefaultSpec(args.bundle || ".");
  },
}), { standalone: true });
