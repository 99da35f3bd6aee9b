// The clients' view on a real cgroup2 (run with scripts/qemu-lane): conmon
// sees an OOM kill inside the container, and `podman update` reaches the
// container's cgroup through `crio-lxc update --resources`; both compared
// with Debian's runc in the same test.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BIN, requireBuilt } from "../support/runtime";
import { IMAGE, Podman } from "../support/podman";
import { cgroupFile, requireQemuLane } from "./guest";

// Software emulation: podman takes seconds per container.
setDefaultTimeout(180_000);
const MiB = 1024 * 1024;
let podman: Podman;
beforeAll(() => { requireQemuLane(); requireBuilt(); podman = new Podman([]); podman.setup(); });
afterAll(() => podman.cleanup());

const cgroupOf = (pid: number) => readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().replace(/^0::\//, "");

describe("podman on a real cgroup2", () => {
  test("an OOM kill: exit 137 and conmon's oom marker, and State.OOMKilled exactly as with runc", () => {
    // conmon 2.1.6 writes its oom marker into its working directory (podman's: the scratch
    // directory) and Debian's podman 4.3.1 looks for it elsewhere, so State.OOMKilled may
    // stay false with runc too: crio-lxc must just do what runc does.
    const marker = join(podman.dir, "oom");
    const outcome = (runtime: string) => {
      rmSync(marker, { force: true });
      const name = `oom-${runtime === BIN ? "crio-lxc" : "runc"}-${process.pid}`;
      const r = podman.run(["run", "--name", name, "--memory", "32m", "--memory-swap", "32m", IMAGE, "sh", "-c", "head -c 200m /dev/zero | tail"], { runtime });
      // The shell reports each process of its pipeline the OOM killer took: tail, sometimes head too.
      const stderr = r.stderr.replace(/(Killed\n)+/, "Killed\n");
      const seen = { code: r.code, marker: existsSync(marker), oomKilled: podman.inspect(name, "{{.State.OOMKilled}}", runtime), stderr };
      expect(podman.run(["rm", name], { runtime }).code).toBe(0);
      return seen;
    };
    const runc = outcome("runc");
    const crioLxc = outcome(BIN);
    console.log(`OOM kill seen by podman: runc ${JSON.stringify(runc)}, crio-lxc ${JSON.stringify(crioLxc)}`);
    expect(crioLxc).toEqual(runc);
    expect(crioLxc).toMatchObject({ code: 137, marker: true });
  });

  test("run --memory/--cpus and podman update: the container's cgroup files, from the host and from inside, as with runc", async () => {
    const FILES = ["memory.max", "memory.swap.max", "cpu.max", "cpu.weight"];
    // The container's init prints its own view of the files on each SIGUSR1. (A `podman exec`
    // here sees the guest's initramfs root instead of the container's, with runc too.)
    const show = `trap 'echo ---; for f in ${FILES.join(" ")}; do cat /sys/fs/cgroup/$f; done' USR1; while :; do sleep 1 & wait $!; done`;
    const seen = async (runtime: string) => {
      const name = `updc-${runtime === BIN ? "crio-lxc" : "runc"}-${process.pid}`;
      const started = podman.run(["run", "-d", "--name", name, "--memory", "64m", "--cpus", "0.5", IMAGE, "sh", "-c", show], { runtime });
      expect(started.stderr).toBe("");
      const dir = cgroupOf(Number(podman.inspect(name, "{{.State.Pid}}", runtime)));
      let shown = 0;
      const read = async () => {
        expect(podman.run(["kill", "-s", "USR1", name], { runtime }).code).toBe(0);
        shown++;
        const deadline = Date.now() + 30_000;
        let blocks: string[][] = [];
        while (blocks.length < shown && Date.now() < deadline) {
          await Bun.sleep(200);
          blocks = podman.run(["logs", name], { runtime }).stdout.split("---\n").slice(1).map((b) => b.trim().split("\n")).filter((b) => b.length === FILES.length);
        }
        return { host: FILES.map((f) => cgroupFile(dir, f)), inside: blocks[shown - 1] };
      };
      const before = await read();
      const updated = podman.run(["update", "--memory", "128m", "--memory-swap", "256m", "--cpus", "1.5", name], { runtime });
      expect(updated.stderr).toBe("");
      const after = await read();
      expect(podman.run(["rm", "-f", "-t", "0", name], { runtime }).code).toBe(0);
      return { before, after };
    };
    const runc = await seen("runc");
    const crioLxc = await seen(BIN);
    expect(crioLxc).toEqual(runc);
    // podman's default swap limit is twice the memory; memory.swap.max is what goes beyond memory.max.
    expect(crioLxc.before).toEqual({ host: [`${64 * MiB}`, `${64 * MiB}`, "50000 100000", "100"], inside: [`${64 * MiB}`, `${64 * MiB}`, "50000 100000", "100"] });
    expect(crioLxc.after).toEqual({ host: [`${128 * MiB}`, `${128 * MiB}`, "150000 100000", "100"], inside: [`${128 * MiB}`, `${128 * MiB}`, "150000 100000", "100"] });
  });

  test("podman update changes the running container's limits", () => {
    const name = `upd-${process.pid}`;
    expect(podman.run(["run", "-d", "--name", name, "--memory", "64m", "--pids-limit", "100", IMAGE, "sleep", "300"]).code).toBe(0);
    const pid = Number(podman.run(["inspect", "-f", "{{.State.Pid}}", name]).stdout.trim());
    const dir = cgroupOf(pid);
    expect([cgroupFile(dir, "memory.max"), cgroupFile(dir, "pids.max")]).toEqual([`${64 * MiB}`, "100"]);
    const updated = podman.run(["update", "--memory", "128m", "--cpu-shares", "2048", name]);
    expect(updated.stderr).toBe("");
    expect([cgroupFile(dir, "memory.max"), cgroupFile(dir, "cpu.weight")]).toEqual([`${128 * MiB}`, "79"]);
    expect(podman.run(["rm", "-f", "-t", "0", name]).code).toBe(0);
  });
});
