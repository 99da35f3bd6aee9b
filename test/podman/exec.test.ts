// `podman exec` through conmon: `crio-lxc exec --process F --detach --pid-file P`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { IMAGE, Podman } from "../support/podman";
import { requireBuilt } from "../support/runtime";

const podman = new Podman();
const name = `pe-${process.pid}`;
beforeAll(() => {
  requireBuilt();
  podman.setup();
  expect(podman.run(["run", "-d", "--name", name, IMAGE, "sleep", "300"]).code).toBe(0);
});
afterAll(() => podman.cleanup());

describe("podman exec --runtime dist/crio-lxc", () => {
  test("plain: output and exit code 0", () => {
    expect(podman.run(["exec", name, "echo", "hello"])).toEqual({ code: 0, stdout: "hello\n", stderr: "" });
  });

  test("-e, -u and -w", () => {
    const r = podman.run(["exec", "-e", "FOO=bar", "-u", "1000:1000", "-w", "/tmp", name, "sh", "-c", 'echo "$FOO"; id; pwd']);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("bar\nuid=1000 gid=1000\n/tmp\n");
  });

  test("exit codes: the process's, 127 for a missing program, 126 for one that can't be executed", () => {
    expect(podman.run(["exec", name, "sh", "-c", "exit 3"]).code).toBe(3);
    const missing = podman.run(["exec", name, "no-such-program"]);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain("executable file not found in $PATH");
    expect(podman.run(["exec", name, "/etc/passwd"]).code).toBe(126);
  });

  test("the exec'd process runs under the container's seccomp filter (podman's default profile)", () => {
    const r = podman.run(["exec", name, "grep", "^Seccomp", "/proc/self/status"]);
    expect(r.stdout).toMatch(/^Seccomp:\s+2\nSeccomp_filters:\s+1\n$/);
  });

  test("-t: a terminal through conmon's console socket", () => {
    const r = podman.run(["exec", "-t", name, "tty"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("/dev/pts/0\r\n");
  });

  test("-d: runs in the background", async () => {
    expect(podman.run(["exec", "-d", name, "sh", "-c", "sleep 0.2; touch /tmp/detached-done"]).code).toBe(0);
    await Bun.sleep(600);
    expect(podman.run(["exec", name, "ls", "/tmp/detached-done"]).stdout).toBe("/tmp/detached-done\n");
  });
});
