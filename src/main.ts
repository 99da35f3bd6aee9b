// The entry point, which loads only what the call runs: `state ID` is answered
// from the state file (fast-state.ts), everything else by the CLI (cli.ts).
// create and run first start the kernel's wait for their cgroup move (cgroup.ts).
// No top-level await: --bytecode builds are CommonJS.
import { splitAtSubcommand } from "./cli-args";

const argv = process.argv.slice(2);
const [, command] = splitAtSubcommand(argv);
if (command === "create" || command === "run") (require("./cgroup") as typeof import("./cgroup")).startCgroupWriteWarmUp();
if (command !== "state" || !(require("./fast-state") as typeof import("./fast-state")).serveState(argv)) {
  void (require("./cli") as typeof import("./cli")).main(argv).then((code) => { process.exitCode = code; });
}
