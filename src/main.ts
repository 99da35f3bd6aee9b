// The entry point, which loads only what the call runs: `state ID` is answered
// from the state file (fast-state.ts), everything else by the CLI (cli.ts).
// create and run first start the kernel's wait for their cgroup move (cgroup.ts).
// Output is written synchronously (sys.ts writeOut), so the process exits as
// soon as the call is done instead of turning Bun's event loop once more.
// No top-level await: --bytecode builds are CommonJS.
import { splitAtSubcommand } from "./cli-args";

const argv = process.argv.slice(2);
const [, command] = splitAtSubcommand(argv);
if (command === "create" || command === "run") (require("./cgroup") as typeof import("./cgroup")).startCgroupWriteWarmUp();
if (command === "state" && (require("./fast-state") as typeof import("./fast-state")).serveState(argv)) process.exit(0);
else void (require("./cli") as typeof import("./cli")).main(argv).then((code) => process.exit(code));
