// The floor of each runtime: the cheapest call its executable can make.
// F: a one-line program compiled exactly as dist/crio-lxc is (same Bun, the
// flags of scripts/build.ts), in the variants the issue names; the fastest is F.
// G: `runc --version`; C: `crun --version`. A call's own work is its median
// minus its runtime's floor (a lifecycle: minus three floors).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "./runtimes";

/** scripts/build.ts's `bun build` flags (checked against its text, so a change there can't go unnoticed). */
export const BUILD_FLAGS = ["--compile", "--minify", "--sourcemap", "--bytecode", "--format=esm", "--splitting", "--compile-jit-policy=10", "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig"];

/** Throws unless scripts/build.ts builds with exactly BUILD_FLAGS. */
export function checkBuildFlags(): void {
  const text = readFileSync(join(REPO, "scripts/build.ts"), "utf8");
  const line = /build src\/main\.ts ([^`]*)--outfile/.exec(text)?.[1] ?? "";
  const noAutoload = /const noAutoload = \[([^\]]*)\]/.exec(text)?.[1] ?? "";
  const flags = [...line.replace("${noAutoload}", noAutoload.replace(/[",]/g, " ")).split(/\s+/).filter(Boolean)];
  const same = flags.length === BUILD_FLAGS.length && BUILD_FLAGS.every((f) => flags.includes(f));
  if (!same) throw new Error(`scripts/build.ts builds with ${flags.join(" ")}; scripts/benchmark/start-floor.ts's BUILD_FLAGS say ${BUILD_FLAGS.join(" ")}`);
}

/** The one-line programs; the fastest compiled one is F. */
export const FLOOR_PROGRAMS: Record<string, string> = {
  "console.log": 'console.log("x");\n',
  "fs.writeSync": 'require("node:fs").writeSync(1, "x\\n");\n',
  "process.stdout.write": 'process.stdout.write("x\\n");\n',
};

/** Compiles `source` with `flags` into dir/name; returns the executable's path. */
export function compile(dir: string, name: string, source: string, flags = BUILD_FLAGS, entry?: string): string {
  const file = entry ?? join(dir, `${name}.ts`);
  if (!entry) writeFileSync(file, source);
  const exe = join(dir, name);
  const p = Bun.spawnSync([process.execPath, "build", file, ...flags, "--outfile", exe], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`bun build ${name}: ${p.stderr.toString()}`);
  return exe;
}

export interface FloorCommand { name: string; argv: string[] }

/** The F variants (compiled into dir), G and C. */
export function floorCommands(dir: string): { variants: FloorCommand[]; G: FloorCommand; C: FloorCommand } {
  checkBuildFlags();
  const variants = Object.entries(FLOOR_PROGRAMS).map(([name, source], i) => ({ name: `F: ${name}`, argv: [compile(dir, `floor-${i}`, source)] }));
  return { variants, G: { name: "G: runc --version", argv: ["runc", "--version"] }, C: { name: "C: crun --version", argv: ["crun", "--version"] } };
}
