// Reading a liblxc's version without loading it into the runtime's link map
// (src/native/c/library-version.c says why).
import { FFIType, ptr } from "bun:ffi";
import { loadUnit, nativeUnit } from "./unit";

export const LIBRARY_VERSION_UNIT = nativeUnit({
  name: "library-version",
  sources: ["library-version.c"],
  symbols: {
    crio_lxc_peek_liblxc_version: { args: [FFIType.cstring, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  },
});

/** The version liblxc at `path` reports, or undefined when it can't be loaded. */
export function peekLiblxcVersion(path: string): string | undefined {
  const buf = Buffer.alloc(64);
  const ok = loadUnit(LIBRARY_VERSION_UNIT).crio_lxc_peek_liblxc_version(Buffer.from(`${path}\0`), ptr(buf), buf.length);
  return ok === 0 ? buf.toString("utf8", 0, buf.indexOf(0)) : undefined;
}
