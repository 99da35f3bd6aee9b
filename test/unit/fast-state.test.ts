// The command lines `state` answers without the CLI machinery; every other one
// goes through citty (cli.ts), which parses and reports it.
import { describe, expect, test } from "bun:test";
import { parseArgs } from "citty";
import { type ArgsDef } from "citty";
import { globalArgs, parseGlobalFlags, parseSimpleArgs } from "../../src/cli-args";
import { parseStateCall } from "../../src/fast-state";

describe("the state fast path", () => {
  test("takes `state ID` after global flags with values, inline or not, and bare boolean flags", () => {
    expect(parseStateCall(["state", "c1"])).toEqual({ globals: { "log-format": "text" }, id: "c1" });
    expect(parseStateCall(["--root", "/run/x", "state", "c1"])).toEqual({ globals: { root: "/run/x", "log-format": "text" }, id: "c1" });
    expect(parseStateCall(["--root=/run/x", "--log", "/l", "--log-format=json", "--debug", "state", "c1"]))
      .toEqual({ globals: { root: "/run/x", log: "/l", "log-format": "json", debug: true }, id: "c1" });
  });

  test("leaves everything else to the CLI", () => {
    for (const argv of [
      [], ["state"], ["state", "a", "b"], ["state", "--help"], ["state", "-h", "c1"], ["--help", "state", "c1"], ["-v"],
      ["--bogus", "state", "c1"], ["--root", "state", "c1"], ["--root", "/a", "--root", "/b", "state", "c1"],
      ["--debug=true", "state", "c1"], ["--no-seccomp", "state", "c1"], ["--root", "-x", "state", "c1"],
      ["state", "--", "c1"], ["start", "c1"], ["-d", "state", "c1"],
    ]) expect([argv, parseStateCall(argv)]).toEqual([argv, undefined]);
  });
});

describe("global flags without citty", () => {
  test("give what citty gives for the shapes they take", () => {
    for (const argv of [
      [], ["--root", "/r"], ["--root=/r", "--debug"], ["--log", "/l", "--log-format", "json", "--systemd-cgroup"],
      ["--log-level", "debug", "--seccomp", "--create-timeout", "5s"],
    ]) {
      const ours = parseGlobalFlags(argv)!;
      expect(ours).toBeDefined();
      const cittys = parseArgs(argv, globalArgs) as Record<string, unknown>;
      for (const name of Object.keys(globalArgs)) expect([argv, name, ours[name]] as unknown[]).toEqual([argv, name, cittys[name]]);
    }
  });

  test("leave the rest to citty: short, negated, repeated, unknown flags, a missing value", () => {
    for (const argv of [["-d"], ["--no-seccomp"], ["--root", "/a", "--root", "/b"], ["--bogus"], ["--root"], ["--root", "-x"], ["--debug=true"], ["--seccomp=false"]]) {
      expect([argv, parseGlobalFlags(argv)]).toEqual([argv, undefined]);
    }
  });
});

describe("subcommand arguments without citty", () => {
  const names = ["create", "start", "state", "kill", "delete", "pause", "resume", "update", "events", "ps", "run", "list", "spec", "features", "check", "env-template"];

  test("every command: each flag and positional, and the bare minimum, give what citty gives", async () => {
    for (const name of names) {
      const def = ((await import(`../../src/commands/${name}`)).default.args ?? {}) as ArgsDef;
      const entries = Object.entries(def);
      const positionals = entries.filter(([, d]) => d.type === "positional").map(([n], i) => [n, `p${i}`] as const);
      const required = positionals.filter(([n]) => (def[n] as { required?: boolean }).required !== false).map(([, v]) => v);
      const flags = entries.flatMap(([n, d]) => d.type === "boolean" ? [`--${n}`] : d.type === "string" ? [`--${n}`, `v-${n}`] : []);
      for (const argv of [required, [...positionals.map(([, v]) => v), ...flags], [...flags, ...positionals.map(([, v]) => v)]]) {
        const ours = parseSimpleArgs(argv, def);
        expect([name, argv, ours === undefined]).toEqual([name, argv, false]);
        const cittys = parseArgs(argv, def) as Record<string, unknown>;
        for (const key of [...Object.keys(def), "_"]) expect([name, argv, key, ours![key]] as unknown[]).toEqual([name, argv, key, cittys[key]]);
      }
    }
  });

  test("leave the rest to citty: short flags, --, an extra or missing positional, a flag twice", () => {
    const def = { id: { type: "positional", required: true }, bundle: { type: "string", alias: "b" }, force: { type: "boolean" } } as ArgsDef;
    for (const argv of [["-b", "x", "c1"], ["c1", "--", "x"], ["c1", "c2"], [], ["--force", "--force", "c1"], ["--bundle", "--force", "c1"]]) {
      expect([argv, parseSimpleArgs(argv, def)]).toEqual([argv, undefined]);
    }
  });
});
