import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SpecError, loadSpec, parseProcess, parseSpec } from "../../src/oci/schema";

const GOLDEN_DIR = join(import.meta.dir, "../golden");
const FILE = "/b/config.json";
const dir = mkdtempSync(join(tmpdir(), "crio-lxc-spec-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function valid(): Record<string, any> {
  return {
    ociVersion: "1.2.0",
    root: { path: "rootfs" },
    process: { user: { uid: 0, gid: 0 }, args: ["sh"], cwd: "/" },
    linux: { namespaces: [{ type: "pid" }, { type: "mount" }, { type: "network" }] },
  };
}

function errorOf(json: unknown): string {
  try {
    parseSpec(json, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return (err as Error).message;
  }
  throw new Error("expected a SpecError");
}

function withPatch(patch: (spec: Record<string, any>) => void): Record<string, any> {
  const spec = valid();
  patch(spec);
  return spec;
}

describe("valid specs parse", () => {
  for (const file of readdirSync(GOLDEN_DIR).filter((f) => f.endsWith(".config.json"))) {
    test(file, () => {
      const spec = parseSpec(JSON.parse(readFileSync(join(GOLDEN_DIR, file), "utf8")), file);
      expect(spec.process?.args.length).toBeGreaterThan(0);
    });
  }

  test("unknown properties are ignored, top-level ones kept", () => {
    const spec = parseSpec({ ...valid(), vendorExtension: { x: 1 }, process: { ...valid().process, futureField: true } }, FILE);
    expect(spec.vendorExtension).toEqual({ x: 1 });
    expect(spec.process).not.toHaveProperty("futureField");
  });

  test("null is taken as absent (as Go's encoding/json does)", () => {
    const spec = parseSpec({ ...valid(), mounts: null, hooks: null, process: { ...valid().process, env: null, user: null } }, FILE);
    expect(spec.mounts).toBeUndefined();
    expect(spec.process?.env).toBeUndefined();
    expect(spec.process?.user).toEqual({ uid: 0, gid: 0 });
  });

  test("a missing uid/gid is 0 (as runc reads it)", () => {
    expect(parseSpec(withPatch((s) => { s.process.user = { additionalGids: [5] }; }), FILE).process?.user).toEqual({ uid: 0, gid: 0, additionalGids: [5] });
  });
});

describe("errors name the file and the JSON path", () => {
  const cases: [string, unknown, string][] = [
    ["empty args", withPatch((s) => { s.process.args = []; }), `${FILE}: process.args: expected a non-empty array of strings`],
    ["args not strings", withPatch((s) => { s.process.args = ["sh", 5]; }), `${FILE}: process.args[1]: expected a string, got 5`],
    ["missing args", withPatch((s) => { delete s.process.args; }), `${FILE}: process.args: required`],
    ["bad namespace type", withPatch((s) => { s.linux.namespaces.push({ type: "foo" }); }), `${FILE}: linux.namespaces[3].type: invalid value "foo"`],
    ["relative cwd", withPatch((s) => { s.process.cwd = "srv"; }), `${FILE}: process.cwd: expected an absolute path`],
    ["env without =", withPatch((s) => { s.process.env = ["A=1", "HOME"]; }), `${FILE}: process.env[1]: expected "KEY=value"`],
    ["negative uid", withPatch((s) => { s.process.user.uid = -1; }), `${FILE}: process.user.uid: expected a number >=0, got -1`],
    ["fractional gid", withPatch((s) => { s.process.user.gid = 1.5; }), `${FILE}: process.user.gid: expected an integer, got 1.5`],
    ["missing root", withPatch((s) => { delete s.root; }), `${FILE}: root: required`],
    ["sysctl value not a string", withPatch((s) => { s.linux.sysctl = { "net.ipv4.ip_forward": 1 }; }), `${FILE}: linux.sysctl["net.ipv4.ip_forward"]: expected a string, got 1`],
    ["mount options not an array", withPatch((s) => { s.mounts = [{ destination: "/x", options: "ro" }]; }), `${FILE}: mounts[0].options: expected an array, got "ro"`],
    ["device rule access", withPatch((s) => { s.linux.resources = { devices: [{ allow: true, access: "rwx" }] }; }), `${FILE}: linux.resources.devices[0].access: expected a combination of "r", "w" and "m"`],
    ["hook timeout", withPatch((s) => { s.hooks = { poststop: [{ path: "/bin/true", timeout: 0 }] }; }), `${FILE}: hooks.poststop[0].timeout: expected a number of seconds greater than zero`],
    ["not an object", "config", `${FILE}: expected an object, got "config"`],
  ];
  for (const [name, json, message] of cases) {
    test(name, () => expect(errorOf(json)).toStartWith(message));
  }

  test("further problems are counted", () => {
    expect(errorOf(withPatch((s) => { s.process.args = []; s.process.cwd = "x"; }))).toEndWith("(and 1 more problem)");
  });

  test("SpecError carries the parts", () => {
    try {
      parseSpec(withPatch((s) => { s.process.cwd = 1; }), FILE);
    } catch (err) {
      expect(err).toMatchObject({ file: FILE, jsonPath: "process.cwd", reason: "expected a string, got 1" });
    }
  });
});

describe("loadSpec", () => {
  function bundle(name: string, content?: string): string {
    const path = join(dir, name);
    mkdirSync(path);
    if (content !== undefined) writeFileSync(join(path, "config.json"), content);
    return path;
  }

  test("reads <bundle>/config.json", () => {
    expect(loadSpec(bundle("ok", JSON.stringify(valid()))).root.path).toBe("rootfs");
  });
  test("a missing config.json", () => {
    const path = bundle("missing");
    expect(() => loadSpec(path)).toThrow(`${path}/config.json: no such file`);
  });
  test("not JSON", () => {
    const path = bundle("broken", "{ ociVersion: ");
    expect(() => loadSpec(path)).toThrow(new RegExp(`^${path}/config\\.json: not valid JSON: `));
  });
  test("invalid content names the file", () => {
    const path = bundle("invalid", JSON.stringify(withPatch((s) => { s.process.args = []; })));
    expect(() => loadSpec(path)).toThrow(`${path}/config.json: process.args: expected a non-empty array of strings`);
  });
});

describe("process.json (exec)", () => {
  test("same shape as spec.process", () => {
    expect(parseProcess({ args: ["ls"], cwd: "/", env: ["A=1"] }, "/p.json").args).toEqual(["ls"]);
    expect(() => parseProcess({ args: [], cwd: "/" }, "/p.json")).toThrow("/p.json: args: expected a non-empty array of strings");
  });
});
