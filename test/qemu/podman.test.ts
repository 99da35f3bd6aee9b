// The clients' view on a real cgroup2 (run with scripts/qemu-lane): conmon
// sees an OOM kill inside the container, and `podman update` reaches the
// container's cgroup through `crio-lxc update --resources`.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { requireBuilt } from "../support/runtime";
import { IMAGE, Podman } from "../support/podman";
import { cgroupFile, requireQemuLane } from "./guest";

// Software emulation: podman takes seconds per container.
setDefaultTimeout(180_000);
const MiB = 1024 * 1024;
let podman: Podman;
// Seccomp translation lands with the config.json issue; until then crio-lxc refuses a profile.
beforeAll(() => { requireQemuLane(); requireBuilt(); podman = new Podman([]); podman.setup(); });
afterAll(() => podman.cleanup());

const cgroupOf = (pid: number) => readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().replace(/^0::\//, "");

describe("podman on a real cgroup2", () => {
  test("an OOM kill inside the container reaches conmon: exit 137 and conmon's oom marker", () => {
    // conmon 2.1.6 writes the marker into its working directory (podman's, here the scratch
    // directory); Debian's podman 4.3.1 looks elsewhere, so State.OOMKilled stays false with runc too.
    const marker = join(podman.dir, "oom");
    expect(existsSync(marker)).toBe(false);
    const name = `oom-${process.pid}`;
    const r = podman.run(["run", "--name", name, "--memory", "32m", "--memory-swap", "32m", IMAGE, "sh", "-c", "head -c 200m /dev/zero | tail"]);
    expect(r.code).toBe(137);
    expect(existsSync(marker)).toBe(true);
    expect(podman.run(["rm", name]).code).toBe(0);
  });

  test("podman update changes the running container's limits", () => {
    const name = `upd-${process.pid}`;
    expect(podman.run(["run", "-d", "--name", name, "--memory", "64m", "--pids-limit", "100", IMAGE, "sleep", "300"]).code).toBe(0);
    const pid = Number(podman.run(["inspect", "-f", "{{.State.Pid}}", name]).stdout.trim());
    const dir = cgroupOf(pid);
    expect([cgroupFile(dir, "memory.max"), cgroupFile(dir, "pids.max")]).toEqual([`${64 * MiB}`, "100"]);
    const updated = podman.run(["update", "--memory", "128m", "--cpu-shares", "2048", name]);
    expect(updated.stderr).toBe("");
    expect([cgroupFile(dir, "memory.max"), cgroupFile(dir, "cpu.weight")]).toEqual([`${128 * MiB}`, "174"]);
    expect(podman.run(["rm", "-f", "-t", "0", name]).code).toBe(0);
  });
});
