// scripts/install into a scratch prefix and env file: nothing under /usr or /etc is touched.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, REPO, requireBuilt } from "../support/runtime";

const INSTALL = join(REPO, "scripts/install");
let dir: string;
let prefix: string;
let envFile: string;
beforeAll(() => {
  requireBuilt();
  dir = mkdtempSync(join(tmpdir(), "crio-lxc-install-"));
  prefix = join(dir, "bin");
  envFile = join(dir, "etc/default/crio-lxc");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function install(args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawnSync([INSTALL, ...args], { env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", ...env }, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

const template = () => Bun.spawnSync([BIN, "env-template"]).stdout.toString();

describe("scripts/install", () => {
  test("copies the binary, writes the env file from env-template, checks liblxc loads", () => {
    const r = install(["--prefix", prefix, "--env-file", envFile]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const target = join(prefix, "crio-lxc");
    expect(readFileSync(target).equals(readFileSync(BIN))).toBe(true);
    expect(statSync(target).mode & 0o777).toBe(0o755);
    expect(readFileSync(envFile, "utf8")).toBe(template());
    expect(r.stdout).toContain(`installed ${target}`);
    expect(r.stdout).toMatch(/loads liblxc \d+\.\d+\.\d+/);
    expect(r.stdout).toContain(`wrote ${envFile}`);
  });

  test("run again: nothing changes, an edited env file is kept (CRIO_LXC_ENV_FILE names it too)", () => {
    writeFileSync(envFile, "CRIO_LXC_LOG_LEVEL=debug\n");
    const r = install(["--prefix", prefix], { CRIO_LXC_ENV_FILE: envFile });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("is up to date");
    expect(r.stdout).toContain(`kept the existing ${envFile}`);
    expect(readFileSync(envFile, "utf8")).toBe("CRIO_LXC_LOG_LEVEL=debug\n");
  });

  test("--uninstall removes the binary and says the env file stays", () => {
    const r = install(["--prefix", prefix, "--env-file", envFile, "--uninstall"]);
    expect(r.code).toBe(0);
    expect(existsSync(join(prefix, "crio-lxc"))).toBe(false);
    expect(existsSync(envFile)).toBe(true);
    expect(r.stdout).toContain(`left ${envFile} in place`);
    expect(install(["--prefix", prefix, "--env-file", envFile, "--uninstall"]).stdout).toContain("was not installed");
  });

  test("no binary, unknown arguments, a liblxc the binary can't load: refused with the reason", () => {
    const noBinary = install(["--prefix", prefix, "--binary", join(dir, "missing")]);
    expect([noBinary.code, noBinary.stderr]).toEqual([1, `install: ${join(dir, "missing")} does not exist: build it first (bun scripts/build.ts)\n`]);
    expect(install(["--bogus"]).stderr).toContain("unknown argument --bogus");
    expect(existsSync(join(prefix, "crio-lxc"))).toBe(false);
    // Without the host's liblxc the binary has its own: only a liblxc it can't load stops the install.
    const badLiblxc = install(["--prefix", prefix, "--env-file", envFile], { CRIO_LXC_LIBLXC: "/etc/hostname" });
    expect(badLiblxc.code).toBe(1);
    expect(badLiblxc.stderr).toContain("CRIO_LXC_LIBLXC=/etc/hostname: not a liblxc");
  });

});
