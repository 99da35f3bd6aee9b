import { main } from "./cli";

// No top-level await: --bytecode builds are CommonJS.
void main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
