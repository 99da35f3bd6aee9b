// The command lines `state` answers without the CLI machinery; every other one
// goes through citty (cli.ts), which parses and reports it.
import { describe, expect, test } from "bun:test";
import { parseStateCall } from "../../src/fast-state";

describe("the state fast path", () => {
  test("takes `state ID` after global flags with values, inline or not, and bare boolean flags", () => {
    expect(parseStateCall(["state", "c1"])).toEqual({ globals: {}, id: "c1" });
    expect(parseStateCall(["--root", "/run/x", "state", "c1"])).toEqual({ globals: { root: "/run/x" }, id: "c1" });
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
