import { defineCommand } from "./define";
import { writeOut } from "../proc";

export default Object.assign(defineCommand({
  meta: { name: "features", description: "print the OCI runtime features JSON: what config.json fields and values crio-lxc accepts" },
  async run() {
    const { runtimeFeatures } = await import("../translate/features");
    let liblxcVersion: string | undefined;
    let liblxcSource: string | undefined;
    try {
      const lxc = (await import("../lxc/liblxc")).liblxc();
      liblxcVersion = lxc.version;
      liblxcSource = `${lxc.file.source}: ${lxc.file.origin}`;
    } catch {
      // Features describe the runtime, not the host: leave the annotation out.
    }
    writeOut(1, `${JSON.stringify(runtimeFeatures(undefined, liblxcVersion, liblxcSource), null, 2)}\n`);
  },
}), { standalone: true });
