// A pod's volumes as the kubelet hands them to CRI-O (scripts/crio-lane):
// hostPath read-write and read-only, an emptyDir, a hostPath that is a
// symlink, destinations that go through the image's symlinks, and
// HostToContainer propagation. Each runs with crio-lxc and with runc.
import { describe, expect } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROPAGATION, SKIP_REASON, crioSuite, scenario } from "../support/crio";
import { sh } from "../support/runtime";

describe.skipIf(!!SKIP_REASON)("volumes", () => {
  crioSuite();

  scenario("hostPath rw and ro, emptyDir, a symlinked hostPath, destinations through the image's symlinks", async (_rt, pod) => {
    const p = pod("volumes");
    const vol = (name: string, content: string) => {
      const dir = join(p.dir, "volumes", name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "content"), content);
      return dir;
    };
    const data = vol("data", "data\n");
    const config = vol("config", "config\n");
    const cache = vol("empty-dir", "");
    const target = vol("target", "through-a-symlink\n");
    const link = join(p.dir, "volumes", "link");
    symlinkSync(target, link);
    const inImage = vol("in-image", "in-image\n");
    const escaping = vol("escaping", "escaping\n");
    const c = p.run("c", {
      image: { image: "localhost/busybox-extra:latest" },
      mounts: [
        { container_path: "/data", host_path: data },
        { container_path: "/config", host_path: config, readonly: true },
        { container_path: "/cache", host_path: cache },
        { container_path: "/linked", host_path: link },
        { container_path: "/etc/app/vol", host_path: inImage },
        { container_path: "/escape/vol-escape", host_path: escaping },
      ],
    });
    const probes = c.sh([
      "cat /data/content /config/content /linked/content /opt/app/vol/content /vol-escape/content",
      "echo written >/data/new && echo data-rw",
      "echo x >/config/new 2>&1",
      "echo cached >/cache/new && echo cache-rw",
      "for m in /data /config /cache /linked /opt/app/vol /vol-escape; do grep \" $m \" /proc/self/mountinfo | cut -d' ' -f5,6; done",
      "true",
    ].join("; "));
    expect(probes).toContain("data\nconfig\nthrough-a-symlink\nin-image\nescaping\n");
    expect(probes).toContain("data-rw");
    expect(probes).toContain("Read-only file system");
    expect(probes).toContain("cache-rw");
    expect(readFileSync(join(data, "new"), "utf8")).toBe("written\n");
    expect(statSync(join(data, "new")).uid).toBe(0);
    // The absolute symlink led into the rootfs, not to the node's /.
    expect(existsSync("/vol-escape")).toBe(false);
    return probes;
  });

  scenario("HostToContainer propagation: a mount made on the node later shows up inside", async (_rt, pod) => {
    const p = pod("propagation");
    const dir = join(p.dir, "volumes", "propagated");
    mkdirSync(join(dir, "sub"), { recursive: true });
    const c = p.run("c", { mounts: [{ container_path: "/prop", host_path: dir, propagation: PROPAGATION.HOST_TO_CONTAINER }] });
    sh(`mount -t tmpfs -o size=1m later ${join(dir, "sub")} && echo mounted-later > ${join(dir, "sub", "file")}`);
    try {
      const probes = c.sh("cat /prop/sub/file; grep ' /prop ' /proc/self/mountinfo | grep -o 'master:[0-9]*' | sed 's/[0-9]*$//'");
      expect(probes).toContain("mounted-later");
      return probes;
    } finally {
      sh(`umount ${join(dir, "sub")}`);
    }
  });
});
