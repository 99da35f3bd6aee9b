// `crio-lxc spec`: a starting config.json for a rootfs in <bundle>/rootfs,
// with what crio-lxc honours: a shell on a terminal, a few capabilities,
// no devices beyond the standard ones, the usual pseudo-filesystems.
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { RuntimeError } from "../runtime/context";
import { OCI_VERSION } from "../version";

const CAPABILITIES = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];

const HIDDEN_KERNEL_FILES = [
  "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
  "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
];

const READ_ONLY_KERNEL_FILES = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/** runc spec's mounts, which every engine's bundle starts from. */
export const MOUNTS = [
  { destination: "/proc", type: "proc", source: "proc" },
  { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
  {
    destination: "/dev/pts", type: "devpts", source: "devpts",
    options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
  },
  { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
  { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
  { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
  { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"] },
];

export function defaultSpec() {
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ["sh"],
      env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
      cwd: "/",
      capabilities: { bounding: CAPABILITIES, effective: CAPABILITIES, permitted: CAPABILITIES },
      rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: "rootfs", readonly: true },
    hostname: "crio-lxc",
    mounts: MOUNTS,
    linux: {
      resources: { devices: [{ allow: false, access: "rwm" }] },
      namespaces: ["pid", "network", "ipc", "uts", "mount", "cgroup"].map((type) => ({ type })),
      maskedPaths: HIDDEN_KERNEL_FILES,
      readonlyPaths: READ_ONLY_KERNEL_FILES,
    },
  };
}

/** Writes <bundle>/config.json, never over an existing one (as runc spec). */
export function writeDefaultSpec(bundle: string): void {
  const dir = resolve(bundle);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new RuntimeError(`crio-lxc spec: --bundle ${bundle}: not a directory`);
  const file = join(dir, "config.json");
  try {
    writeFileSync(file, `${JSON.stringify(defaultSpec(), null, 2)}\n`, { flag: "wx", mode: 0o666 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") throw new RuntimeError(`crio-lxc spec: ${file} already exists: remove it first`);
    throw new RuntimeError(`crio-lxc spec: cannot write ${file}: ${(err as Error).message}`);
  }
}
