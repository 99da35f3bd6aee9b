import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseSeccompStatus } from "../../src/runtime/seccomp";
import { unlistedAbiFilter } from "../../src/translate/seccomp-abi";
import { ALL_ON, refusal, run, values } from "./spec-fixtures";
import { PODMAN_PROFILE, podmanSeccomp } from "../support/podman-seccomp";

const GOLDEN_DIR = join(import.meta.dir, "../golden/seccomp");
const X64 = { hostArch: "x64" };
const HOST_ABIS = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"];

/** The profile text the translation writes, and its lxc.seccomp.* items. */
function profile(seccomp: object, ctx: object = X64) {
  const { items, files, notes } = run({ linux: { seccomp } }, ctx);
  const file = files.find((f) => f.name === "seccomp.conf");
  return { text: file?.content, items: items.filter(([k]) => k.startsWith("lxc.seccomp.")), notes };
}

const lines = (seccomp: object) => profile(seccomp).text!.trimEnd().split("\n");
const rule = (r: object, extra: object = {}) => ({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO", ...r }], ...extra });
const arg = (a: object) => rule({ args: [{ index: 0, value: 1, op: "SCMP_CMP_EQ", ...a }] });

describe("golden profiles", () => {
  for (const name of ["all-features", "podman-default", "crio-default"]) {
    test(name, () => {
      const seccomp = JSON.parse(readFileSync(join(GOLDEN_DIR, `${name}.json`), "utf8"));
      const golden = join(GOLDEN_DIR, `${name}.seccomp`);
      const { text } = profile(seccomp);
      if (process.env.UPDATE_GOLDEN) writeFileSync(golden, text!);
      expect(text).toBe(readFileSync(golden, "utf8"));
    });
  }

  test.skipIf(!existsSync(PODMAN_PROFILE))(`the installed ${PODMAN_PROFILE} translates, every rule kept`, () => {
    const seccomp = podmanSeccomp(JSON.parse(readFileSync(PODMAN_PROFILE, "utf8")));
    const text = profile(seccomp).text!;
    for (const name of seccomp.syscalls.flatMap((r) => r.names)) expect(text).toContain(`\n${name} `);
  });
});

describe("translation", () => {
  test("the profile is a state file that lxc.seccomp.profile names, stacked on any filter the runtime has", () => {
    const { items } = profile(rule({}));
    expect(items).toEqual([["lxc.seccomp.profile", "/run/crio-lxc/c0ffee/seccomp.conf"], ["lxc.seccomp.allow_nesting", "1"]]);
  });

  test("header: version 2, then the list type and the default action", () => {
    expect(lines({ defaultAction: "SCMP_ACT_ALLOW" })).toEqual(["2", "denylist allow"]);
    expect(lines({ defaultAction: "SCMP_ACT_ERRNO" })).toEqual(["2", "allowlist errno 1"]);
    expect(lines({ defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 38 })).toEqual(["2", "allowlist errno 38"]);
    expect(lines({ defaultAction: "SCMP_ACT_KILL_THREAD" })).toEqual(["2", "allowlist kill"]);
    expect(lines({ defaultAction: "SCMP_ACT_TRAP" })).toEqual(["2", "allowlist trap"]);
  });

  test("SCMP_ACT_ERRNO without errnoRet is EPERM; errnoRet 0 is kept", () => {
    expect(lines(rule({}))[2]).toBe("mkdir errno 1");
    expect(lines(rule({ errnoRet: 0 }))[2]).toBe("mkdir errno 0");
  });

  test("rules with the default action are left out (libseccomp refuses them); duplicates are written once", () => {
    const seccomp = { defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 38, syscalls: [
      { names: ["uselib"], action: "SCMP_ACT_ERRNO", errnoRet: 38 },
      { names: ["read", "read"], action: "SCMP_ACT_ALLOW" },
    ] };
    expect(lines(seccomp)).toEqual(["2", "allowlist errno 38", "read allow"]);
  });

  test("args are AND-ed on one line; MASKED_EQ puts the datum (valueTwo) before the mask (value)", () => {
    const seccomp = rule({ args: [
      { index: 0, value: 0o300, valueTwo: 0o100, op: "SCMP_CMP_MASKED_EQ" },
      { index: 1, value: 10, valueTwo: 0, op: "SCMP_CMP_NE" },
    ] });
    expect(lines(seccomp)[2]).toBe("mkdir errno 1 [0,64,SCMP_CMP_MASKED_EQ,192] [1,10,SCMP_CMP_NE]");
  });

  test("an argument compared twice: every comparison of the rule on a line of its own (OR-ed), as runc and crun do", () => {
    const seccomp = rule({ names: ["clone", "clone3"], args: [
      { index: 0, value: 0x20000, valueTwo: 0x20000, op: "SCMP_CMP_MASKED_EQ" },
      { index: 0, value: 0x4000000, valueTwo: 0x4000000, op: "SCMP_CMP_MASKED_EQ" },
      { index: 1, value: 0, op: "SCMP_CMP_NE" },
    ] });
    expect(lines(seccomp).slice(2)).toEqual([
      "clone errno 1 [0,131072,SCMP_CMP_MASKED_EQ,131072]",
      "clone errno 1 [0,67108864,SCMP_CMP_MASKED_EQ,67108864]",
      "clone errno 1 [1,0,SCMP_CMP_NE]",
      "clone3 errno 1 [0,131072,SCMP_CMP_MASKED_EQ,131072]",
      "clone3 errno 1 [0,67108864,SCMP_CMP_MASKED_EQ,67108864]",
      "clone3 errno 1 [1,0,SCMP_CMP_NE]",
    ]);
  });

  test("no architectures, or foreign ones besides the host's: accepted", () => {
    expect(profile({ defaultAction: "SCMP_ACT_ALLOW" }).text).toBeString();
    expect(profile({ defaultAction: "SCMP_ACT_ALLOW", architectures: [...HOST_ABIS, "SCMP_ARCH_PPC64LE"] }).text).toBeString();
    expect(profile({ defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"] }, { hostArch: "arm64" }).text).toBeString();
  });

  test("host ABIs the list leaves out (none listed: all but the native one, as libseccomp) get the monitor's filter that kills their syscalls", () => {
    const LD = 0x20, JEQ = 0x15, JGE = 0x35, RET = 0x06, ALLOW = 0x7fff0000, KILL = 0, X86_64 = 0xc000003e, I386 = 0x40000003;
    expect(unlistedAbiFilter(HOST_ABIS, "x64")).toBeUndefined();
    expect(unlistedAbiFilter(["SCMP_ARCH_X86_64"], "x64")).toEqual([
      [LD, 0, 0, 4], [JEQ, 1, 0, X86_64], [RET, 0, 0, KILL], [LD, 0, 0, 0], [JGE, 0, 1, 0x40000000], [RET, 0, 0, KILL], [RET, 0, 0, ALLOW],
    ]);
    expect(unlistedAbiFilter([], "x64")).toEqual(unlistedAbiFilter(["SCMP_ARCH_X86_64"], "x64"));
    // i386 listed: its arch jumps straight to the last instruction.
    expect(unlistedAbiFilter(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "x64")).toEqual([
      [LD, 0, 0, 4], [JEQ, 2, 0, X86_64], [JEQ, 4, 0, I386], [RET, 0, 0, KILL], [LD, 0, 0, 0], [JGE, 0, 1, 0x40000000], [RET, 0, 0, KILL], [RET, 0, 0, ALLOW],
    ]);
    expect(unlistedAbiFilter(["SCMP_ARCH_X86_64", "SCMP_ARCH_X32"], "x64")).toEqual([[LD, 0, 0, 4], [JEQ, 1, 0, X86_64], [RET, 0, 0, KILL], [RET, 0, 0, ALLOW]]);
    expect(unlistedAbiFilter(["SCMP_ARCH_AARCH64"], "arm64")).toEqual([[LD, 0, 0, 4], [JEQ, 1, 0, 0xc00000b7], [RET, 0, 0, KILL], [RET, 0, 0, ALLOW]]);
    expect(unlistedAbiFilter(["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"], "arm64")).toBeUndefined();
  });

  test("listenerPath without SCMP_ACT_NOTIFY is ignored, as the spec says, with a note", () => {
    expect(profile({ defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/run/agent.sock" }).notes.join()).toMatch(/listenerPath ignored/);
  });

  test("switched off: no profile, a note", () => {
    const { items, files, notes } = run({ linux: { seccomp: rule({}) } }, { features: { ...ALL_ON, seccomp: false } });
    expect(items.filter(([k]) => k.startsWith("lxc.seccomp"))).toEqual([]);
    expect(files).toEqual([]);
    expect(notes.join()).toMatch(/linux\.seccomp skipped: seccomp is disabled \(CRIO_LXC_SECCOMP=false\)/);
  });

  test("the host architecture defaults to os.arch()", () => {
    expect(values({ linux: { seccomp: { defaultAction: "SCMP_ACT_ALLOW" } } }, "lxc.seccomp.profile")).toHaveLength(1);
  });
});

describe("refusals name the field", () => {
  const cases: [string, object, RegExp, object?][] = [
    ["KILL_PROCESS", rule({ action: "SCMP_ACT_KILL_PROCESS" }), /^linux\.seccomp\.syscalls\[0\]\.action: SCMP_ACT_KILL_PROCESS: liblxc 5\.0's profile format can only kill the thread/],
    ["TRACE", rule({ action: "SCMP_ACT_TRACE" }), /^linux\.seccomp\.syscalls\[0\]\.action: SCMP_ACT_TRACE: .*no trace action/],
    ["LOG default", { defaultAction: "SCMP_ACT_LOG" }, /^linux\.seccomp\.defaultAction: SCMP_ACT_LOG: .*no log action/],
    ["NOTIFY", rule({ action: "SCMP_ACT_NOTIFY" }), /^linux\.seccomp\.syscalls\[0\]\.action: SCMP_ACT_NOTIFY: liblxc forwards notifications/],
    ["errnoRet on ALLOW", rule({ action: "SCMP_ACT_ALLOW", errnoRet: 1 }), /^linux\.seccomp\.syscalls\[0\]\.errnoRet: only SCMP_ACT_ERRNO returns an errno/],
    ["defaultErrnoRet on KILL", { defaultAction: "SCMP_ACT_KILL", defaultErrnoRet: 1 }, /^linux\.seccomp\.defaultErrnoRet: only SCMP_ACT_ERRNO/],
    ["errno above MAX_ERRNO", rule({ errnoRet: 5000 }), /^linux\.seccomp\.syscalls\[0\]\.errnoRet: errno 5000 is above 4095/],
    ["unknown arch", { defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"] }, /^linux\.seccomp\.architectures\[1\]: unknown architecture "SCMP_ARCH_Z80"/],
    ["unsupported host", { defaultAction: "SCMP_ACT_ALLOW" }, /^linux\.seccomp: not supported by crio-lxc on riscv64 hosts/, { hostArch: "riscv64" }],
    ["LOG flag", { defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_LOG"] }, /^linux\.seccomp\.flags\[0\]: SECCOMP_FILTER_FLAG_LOG: liblxc 5\.0 loads the filter without flags/],
    ["SPEC_ALLOW flag", { defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"] }, /^linux\.seccomp\.flags\[1\]: SECCOMP_FILTER_FLAG_SPEC_ALLOW/],
    ["unknown flag", { defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_FAST"] }, /^linux\.seccomp\.flags\[0\]: unknown flag "SECCOMP_FILTER_FLAG_FAST"/],
    ["listenerMetadata alone", { defaultAction: "SCMP_ACT_ALLOW", listenerMetadata: "x" }, /^linux\.seccomp\.listenerMetadata: must not be set without listenerPath/],
    ["arg index 6", arg({ index: 6 }), /^linux\.seccomp\.syscalls\[0\]\.args\[0\]\.index: syscalls have 6 arguments, 0 to 5/],
    ["valueTwo without MASKED_EQ", arg({ valueTwo: 3 }), /^linux\.seccomp\.syscalls\[0\]\.args\[0\]\.valueTwo: only used by SCMP_CMP_MASKED_EQ, not SCMP_CMP_EQ/],
    ["value past 2^53", arg({ value: 2 ** 60 }), /^linux\.seccomp\.syscalls\[0\]\.args\[0\]\.value: .* above 2\^53-1/],
    ["name with a space", rule({ names: ["mkdir", "open at"] }), /^linux\.seccomp\.syscalls\[0\]\.names\[1\]: "open at" is not a syscall name/],
    ["name liblxc reads as an arch section", rule({ names: ["[x86]"] }), /^linux\.seccomp\.syscalls\[0\]\.names\[0\]: "\[x86\]" is not a syscall name/],
    ["liblxc's own rule", rule({ names: ["reject_force_umount"] }), /^linux\.seccomp\.syscalls\[0\]\.names\[0\]: .*liblxc reads it as a rule of its own/],
  ];
  for (const [name, seccomp, message, ctx] of cases) {
    test(name, () => expect(refusal({ linux: { seccomp } }, { ...X64, ...ctx })).toMatch(message));
  }
});

describe("seccomp status of a process", () => {
  test("mode and filter count", () => {
    expect(parseSeccompStatus("Name:\tsh\nSeccomp:\t2\nSeccomp_filters:\t3\nSpeculation_Store_Bypass:\tx\n")).toEqual({ mode: 2, filters: 3 });
    expect(parseSeccompStatus("Name:\tsh\nSeccomp:\t0\n")).toEqual({ mode: 0, filters: undefined });
    expect(parseSeccompStatus("Name:\tsh\n")).toEqual({ mode: undefined, filters: undefined });
  });
});
