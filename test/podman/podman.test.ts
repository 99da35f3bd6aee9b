// The real client: podman + conmon (Debian's packages) with --runtime dist/crio-lxc,
// configured in files this test owns (see shared notes on this machine's limits).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, ROOTFS, requireBuilt } from "../support/runtime";

const dir = mkdtempSync(join(tmpdir(), "crio-lxc-podman-"));
const IMAGE = "localhost/crio-lxc-busybox";
const env = {
  PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
  CONTAINERS_CONF: join(dir, "containers.conf"),
  CONTAINERS_STORAGE_CONF: join(dir, "storage.conf"),
  HOME: dir,
};

function podman(args: string[], opts: { stdin?: Blob } = {}) {
  const p = Bun.spawnSync(["podman", "--runtime", BIN, ...args], { env, stdin: opts.stdin ?? "ignore", stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

beforeAll(() => {
  requireBuilt();
  writeFileSync(env.CONTAINERS_CONF, `
[containers]
# No CAP_SYS_RESOURCE here and a hard RLIMIT_NOFILE of 20000: podman's default ulimits fail in every runtime.
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
# No iptables on this machine.
netns = "none"
# The cgroup2 lane has no pids controller.
pids_limit = 0
# Seccomp translation lands with the config.json issue; until then crio-lxc refuses a profile.
seccomp_profile = "unconfined"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime_supports_json = ["crio-lxc"]
runtime_supports_nocgroup = ["crio-lxc"]
`);
  writeFileSync(env.CONTAINERS_STORAGE_CONF, `
[storage]
driver = "overlay"
graphroot = "${dir}/storage"
runroot = "${dir}/run"
`);
  const tar = Bun.spawnSync(["tar", "-C", ROOTFS, "-c", "."], { stdout: "pipe" });
  const imported = podman(["import", "--change", 'CMD ["/bin/sh"]', "-", IMAGE], { stdin: new Blob([tar.stdout]) });
  expect(imported.stderr).not.toContain("Error");
  expect(imported.code).toBe(0);
});

afterAll(() => {
  podman(["rm", "-af", "-t", "0"]);
  Bun.spawnSync(["podman", "system", "reset", "-f"], { env });
  rmSync(dir, { recursive: true, force: true });
});

describe("podman --runtime dist/crio-lxc", () => {
  test("run --rm echo hello", () => {
    const r = podman(["run", "--rm", IMAGE, "echo", "hello"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("hello\n");
    expect(r.code).toBe(0);
  });

  test("the exit code of sh -c 'exit 7' on each of 20 runs", () => {
    const codes = Array.from({ length: 20 }, () => podman(["run", "--rm", IMAGE, "sh", "-c", "exit 7"]).code);
    expect(codes).toEqual(Array(20).fill(7));
  });

  test("run -d, inspect's State.Pid is the container's init, stop", () => {
    const name = `pd-${process.pid}`;
    const r = podman(["run", "-d", "--name", name, IMAGE, "sleep", "300"]);
    expect(r.code).toBe(0);
    const pid = Number(podman(["inspect", "-f", "{{.State.Pid}}", name]).stdout.trim());
    expect(pid).toBeGreaterThan(0);
    // In the container's PID namespace that process is pid 1 and runs `sleep 300`.
    const nspid = /^NSpid:\s+(.*)$/m.exec(require("node:fs").readFileSync(`/proc/${pid}/status`, "utf8"))![1]!.split(/\s+/);
    expect(nspid.at(-1)).toBe("1");
    expect(require("node:fs").readFileSync(`/proc/${pid}/cmdline`, "utf8")).toBe("sleep\u0000300\u0000");
    const stop = podman(["stop", "-t", "2", name]);
    expect(stop.code).toBe(0);
    // sleep is pid 1 of its namespace and has no SIGTERM handler, so the kernel drops
    // SIGTERM; after -t 2 podman sends SIGKILL: 137, exactly as with runc.
    expect(podman(["inspect", "-f", "{{.State.ExitCode}}", name]).stdout.trim()).toBe("137");
    expect(podman(["rm", name]).code).toBe(0);
  });

  test("pause and unpause (the runtime's pause/resume), then rm -f of a paused container", () => {
    const name = `pp-${process.pid}`;
    expect(podman(["run", "-d", "--name", name, IMAGE, "sleep", "300"]).code).toBe(0);
    expect(podman(["pause", name]).code).toBe(0);
    expect(podman(["inspect", "-f", "{{.State.Status}}", name]).stdout.trim()).toBe("paused");
    expect(podman(["unpause", name]).code).toBe(0);
    expect(podman(["inspect", "-f", "{{.State.Status}}", name]).stdout.trim()).toBe("running");
    expect(podman(["pause", name]).code).toBe(0);
    expect(podman(["rm", "-f", "-t", "0", name]).code).toBe(0);
  });
});
