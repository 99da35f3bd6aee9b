// scripts/examples/create-hook-backup.sh as CRIO_LXC_CREATE_HOOK: a backup of
// what each container was created from, on success and on failure.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { REPO, Sandbox, becomeSubreaper, busyboxSpec, requireBuilt } from "../support/runtime";

const HOOK = join(REPO, "scripts/examples/create-hook-backup.sh");

let sb: Sandbox;
beforeAll(() => { requireBuilt(); becomeSubreaper(); sb = new Sandbox(); });
afterAll(() => sb.cleanup());

let seq = 0;
const newId = () => `bk-${process.pid}-${++seq}`;
const backupOf = (id: string) => join(dirname(sb.logFile), "backup", id);
const withHook = { CRIO_LXC_CREATE_HOOK: HOOK };

describe("create-hook-backup.sh", () => {
  test("a created container: its LXC config, state, spec and the log", () => {
    const id = newId();
    const bundle = sb.bundle(busyboxSpec({ args: ["sleep", "10"], cgroupsPath: `/crio-lxc-test/${id}` }));
    expect(sb.run(["create", "--bundle", bundle, id], { env: withHook }).code).toBe(0);
    const backup = backupOf(id);
    expect(statSync(backup).mode & 0o777).toBe(0o700);
    expect(readdirSync(backup).sort()).toEqual(["config.json", "crio-lxc.log", "lxc.conf", "state"]);
    expect(readFileSync(join(backup, "lxc.conf"), "utf8")).toBe(readFileSync(join(sb.root, id, "lxc.conf"), "utf8"));
    expect(readFileSync(join(backup, "config.json"), "utf8")).toBe(readFileSync(join(bundle, "config.json"), "utf8"));
    expect(JSON.parse(readFileSync(join(backup, "state/state.json"), "utf8"))).toMatchObject({ id, bundle });
    // The hook runs before create logs its success: the log shows the container being set up.
    expect(readFileSync(join(backup, "crio-lxc.log"), "utf8")).toContain(`"cid":"${id}"`);
    expect(sb.run(["delete", id]).code).toBe(0);
    expect(existsSync(backup)).toBe(true);
  });

  test("a failed create: the same files and the error, though the container is gone", () => {
    const id = newId();
    const spec = busyboxSpec({ args: ["true"], cgroupsPath: `/crio-lxc-test/${id}` });
    (spec.mounts as unknown[]).push({ destination: "/mnt", type: "tmpfs", source: "tmpfs", options: ["size=banana"] });
    const r = sb.run(["create", "--bundle", sb.bundle(spec), id], { env: withHook });
    expect(r.code).toBe(1);
    expect(existsSync(join(sb.root, id))).toBe(false);
    const backup = backupOf(id);
    expect(readdirSync(backup).sort()).toEqual(["config.json", "crio-lxc.log", "error", "lxc.conf", "state"]);
    expect(readFileSync(join(backup, "error"), "utf8")).toBe(r.stderr);
    expect(readFileSync(join(backup, "lxc.conf"), "utf8")).toContain("size=banana");
    expect(readFileSync(join(backup, "crio-lxc.log"), "utf8")).toContain('Failed to mount "tmpfs"');
  });

  test("the hook never fails the create, and logs nothing when it succeeds", () => {
    const lines = sb.log().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    expect(lines.filter((l) => /create hook/.test(l.m) && l.l !== "debug")).toEqual([]);
  });
});
