export const VERSION = "0.1.0";
export const OCI_VERSION = "1.2.0";

export function versionText(): string {
  let lxc = "not found";
  try {
    const loaded = require("./lxc/liblxc").liblxc();
    lxc = `${loaded.version} (${loaded.file.source}: ${loaded.file.origin})`;
  } catch (err) {
    lxc = `unavailable (${(err as Error).message})`;
  }
  return `crio-lxc version ${VERSION}\nspec: ${OCI_VERSION}\nliblxc: ${lxc}\n`;
}
