// The real client: podman + conmon (Debian's packages) with --runtime dist/crio-lxc,
// configured in files this test owns (see shared notes on this machine's limits).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IMAGE, Podman } from "../support/podman";
import { BIN, requireBuilt, sh, withoutFiles } from "../support/runtime";

const pm = new Podman();
const podman = (args: string[]) => pm.run(args);

beforeAll(() => { requireBuilt(); pm.setup(); });
afterAll(() => pm.cleanup());

describe("podman --runtime dist/crio-lxc", () => {
  test("run --rm echo hello", () => {
    const r = podman(["run", "--rm", IMAGE, "echo", "hello"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("hello\n");
    expect(r.code).toBe(0);
  });

  test("podman's default seccomp profile is enforced", () => {
    const r = podman(["run", "--rm", IMAGE, "grep", "^Seccomp:", "/proc/self/status"]);
    expect(r.stdout).toMatch(/^Seccomp:\s+2\n$/);
  });

  test("--tmpfs (tmpcopyup): the image's content in a writable tmpfs; --read-only: / can't be written, podman's tmpfs mounts can", () => {
    const tmpfs = podman(["run", "--rm", "--tmpfs", "/etc", IMAGE, "sh", "-c", "grep -c ' /etc tmpfs ' /proc/mounts; grep -c ^root: /etc/passwd; echo x >> /etc/passwd && echo written"]);
    expect(tmpfs).toEqual({ code: 0, stdout: "1\n1\nwritten\n", stderr: "" });
    const readOnly = podman(["run", "--rm", "--read-only", IMAGE, "sh", "-c", "touch /x 2>&1; for d in /tmp /var/tmp /run; do touch $d/x && echo $d-ok; done"]);
    expect(readOnly).toEqual({ code: 0, stdout: "touch: /x: Read-only file system\n/tmp-ok\n/var/tmp-ok\n/run-ok\n", stderr: "" });
  });

  test("--uidmap with supplementary groups (--group-add): runs as with runc, in a user namespace", () => {
    const args = ["run", "--rm", "--uidmap", "0:200000:65536", "--gidmap", "0:200000:65536", "--user", "1000:1000", "--group-add", "10", IMAGE, "sh", "-c", "id; cat /proc/self/uid_map"];
    const ours = podman(args);
    expect(ours.stderr).toBe("");
    expect(ours.stdout).toMatch(/^uid=1000\S* gid=1000\S* groups=10,.*\n\s+0\s+200000\s+65536\n$/);
    const runc = pm.run(args, { runtime: "runc" });
    expect(ours.stdout).toBe(runc.stdout);
  });

  test("--userns=auto: a range of the \"containers\" user's subordinate ids, as with runc", () => {
    // podman takes the range from /etc/subuid and /etc/subgid: this machine has none, so the test's own
    // are bound over them, in the lane's private mount namespace only.
    const dir = mkdtempSync(join(tmpdir(), "crio-lxc-subid-"));
    for (const file of ["subuid", "subgid"]) {
      writeFileSync(join(dir, file), "containers:500000:200000\n");
      sh(`touch /etc/${file} && mount --bind ${join(dir, file)} /etc/${file}`);
    }
    try {
      const args = ["run", "--rm", "--userns=auto", IMAGE, "sh", "-c", "id -u; cat /proc/self/uid_map"];
      const ours = podman(args);
      expect(ours.stderr).toBe("");
      expect(ours.stdout).toMatch(/^0\n\s+0\s+5\d{5}\s+\d+\n$/);
      expect(ours.stdout).toBe(pm.run(args, { runtime: "runc" }).stdout);
    } finally {
      for (const file of ["subuid", "subgid"]) sh(`umount /etc/${file}`);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("on a node without liblxc: podman runs a container with the embedded one", async () => {
    // The host's liblxc as /dev/null in a mount namespace of this test's own (podman itself needs the rest).
    const node = await withoutFiles([realpathSync(`/usr/lib/${process.arch === "x64" ? "x86_64" : "aarch64"}-linux-gnu/liblxc.so.1`)]);
    try {
      const r = Bun.spawnSync([...node.enter, ...pm.argv(["run", "--rm", IMAGE, "sh", "-c", "grep ^Seccomp: /proc/self/status"])], { env: pm.env, cwd: pm.dir, stderr: "pipe" });
      expect(r.stderr.toString()).toBe("");
      expect(r.stdout.toString()).toMatch(/^Seccomp:\s+2\n$/);
      expect(Bun.spawnSync([...node.enter, BIN, "--version"]).stdout.toString()).toContain("embedded");
      // A terminal container: liblxc's console from the container's devpts.
      const tty = Bun.spawnSync([...node.enter, ...pm.argv(["run", "--rm", "-t", IMAGE, "tty"])], { env: pm.env, cwd: pm.dir, stderr: "pipe" });
      expect(tty.stdout.toString()).toMatch(/^\/dev\/(pts\/\d+|console)\r?\n$/);
    } finally {
      await node.close();
    }
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
    const nspid = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]!.split(/\s+/);
    expect(nspid.at(-1)).toBe("1");
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).toBe("sleep\u0000300\u0000");
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
