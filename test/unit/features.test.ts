// `crio-lxc features` claims exactly what the translator accepts.
import { describe, expect, test } from "bun:test";
import { runtimeFeatures } from "../../src/translate/features";
import { SECCOMP_ACTIONS } from "../../src/oci/schema-linux";
import { refusal, run } from "./spec-fixtures";

const X64 = { hostArch: "x64" };
const features = runtimeFeatures("x64", "5.0.2");
const { seccomp } = features.linux;
const HOST_ABIS = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"];

const withRule = (rule: object, extra: object = {}) => ({ linux: { seccomp: { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO", ...rule }], ...extra } } });
const withNamespace = (type: string) => ({
  linux: {
    namespaces: [{ type: "mount" }, ...(type === "mount" ? [] : [{ type }])],
    ...(type === "user" ? { uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }] } : {}),
  },
});
/** A bind mount with the option; tmpcopyup, which is for tmpfs only, on a tmpfs. */
const USERNS_MAP = [{ containerID: 0, hostID: 100000, size: 65536 }];
const withMountOption = (option: string) => ({
  mounts: [option === "tmpcopyup" ? { destination: "/data", type: "tmpfs", source: "tmpfs", options: [option] } : { destination: "/data", type: "bind", source: "/srv/data", options: [option] }],
  // idmap/ridmap without mappings of their own map through the container's user namespace.
  ...(option.endsWith("idmap") && { linux: { namespaces: [{ type: "mount" }, { type: "user" }], uidMappings: USERNS_MAP, gidMappings: USERNS_MAP } }),
});
const caps = (names: string[]) => ({ process: { capabilities: { bounding: names, effective: names, permitted: names } } });

describe("the features document", () => {
  test("versions, hooks, and what crio-lxc doesn't do", () => {
    expect(features).toMatchObject({ ociVersionMin: "1.0.0", ociVersionMax: "1.2.0", potentiallyUnsafeConfigAnnotations: [] });
    expect(features.hooks).toEqual(["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]);
    expect(features.linux).toMatchObject({
      cgroup: { v1: false, v2: true, systemd: true, systemdUser: false, rdma: true },
      apparmor: { enabled: true }, selinux: { enabled: false }, intelRdt: { enabled: false }, mountExtensions: { idmap: { enabled: true } },
    });
    expect(features.annotations).toEqual({ "crio-lxc.version": expect.any(String), "crio-lxc.liblxc.version": "5.0.2" });
  });

  test("seccomp is enabled only where liblxc's filter covers the host's ABIs", () => {
    expect(seccomp.enabled).toBe(true);
    expect(runtimeFeatures("arm64").linux.seccomp.enabled).toBe(true);
    expect(runtimeFeatures("ppc64").linux.seccomp.enabled).toBe(false);
  });
});

describe("everything advertised is accepted", () => {
  test("seccomp actions, as a rule's action and as the default", () => {
    for (const action of seccomp.actions) {
      expect(() => run(withRule({ action }), X64)).not.toThrow();
      expect(() => run({ linux: { seccomp: { defaultAction: action } } }, X64)).not.toThrow();
    }
  });

  test("seccomp operators", () => {
    for (const op of seccomp.operators) expect(() => run(withRule({ args: [{ index: 1, value: 2, op }] }), X64)).not.toThrow();
  });

  test("seccomp architectures, next to the host's", () => {
    for (const arch of seccomp.archs) expect(() => run(withRule({}, { architectures: [...new Set([...HOST_ABIS, arch])] }), X64)).not.toThrow();
  });

  test("seccomp supported flags", () => {
    for (const flag of seccomp.supportedFlags) expect(() => run(withRule({}, { flags: [flag] }), X64)).not.toThrow();
  });

  test("namespaces", () => {
    for (const type of features.linux.namespaces) expect(() => run(withNamespace(type))).not.toThrow();
  });

  test("capabilities", () => {
    expect(() => run(caps(features.linux.capabilities))).not.toThrow();
  });

  test("mount options", () => {
    for (const option of features.mountOptions) expect(() => run(withMountOption(option))).not.toThrow();
  });
});

describe("what isn't advertised is refused", () => {
  test("seccomp actions crio-lxc can't honour, and unknown ones", () => {
    const refused = [...SECCOMP_ACTIONS.filter((a) => !seccomp.actions.includes(a)), "SCMP_ACT_FOO"];
    expect(refused).toEqual(expect.arrayContaining(["SCMP_ACT_KILL_PROCESS", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE"]));
    for (const action of refused) expect(refusal(withRule({ action }), X64)).toContain("linux.seccomp.syscalls[0].action");
  });

  test("unknown seccomp operators and architectures", () => {
    expect(refusal(withRule({ args: [{ index: 1, value: 2, op: "SCMP_CMP_FOO" }] }), X64)).toContain("linux.seccomp.syscalls[0].args[0].op");
    expect(refusal(withRule({}, { architectures: [...HOST_ABIS, "SCMP_ARCH_FOO"] }), X64)).toContain("linux.seccomp.architectures[3]");
  });

  test("known but unsupported seccomp flags, and unknown ones", () => {
    const unsupported = seccomp.knownFlags.filter((f) => !seccomp.supportedFlags.includes(f));
    expect(unsupported.length).toBeGreaterThan(0);
    for (const flag of [...unsupported, "SECCOMP_FILTER_FLAG_FOO"]) expect(refusal(withRule({}, { flags: [flag] }), X64)).toContain("linux.seccomp.flags[0]");
  });

  test("unknown namespaces and capabilities", () => {
    expect(refusal(withNamespace("foo"))).toContain("linux.namespaces[1].type");
    expect(refusal(caps(["CAP_FOO"]))).toContain("process.capabilities.bounding[0]");
  });

  test("a sample of mount options runc knows and crio-lxc doesn't", () => {
    for (const option of ["nosymfollow", "rro"]) {
      expect(features.mountOptions).not.toContain(option);
      expect(refusal(withMountOption(option))).toContain("mounts[0].options[0]");
    }
  });

  test("idmapped bind mounts are announced (mountExtensions.idmap, the idmap/ridmap options); Intel RDT and SELinux labels are refused", () => {
    expect(features.mountOptions).toEqual(expect.arrayContaining(["idmap", "ridmap"]));
    expect(refusal({ mounts: [{ destination: "/data", type: "bind", source: "/srv/data", uidMappings: [{ containerID: 0, hostID: 1, size: 1 }] }] })).toContain("mounts[0].gidMappings");
    expect(refusal({ linux: { intelRdt: { closID: "x" } } })).toContain("linux.intelRdt");
    expect(refusal({ linux: { mountLabel: "system_u:object_r:container_file_t:s0" } })).toContain("linux.mountLabel");
  });
});
