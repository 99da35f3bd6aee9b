// The C that JavaScript can't replace (anything between fork() and exec()) is
// a few "units": the liblxc monitor fork, the exec helper, the namespace
// spawner, the container's mounts. Their C is in src/native/c/, one unit
// being one or more .c files there (c/README.md); the numbers both sides use
// are in c/shared.h and ./shared.ts. The build compiles every unit with the
// machine's gcc into one shared object embedded in dist/crio-lxc
// (scripts/build.ts); the binary dlopen()s it from a memfd. Why not TinyCC at
// run time (bun:ffi's cc(), what a source checkout still uses): compiling
// costs ~3.5 ms on every create and exec, the same bytes every time, and
// gcc's code is the better one.
import { dlopen, type FFIFunction } from "bun:ffi";
import { readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { compileC } from "./cc";
import { memfd } from "./libc";

/** Where the units' .c files and shared.h are. */
export const C_DIR = join(import.meta.dir, "c");

/** gcc's flags for them besides -O2 and -fPIC: the build's and test/unit/c-sources.test.ts's, which also runs gcc's analyser. */
export const NATIVE_CFLAGS = ["-std=gnu11", "-Wall", "-Wextra", "-Werror"];

export interface NativeUnit<T extends Record<string, FFIFunction>> {
  /** Names the unit in its memfd when compiled at run time. */
  name: string;
  /** Its .c files in C_DIR: separate translation units for gcc, one for TinyCC (so static names differ between them). */
  sources: readonly string[];
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

/**
 * The unit's functions: from the embedded library in dist/crio-lxc; compiled
 * by TinyCC when run from source, its files included into one translation unit.
 */
export function loadUnit<const T extends Record<string, FFIFunction>>(unit: NativeUnit<T>) {
  if (Bun.isStandaloneExecutable) return dlopen(prebuiltLibrary(), unit.symbols).symbols;
  const source = unit.sources.map((file) => `#include "${file}"\n`).join("");
  return compileC(`crio-lxc-${unit.name}.c`, source, unit.symbols, [C_DIR]);
}
