// Builds the one executable, dist/crio-lxc: CLI, liblxc binding, monitor and
// the native units in one file, so installing crio-lxc on a node is copying one binary.
import { $ } from "bun";
import { fetchEmbeddedLibs } from "./embedded-libs";
import { NATIVE_UNITS } from "./native-units";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { C_DIR, NATIVE_CFLAGS } from "../src/native/unit";

const out = "dist/crio-lxc";
const nativeDir = "dist/native";
const started = performance.now();

// The native units, compiled by the machine's gcc into one shared object that
// the binary embeds and dlopen()s (src/native/unit.ts says why). Each .c file
// is its own translation unit; what a unit's files share is hidden, so the
// object exports the crio_lxc_* functions alone.
mkdirSync(nativeDir, { recursive: true });
// A file several units share (child.c) is compiled once.
const sources = [...new Set(NATIVE_UNITS.flatMap((unit) => unit.sources))].map((file) => join(C_DIR, file));
await $`gcc -O2 -fPIC -shared ${NATIVE_CFLAGS} -o ${nativeDir}/crio-lxc-native.so ${sources}`;

// liblxc and its libraries, embedded beside the native object (src/lxc/library.ts loads them).
await fetchEmbeddedLibs("dist/liblxc");

// --sourcemap keeps the log's `c` (caller file:line) pointing at src/, even minified.
// --bytecode precompiles the JS: it saves start-up time on every call.
// --splitting (ESM only) makes a chunk per dynamic import: a call loads only what it runs.
// --compile-jit-policy=10 raises JavaScriptCore's tier-up thresholds tenfold: a call
// lives milliseconds, too short to win back a JIT compile (exec −1 ms same-run).
// No autoloading: a .env or bunfig.toml in the caller's directory (a bundle,
// conmon's session dir) must not change crio-lxc's environment or settings.
const noAutoload = ["--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig"];
await $`${process.execPath} build src/main.ts --compile --minify --sourcemap --bytecode --format=esm --splitting --compile-jit-policy=10 ${noAutoload} --outfile ${out}`.quiet();
const size = (await Bun.file(out).size) / 1e6;
console.log(`built ${out} (${size.toFixed(1)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
