import { describe, expect, test } from "bun:test";
import { expandSlice, resolveCgroupDir } from "../../src/cgroup";
import { parseSignal } from "../../src/signals";
import { MAX_ID_LENGTH, validateId, ociState, type ContainerRecord } from "../../src/state";

describe("parseSignal", () => {
  test.each([
    ["9", 9], ["15", 15], ["KILL", 9], ["SIGKILL", 9], ["kill", 9], ["sigterm", 15], ["USR1", 10], ["SIGHUP", 1],
    ["RTMIN", 34], ["RTMIN+2", 36], ["SIGRTMAX", 64], ["RTMAX-1", 63], ["64", 64],
  ])("%s → %d", (input, n) => expect(parseSignal(input)).toBe(n));
  test("default is SIGTERM", () => expect(parseSignal(undefined)).toBe(15));
  test.each(["0", "65", "SIGFOO", "-9", "RTMIN+40", "1.5"])("%s is refused", (input) => {
    expect(() => parseSignal(input)).toThrow(/signal/);
  });
});

describe("validateId", () => {
  test.each(["abc", "a-b_c.d+e", "0123456789abcdef", "x".repeat(MAX_ID_LENGTH)])("%s is valid", (id) => expect(validateId(id)).toBe(id));
  test.each(["", ".", "..", "a/b", "../x", "a b", "a\nb", "a\0b", "x".repeat(MAX_ID_LENGTH + 1), "x".repeat(1000), "ä", "a..b"])("%j is refused", (id) => {
    expect(() => validateId(id)).toThrow(/container id/);
  });
  test("the length limit is a directory name's", () => expect(MAX_ID_LENGTH).toBe(255));
});

describe("cgroupsPath", () => {
  test("absolute cgroupfs paths are taken from the cgroup2 root", () => {
    expect(resolveCgroupDir("/libpod_parent/libpod-abc", "abc", false, "user.slice/session-1.scope")).toBe("libpod_parent/libpod-abc");
  });
  test("relative paths and the default are placed beside the runtime's own cgroup (under its parent), as runc does", () => {
    expect(resolveCgroupDir("kubepods/pod1/abc/", "abc", false, "")).toBe("kubepods/pod1/abc");
    expect(resolveCgroupDir("kubepods/abc", "abc", false, "system.slice/crio.service")).toBe("system.slice/kubepods/abc");
    expect(resolveCgroupDir(undefined, "abc", false, "")).toBe("crio-lxc/abc");
    expect(resolveCgroupDir(undefined, "abc", false, "a/b/runtime")).toBe("a/b/crio-lxc/abc");
  });
  test("escaping paths are refused", () => {
    expect(() => resolveCgroupDir("/a/../../b", "x", false, "")).toThrow(/linux.cgroupsPath/);
    expect(() => resolveCgroupDir("/", "x", false, "")).toThrow(/linux.cgroupsPath/);
    expect(() => resolveCgroupDir("../x", "x", false, "a/b")).toThrow(/linux.cgroupsPath/);
  });
  test('".." inside a name is refused (liblxc refuses it anywhere), in both forms', () => {
    expect(() => resolveCgroupDir("/pods/a..b", "x", false, "")).toThrow(/^linux\.cgroupsPath: "\.\." in "pods\/a\.\.b" is not allowed$/);
    expect(() => resolveCgroupDir("system.slice:crio:a..b", "x", true)).toThrow(/linux\.cgroupsPath/);
  });
  test("systemd form expands slices and names the scope", () => {
    expect(resolveCgroupDir("kubepods-burstable-pod12.slice:crio:abc", "abc", true))
      .toBe("kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12.slice/crio-abc.scope");
    expect(resolveCgroupDir("machine.slice:libpod:abc", "abc", true)).toBe("machine.slice/libpod-abc.scope");
    expect(expandSlice("-.slice")).toEqual([]);
    expect(() => resolveCgroupDir("a:b", "abc", true)).toThrow(/slice:prefix:name/);
    expect(() => expandSlice("a--b.slice")).toThrow(/slice/);
  });
});

describe("ociState", () => {
  const record: ContainerRecord = {
    id: "c1", ociVersion: "1.0.2", bundle: "/b", annotations: { a: "b" }, created: "2026-01-01T00:00:00.000Z",
    cgroupDir: "x", monitorCgroupDir: "y", init: { pid: 42, startTime: "1" }, started: true,
  };
  test("pid is init's while created or running, 0 when stopped", () => {
    expect(ociState(record, "running")).toEqual({ ociVersion: "1.0.2", id: "c1", status: "running", pid: 42, bundle: "/b", annotations: { a: "b" }, created: "2026-01-01T00:00:00.000Z" });
    expect(ociState(record, "stopped").pid).toBe(0);
  });
});
