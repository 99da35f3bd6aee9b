// What needs real cgroup controllers and every capability, through the real
// CRI-O: run by scripts/test as `scripts/qemu-lane scripts/crio-lane`. Pods
// with an infra (pause) container, the kubelet's resources (limits, hugepage
// limits for every size the node has, memory.oom.group), an in-place update,
// an OOM kill, a privileged container. Each runs with crio-lxc and with runc.
import { beforeAll, describe, expect } from "bun:test";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { NS, PROPAGATION, SKIP_REASON, crictlOk, crioSuite, scenario } from "../support/crio";
import { hugepageSizes, sh } from "../support/runtime";

const MiB = 1024 * 1024;


/** A container's resources as the kubelet sends them for requests/limits of `cpu` millicores and `memory` bytes. */
function kubeletResources(cpuMillis: number, memory: number, oomScoreAdj: number) {
  return {
    cpu_period: 100_000,
    cpu_quota: cpuMillis * 100,
    cpu_shares: Math.floor((cpuMillis * 1024) / 1000),
    memory_limit_in_bytes: memory,
    // The kubelet's NoSwap: swap limit = memory limit (CRI-O passes it on only where the node has swap).
    memory_swap_limit_in_bytes: memory,
    oom_score_adj: oomScoreAdj,
    hugepage_limits: hugepageSizes().map((page_size) => ({ page_size, limit: 0 })),
    unified: { "memory.oom.group": "1" },
  };
}

const CGROUP_FILES = "cd /sys/fs/cgroup && for f in memory.max memory.swap.max memory.oom.group cpu.max cpu.weight $(ls hugetlb.*.max 2>/dev/null); do echo $f=$(cat $f); done";

describe.skipIf(!!SKIP_REASON)("pods with real cgroup controllers (QEMU lane)", () => {
  beforeAll(() => {
    const controllers = readFileSync("/sys/fs/cgroup/cgroup.controllers", "utf8");
    if (!/\bmemory\b/.test(controllers) || !/\bcpu\b/.test(controllers)) throw new Error("no memory/cpu controller: run with scripts/qemu-lane scripts/crio-lane");
  });
  crioSuite();

  scenario("a pod sharing its PID namespace: the infra (pause) container is pid 1, with oomScoreAdj -998", async (_rt, pod) => {
    const p = pod("shared-pid", { linux: { security_context: { namespace_options: { network: NS.POD, pid: NS.POD, ipc: NS.POD } } } });
    const share = { linux: { security_context: { namespace_options: { network: NS.POD, pid: NS.POD, ipc: NS.POD } } } };
    const a = p.run("a", { ...share, command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3601 & wait"] });
    const b = p.run("b", share);
    const seen = b.sh("tr '\\0' '\\n' </proc/1/cmdline; cat /proc/1/oom_score_adj; ps -o args | grep -c '^sleep 3601'");
    expect(seen).toBe("/pause\n-998\n1");
    expect(a.sh("ps -o args | grep -c '^sleep 3600'")).toBe("1");
    return seen;
  });

  scenario("the kubelet's resources for a Burstable container, then an in-place update", async (_rt, pod) => {
    const p = pod("limits", {}, "burstable");
    const c = p.run("c", { linux: { resources: kubeletResources(500, 64 * MiB, 937) } });
    const before = c.sh(CGROUP_FILES);
    expect(before).toContain(`memory.max=${64 * MiB}`);
    expect(before).toContain("memory.oom.group=1");
    expect(before).toContain("cpu.max=50000 100000");
    expect(before).toContain("cpu.weight=20");
    for (const size of hugepageSizes()) expect(before).toContain(`hugetlb.${size}.max=0`);
    expect(c.sh("cat /proc/self/oom_score_adj")).toBe("937");
    // InPlacePodVerticalScaling: UpdateContainerResources on the running container.
    crictlOk(["update", "--memory", String(128 * MiB), "--cpu-quota", "25000", "--cpu-period", "100000", "--cpu-share", "256", c.id]);
    const after = c.sh(CGROUP_FILES);
    expect(after).toContain(`memory.max=${128 * MiB}`);
    expect(after).toContain("cpu.max=25000 100000");
    expect(after).toContain("cpu.weight=10");
    return `${before}\n--- updated\n${after}`;
  });

  scenario("an OOM-killed container is reported with reason OOMKilled", async (_rt, pod) => {
    const p = pod("oom", {}, "guaranteed");
    const c = p.run("hog", { command: ["sh", "-c", "echo filling; exec tail /dev/zero"], linux: { resources: kubeletResources(200, 32 * MiB, -997) } });
    const s = await c.waitState("CONTAINER_EXITED", 120_000);
    expect({ exitCode: s.exitCode, reason: s.reason }).toEqual({ exitCode: 137, reason: "OOMKilled" });
    return `${s.exitCode} ${s.reason}`;
  });

  scenario("stats: memory and CPU of a running container", async (_rt, pod) => {
    const c = pod("stats", {}, "burstable").run("c", {
      command: ["sh", "-c", "trap 'exit 0' TERM; head -c 8000000 /dev/zero | cat >/dev/shm/fill; sleep 3600 & wait"],
      linux: { resources: kubeletResources(500, 64 * MiB, 937) },
    });
    let memory = 0;
    const deadline = Date.now() + 60_000;
    while (memory < 8_000_000 && Date.now() < deadline) {
      const stats = JSON.parse(crictlOk(["stats", "-o", "json", "--id", c.id])).stats[0];
      memory = Number(stats?.memory?.workingSetBytes?.value ?? 0);
      if (memory < 8_000_000) await Bun.sleep(500);
    }
    expect(memory).toBeGreaterThanOrEqual(8_000_000);
    return "memory seen";
  });

  scenario("privileged: every capability, the node's devices, a writable /sys, no seccomp", async (_rt, pod) => {
    const p = pod("priv", { linux: { security_context: { privileged: true } } });
    const c = p.run("c", { linux: { security_context: { privileged: true, masked_paths: [], readonly_paths: [] } } });
    const probes = c.sh("grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):' /proc/self/status; ls /dev | sort | tr '\\n' ' '; echo; grep ' /sys ' /proc/self/mountinfo | cut -d' ' -f6; mkdir -p /tmp/m && mount -t tmpfs t /tmp/m && echo mount-ok; ip link set lo mtu 1500 && echo net-admin-ok");
    const bounding = readFileSync("/proc/self/status", "utf8").match(/^CapBnd:\s+(\w+)$/m)![1];
    expect(probes).toMatch(new RegExp(`^CapEff:\\s+${bounding}$`, "m"));
    expect(probes).toMatch(/^Seccomp:\s+0$/m);
    expect(probes).toContain("mount-ok");
    expect(probes).toContain("net-admin-ok");
    expect(probes).toContain(" null ");
    return probes;
  });

  scenario("Bidirectional mount propagation (a CSI node plugin's): mounts made inside reach the node and back", async (_rt, pod) => {
    const p = pod("csi", { linux: { security_context: { privileged: true } } });
    const dir = join(p.dir, "volumes", "kubelet");
    mkdirSync(join(dir, "from-node"), { recursive: true });
    mkdirSync(join(dir, "from-pod"), { recursive: true });
    const c = p.run("c", {
      mounts: [{ container_path: "/var/lib/kubelet", host_path: dir, propagation: PROPAGATION.BIDIRECTIONAL }],
      linux: { security_context: { privileged: true, masked_paths: [], readonly_paths: [] } },
    });
    c.sh("mount -t tmpfs -o size=1m from-pod /var/lib/kubelet/from-pod && echo made-in-pod >/var/lib/kubelet/from-pod/file");
    sh(`mount -t tmpfs -o size=1m from-node ${join(dir, "from-node")} && echo made-on-node > ${join(dir, "from-node", "file")}`);
    try {
      expect(readFileSync(join(dir, "from-pod", "file"), "utf8")).toBe("made-in-pod\n");
      const seen = c.sh("cat /var/lib/kubelet/from-node/file; grep ' /var/lib/kubelet ' /proc/self/mountinfo | grep -o 'shared:'");
      expect(seen).toContain("made-on-node");
      return seen;
    } finally {
      sh(`umount ${join(dir, "from-node")}; umount ${join(dir, "from-pod")}; true`);
    }
  });
});
