// Running a shell script inside a busybox container and reading what it printed,
// for tests that check the container from the inside.
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOTFS, type Sandbox, busyboxSpec, waitExit } from "./runtime";

export type Spec = Record<string, unknown>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Objects merge recursively; anything else (arrays too) replaces; undefined removes the key. */
export function merge(base: Spec, patch: Spec): Spec {
  const out: Spec = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete out[key];
    else out[key] = isObject(value) && isObject(out[key]) ? merge(out[key] as Spec, value) : value;
  }
  return out;
}

let seq = 0;

export interface InsideResult {
  code: number;
  /** The container's stdout and stderr. */
  out: string;
}

export interface Inside {
  /** The busybox spec running `sh -c script` on a fresh copy of the rootfs, with `patch` merged in. */
  spec(script: string, patch?: Spec): Spec;
  /** create + start + wait + delete; `whileRunning` runs between start and wait. */
  run(script: string, patch?: Spec, whileRunning?: () => Promise<void> | void): Promise<InsideResult>;
  /** create only; returns crio-lxc's exit code and stderr (nothing is left behind on failure). */
  create(spec: Spec): { code: number; stderr: string; id: string };
  /** A private copy of the busybox rootfs the test may change. */
  rootfsCopy(): string;
}

export function inside(sb: Sandbox, prefix: string): Inside {
  const newId = () => `${prefix}-${process.pid}-${++seq}`;
  // A copy per container: runc-like, crio-lxc creates missing mount points in the image.
  const spec = (script: string, patch: Spec = {}) =>
    merge(merge(busyboxSpec({ args: ["sh", "-c", script] }), { root: { path: copy() } }), patch);
  const copy = () => {
    const dir = join(sb.dir, `rootfs-${++seq}`);
    const cp = Bun.spawnSync(["cp", "-a", ROOTFS, dir]);
    if (cp.exitCode !== 0) throw new Error(`cp -a ${ROOTFS} ${dir} failed: ${cp.stderr.toString()}`);
    return dir;
  };
  return {
    spec,
    async run(script, patch = {}, whileRunning) {
      const id = newId();
      const outFile = join(sb.dir, `${id}.out`);
      const fd = openSync(outFile, "w");
      const pidFile = join(sb.dir, `${id}.pid`);
      const bundle = sb.bundle(merge(spec(script, patch), { linux: { cgroupsPath: `/crio-lxc-test/${id}` } }));
      const created = sb.run(["create", "--bundle", bundle, "--pid-file", pidFile, id], { stdout: fd });
      closeSync(fd);
      if (created.code !== 0) throw new Error(`create failed: ${readFileSync(outFile, "utf8")}`);
      const pid = Number(readFileSync(pidFile, "utf8"));
      if (sb.run(["start", id]).code !== 0) throw new Error(`start ${id} failed`);
      try {
        await whileRunning?.();
        return { code: await waitExit(pid), out: readFileSync(outFile, "utf8") };
      } finally {
        sb.run(["delete", "--force", id]);
      }
    },
    create(containerSpec) {
      const id = newId();
      const bundle = sb.bundle(merge(containerSpec, { linux: { cgroupsPath: `/crio-lxc-test/${id}` } }));
      const r = sb.run(["create", "--bundle", bundle, id]);
      if (r.code === 0) sb.run(["delete", "--force", id]);
      return { code: r.code ?? -1, stderr: r.stderr, id };
    },
    rootfsCopy: copy,
  };
}
