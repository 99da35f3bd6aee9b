// `check`'s liblxc part: the library loads, its struct layout is one crio-lxc
// knows (the self-check on a scratch container handle), and it takes every
// config item crio-lxc writes.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXACT_CONFIG_KEYS, PREFIX_CONFIG_KEYS } from "../lxc/config-keys";
import type { Container, Liblxc } from "../lxc/liblxc";
import type { CheckResult } from "./check-result";

export interface LiblxcFindings {
  version: string;
  /** liblxc brought libseccomp into the process: it was built with seccomp support. */
  libseccomp: boolean;
}

/** Paths of the shared objects mapped into this process whose name contains `name`. */
function mappedLibraries(name: string): string[] {
  const paths = readFileSync("/proc/self/maps", "utf8").split("\n").map((line) => line.split(/\s+/)[5] ?? "");
  return [...new Set(paths.filter((path) => path.includes(name)))];
}

function unsupportedItems(lxc: Liblxc, container: Container): string[] {
  const missing: string[] = EXACT_CONFIG_KEYS.filter((key) => !lxc.isConfigItemSupported(key));
  for (const { probe: [key, value] } of PREFIX_CONFIG_KEYS) {
    try {
      container.setConfigItem(key, value);
    } catch {
      missing.push(key);
    }
  }
  return missing;
}

function configItemsResult(missing: string[]): CheckResult {
  const total = EXACT_CONFIG_KEYS.length + PREFIX_CONFIG_KEYS.length;
  if (!missing.length) return { id: "lxc-config-items", status: "ok", message: `all ${total} config items crio-lxc writes are supported` };
  return { id: "lxc-config-items", status: "fail", message: `not supported by this liblxc: ${missing.join(", ")}` };
}

export function checkLiblxc(choice: string): { results: CheckResult[]; findings?: LiblxcFindings } {
  const { liblxc } = require("../lxc/liblxc") as typeof import("../lxc/liblxc");
  let lxc: Liblxc;
  try {
    lxc = liblxc(choice);
  } catch (err) {
    return { results: [{ id: "liblxc", status: "fail", message: (err as Error).message }] };
  }
  const lxcpath = mkdtempSync(join(tmpdir(), "crio-lxc-check-"));
  let container: Container | undefined;
  try {
    container = lxc.container(`crio-lxc-check-${process.pid}`, lxcpath);
    const where = mappedLibraries("liblxc").join(", ");
    const findings = { version: lxc.version, libseccomp: mappedLibraries("libseccomp").length > 0 };
    return {
      findings,
      results: [
        { id: "liblxc", status: "ok", message: `${lxc.version}, ${lxc.file.source}: ${lxc.file.origin} (mapped: ${where}); struct lxc_container layout checked` },
        configItemsResult(unsupportedItems(lxc, container)),
      ],
    };
  } catch (err) {
    return { results: [{ id: "liblxc", status: "fail", message: (err as Error).message }] };
  } finally {
    container?.release();
    rmSync(lxcpath, { recursive: true, force: true });
  }
}
