// Compiling a few lines of C at run time with bun:ffi's cc() (TinyCC): how a source
// checkout (bun src/main.ts, tests) gets the native units, which dist/crio-lxc
// has prebuilt (native/unit.ts), and test helpers their C. cc() can't read files
// embedded in a compiled binary (/$bunfs/...), so the source goes through a memfd;
// `include` lists the directories its quoted #includes are found in.
import { cc, type FFIFunction } from "bun:ffi";
import { closeSync, writeSync } from "node:fs";
import { libc } from "./libc";

export function compileC<const T extends Record<string, FFIFunction>>(name: string, source: string, symbols: T, include: string[] = []) {
  const fd = libc.memfd_create(Buffer.from(`${name}\0`), 0);
  if (fd < 0) throw new Error(`memfd_create for ${name} failed`);
  try {
    writeSync(fd, source);
    return cc({ source: `/proc/self/fd/${fd}`, symbols, include }).symbols;
  } finally {
    closeSync(fd);
  }
}
