import { defineCommand } from "./define";
import { writeOut } from "../proc";

export default Object.assign(defineCommand({
  meta: { name: "env-template", description: "print an environment file with every CRIO_LXC_* setting at its default, commented out" },
  async run() {
    const { envTemplate } = await import("../ops/env-template");
    writeOut(1, envTemplate());
  },
}), { standalone: true });
