// `crio-lxc features`: the runtime-spec Features structure, built from the
// translator's own tables so it can't claim more (or less) than create accepts.
import { arch } from "node:os";
import { OCI_VERSION, VERSION } from "../version";
import { capabilityNames } from "./capabilities";
import { supportedMountOptions } from "./mounts";
import { HooksSchema } from "../oci/schema";
import { NAMESPACE_TYPES } from "../oci/schema-linux";
import { seccompFeatures } from "./seccomp";

/** The oldest config.json version crio-lxc reads: every 1.x is a superset of 1.0.0. */
const OCI_VERSION_MIN = "1.0.0";

export const ANNOTATION_VERSION = "crio-lxc.version";
export const ANNOTATION_LIBLXC_VERSION = "crio-lxc.liblxc.version";
/** Which liblxc: the host's (system), the embedded one, or a path, and where it came from. */
export const ANNOTATION_LIBLXC_SOURCE = "crio-lxc.liblxc.source";

/**
 * @param liblxcVersion the loaded liblxc's version, when it could be loaded
 * @param liblxcSource which liblxc it is and where it came from
 */
export function runtimeFeatures(hostArch: string = arch(), liblxcVersion?: string, liblxcSource?: string) {
  return {
    ociVersionMin: OCI_VERSION_MIN,
    ociVersionMax: OCI_VERSION,
    hooks: Object.keys(HooksSchema.entries),
    mountOptions: supportedMountOptions(),
    linux: {
      namespaces: [...NAMESPACE_TYPES].sort(),
      capabilities: capabilityNames(),
      // v2 only; --systemd-cgroup expands slice:prefix:name; rdma.max is written; no rootless (user) manager.
      cgroup: { v1: false, v2: true, systemd: true, systemdUser: false, rdma: true },
      seccomp: seccompFeatures(hostArch),
      // process.apparmorProfile becomes lxc.apparmor.profile; SELinux labels and Intel RDT are refused.
      apparmor: { enabled: true },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      // mounts[].uidMappings/gidMappings are refused.
      mountExtensions: { idmap: { enabled: true } },
    },
    annotations: {
      [ANNOTATION_VERSION]: VERSION,
      ...(liblxcVersion ? { [ANNOTATION_LIBLXC_VERSION]: liblxcVersion } : {}),
      ...(liblxcSource ? { [ANNOTATION_LIBLXC_SOURCE]: liblxcSource } : {}),
    },
    // crio-lxc reads no annotation of config.json.
    potentiallyUnsafeConfigAnnotations: [] as string[],
  };
}
