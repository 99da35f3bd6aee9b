// Pods in user namespaces, as the kubelet asks for them with hostUsers: false
// (namespace_options.userns_options, mode POD with the pod's id mappings):
// CRI-O gives the runtime uid/gid mappings and bind mounts of its runroot and
// of volumes. Each runs with crio-lxc and with runc (scripts/crio-lane).
import { describe, expect } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SKIP_REASON, crioSuite, scenario } from "../support/crio";

/** The kubelet's mappings for a pod: 65536 ids from a base it picked for that pod alone. */
const mapping = (base: number) => [{ container_id: 0, host_id: base, length: 65536 }];
const userns = (base: number) => ({ linux: { security_context: { namespace_options: { userns_options: { mode: 0, uids: mapping(base), gids: mapping(base) } } } } });

/** The Uid line of a process on the node: real, effective, saved, fs. */
const hostUid = (pid: number) => /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1];

describe.skipIf(!!SKIP_REASON)("user namespaces (hostUsers: false)", () => {
  crioSuite();

  scenario("root inside is an unprivileged uid on the node; a hostPath volume and an emptyDir are usable; two pods get their own ids", async (_rt, pod) => {
    const first = pod("userns-a", userns(300000));
    const data = join(first.dir, "volumes", "data");
    const cache = join(first.dir, "volumes", "cache");
    for (const dir of [data, cache]) mkdirSync(dir, { recursive: true });
    // As the kubelet makes an emptyDir: world-writable (the pod's ids aren't the node's root).
    chmodSync(cache, 0o777);
    writeFileSync(join(data, "content"), "from the node\n");
    const c = first.run("c", {
      mounts: [{ container_path: "/data", host_path: data }, { container_path: "/cache", host_path: cache }],
    });
    const inside = c.sh([
      "id", "cat /proc/self/uid_map /proc/self/gid_map", "grep ^Cap /proc/self/status",
      "cat /data/content", "echo made > /cache/new && echo cache-rw",
      "stat -c '%n %u:%g %a' /dev/shm /etc/hostname /etc/resolv.conf /data/content",
    ].join("; "));
    expect(inside).toStartWith("uid=0(root) gid=0(root)");
    expect(inside).toMatch(/^\s+0\s+300000\s+65536$/m);
    expect(inside).toContain("from the node\ncache-rw\n");
    // The node sees the mapped ids: the container's root is 300000 there, and so is what it made.
    expect(hostUid(c.status().pid!)).toBe("300000");
    expect(statSync(join(cache, "new")).uid).toBe(300000);
    const second = pod("userns-b", userns(400000));
    const d = second.run("d");
    expect(hostUid(d.status().pid!)).toBe("400000");
    expect(d.sh("cat /proc/self/uid_map")).toMatch(/^\s+0\s+400000\s+65536\s*$/);
    return inside;
  });
});
