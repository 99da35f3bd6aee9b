// How `check` reports: consola lines for people, one JSON object for scripts.
// The logger is consola's core with a reporter of our own (iconReporter):
// one plain line per message, coloured only on a terminal.
import type { ConsolaReporter, LogObject } from "consola/core";
import type { CheckResult } from "./check-result";
import { writeOut } from "../proc";

export function checkJson(results: CheckResult[]): string {
  return `${JSON.stringify({ ok: results.every((r) => r.status !== "fail"), checks: results }, null, 2)}\n`;
}

const TITLES: Record<string, string> = {
  "env-file": "environment file",
  cgroup2: "cgroup v2",
  "cgroup-controllers": "cgroup controllers",
  "cgroup-files": "cgroup.freeze, cgroup.kill",
  kernel: "kernel",
  liblxc: "liblxc",
  "lxc-config-items": "liblxc config items",
  seccomp: "seccomp",
  apparmor: "AppArmor",
  ptrace: "ptrace",
};

/** One line per message: a coloured ✔ / ⚠ / ✖, colours only on a terminal. */
async function iconReporter(): Promise<ConsolaReporter> {
  const { colors } = await import("consola/utils");
  const color = require("node:tty").isatty(1);
  const icons: Record<string, string> = { success: colors.green("✔"), warn: colors.yellow("⚠"), fail: colors.red("✖") };
  const plain: Record<string, string> = { success: "✔", warn: "⚠", fail: "✖" };
  return {
    log(entry: LogObject) {
      writeOut(1, `${(color ? icons : plain)[entry.type] ?? "•"} ${entry.args.join(" ")}\n`);
    },
  };
}

export async function printCheckReport(results: CheckResult[]): Promise<void> {
  const { createConsola } = await import("consola/core");
  const out = createConsola({ reporters: [await iconReporter()] });
  for (const { id, status, message } of results) {
    const line = `${TITLES[id] ?? id}: ${message}`;
    if (status === "ok") out.success(line);
    else if (status === "fail") out.fail(line);
    else out.warn(line);
  }
  const failed = results.filter((r) => r.status === "fail").length;
  if (failed) out.fail(`${failed} check${failed > 1 ? "s" : ""} failed: crio-lxc can't run containers on this node`);
  else out.success("this node can run containers with crio-lxc");
}
