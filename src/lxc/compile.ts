// Compiling a small C source at run time with bun:ffi's cc() (TinyCC).
//
// cc() can't read files embedded in a compiled binary (/$bunfs/...), so the
// source goes through a memfd. No libc headers are needed: the sources declare
// the few prototypes they use themselves.
import { cc, dlopen, FFIType, type FFIFunction } from "bun:ffi";
import { closeSync, writeSync } from "node:fs";

let memfdCreate: ((name: Buffer, flags: number) => number) | undefined;

export function compileC<S extends Record<string, FFIFunction>>(name: string, source: string, symbols: S) {
  memfdCreate ??= dlopen("libc.so.6", {
    memfd_create: { args: [FFIType.cstring, FFIType.u32], returns: FFIType.i32 },
  }).symbols.memfd_create as unknown as typeof memfdCreate & {};
  const fd = memfdCreate(Buffer.from(`${name}\0`), 0);
  if (fd < 0) throw new Error(`memfd_create for ${name} failed`);
  try {
    writeSync(fd, source);
    return cc({ source: `/proc/self/fd/${fd}`, symbols }).symbols;
  } finally {
    closeSync(fd);
  }
}
