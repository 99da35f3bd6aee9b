// Shared fixtures for the spec translation tests.
import { expect } from "bun:test";
import { SpecError, parseSpec } from "../../src/oci/schema";
import { translate, type BindSourceKind, type TranslateContext } from "../../src/translate/translate";

export const ALL_ON = { apparmor: true, capabilities: true, cgroupDevices: true, seccomp: true };

/** Bind sources that are directories in these tests; every other source is a file. */
export const DIRECTORIES = new Set(["/var/lib/containers/storage/overlay-containers/3f1b2c4d5e6f/userdata/shm", "/home/user/My Data", "/srv/data"]);
export const fakeStat = (path: string): BindSourceKind => (DIRECTORIES.has(path) ? "directory" : path.includes("missing") ? "missing" : "file");

export function context(overrides: Partial<TranslateContext> = {}): TranslateContext {
  return {
    id: "c0ffee",
    bundle: "/run/bundles/c0ffee",
    stateDir: "/run/crio-lxc/c0ffee",
    startHostHook: "/usr/local/bin/crio-lxc hook start-host",
    logFile: "/var/log/crio-lxc/c0ffee.log",
    containerLogLevel: "info",
    cgroupDir: "crio-lxc/c0ffee",
    monitorCgroupDir: "crio-lxc-monitor/c0ffee",
    features: ALL_ON,
    hostHasAppArmor: false,
    bindSourceKind: fakeStat,
    ...overrides,
  };
}

export type SpecPatch = { process?: object | null; linux?: object; [key: string]: unknown };

/** A small valid config.json, with `patch` merged into its top level and into process/linux. */
export function specJson(patch: SpecPatch = {}) {
  const { process, linux, ...top } = patch;
  return {
    ociVersion: "1.2.0",
    root: { path: "rootfs" },
    process: process === null ? null : { user: { uid: 0, gid: 0 }, args: ["sh"], cwd: "/", ...process },
    linux: { namespaces: [{ type: "mount" }, { type: "pid" }, { type: "uts" }], ...linux },
    ...top,
  };
}

export function run(patch: SpecPatch = {}, ctx: Partial<TranslateContext> = {}) {
  return translate(parseSpec(specJson(patch), "/b/config.json"), context(ctx));
}

export function values(patch: SpecPatch, key: string, ctx: Partial<TranslateContext> = {}): string[] {
  return run(patch, ctx).items.filter(([k]) => k === key).map(([, v]) => v);
}

export function refusal(patch: SpecPatch, ctx: Partial<TranslateContext> = {}): string {
  try {
    run(patch, ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return (err as Error).message;
  }
  throw new Error("expected a SpecError");
}
