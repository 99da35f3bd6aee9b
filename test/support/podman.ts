// podman + conmon driving dist/crio-lxc, with configuration and storage in a
// scratch directory this process owns (see the shared notes on this machine).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, ROOTFS } from "./runtime";

export const IMAGE = "localhost/crio-lxc-busybox";

export class Podman {
  readonly dir = mkdtempSync(join(tmpdir(), "crio-lxc-podman-"));
  readonly env = {
    PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    CONTAINERS_CONF: join(this.dir, "containers.conf"),
    CONTAINERS_STORAGE_CONF: join(this.dir, "storage.conf"),
    HOME: this.dir,
  };

  /** `containers` lines go into containers.conf's [containers] table. */
  constructor(containers: string[] = []) {
    writeFileSync(this.env.CONTAINERS_CONF, [
      "[containers]",
      // No CAP_SYS_RESOURCE on the host and a hard RLIMIT_NOFILE of 20000; no iptables.
      'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]',
      'netns = "none"',
      ...containers,
      "[engine]",
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      'runtime_supports_json = ["crio-lxc"]',
      'runtime_supports_nocgroup = ["crio-lxc"]',
      "[network]",
      // /etc may be read-only (scripts/qemu-lane).
      `network_config_dir = "${join(this.dir, "networks")}"`,
    ].join("\n"));
    writeFileSync(this.env.CONTAINERS_STORAGE_CONF, `[storage]\ndriver = "overlay"\ngraphroot = "${this.dir}/storage"\nrunroot = "${this.dir}/run"\n`);
  }

  /** Runs podman in the scratch directory, which conmon inherits as its working directory. */
  run(args: string[], opts: { stdin?: Blob } = {}) {
    const p = Bun.spawnSync(["podman", "--runtime", BIN, ...args], {
      env: this.env, cwd: this.dir, stdin: opts.stdin ?? "ignore", stdout: "pipe", stderr: "pipe",
    });
    return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
  }

  /** The busybox rootfs as IMAGE (there is no registry here). */
  importBusybox(): void {
    const tar = Bun.spawnSync(["tar", "-C", ROOTFS, "-c", "."], { stdout: "pipe" });
    const imported = this.run(["import", "--change", 'CMD ["/bin/sh"]', "-", IMAGE], { stdin: new Blob([tar.stdout]) });
    if (imported.code !== 0) throw new Error(`podman import: ${imported.stderr}`);
  }

  cleanup(): void {
    this.run(["rm", "-af", "-t", "0"]);
    Bun.spawnSync(["podman", "system", "reset", "-f"], { env: this.env });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
