// podman run -t through a pty: conmon receives the console over --console-socket.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { IMAGE, Podman } from "../support/podman";
import { requireBuilt } from "../support/runtime";

const podman = new Podman();
beforeAll(() => { requireBuilt(); podman.setup(); });
afterAll(() => podman.cleanup());

describe("podman run -t --runtime dist/crio-lxc", () => {
  test("the container's stdio is a pty of its own devpts, and its controlling terminal", () => {
    const r = podman.runInTerminal(["run", "--rm", "-t", IMAGE, "sh", "-c", "tty; exec 3</dev/tty && echo ctty=yes"]);
    expect(r.stdout).toMatch(/^\/dev\/pts\/\d+\r\nctty=yes\r\n$/);
    expect(r.code).toBe(0);
  });

  test("run -it: what is typed reaches the container's process", () => {
    const r = podman.runInTerminal(["run", "--rm", "-it", IMAGE, "sh", "-c", "read line; echo got:$line"], { input: "hello\n" });
    expect(r.stdout).toContain("got:hello\r\n");
    expect(r.code).toBe(0);
  });

  test("the exit code comes through a terminal run too", () => {
    expect(podman.runInTerminal(["run", "--rm", "-t", IMAGE, "sh", "-c", "exit 5"]).code).toBe(5);
  });
});
