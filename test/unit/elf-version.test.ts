// Reading liblxc's version from the file (src/lxc/elf-version.ts), checked
// against loading the library and asking it (the fallback).
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { arm64Target, readLiblxcVersion, x86Target } from "../../src/lxc/elf-version";
import { systemLiblxc } from "../../src/lxc/library";
import { peekLiblxcVersion } from "../../src/native/library-version";

const dir = mkdtempSync(join(tmpdir(), "elf-version-"));
afterAll(() => rmSync(dir, { recursive: true }));

/** A shared object whose lxc_get_version is `body`, built by the machine's gcc. */
function library(name: string, body: string): string {
  const source = join(dir, `${name}.c`);
  const out = join(dir, `${name}.so`);
  writeFileSync(source, `const char *lxc_get_version(void) { ${body} }\nint other(int x) { return x + 1; }\n`);
  const cc = Bun.spawnSync(["gcc", "-O2", "-fPIC", "-shared", "-o", out, source]);
  if (cc.exitCode !== 0) throw new Error(cc.stderr.toString());
  return out;
}

test("the version read from the file is the one the library reports when loaded (the host's and the embedded liblxc)", () => {
  const libraries = [systemLiblxc(), join(import.meta.dir, "../../dist/liblxc/liblxc.so.1")].filter((p): p is string => !!p && existsSync(p));
  if (!libraries.length) return void console.log("skipped: no liblxc on this machine and none built into dist/");
  for (const path of libraries) {
    const version = readLiblxcVersion(path);
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    expect(version).toBe(peekLiblxcVersion(path)!);
  }
});

test("a function returning a string constant is read; any other code, or no such function, is left to loading the library", () => {
  expect(readLiblxcVersion(library("constant", 'return "7.1.3";'))).toBe("7.1.3");
  expect(readLiblxcVersion(library("computed", 'static char v[8]; v[0] = "7"[0]; return v;'))).toBeUndefined();
  expect(readLiblxcVersion(library("not-a-version", 'return "hello";'))).toBeUndefined();
  expect(readLiblxcVersion("/etc/hostname")).toBeUndefined();
  expect(readLiblxcVersion(join(dir, "missing.so"))).toBeUndefined();
});

test("the two instruction patterns: x86_64 lea+ret (with or without endbr64) and arm64 adrp+add+ret", () => {
  const lea = Buffer.from([0x48, 0x8d, 0x05, 0x10, 0x00, 0x00, 0x00, 0xc3, 0, 0, 0, 0, 0, 0, 0, 0]);
  expect(x86Target(lea, 0x1000)).toBe(0x1000 + 7 + 0x10);
  expect(x86Target(Buffer.concat([Buffer.from([0xf3, 0x0f, 0x1e, 0xfa]), lea]), 0x1000)).toBe(0x1000 + 4 + 7 + 0x10);
  expect(x86Target(Buffer.from([0x48, 0x8d, 0x05, 0x10, 0, 0, 0, 0x90, 0xc3, 0, 0, 0, 0, 0, 0, 0]), 0x1000)).toBeUndefined();
  const words = (...w: number[]) => Buffer.from(new Uint32Array(w).buffer);
  // adrp x0, +1 page; add x0, x0, #0x123; ret — at 0x10010
  expect(arm64Target(words(0xb0000000, 0x91048c00, 0xd65f03c0, 0), 0x10010)).toBe(0x11123);
  // bti c first; adrp x0, -1 page (immhi all ones, immlo 3)
  expect(arm64Target(words(0xd503245f, 0xf0ffffe0, 0x91048c00, 0xd65f03c0), 0x10000)).toBe(0xf123);
  expect(arm64Target(words(0x90000001, 0x91048c00, 0xd65f03c0, 0), 0x10000)).toBeUndefined(); // adrp x1
});
