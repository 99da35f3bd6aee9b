// Builds the one executable, dist/crio-lxc: CLI, liblxc binding, monitor and
// the native units in one file, so installing crio-lxc on a node is copying one binary.
import { $ } from "bun";
import { mkdirSync, writeFileSync } from "node:fs";
import { EXEC_UNIT } from "../src/exec/helper";
import { MONITOR_UNIT } from "../src/lxc/monitor";
import { CONTAINER_MOUNTS_UNIT } from "../src/native/container-mounts";
import { SPAWN_UNIT } from "../src/native/spawn";

const out = "dist/crio-lxc";
const nativeDir = "dist/native";
const started = performance.now();

// The native units, compiled by the machine's gcc into one shared object that
// the binary embeds and dlopen()s (src/native/unit.ts says why). Each unit is
// its own translation unit: their static helpers don't collide.
mkdirSync(nativeDir, { recursive: true });
const sources = [MONITOR_UNIT, EXEC_UNIT, SPAWN_UNIT, CONTAINER_MOUNTS_UNIT].map((unit) => {
  const file = `${nativeDir}/${unit.name}.c`;
  writeFileSync(file, unit.source());
  return file;
});
await $`gcc -O2 -fPIC -shared -Wall -Werror -o ${nativeDir}/crio-lxc-native.so ${sources}`;

// --sourcemap keeps the log's `c` (caller file:line) pointing at src/, even minified.
// --bytecode precompiles the JS: it saves start-up time on every call.
// No autoloading: a .env or bunfig.toml in the caller's directory (a bundle,
// conmon's session dir) must not change crio-lxc's environment or settings.
const noAutoload = ["--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig"];
await $`${process.execPath} build src/main.ts --compile --minify --sourcemap --bytecode ${noAutoload} --outfile ${out}`.quiet();
const size = (await Bun.file(out).size) / 1e6;
console.log(`built ${out} (${size.toFixed(1)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
