// Every module sits above what it uses: no import circles in src/ (type-only
// imports included: they tie two rooms together for a reader all the same).
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "../../src");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [join(dir, e.name)] : []);
}

/** The src/ modules a file imports (static and dynamic), as absolute paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]!);
  return specifiers.map((s) => resolve(dirname(file), s.endsWith(".ts") ? s : `${s}.ts`));
}

test("src/ has no import circles", () => {
  const files = sources(SRC);
  const graph = new Map(files.map((f) => [f, importsOf(f).filter((i) => files.includes(i))]));
  const circles = new Set<string>();
  const visit = (file: string, path: string[]) => {
    const at = path.indexOf(file);
    if (at >= 0) {
      const circle = path.slice(at).map((f) => relative(SRC, f));
      const start = circle.indexOf([...circle].sort()[0]!);
      circles.add([...circle.slice(start), ...circle.slice(0, start)].join(" → "));
      return;
    }
    if (path.length > 40) return;
    for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
  };
  for (const file of files) visit(file, []);
  expect([...circles]).toEqual([]);
});
