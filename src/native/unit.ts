// The C that JavaScript can't replace (anything between fork() and exec()) is
// a few "units": the liblxc monitor fork, the exec helper, the namespace
// spawner. The build compiles all of them with the machine's gcc into one
// shared object embedded in dist/crio-lxc (scripts/build.ts); the binary
// dlopen()s it from a memfd. Why not TinyCC at run time (bun:ffi's cc(), what
// a source checkout still uses): compiling costs ~3.5 ms on every create and
// exec, the same bytes every time, and gcc's code is the better one.
import { dlopen, type FFIFunction } from "bun:ffi";
import { readFileSync, writeSync } from "node:fs";
import { compileC } from "./cc";
import { memfd } from "./libc";

export interface NativeUnit<T extends Record<string, FFIFunction>> {
  /** Names the unit's .c file in the build and its memfd when compiled at run time. */
  name: string;
  source: () => string;
  /** The unit's exported functions, as bun:ffi declares them. */
  symbols: T;
}

export const nativeUnit = <const T extends Record<string, FFIFunction>>(unit: NativeUnit<T>) => unit;

let libraryPath: string | undefined;

/**
 * The embedded shared object, copied once per process into a memfd that stays
 * open (close-on-exec): every unit dlopen()s the same path, so glibc maps it once.
 */
function prebuiltLibrary(): string {
  if (libraryPath) return libraryPath;
  const embedded = (require("./prebuilt") as { default: string }).default;
  const fd = memfd("crio-lxc-native.so");
  writeSync(fd, readFileSync(embedded));
  return (libraryPath = `/proc/self/fd/${fd}`);
}

/** The unit's functions: from the embedded library in dist/crio-lxc, compiled by TinyCC when run from source. */
export function loadUnit<const T extends Record<string, FFIFunction>>(unit: NativeUnit<T>) {
  if (Bun.isStandaloneExecutable) return dlopen(prebuiltLibrary(), unit.symbols).symbols;
  return compileC(`crio-lxc-${unit.name}.c`, unit.source(), unit.symbols);
}
