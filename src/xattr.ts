// Extended attributes, which Node and Bun don't expose. crio-lxc marks the
// parent cgroups it creates with one, so that whichever delete empties such a
// parent can remove it, and never one it didn't create.
import { dlopen, FFIType } from "bun:ffi";
import { SysError, errno } from "./sys";

const openLibc = () => dlopen("libc.so.6", {
  setxattr: { args: [FFIType.cstring, FFIType.cstring, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
  getxattr: { args: [FFIType.cstring, FFIType.cstring, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
}).symbols;
let libc: ReturnType<typeof openLibc> | undefined;

const cstring = (s: string) => Buffer.from(`${s}\0`);

export function setXattr(path: string, name: string, value: string): void {
  const data = Buffer.from(value);
  if ((libc ??= openLibc()).setxattr(cstring(path), cstring(name), data, data.length, 0) < 0) {
    throw new SysError(`setxattr ${path} ${name}`, errno());
  }
}

/** The attribute's value, or undefined when the file lacks it (or is gone). */
export function getXattr(path: string, name: string): string | undefined {
  const buf = Buffer.alloc(256);
  const n = Number((libc ??= openLibc()).getxattr(cstring(path), cstring(name), buf, buf.length));
  return n < 0 ? undefined : buf.subarray(0, n).toString();
}
