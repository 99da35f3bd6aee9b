// The entry point, which loads only what the call runs: `state ID` is answered
// from the state file (fast-state.ts), everything else by the CLI (cli.ts).
// The build splits the bundle at each dynamic import (--splitting), so a call
// loads only its own chunks: the whole bundle costs ~1.5 ms more per call.
// create and run first start the kernel's wait for their cgroup move (cgroup.ts).
// Output is written synchronously (sys.ts writeOut), so the process exits as
// soon as the call is done instead of turning Bun's event loop once more.
import { splitAtSubcommand } from "./cli-args";

const argv = process.argv.slice(2);
const [, command] = splitAtSubcommand(argv);
if (command === "create" || command === "run") (await import("./cgroup")).startCgroupWriteWarmUp();
if (command === "state" && (await import("./fast-state")).serveState(argv)) process.exit(0);
else void (await import("./cli")).main(argv).then((code) => process.exit(code));
