import { defineCommand } from "./define";
import type { StandaloneData } from "../runtime/context";
import { settingFlagsFromArgs } from "../settings";
import { writeOut } from "../proc";

export default Object.assign(defineCommand({
  meta: { name: "check", description: "check that this node can run containers (exit status 1 if it can't)" },
  args: { json: { type: "boolean", description: "print one JSON object instead of a report" } },
  async run({ args, data }) {
    const { runChecks } = await import("../ops/check");
    const results = runChecks(settingFlagsFromArgs((data as StandaloneData).globals));
    const report = await import("../ops/check-report");
    if (args.json) writeOut(1, report.checkJson(results));
    else await report.printCheckReport(results);
    return results.some((r) => r.status === "fail") ? 1 : 0;
  },
}), { standalone: true });
