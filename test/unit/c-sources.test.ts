// The C of the project as C: every .c file compiles with the build's warnings
// and passes gcc's static analyser (-fanalyzer), every native unit compiles
// with TinyCC (how a source checkout loads it), and src/native/c/shared.h, as
// gcc evaluates it, has exactly the names and values of src/native/shared.ts.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { compileC } from "../../src/native/cc";
import { MOUNT_ATTR, MS_SHARED } from "../../src/native/container-mounts";
import * as shared from "../../src/native/shared";
import { NATIVE_UNITS } from "../../scripts/native-units";
import { C_DIR, NATIVE_CFLAGS } from "../../src/native/unit";

const ROOT = join(import.meta.dir, "../..");
const UNITS = NATIVE_UNITS;

/** Every .c file of the project: the native units' and the tests' own. */
function cFiles(): string[] {
  const found: string[] = [];
  for (const dir of ["src", "test", "scripts"]) {
    for (const entry of readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" }))
      if (entry.endsWith(".c")) found.push(join(ROOT, dir, entry));
  }
  return found.sort();
}

async function gcc(args: string[]): Promise<{ code: number; output: string }> {
  const proc = Bun.spawn(["gcc", ...args], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, output: stdout + stderr };
}

/** Runs gcc with `args` on every .c file at once; the findings of those that fail, by file. */
async function findings(args: string[]): Promise<Record<string, string>> {
  const results = await Promise.all(cFiles().map(async (file) => [relative(ROOT, file), await gcc([...args, "-c", "-o", "/dev/null", file])] as const));
  return Object.fromEntries(results.filter(([, r]) => r.code !== 0 || r.output !== "").map(([file, r]) => [file, r.output]));
}

describe("C sources", () => {
  test("every unit's files exist, and every .c file in src/native/c/ belongs to a unit", () => {
    const inUnits = [...new Set(UNITS.flatMap((unit) => unit.sources))].sort();
    const onDisk = readdirSync(C_DIR).filter((f) => f.endsWith(".c")).sort();
    expect(inUnits).toEqual(onDisk);
  });

  test("every .c file compiles with the build's warnings (-Wall -Wextra -Werror)", async () => {
    const failed = await findings(["-O2", "-fPIC", ...NATIVE_CFLAGS]);
    if (Object.keys(failed).length) console.error(Object.values(failed).join("\n"));
    expect(failed).toEqual({});
  }, 60_000);

  test("gcc's static analyser (-fanalyzer) finds nothing in any .c file", async () => {
    const failed = await findings(["-fanalyzer", ...NATIVE_CFLAGS]);
    if (Object.keys(failed).length) console.error(Object.values(failed).join("\n"));
    expect(failed).toEqual({});
  }, 120_000);

  test("every native unit compiles with TinyCC, as a source checkout loads it", () => {
    for (const unit of UNITS) {
      const source = unit.sources.map((file) => `#include "${file}"\n`).join("");
      const symbols = compileC(`c-sources-${unit.name}.c`, source, unit.symbols, [C_DIR]);
      for (const name of Object.keys(unit.symbols)) expect([name, typeof (symbols as Record<string, unknown>)[name]]).toEqual([name, "function"]);
    }
  });
});

/** src/native/shared.ts as the C names it: CAPS_FAILED, and table X's key K as X_K. */
function sharedFromTypeScript(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(shared)) {
    if (typeof value === "number") out[name] = value;
    else for (const [key, v] of Object.entries(value)) out[`${name}_${key.toUpperCase().replaceAll("-", "_")}`] = v;
  }
  return out;
}

/** The names shared.h defines: #define NAME value, and enumerators NAME = value. */
function headerNames(header: string): string[] {
  const code = header.replace(/\/\*[\s\S]*?\*\//g, "");
  const defines = [...code.matchAll(/^#define\s+([A-Z][A-Z0-9_]*)[ \t]+\S/gm)].map((m) => m[1]!);
  const enumerators = [...code.matchAll(/\b([A-Z][A-Z0-9_]*)\s*=\s*-?\d/g)].map((m) => m[1]!);
  return [...defines, ...enumerators];
}

/** Compiles a program printing `NAME value` for each expression, with `includes`, and runs it. */
async function evaluate(includes: string[], names: string[]): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), "c-sources-"));
  try {
    const prints = names.map((n) => `\tprintf("%s %lld\\n", "${n}", (long long)(${n}));\n`).join("");
    const program = `#define _GNU_SOURCE\n#include <stdio.h>\n${includes.map((i) => `#include ${i}\n`).join("")}int main(void)\n{\n${prints}\treturn 0;\n}\n`;
    await Bun.write(join(dir, "values.c"), program);
    const built = await gcc([...NATIVE_CFLAGS, "-I", C_DIR, "-o", join(dir, "values"), join(dir, "values.c")]);
    expect(built.output).toBe("");
    const out = Bun.spawnSync([join(dir, "values")]).stdout.toString();
    return Object.fromEntries(out.trim().split("\n").map((line) => line.split(" ")).map(([k, v]) => [k!, Number(v)]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the numbers C and TypeScript share", () => {
  test("src/native/c/shared.h and src/native/shared.ts have the same names with the same values", async () => {
    const names = headerNames(readFileSync(join(C_DIR, "shared.h"), "utf8"));
    const fromC = await evaluate(['"shared.h"'], names);
    expect(fromC).toEqual(sharedFromTypeScript());
  });

  test("the mount flags the TypeScript passes to container-mounts.c are the system headers'", async () => {
    const fromC = await evaluate(["<sys/mount.h>"], ["MOUNT_ATTR_RDONLY", "MOUNT_ATTR_NOSUID", "MOUNT_ATTR_NODEV", "MOUNT_ATTR_NOEXEC", "MS_SHARED"]);
    expect(fromC).toEqual({
      MOUNT_ATTR_RDONLY: MOUNT_ATTR.ro, MOUNT_ATTR_NOSUID: MOUNT_ATTR.nosuid, MOUNT_ATTR_NODEV: MOUNT_ATTR.nodev, MOUNT_ATTR_NOEXEC: MOUNT_ATTR.noexec,
      MS_SHARED,
    });
  });
});
