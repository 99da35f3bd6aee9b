// Bundles that each vary one group of the spec fields crio-lxc supports
// (docs/spec-fields.md) from one base, so a difference points at its field.
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { merge, type Spec } from "../support/inside";
import { type BundleCase, makeSocketFile } from "../support/differential";
import { mkfifo } from "../../src/sys";
import { hugepageBytes, hugepageSizes } from "../support/runtime";

const PAGE = hugepageSizes()[0] ?? "2MB";

const DEFAULT_CAPS = [
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
  "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
];

/** A typical engine-written bundle, with a writable root so the probe's write checks mean something. */
export function baseSpec(): Spec {
  return {
    ociVersion: "1.2.0",
    root: { path: "<rootfs>", readonly: false },
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ["sh"],
      env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
      cwd: "/",
      capabilities: { bounding: DEFAULT_CAPS, effective: DEFAULT_CAPS, permitted: DEFAULT_CAPS },
      rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    hostname: "probe",
    mounts: [
      { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
      { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
      { destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
      { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
      { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
      { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
      { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"] },
    ],
    linux: {
      namespaces: ["pid", "network", "ipc", "uts", "mount"].map((type) => ({ type })),
      maskedPaths: ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"],
      readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    },
  };
}

const caps = (list: string[]) => ({ bounding: list, effective: list, permitted: list, inheritable: list, ambient: list });
const withMount = (...mounts: Spec[]) => (s: Spec) => ({ ...s, mounts: [...(s.mounts as Spec[]), ...mounts] });
const namespaces = (...types: string[]) => ({ linux: { namespaces: types.map((type) => ({ type })) } });
const userMapping = [{ containerID: 0, hostID: 100000, size: 65536 }];

/** Files of every kind under /srv of the rootfs copy, for masked and read-only paths. */
function makeSrv({ rootfs }: { rootfs: string }): void {
  const srv = join(rootfs, "srv");
  mkdirSync(join(srv, "dir"), { recursive: true });
  writeFileSync(join(srv, "dir/inner"), "inner\n");
  writeFileSync(join(srv, "file"), "content\n");
  mkfifo(join(srv, "fifo"), 0o644);
  makeSocketFile(join(srv, "socket"));
  symlinkSync("file", join(srv, "link"));
}

const SECCOMP_BLOCK_MKDIR = {
  defaultAction: "SCMP_ACT_ALLOW",
  architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO" }],
};

interface Variation {
  name: string;
  /** A patch merged into the base (objects merge, arrays replace), or a function of the base. */
  patch: Spec | ((base: Spec) => Spec);
  extra?: Omit<BundleCase, "name" | "spec">;
}

/** Variations that need podman's default seccomp profile (an ERRNO default with an allow list). */
export function seccompVariations(podmanDefault: Spec): Variation[] {
  return [
    { name: "seccomp ERRNO default, allow list (podman's)", patch: { linux: { seccomp: podmanDefault } } },
    { name: "seccomp architectures SCMP_ARCH_X86_64 only", patch: { linux: { seccomp: { ...podmanDefault, architectures: ["SCMP_ARCH_X86_64"] } } } },
  ];
}

export const VARIATIONS: Variation[] = [
  { name: "base", patch: {} },
  // process.user
  { name: "user uid/gid 1000", patch: { process: { user: { uid: 1000, gid: 1000 } } } },
  { name: "user additionalGids", patch: { process: { user: { uid: 1000, gid: 1000, additionalGids: [10, 20, 1000] } } } },
  { name: "user umask 077", patch: { process: { user: { uid: 0, gid: 0, umask: 0o077 } } } },
  // process.env, cwd
  { name: "env duplicates, empty value, HOME", patch: { process: { env: ["PATH=/bin", "A=1", "A=2", "EMPTY=", "HOME=/custom", "WITH_EQ=a=b"] } } },
  { name: "env without PATH or HOME", patch: { process: { env: ["ONLY=1"] } } },
  { name: "cwd missing in the image", patch: { process: { cwd: "/work/missing/dir" } } },
  { name: "cwd /tmp as uid 1000", patch: { process: { cwd: "/tmp", user: { uid: 1000, gid: 1000 } } } },
  // process.capabilities
  { name: "capabilities all empty", patch: { process: { capabilities: { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] } } } },
  { name: "capabilities absent", patch: { process: { capabilities: undefined } } },
  { name: "capabilities inheritable and ambient", patch: { process: { capabilities: caps(["CAP_NET_BIND_SERVICE", "CAP_KILL", "CAP_CHOWN"]) } } },
  { name: "capabilities ambient for uid 1000", patch: { process: { user: { uid: 1000, gid: 1000 }, capabilities: caps(["CAP_NET_BIND_SERVICE"]) } } },
  { name: "capabilities bounding wider than effective", patch: { process: { capabilities: { bounding: [...DEFAULT_CAPS, "CAP_SYS_ADMIN", "CAP_NET_ADMIN"], effective: ["CAP_CHOWN"], permitted: ["CAP_CHOWN"] } } } },
  // process.rlimits, noNewPrivileges, oomScoreAdj
  {
    name: "rlimits",
    patch: {
      process: {
        rlimits: [
          { type: "RLIMIT_NOFILE", hard: 2048, soft: 512 }, { type: "RLIMIT_CORE", hard: 0, soft: 0 },
          { type: "RLIMIT_NPROC", hard: 4096, soft: 2048 }, { type: "RLIMIT_MEMLOCK", hard: 65536, soft: 65536 },
          { type: "RLIMIT_AS", hard: 4294967296, soft: 2147483648 }, { type: "RLIMIT_STACK", hard: 16777216, soft: 8388608 },
          { type: "RLIMIT_MSGQUEUE", hard: 1024, soft: 1024 },
        ],
      },
    },
  },
  { name: "rlimits none", patch: { process: { rlimits: undefined } } },
  { name: "noNewPrivileges false", patch: { process: { noNewPrivileges: false } } },
  { name: "oomScoreAdj 500", patch: { process: { oomScoreAdj: 500 } } },
  { name: "oomScoreAdj 1000", patch: { process: { oomScoreAdj: 1000 } } },
  // hostname, domainname
  { name: "hostname and domainname", patch: { hostname: "h1.probe", domainname: "example.test" } },
  { name: "hostname absent", patch: { hostname: undefined } },
  // mounts
  { name: "mount bind ro", patch: withMount({ destination: "/data", type: "bind", source: "<volume>", options: ["rbind", "ro"] }) },
  { name: "mount bind nosuid,noexec,nodev", patch: withMount({ destination: "/data", type: "bind", source: "<volume>", options: ["bind", "nosuid", "noexec", "nodev"] }) },
  { name: "mount bind rslave", patch: withMount({ destination: "/data", type: "bind", source: "<volume>", options: ["rbind", "rslave"] }), extra: { sharedBundle: true } },
  { name: "mount bind rprivate", patch: withMount({ destination: "/data", type: "bind", source: "<volume>", options: ["rbind", "rprivate"] }), extra: { sharedBundle: true } },
  { name: "mount bind rshared", patch: withMount({ destination: "/data", type: "bind", source: "<volume>", options: ["rbind", "rshared"] }), extra: { sharedBundle: true } },
  { name: "mount bind of a file ro", patch: withMount({ destination: "/etc/hostname", type: "bind", source: "<userdata>/hostname", options: ["bind", "ro"] }) },
  { name: "mount bind under a bind", patch: withMount(
    { destination: "/data", type: "bind", source: "<volume>", options: ["rbind"] },
    { destination: "/data/sub", type: "tmpfs", source: "tmpfs", options: ["size=1m"] },
  ) },
  { name: "mount tmpfs mode and size", patch: withMount({ destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1770", "size=1m", "uid=1000", "gid=1000"] }) },
  { name: "mount tmpfs tmpcopyup", patch: withMount({ destination: "/etc", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup", "mode=755"] }) },
  {
    name: "mount tmpcopyup under a nested tmpfs",
    patch: withMount(
      { destination: "/run", type: "tmpfs", source: "tmpfs", options: ["mode=755"] },
      { destination: "/run/sub", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup"] },
    ),
    extra: { prepare: ({ rootfs }) => { mkdirSync(join(rootfs, "run/sub"), { recursive: true }); writeFileSync(join(rootfs, "run/sub/image-file"), "x\n"); } },
  },
  {
    name: "mount overlay",
    patch: withMount({ destination: "/overlay", type: "overlay", source: "overlay", options: ["lowerdir=<volume>", "upperdir=<bundle>/upper", "workdir=<bundle>/work"] }),
    extra: { prepare: ({ bundle }) => { mkdirSync(join(bundle, "upper")); mkdirSync(join(bundle, "work")); } },
  },
  { name: "mount sysfs and cgroup rw", patch: (s) => ({ ...s, mounts: (s.mounts as Spec[]).map((m) => ["/sys", "/sys/fs/cgroup"].includes(m.destination as string) ? { ...m, options: ["nosuid", "noexec", "nodev", "rw"] } : m) }) },
  { name: "mount no /dev tmpfs", patch: (s) => ({ ...s, mounts: (s.mounts as Spec[]).filter((m) => m.destination !== "/dev") }) },
  { name: "mount only /proc", patch: (s) => ({ ...s, mounts: (s.mounts as Spec[]).filter((m) => m.destination === "/proc") }) },
  // namespaces
  { name: "namespaces without network", patch: namespaces("pid", "ipc", "uts", "mount") },
  { name: "namespaces without pid", patch: namespaces("network", "ipc", "uts", "mount") },
  { name: "namespaces without ipc", patch: namespaces("pid", "network", "uts", "mount") },
  { name: "namespaces without uts", patch: { ...namespaces("pid", "network", "ipc", "mount"), hostname: undefined } },
  // Without masked or read-only paths: runc can't make them without a mount namespace ("unable to restrict sys entries").
  { name: "namespaces without mount", patch: merge(namespaces("pid", "network", "ipc", "uts"), { linux: { maskedPaths: [], readonlyPaths: [] } }), extra: { isolate: true } },
  { name: "namespaces with cgroup", patch: namespaces("pid", "network", "ipc", "uts", "mount", "cgroup") },
  {
    name: "namespaces with user, uid/gid mappings",
    patch: merge(namespaces("pid", "network", "ipc", "uts", "mount", "user"), { linux: { uidMappings: userMapping, gidMappings: userMapping } }),
  },
  {
    name: "namespaces with user and cgroup",
    patch: merge(namespaces("pid", "network", "ipc", "uts", "mount", "user", "cgroup"), { linux: { uidMappings: userMapping, gidMappings: userMapping } }),
  },
  {
    name: "namespaces with user and cgroup, inheritable and ambient capabilities",
    patch: merge(namespaces("pid", "network", "ipc", "uts", "mount", "user", "cgroup"), {
      linux: { uidMappings: userMapping, gidMappings: userMapping },
      process: { capabilities: caps(["CAP_NET_BIND_SERVICE", "CAP_KILL", "CAP_CHOWN"]) },
    }),
  },
  {
    name: "namespaces with time, timeOffsets",
    patch: merge(namespaces("pid", "network", "ipc", "uts", "mount", "time"), { linux: { timeOffsets: { monotonic: { secs: 86400 }, boottime: { secs: 3600 } } } }),
  },
  // devices
  {
    name: "devices",
    patch: {
      linux: {
        devices: [
          { path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 0o666 },
          { path: "/dev/custom-null", type: "c", major: 1, minor: 3, fileMode: 0o640, uid: 1000, gid: 1000 },
          { path: "/dev/loopish", type: "b", major: 7, minor: 200, fileMode: 0o660 },
          { path: "/dev/pipe0", type: "p", fileMode: 0o600 },
        ],
        resources: { devices: [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 10, minor: 229, access: "rwm" }] },
      },
    },
  },
  // linux.resources: the probe reads the cgroup's files (skipped without the controllers: scripts/qemu-lane has them)
  { name: "resources memory", patch: { linux: { resources: { memory: { limit: 67108864, reservation: 33554432, swap: 134217728 } } } }, extra: { controllers: ["memory"] } },
  { name: "resources pids", patch: { linux: { resources: { pids: { limit: 100 } } } }, extra: { controllers: ["pids"] } },
  { name: "resources cpu", patch: { linux: { resources: { cpu: { shares: 512, quota: 50000, period: 100000 } } } }, extra: { controllers: ["cpu"] } },
  { name: "resources cpuset", patch: { linux: { resources: { cpu: { cpus: "0", mems: "0" } } } }, extra: { controllers: ["cpuset"] } },
  { name: "resources io weight", patch: { linux: { resources: { blockIO: { weight: 200 } } } }, extra: { controllers: ["io"] } },
  { name: "resources unified", patch: { linux: { resources: { unified: { "memory.high": "100000000", "pids.max": "50" } } } }, extra: { controllers: ["memory", "pids"] } },
  // The machine's smallest page size: hugetlb files are named after the sizes it has.
  { name: "resources hugepageLimits", patch: { linux: { resources: { hugepageLimits: [{ pageSize: PAGE, limit: 4 * hugepageBytes(PAGE) }] } } }, extra: { controllers: ["hugetlb"] } },
  // maskedPaths, readonlyPaths (a FIFO apart: it is a known hang)
  { name: "maskedPaths file, dir, symlink, missing", patch: { linux: { maskedPaths: ["/srv/file", "/srv/dir", "/srv/link", "/srv/missing"] } }, extra: { prepare: makeSrv } },
  { name: "maskedPaths FIFO", patch: { linux: { maskedPaths: ["/srv/fifo"] } }, extra: { prepare: makeSrv } },
  { name: "maskedPaths socket", patch: { linux: { maskedPaths: ["/srv/socket"] } }, extra: { prepare: makeSrv } },
  { name: "readonlyPaths file, dir, symlink, missing", patch: { linux: { readonlyPaths: ["/srv/file", "/srv/dir", "/srv/link", "/srv/missing"] } }, extra: { prepare: makeSrv } },
  { name: "readonlyPaths FIFO", patch: { linux: { readonlyPaths: ["/srv/fifo"] } }, extra: { prepare: makeSrv } },
  { name: "readonlyPaths socket", patch: { linux: { readonlyPaths: ["/srv/socket"] } }, extra: { prepare: makeSrv } },
  // sysctl
  { name: "sysctl ipc and net", patch: { linux: { sysctl: { "kernel.shm_rmid_forced": "1", "kernel.msgmax": "4096", "net.ipv4.ip_forward": "1", "net.core.somaxconn": "256" } } } },
  { name: "sysctl kernel.domainname", patch: { linux: { sysctl: { "kernel.domainname": "sysctl.example" } } } },
  // seccomp
  { name: "seccomp ALLOW default, mkdir blocked", patch: { linux: { seccomp: SECCOMP_BLOCK_MKDIR } } },
  { name: "seccomp mkdir ENOSYS by errnoRet", patch: { linux: { seccomp: { ...SECCOMP_BLOCK_MKDIR, syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 38 }] } } } },
  { name: "seccomp symlink KILL", patch: { linux: { seccomp: { ...SECCOMP_BLOCK_MKDIR, syscalls: [{ names: ["symlink", "symlinkat"], action: "SCMP_ACT_KILL" }] } } } },
  // rootfs
  { name: "rootfsPropagation unset, bundle on a shared mount", patch: {}, extra: { sharedBundle: true } },
  { name: "rootfsPropagation rshared", patch: { linux: { rootfsPropagation: "rshared" } }, extra: { sharedBundle: true } },
  { name: "rootfsPropagation private", patch: { linux: { rootfsPropagation: "private" } }, extra: { sharedBundle: true } },
  { name: "rootfsPropagation rprivate", patch: { linux: { rootfsPropagation: "rprivate" } }, extra: { sharedBundle: true } },
  { name: "rootfsPropagation slave", patch: { linux: { rootfsPropagation: "slave" } }, extra: { sharedBundle: true } },
  { name: "rootfsPropagation rslave", patch: { linux: { rootfsPropagation: "rslave" } }, extra: { sharedBundle: true } },
  { name: "rootfsPropagation shared", patch: { linux: { rootfsPropagation: "shared" } }, extra: { sharedBundle: true } },
  { name: "root readonly", patch: { root: { path: "<rootfs>", readonly: true } } },
  { name: "root path relative", patch: { root: { path: "rootfs", readonly: false } } },
  // personality
  { name: "personality LINUX32", patch: { linux: { personality: { domain: "LINUX32" } } } },
  // exit status, fds
  { name: "exit 3", patch: {}, extra: { finish: { exit: 3 } } },
  { name: "killed by SIGKILL", patch: {}, extra: { finish: { signal: "KILL" } } },
  { name: "run --preserve-fds 1", patch: {}, extra: { runArgs: ["--preserve-fds", "1"], passFile: "<bundle>/volume/file" } },
];

export function variationCases(variations: Variation[]): BundleCase[] {
  return variations.map(({ name, patch, extra }) => ({
    name: `spec: ${name}`,
    spec: () => (typeof patch === "function" ? patch(baseSpec()) : merge(baseSpec(), patch)),
    ...extra,
  }));
}
