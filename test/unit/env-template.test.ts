import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envTemplate } from "../../src/ops/env-template";
import { loadSettings, parseEnvFile, settingDefinitions } from "../../src/settings";

const dir = mkdtempSync(join(tmpdir(), "crio-lxc-env-template-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const uncommented = () => envTemplate().replace(/^#(CRIO_LXC_\w+=)/gm, "$1");

describe("env-template", () => {
  test("as printed, every line is a comment or blank: it sets nothing", () => {
    expect(parseEnvFile(envTemplate(), "template").entries.size).toBe(0);
  });

  test("every setting appears once, with one line of help and its flag above it", () => {
    const lines = envTemplate().split("\n");
    for (const def of settingDefinitions) {
      const at = lines.findIndex((line) => line.startsWith(`#${def.env}=`));
      expect(at).toBeGreaterThan(0);
      expect(lines.filter((line) => line.startsWith(`#${def.env}=`))).toHaveLength(1);
      expect(lines[at - 1]).toBe(`# ${def.help} [${def.type}, flag ${def.flag}]`);
    }
  });

  test("uncommented, it parses back to every default", () => {
    const { entries } = parseEnvFile(uncommented(), "template");
    expect([...entries.keys()].sort()).toEqual(settingDefinitions.map((d) => d.env).sort());
    for (const def of settingDefinitions) expect(entries.get(def.env)?.value).toBe(def.default);
  });

  test("uncommented, it loads as the defaults do, without warnings", () => {
    const file = join(dir, "crio-lxc");
    writeFileSync(file, uncommented());
    const fromTemplate = loadSettings({}, { CRIO_LXC_ENV_FILE: file });
    expect(fromTemplate.warnings).toEqual([]);
    expect(fromTemplate.settings).toEqual(loadSettings({}, { CRIO_LXC_ENV_FILE: join(dir, "absent") }).settings);
  });
});
