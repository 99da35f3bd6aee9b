// liblxc and the libraries it needs beyond glibc, embedded in dist/crio-lxc
// (src/lxc/library.ts loads them from memory). Taken from Debian 12's
// packages, downloaded by `apt-get download` at the versions pinned here
// (never from what the build machine has installed) and printed.
import { $ } from "bun";
import { copyFileSync, existsSync, mkdirSync, readdirSync, realpathSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

/** package=version, for the build machine's architecture. */
const PINNED = [
  "liblxc1=1:5.0.2-1+deb12u4",
  "libseccomp2=2.5.4-1+deb12u1",
  "libcap2=1:2.66-4+deb12u3+b1",
  "libapparmor1=3.0.8-3",
  "libselinux1=3.4-1+b6",
  "libpcre2-8-0=10.42-1+deb12u2",
];

/** The libraries by SONAME, dependencies first: the order they are loaded in (src/lxc/embedded-libs.ts lists the same). */
export const EMBEDDED_SONAMES = ["libpcre2-8.so.0", "libselinux.so.1", "libapparmor.so.1", "libcap.so.2", "libseccomp.so.2", "liblxc.so.1"];

/** Downloads (cached in .cache/liblxc-debs), extracts and copies the libraries into outDir; returns their total size. */
export async function fetchEmbeddedLibs(outDir: string): Promise<number> {
  const debs = ".cache/liblxc-debs";
  mkdirSync(debs, { recursive: true });
  const arch = (await $`dpkg --print-architecture`.text()).trim();
  const debFile = (pin: string) => `${pin.split("=")[0]}_${pin.split("=")[1]!.replace(":", "%3a")}_${arch}.deb`;
  const missing = PINNED.filter((pin) => !existsSync(join(debs, debFile(pin))));
  if (missing.length) {
    const r = await $`apt-get download ${missing}`.cwd(debs).quiet().nothrow();
    if (r.exitCode !== 0) {
      throw new Error(`apt-get download ${missing.join(" ")} failed (Debian may have replaced a pinned version: update PINNED in scripts/embedded-libs.ts):\n${r.stderr.toString()}`);
    }
  }
  const tree = join(debs, "tree");
  rmSync(tree, { recursive: true, force: true });
  for (const pin of PINNED) await $`dpkg-deb -x ${join(debs, debFile(pin))} ${tree}`.quiet();
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  let size = 0;
  for (const soname of EMBEDDED_SONAMES) {
    const found = ["lib", "usr/lib"].flatMap((dir) => readdirSync(join(tree, dir), { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name.endsWith("-linux-gnu")).map((d) => join(tree, dir, d.name, soname)))
      .find((path) => existsSync(path));
    if (!found) throw new Error(`${soname} is in none of the packages ${PINNED.join(" ")}`);
    copyFileSync(realpathSync(found), join(outDir, soname));
    size += statSync(join(outDir, soname)).size;
  }
  console.log(`embedded ${PINNED.join(" ")} (${(size / 1e6).toFixed(1)} MB)`);
  return size;
}
