import { defineCommand } from "citty";
import { writeOut } from "../proc";

export default Object.assign(defineCommand({
  meta: { name: "features", description: "print the OCI runtime features JSON: what config.json fields and values crio-lxc accepts" },
  async run() {
    const { runtimeFeatures } = await import("../translate/features");
    let liblxcVersion: string | undefined;
    try {
      liblxcVersion = (await import("../lxc/liblxc")).liblxc().version;
    } catch {
      // Features describe the runtime, not the host: leave the annotation out.
    }
    writeOut(1, `${JSON.stringify(runtimeFeatures(undefined, liblxcVersion), null, 2)}\n`);
  },
}), { standalone: true });
