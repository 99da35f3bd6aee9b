// Regenerates test/differential/podman-bundles/: the config.json podman writes
// for a range of `podman create` options, with this machine's paths replaced by
// the placeholders test/support/differential.ts fills in per run.
//   scripts/cgroup2-lane ./node_modules/.bin/bun test/differential/capture-podman.ts
// podman writes config.json when it initializes the container, so each one is
// `podman init`ed (under runc) and then removed.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deepEquals } from "bun";
import { IMAGE, Podman } from "../support/podman";
import { BIN } from "../support/runtime";

export const PODMAN_BUNDLES = join(import.meta.dir, "podman-bundles");
export const SECCOMP_FILE = "seccomp-default.json";
export const SECCOMP_PLACEHOLDER = "<podman-default-seccomp>";

/** `podman create` options by fixture name; the volume options get a scratch directory for `<volume>`. */
export function variants(volume: string): Record<string, string[]> {
  return {
    "default": [],
    "cap-add": ["--cap-add", "NET_ADMIN,SYS_TIME"],
    "cap-drop": ["--cap-drop", "CHOWN,NET_RAW,SETFCAP"],
    "cap-drop-all": ["--cap-drop", "ALL", "--cap-add", "CHOWN"],
    "user": ["--user", "1000:1000"],
    "group-add": ["--user", "1000:1000", "--group-add", "10", "--group-add", "20"],
    "read-only": ["--read-only"],
    "read-only-tmpfs-false": ["--read-only", "--read-only-tmpfs=false"],
    "tmpfs": ["--tmpfs", "/scratch:rw,size=1m,mode=1770"],
    "volume-ro": ["-v", `${volume}:/data:ro`],
    "volume-rslave": ["-v", `${volume}:/data:rw,rslave`],
    "mount-bind": ["--mount", `type=bind,source=${volume},destination=/bound,ro=true`],
    "mount-tmpfs": ["--mount", "type=tmpfs,destination=/cache,tmpfs-size=2m,tmpfs-mode=0700"],
    "no-new-privileges": ["--security-opt", "no-new-privileges"],
    "seccomp-unconfined": ["--security-opt", "seccomp=unconfined"],
    "mask-unmask": ["--security-opt", "mask=/etc/hostname:/proc/cpuinfo", "--security-opt", "unmask=/proc/acpi"],
    "privileged": ["--privileged"],
    // nproc too: podman's default for it with --ulimit (1048576) is above this machine's hard limit.
    "ulimit": ["--ulimit", "nofile=512:1024", "--ulimit", "core=0:0", "--ulimit", "stack=8388608:16777216", "--ulimit", "nproc=4096:8192"],
    "sysctl": ["--sysctl", "kernel.msgmax=4096", "--sysctl", "net.ipv4.ip_forward=1"],
    "hostname": ["--hostname", "probe-host"],
    "env": ["--env", "FOO=bar", "--env", "EMPTY=", "--env", "HOME=/tmp"],
    "workdir": ["--workdir", "/var"],
    "umask": ["--umask", "0077"],
    "oom-score-adj": ["--oom-score-adj", "100"],
    "ipc-host": ["--ipc", "host"],
    "pid-host": ["--pid", "host"],
    "net-host": ["--net", "host"],
    "uts-host": ["--uts", "host"],
    "cgroupns-private": ["--cgroupns", "private"],
    "cgroupns-host": ["--cgroupns", "host"],
    "device": ["--device", "/dev/fuse"],
    "shm-size": ["--shm-size", "8m"],
    "systemd": ["--systemd=always"],
    "init": ["--init"],
    "uidmap": ["--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536"],
    "pod": ["--pod", "new:differential-pod"],
  };
}

type Json = Record<string, unknown>;

const COMMON_DEVICES = new Set([
  "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", "/dev/tty0", "/dev/tty1", "/dev/ptmx",
  "/dev/kmsg", "/dev/fuse", "/dev/net/tun", "/dev/loop-control", "/dev/loop0", "/dev/cpu/0/cpuid",
]);

/** The fixture of one captured config.json; `rewrites` says what changed, for the reviewer. */
function toFixture(config: Json, podmanDir: string, volume: string, defaultSeccomp: unknown): Json {
  const rewrites: string[] = [];
  let text = JSON.stringify(config);
  const userdata = new RegExp(`${podmanDir}/(?:storage|run)/overlay-containers/[0-9a-f]{64}/userdata/`, "g");
  if (userdata.test(text)) { text = text.replace(userdata, "<userdata>/"); rewrites.push("podman's userdata files (hosts, hostname, resolv.conf, .containerenv, shm) → <userdata>/"); }
  if (text.includes(volume)) { text = text.replaceAll(volume, "<volume>"); rewrites.push("the volume's directory → <volume>"); }
  if (text.includes("/usr/libexec/podman/catatonit")) { text = text.replaceAll("/usr/libexec/podman/catatonit", "<userdata>/catatonit"); rewrites.push("catatonit → an empty <userdata>/catatonit (the probe replaces the process)"); }
  const fixture = JSON.parse(text) as Json & { root: Json; linux: Json & { namespaces?: Json[] } };
  fixture.root = { ...fixture.root, path: "<rootfs>" };
  rewrites.push("root.path (podman's overlay) → <rootfs>");
  if (fixture.linux.namespaces?.some((ns) => ns.path)) {
    fixture.linux.namespaces = fixture.linux.namespaces.map(({ path: _, ...ns }) => ns);
    rewrites.push("joined namespaces (the pod's infra container's /proc/<pid>/ns) → new ones");
  }
  const devices = fixture.linux.devices as Array<{ path: string }> | undefined;
  if (devices && devices.some((d) => !COMMON_DEVICES.has(d.path))) {
    fixture.linux.devices = devices.filter((d) => COMMON_DEVICES.has(d.path));
    rewrites.push("linux.devices (--privileged lists all of the host's /dev) → the ones every host has");
  }
  if (defaultSeccomp !== undefined && deepEquals(fixture.linux.seccomp, defaultSeccomp)) fixture.linux.seccomp = SECCOMP_PLACEHOLDER;
  if (JSON.stringify(fixture).includes(podmanDir)) throw new Error(`a path of this machine is left in ${JSON.stringify(fixture)}`);
  return { ...fixture, "x-differential-rewrites": rewrites };
}

async function capture(): Promise<void> {
  const podman = new Podman();
  const volume = mkdtempSync(join(tmpdir(), "crio-lxc-volume-"));
  try {
    podman.setup();
    rmSync(PODMAN_BUNDLES, { recursive: true, force: true });
    mkdirSync(PODMAN_BUNDLES);
    let defaultSeccomp: unknown;
    for (const [name, options] of Object.entries(variants(volume))) {
      // runc can't start a pod's infra container in scripts/cgroup2-lane ("error reopening /dev/null
      // inside container: operation not permitted"); which runtime starts it doesn't change config.json.
      const runtime = name === "pod" ? BIN : "runc";
      const created = podman.run(["create", "--name", name, ...options, IMAGE, "sh"], { runtime });
      if (created.code !== 0) throw new Error(`podman create ${options.join(" ")}: ${created.stderr}`);
      const init = podman.run(["init", name], { runtime });
      // The config is written before the runtime runs; a runtime refusing it doesn't make it less of a fixture.
      if (init.code !== 0) console.warn(`podman init (${name}) failed: ${init.stderr.trim()}`);
      const config = JSON.parse(readFileSync(join(podman.inspect(name, "{{.StaticDir}}", runtime), "config.json"), "utf8")) as Json & { linux: Json };
      if (name === "default") {
        defaultSeccomp = config.linux.seccomp;
        writeFileSync(join(PODMAN_BUNDLES, SECCOMP_FILE), `${JSON.stringify(defaultSeccomp, null, 2)}\n`);
      }
      writeFileSync(join(PODMAN_BUNDLES, `${name}.json`), `${JSON.stringify(toFixture(config, podman.dir, volume, defaultSeccomp), null, 2)}\n`);
      podman.run(["rm", "-f", "-t", "0", name], { runtime });
      console.log(`captured ${name}`);
    }
    podman.run(["pod", "rm", "-af"]);
  } finally {
    podman.cleanup();
    rmSync(volume, { recursive: true, force: true });
  }
  console.log(`${readdirSync(PODMAN_BUNDLES).length} files in ${PODMAN_BUNDLES}`);
}

if (import.meta.main) await capture();
