// OCI hooks and preserved fds as podman passes them: hooks from a hooks.d
// directory (podman --hooks-dir), fds through `exec --preserve-fds`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { IMAGE, Podman } from "../support/podman";
import { requireBuilt } from "../support/runtime";

const podman = new Podman();
const hooksDir = join(podman.dir, "hooks.d");
const outDir = join(podman.dir, "hook-out");

beforeAll(() => {
  requireBuilt();
  podman.setup();
  mkdirSync(hooksDir);
  mkdirSync(outDir);
  const script = join(podman.dir, "record-state.sh");
  // Each stage's state JSON (stdin) lands in <outDir>/<stage>.json.
  writeFileSync(script, `#!/bin/sh\ncat > "${outDir}/$1.json"\n`);
  chmodSync(script, 0o755);
  for (const stage of ["createRuntime", "poststart", "poststop"]) {
    writeFileSync(join(hooksDir, `${stage}.json`), JSON.stringify({
      version: "1.0.0",
      hook: { path: script, args: ["record-state.sh", stage] },
      when: { annotations: { "crio-lxc.test": "hooks" } },
      stages: [stage],
    }));
  }
});
afterAll(() => podman.cleanup());

const waitFor = async (file: string) => {
  for (let i = 0; i < 200 && !existsSync(file); i++) await Bun.sleep(25);
  return JSON.parse(readFileSync(file, "utf8"));
};

describe("podman hooks.d", () => {
  test("createRuntime, poststart and poststop hooks get the state for their phase", async () => {
    const name = `hooks-${process.pid}`;
    const run = podman.run(["--hooks-dir", hooksDir, "run", "-d", "--name", name, "--annotation", "crio-lxc.test=hooks", IMAGE, "sleep", "300"]);
    expect(run.stderr).toBe("");
    const id = run.stdout.trim();
    const pid = Number(podman.run(["inspect", "-f", "{{.State.Pid}}", name]).stdout.trim());
    const created = await waitFor(join(outDir, "createRuntime.json"));
    expect(created).toMatchObject({ id, status: "creating", pid });
    expect(created.annotations["crio-lxc.test"]).toBe("hooks");
    expect(await waitFor(join(outDir, "poststart.json"))).toMatchObject({ id, status: "running", pid });
    expect(podman.run(["--hooks-dir", hooksDir, "rm", "-f", "-t", "0", name]).code).toBe(0);
    expect(await waitFor(join(outDir, "poststop.json"))).toMatchObject({ id, status: "stopped" });
  });
});

describe("podman exec --preserve-fds", () => {
  test("the caller's fd 3 reaches the exec'd process", () => {
    const name = `fds-${process.pid}`;
    expect(podman.run(["run", "-d", "--name", name, IMAGE, "sleep", "300"]).code).toBe(0);
    const file = join(podman.dir, "fd3.out");
    const fd = openSync(file, "w");
    const p = Bun.spawnSync(podman.argv(["exec", "--preserve-fds", "1", name, "sh", "-c", "echo through-fd-3 >&3"]), {
      env: podman.env, cwd: podman.dir, stdio: ["ignore", "pipe", "pipe", fd],
    });
    closeSync(fd);
    expect(p.stderr.toString()).toBe("");
    expect(p.exitCode).toBe(0);
    expect(readFileSync(file, "utf8")).toBe("through-fd-3\n");
    podman.run(["rm", "-f", "-t", "0", name]);
  });
});
