// Builds the one executable, dist/crio-lxc: CLI, liblxc binding and monitor in one file,
// so installing crio-lxc on a node is copying one binary.
import { $ } from "bun";

const out = "dist/crio-lxc";
const started = performance.now();
// --sourcemap keeps the log's `c` (caller file:line) pointing at src/, even minified.
// --bytecode precompiles the JS: it saves start-up time on every call.
await $`${process.execPath} build src/main.ts --compile --minify --sourcemap --bytecode --outfile ${out}`.quiet();
const size = (await Bun.file(out).size) / 1e6;
console.log(`built ${out} (${size.toFixed(1)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
