// `podman exec` through conmon: `crio-lxc exec --process F --detach --pid-file P`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
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
    let listed = "";
    for (const deadline = Date.now() + 10_000; listed === "" && Date.now() < deadline; await Bun.sleep(100)) {
      listed = podman.run(["exec", name, "sh", "-c", "ls /tmp/detached-done 2>/dev/null"]).stdout;
    }
    expect(listed).toBe("/tmp/detached-done\n");
  });

  test("-i with stdin piped: the process reads it to its end; without -i its stdin is empty", () => {
    const input = "x".repeat(100_000);
    expect(podman.run(["exec", "-i", name, "sh", "-c", "wc -c; echo eof"], { stdin: new Blob([input]) })).toEqual({ code: 0, stdout: "100000\neof\n", stderr: "" });
    expect(podman.run(["exec", name, "sh", "-c", "cat; echo eof"], { stdin: new Blob(["not for it"]) }).stdout).toBe("eof\n");
  });

  test("-u by name: the uid, gid and supplementary groups from the container's own /etc/passwd and /etc/group", () => {
    const add = "echo app:x:1001:1002::/home/app:/bin/sh >> /etc/passwd; echo app:x:1002: >> /etc/group; echo extra:x:1003:app >> /etc/group";
    expect(podman.run(["exec", name, "sh", "-c", add]).code).toBe(0);
    const r = podman.run(["exec", "-u", "app", name, "sh", "-c", "id; grep ^Groups: /proc/self/status; echo $HOME"]);
    // The groups are exactly podman's additionalGids (the primary gid is not added), as with runc.
    expect(r).toEqual({ code: 0, stdout: "uid=1001(app) gid=1002(app) groups=1003(extra)\nGroups:\t1003 \n/home/app\n", stderr: "" });
  });

  test("-it: what is typed reaches the process through the terminal", () => {
    const r = podman.runInTerminal(["exec", "-it", name, "sh", "-c", "read line; echo got:$line; tty"], { input: "typed\n" });
    expect(r.stdout).toMatch(/got:typed\r\n\/dev\/pts\/\d+\r\n$/);
    expect(r.code).toBe(0);
  });

  test("-d: the process outlives podman exec, and is in the container (its PID namespace, its cgroup)", async () => {
    expect(podman.run(["exec", "-d", name, "sleep", "301"]).code).toBe(0);
    const init = Number(podman.run(["inspect", "-f", "{{.State.Pid}}", name]).stdout.trim());
    const r = podman.run(["exec", name, "sh", "-c", "for p in /proc/[0-9]*; do [ \"$(cat $p/cmdline | tr '\\0' ' ')\" = 'sleep 301 ' ] && basename $p; done"]);
    const inNs = r.stdout.trim();
    expect(inNs).toMatch(/^\d+$/);
    expect(inNs).not.toBe("1");
    // The same process seen from the host: its NSpid ends in the pid the container sees, its cgroup is init's.
    const host = readdirSync("/proc").filter((p) => /^\d+$/.test(p)).find((p) => {
      try { return readFileSync(`/proc/${p}/cmdline`, "utf8") === "sleep\u0000301\u0000"; } catch { return false; }
    })!;
    expect(/^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${host}/status`, "utf8"))![1]!.split(/\s+/).at(-1)).toBe(inNs);
    const unified = (pid: number | string) => /^0::(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, "utf8"))![1];
    expect(unified(host)).toBe(unified(init));
  });
});
