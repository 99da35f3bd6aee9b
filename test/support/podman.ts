// podman + conmon (Debian's packages) driving dist/crio-lxc, with configuration
// and storage in a scratch directory this process owns (see the shared notes on
// this machine's limits).
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

  /**
   * `containers` lines go into containers.conf's [containers] table; the default
   * suits scripts/cgroup2-lane, whose cgroup2 has no pids controller.
   */
  constructor(containers: string[] = ["pids_limit = 0"]) {
    writeFileSync(this.env.CONTAINERS_CONF, [
      "[containers]",
      // No CAP_SYS_RESOURCE on the host and a hard RLIMIT_NOFILE of 20000; no iptables.
      'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]',
      'netns = "none"',
      ...containers,
      "[engine]",
      // Not the machine's /run/libpod: podman takes a missing "alive" file there for a
      // reboot and marks all its running containers exited, and `system reset` (any
      // other podman user's) removes it; conmon's exit files land there too.
      `tmp_dir = "${join(this.dir, "tmp")}"`,
      'cgroup_manager = "cgroupfs"',
      // Private to this instance too: the default shm locks are shared by every podman on the machine.
      'lock_type = "file"',
      'events_logger = "file"',
      // runc (Debian's) runs next to crio-lxc in the tests that compare the two.
      'runtime_supports_json = ["crio-lxc", "runc"]',
      // Not runtime_supports_nocgroup: crio-lxc has no --cgroup-manager=disabled (docs/examples explain).
      "[network]",
      // /etc may be read-only (scripts/qemu-lane).
      `network_config_dir = "${join(this.dir, "networks")}"`,
    ].join("\n"));
    writeFileSync(this.env.CONTAINERS_STORAGE_CONF, `[storage]\ndriver = "overlay"\ngraphroot = "${this.dir}/storage"\nrunroot = "${this.dir}/run"\n`);
  }

  /** The busybox rootfs as IMAGE (there is no registry here). */
  setup(): void {
    const tar = Bun.spawnSync(["tar", "-C", ROOTFS, "-c", "."], { stdout: "pipe" });
    const imported = this.run(["import", "--change", 'CMD ["/bin/sh"]', "-", IMAGE], { stdin: new Blob([tar.stdout]) });
    if (imported.code !== 0) throw new Error(`podman import failed: ${imported.stderr}`);
  }

  /** The podman command line with the runtime (dist/crio-lxc unless told), for running through other programs (script). */
  argv(args: string[], runtime = BIN): string[] {
    return ["podman", "--runtime", runtime, ...args];
  }

  /** Runs podman in the scratch directory, which conmon inherits as its working directory (its oom marker lands there). */
  run(args: string[], opts: { stdin?: Blob; runtime?: string } = {}) {
    const p = Bun.spawnSync(this.argv(args, opts.runtime), { env: this.env, cwd: this.dir, stdin: opts.stdin ?? "ignore", stdout: "pipe", stderr: "pipe" });
    return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
  }

  /** Starts podman without waiting for it (a foreground `run` to act on meanwhile); its stdout and stderr are piped. */
  spawn(args: string[], opts: { stdin?: Blob; runtime?: string } = {}) {
    return Bun.spawn(this.argv(args, opts.runtime), { env: this.env, cwd: this.dir, stdin: opts.stdin ?? "ignore", stdout: "pipe", stderr: "pipe" });
  }

  /** `podman inspect -f FORMAT name`, trimmed; throws when podman fails. */
  inspect(name: string, format: string, runtime?: string): string {
    const r = this.run(["inspect", "-f", format, name], { runtime });
    if (r.code !== 0) throw new Error(`podman inspect ${name} failed: ${r.stderr}`);
    return r.stdout.trim();
  }

  /** Polls until podman shows the container running (a foreground run started with spawn). */
  async waitRunning(name: string, runtime?: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.run(["inspect", "-f", "{{.State.Running}}", name], { runtime }).stdout.trim() !== "true") {
      if (Date.now() > deadline) throw new Error(`${name} is not running after ${timeoutMs} ms`);
      await Bun.sleep(50);
    }
  }

  /** Runs podman with a pty as its terminal (through script(1)), as a user's shell would. */
  runInTerminal(args: string[], opts: { input?: string; timeoutMs?: number } = {}) {
    const command = this.argv(args).map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
    const stdin = opts.input === undefined ? "ignore" : new Blob([opts.input]);
    const p = Bun.spawnSync(["script", "-qec", command, "/dev/null"], { env: this.env, cwd: this.dir, stdin, stdout: "pipe", stderr: "pipe", timeout: opts.timeoutMs ?? 30_000 });
    return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
  }

  cleanup(): void {
    this.run(["rm", "-af", "-t", "0"]);
    Bun.spawnSync(["podman", "system", "reset", "-f"], { env: this.env });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
