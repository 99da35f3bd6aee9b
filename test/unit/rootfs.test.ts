// Resolving container paths inside a rootfs on disk (no privileges needed).
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkExecutable, createMountPoints, homeDirectory, resolveContainerPath, resolveInRoot } from "../../src/runtime/rootfs";
import { SpecError } from "../../src/oci/errors";

const dir = mkdtempSync(join(tmpdir(), "crio-lxc-rootfs-"));
const rootfs = join(dir, "rootfs");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

mkdirSync(join(rootfs, "etc"), { recursive: true });
mkdirSync(join(rootfs, "usr/lib"), { recursive: true });
writeFileSync(join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n");
symlinkSync("/", join(rootfs, "escape"));
symlinkSync("../..", join(rootfs, "up"));
symlinkSync("usr/lib", join(rootfs, "lib"));
symlinkSync("/etc/passwd", join(rootfs, "etc/pw"));

describe("resolveContainerPath", () => {
  test("symlinks and .. never leave the rootfs", () => {
    expect(resolveContainerPath(rootfs, "/escape/etc/x", []).target).toBe("etc/x");
    expect(resolveContainerPath(rootfs, "/up/up/etc", [])).toEqual({ target: "etc", kind: "directory", belowMount: false });
    expect(resolveContainerPath(rootfs, "/../../etc/pw", [])).toEqual({ target: "etc/passwd", kind: "file", belowMount: false });
    // ".." after a symlink applies to where the symlink led, as in the kernel.
    expect(resolveContainerPath(rootfs, "/lib/../etc", [])).toEqual({ target: "usr/etc", kind: "missing", belowMount: false });
    expect(resolveContainerPath(rootfs, "/escape", []).target).toBe("");
    expect(resolveInRoot(rootfs, "/lib/x")).toBe(join(rootfs, "usr/lib/x"));
  });
  test("below a mount the image is not looked at: no symlinks followed, kind from the mount's host view", () => {
    const proc = { target: "proc", hostSource: "/proc" };
    expect(resolveContainerPath(rootfs, "/proc/self/status", [proc])).toEqual({ target: "proc/self/status", kind: "file", belowMount: true });
    expect(resolveContainerPath(rootfs, "/etc/pw", [{ target: "etc" }])).toEqual({ target: "etc/pw", kind: "missing", belowMount: true });
    expect(resolveContainerPath(rootfs, "/etc", [{ target: "etc" }]).kind).toBe("directory");
    expect(resolveContainerPath(rootfs, "/escape/usr", [{ target: "usr" }])).toEqual({ target: "usr", kind: "directory", belowMount: true });
  });
});

describe("createMountPoints", () => {
  test("creates directories and files, 0755 and 0644", () => {
    createMountPoints(rootfs, [{ target: "a/b", kind: "directory", at: ["mounts", 0] }, { target: "c/file", kind: "file", at: ["mounts", 1] }]);
    expect(statSync(join(rootfs, "a/b")).mode & 0o7777).toBe(0o755);
    expect(statSync(join(rootfs, "c/file")).isFile()).toBe(true);
  });
  test("refuses to go through a symlink that appeared meanwhile, naming the field", () => {
    expect(() => createMountPoints(rootfs, [{ target: "escape/new", kind: "directory", at: ["mounts", 3, "destination"] }]))
      .toThrow(new SpecError("mounts[3].destination", `/escape/new does not exist in the rootfs and can't be created there: ${join(rootfs, "escape")} became a symbolic link`));
    expect(existsSync("/new")).toBe(false);
  });
  test("fails naming the field when the rootfs can't be written", () => {
    if (process.getuid?.() === 0) return; // root writes through the mode bits
    const locked = join(dir, "locked");
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    expect(() => createMountPoints(locked, [{ target: "x", kind: "directory", at: ["process", "cwd"] }])).toThrow(/^process\.cwd: \/x does not exist/);
  });
});

test("homeDirectory reads the rootfs's /etc/passwd", () => {
  expect(homeDirectory(rootfs, 1000)).toBe("/home/app");
  expect(homeDirectory(rootfs, 0)).toBe("/root");
  expect(homeDirectory(rootfs, 5)).toBeUndefined();
  expect(homeDirectory(join(dir, "nowhere"), 0)).toBeUndefined();
});

describe("checkExecutable: the wording runc uses, which clients map to exit codes", () => {
  const bin = join(rootfs, "usr/bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, "tool"), "#!/bin/sh\n", { mode: 0o755 });
  writeFileSync(join(bin, "data"), "", { mode: 0o644 });
  const hostDir = join(dir, "host-bin");
  mkdirSync(hostDir);
  writeFileSync(join(hostDir, "init"), "", { mode: 0o755 });
  const env = ["PATH=/usr/bin:/bin"];
  const check = (program: string, mounted: { target: string; hostSource?: string }[] = []) => () => checkExecutable(rootfs, program, env, "/", mounted);

  test("found in PATH or by path: no error", () => {
    expect(check("tool")).not.toThrow();
    expect(check("/usr/bin/tool")).not.toThrow();
    expect(check("/lib/../usr/bin/tool")).not.toThrow();
  });
  test("missing: 127's wording", () => {
    expect(check("nothing")).toThrow('exec: "nothing": executable file not found in $PATH');
    expect(check("/usr/bin/nothing")).toThrow('exec: "/usr/bin/nothing": no such file or directory');
  });
  test("a directory or a file without execute permission by path: 126's wording; a PATH search skips them", () => {
    expect(check("/usr/bin/data")).toThrow('exec: "/usr/bin/data": permission denied');
    expect(check("/usr")).toThrow('exec: "/usr": permission denied');
    expect(check("data")).toThrow('exec: "data": executable file not found in $PATH');
  });
  test("looked at through the mounts: a bind mount's source, nothing below a tmpfs", () => {
    expect(check("/run/init", [{ target: "run/init", hostSource: join(hostDir, "init") }])).not.toThrow();
    expect(check("/opt/init", [{ target: "opt", hostSource: hostDir }])).not.toThrow();
    expect(check("/usr/bin/tool", [{ target: "usr/bin", hostSource: hostDir }])).toThrow("no such file or directory");
    expect(check("/scratch/anything", [{ target: "scratch" }])).not.toThrow();
    expect(check("init", [{ target: "usr/bin", hostSource: hostDir }])).not.toThrow();
  });
});
