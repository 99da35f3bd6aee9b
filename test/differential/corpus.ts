// The bundles the differential test runs under runc and crio-lxc: what
// `runc spec`, `crun spec` and `crio-lxc spec` write, what podman writes for a
// range of options (podman-bundles/, see capture-podman.ts), what CRI-O wrote
// (test/golden), and one variation per supported spec field (variations.ts).
// Every bundle's process.args, terminal and cgroupsPath are replaced per run
// (test/support/differential.ts); other rewrites are noted where they happen.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BundleCase } from "../support/differential";
import type { Spec } from "../support/inside";
import { BIN, REPO } from "../support/runtime";
import { PODMAN_BUNDLES, SECCOMP_FILE, SECCOMP_PLACEHOLDER } from "./capture-podman";
import { VARIATIONS, seccompVariations, variationCases } from "./variations";

/** `<tool> spec` in a scratch directory: its root.path is "rootfs", the bundle's rootfs copy. */
function generatedSpec(argv: string[]): Spec {
  const dir = mkdtempSync(join(tmpdir(), "crio-lxc-spec-"));
  try {
    const r = Bun.spawnSync([...argv, "spec"], { cwd: dir, stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} spec failed: ${r.stderr.toString()}`);
    return JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const generated: BundleCase[] = [
  { name: "runc spec", spec: () => generatedSpec(["/usr/sbin/runc"]) },
  { name: "crun spec", spec: () => generatedSpec(["/usr/bin/crun"]) },
  { name: "crio-lxc spec", spec: () => generatedSpec([BIN]) },
];

const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8")) as Spec;
const podmanSeccomp = () => readJson(join(PODMAN_BUNDLES, SECCOMP_FILE));

function podmanBundle(file: string): Spec {
  const { "x-differential-rewrites": _, ...spec } = readJson(join(PODMAN_BUNDLES, file));
  const linux = spec.linux as Spec;
  if (linux.seccomp === SECCOMP_PLACEHOLDER) linux.seccomp = podmanSeccomp();
  return spec;
}

const podman: BundleCase[] = readdirSync(PODMAN_BUNDLES)
  .filter((f) => f.endsWith(".json") && f !== SECCOMP_FILE)
  .sort()
  .map((file) => ({ name: `podman create ${file.replace(/\.json$/, "")}`, spec: () => podmanBundle(file) }));

/** A bundle CRI-O wrote, made runnable here. */
function crioBundle(file: string): Spec {
  const spec = readJson(join(REPO, "test/golden", file));
  // CRI-O's image store → the rootfs copy (readonly kept as CRI-O wrote it).
  spec.root = { ...(spec.root as Spec), path: "<rootfs>" };
  // Bind sources in CRI-O's runroot (resolv.conf, hostname, shm, .containerenv) → the per-run userdata.
  spec.mounts = (spec.mounts as Spec[]).map((m) =>
    typeof m.source === "string" && m.source.startsWith("/var/lib/crio/") ? { ...m, source: `<userdata>/${m.source.split("/").pop()}` } : m);
  // The pod's namespaces (pinns' bind mounts under /var/lib/crio/ns) don't exist here → new ones.
  const linux = spec.linux as Spec & { namespaces: Spec[]; resources?: Spec };
  linux.namespaces = linux.namespaces.map(({ path: _, ...ns }) => ns);
  // The infra container's -998: lowering it needs CAP_SYS_RESOURCE, which root lacks on this VM.
  const proc = spec.process as Spec;
  if (typeof proc.oomScoreAdj === "number" && proc.oomScoreAdj < 0) delete proc.oomScoreAdj;
  // Resources but devices need controllers this lane's cgroup2 doesn't offer (test/qemu covers them).
  if (linux.resources) linux.resources = { devices: linux.resources.devices };
  return spec;
}

const crio: BundleCase[] = [
  { name: "CRI-O infra container", spec: () => crioBundle("crio-infra.config.json") },
  { name: "CRI-O container", spec: () => crioBundle("crio-container.config.json") },
];

export const CORPUS: BundleCase[] = [
  ...generated,
  ...podman,
  ...crio,
  ...variationCases([...VARIATIONS, ...seccompVariations(podmanSeccomp())]),
];
