// Which liblxc a call uses (CRIO_LXC_LIBLXC): the host's, the one embedded in
// the binary, or a file the operator names. Libraries are only ever opened by
// an absolute path the runtime chose: a bare "liblxc.so.1" would be looked up
// relative to the working directory too (a planted copy would run as root).
import { existsSync, readFileSync, writeSync } from "node:fs";
import { arch } from "node:os";
import { dlopen, FFIType } from "bun:ffi";
import { memfd } from "../native/libc";

/** auto (the host's when crio-lxc knows its version, else the embedded one), embedded, system, or an absolute path. */
export type LiblxcChoice = string;

export interface LiblxcFile {
  /** The path dlopen() gets. */
  path: string;
  source: "system" | "embedded" | "path";
  /** Where it came from, for check, features and the log. */
  origin: string;
}

export class LiblxcChoiceError extends Error {}

const MULTIARCH: Record<string, string> = { x64: "x86_64-linux-gnu", arm64: "aarch64-linux-gnu" };

/** The host's liblxc.so.1 in the directories its distribution installs it to (never the working directory). */
export function systemLiblxc(): string | undefined {
  const triplet = MULTIARCH[arch()] ?? "";
  const dirs = [`/usr/lib/${triplet}`, `/lib/${triplet}`, "/usr/lib64", "/lib64", "/usr/lib", "/lib"];
  return dirs.map((dir) => `${dir}/liblxc.so.1`).find((path) => existsSync(path));
}

/** The embedded libraries, each copied into a memfd and opened, dependencies first; liblxc's memfd path. */
function loadEmbedded(): string {
  if (!Bun.isStandaloneExecutable) throw new LiblxcChoiceError("CRIO_LXC_LIBLXC=embedded: a source checkout has no embedded liblxc (build dist/crio-lxc)");
  const { EMBEDDED_LIBS } = require("./embedded-libs") as typeof import("./embedded-libs");
  let path = "";
  for (const [soname, embedded, symbol] of EMBEDDED_LIBS) {
    const fd = memfd(soname);
    writeSync(fd, readFileSync(embedded));
    path = `/proc/self/fd/${fd}`;
    // Kept open: glibc now knows the library by its SONAME, for the next one's DT_NEEDED.
    dlopen(path, { [symbol]: { args: [], returns: FFIType.ptr } });
  }
  return path;
}

/** True for the versions whose struct layout crio-lxc checks (src/lxc/liblxc.ts) and was built against. */
export type KnownVersion = (version: string) => boolean;

/**
 * The liblxc to open for `choice`. auto peeks at the host's version without
 * loading it here (src/native/library-version.ts): once a liblxc.so.1 is
 * loaded, another can't be under the same SONAME.
 */
export function chooseLiblxc(choice: LiblxcChoice, known: KnownVersion, peekVersion: (path: string) => string | undefined): LiblxcFile {
  if (choice === "embedded") return { path: loadEmbedded(), source: "embedded", origin: "embedded in crio-lxc (Debian 12's liblxc1)" };
  if (choice === "system" || choice === "auto") {
    const host = systemLiblxc();
    if (choice === "system") {
      if (!host) throw new LiblxcChoiceError("CRIO_LXC_LIBLXC=system: this host has no liblxc.so.1 (install liblxc1, or use the embedded one: CRIO_LXC_LIBLXC=auto or embedded)");
      return { path: host, source: "system", origin: host };
    }
    const version = host && peekVersion(host);
    if (host && version && known(version)) return { path: host, source: "system", origin: host };
    return { path: loadEmbedded(), source: "embedded", origin: `embedded in crio-lxc (${host ? `the host's ${host} is ${version ?? "unloadable"}` : "the host has none"})` };
  }
  if (!choice.startsWith("/")) throw new LiblxcChoiceError(`CRIO_LXC_LIBLXC: expected auto, embedded, system or an absolute path, got ${JSON.stringify(choice)}`);
  if (!existsSync(choice)) throw new LiblxcChoiceError(`CRIO_LXC_LIBLXC=${choice}: no such file`);
  return { path: choice, source: "path", origin: choice };
}
