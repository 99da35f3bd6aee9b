// A pod's and a container's securityContext through the real CRI-O
// (scripts/crio-lane): seccomp profiles, a read-only root, users and groups,
// capabilities, privileged containers, sysctls. Each scenario runs with
// crio-lxc and with runc, and what the containers see is compared.
import { describe, expect } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { LANE_DIR, SECCOMP, SKIP_REASON, crioSuite, scenario } from "../support/crio";

/** What a process sees of its credentials, capabilities and filter. */
const STATUS = "grep -E '^(Uid|Gid|Groups|Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):' /proc/self/status";

const containerSecurity = (security: Record<string, unknown>) => ({ linux: { security_context: security } });

describe.skipIf(!!SKIP_REASON)("securityContext", () => {
  crioSuite();

  scenario("seccomp RuntimeDefault: CRI-O's default profile is loaded", async (_rt, pod) => {
    const c = pod().run("c", containerSecurity({ seccomp: { profile_type: SECCOMP.RuntimeDefault } }));
    const probes = c.sh(`${STATUS}; unshare -u true 2>&1; echo unshare=$?; mount -t tmpfs t /mnt 2>&1; echo mount=$?; echo $(echo forked)`);
    expect(probes).toMatch(/^Seccomp:\s+2$/m);
    expect(probes).toContain("forked");
    return probes;
  });

  scenario("seccomp Localhost: a profile file on the node", async (_rt, pod) => {
    const profile = join(LANE_DIR, "seccomp-deny-mkdir.json");
    writeFileSync(profile, JSON.stringify({
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 38 }],
    }));
    const c = pod().run("c", containerSecurity({ seccomp: { profile_type: SECCOMP.Localhost, localhost_ref: profile } }));
    const probes = c.sh("grep '^Seccomp:' /proc/self/status; mkdir /tmp/x 2>&1; echo mkdir=$?; touch /tmp/y && echo touch-ok");
    expect(probes).toMatch(/^Seccomp:\s+2$/m);
    expect(probes).toContain("Function not implemented");
    expect(probes).toContain("touch-ok");
    return probes;
  });

  scenario("seccomp Unconfined: no filter", async (_rt, pod) => {
    const c = pod().run("c", containerSecurity({ seccomp: { profile_type: SECCOMP.Unconfined } }));
    const probes = c.sh("grep '^Seccomp:' /proc/self/status");
    expect(probes).toMatch(/^Seccomp:\s+0$/);
    return probes;
  });

  scenario("readOnlyRootFilesystem: / can't be written, the pod's mounts can", async (_rt, pod) => {
    const c = pod().run("c", containerSecurity({ readonly_rootfs: true }));
    const probes = c.sh("touch /x 2>&1; touch /tmp/x 2>&1; touch /dev/shm/x && echo shm-ok; echo ok >/dev/termination-log && echo termination-log-ok; grep ' / ' /proc/self/mountinfo | grep -o ' ro,' ");
    expect(probes).toContain("touch: /x: Read-only file system");
    expect(probes).toContain("shm-ok");
    expect(probes).toContain("termination-log-ok");
    return probes;
  });

  scenario("runAsUser, runAsGroup and supplementalGroups", async (_rt, pod) => {
    const p = pod("users", { linux: { security_context: { supplemental_groups: [3000, 4000] } } });
    const c = p.run("c", containerSecurity({ run_as_user: { value: 1000 }, run_as_group: { value: 2000 }, supplemental_groups: [3000, 4000] }));
    const probes = c.sh(`id; ${STATUS}; touch /tmp/mine && stat -c '%u:%g' /tmp/mine; touch /root/x 2>&1; true`);
    // CRI-O adds the user and group to the image's /etc/passwd and /etc/group, named after their ids.
    expect(probes).toMatch(/^uid=1000\S* gid=2000\S* groups=2000\S*,3000,4000$/m);
    expect(probes).toContain("1000:2000");
    expect(probes).toContain("Permission denied");
    return probes;
  });

  scenario("capabilities added and dropped", async (_rt, pod) => {
    const c = pod().run("c", containerSecurity({ capabilities: { add_capabilities: ["NET_ADMIN", "SYS_TIME"], drop_capabilities: ["KILL", "CHOWN"] } }));
    const probes = c.sh(`${STATUS}; ip link add dummy0 type dummy 2>&1 && echo net-admin-ok; chown 1:1 /tmp 2>&1; true`);
    expect(probes).toMatch(/^CapEff:\s+0000000002001\w+$/m);
    expect(probes).toContain("Operation not permitted"); // chown without CAP_CHOWN
    return probes;
  });

  scenario("allowPrivilegeEscalation: false sets no_new_privs; masked and read-only paths", async (_rt, pod) => {
    const c = pod().run("c", containerSecurity({ no_new_privs: true, run_as_user: { value: 1000 } }));
    const probes = c.sh("grep -E '^NoNewPrivs:' /proc/self/status; echo kcore=$(wc -c </proc/kcore 2>&1); ls /sys/firmware | wc -l; echo 1 >/proc/sys/kernel/ns_last_pid 2>&1; true");
    expect(probes).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(probes).toContain("Read-only file system");
    return probes;
  });

  scenario("allowPrivilegeEscalation: a setuid-root program runs as root unless no_new_privs", async (_rt, pod) => {
    const p = pod("escalation");
    const run = (name: string, noNewPrivs: boolean) => p.run(name, {
      image: { image: "localhost/busybox-extra:latest" },
      command: ["sh", "-c", "trap 'exit 0' TERM; /usr/local/bin/euid; sleep 3600 & wait"],
      ...containerSecurity({ run_as_user: { value: 1000 }, no_new_privs: noNewPrivs }),
    });
    const [allowed, denied] = [run("allowed", false), run("denied", true)];
    expect(await allowed.waitLog("Effective uid")).toContain("Effective uid: 0");
    expect(await denied.waitLog("Effective uid")).toContain("Effective uid: 1000");
    return "escalation as asked";
  });

  scenario("capabilities of a non-root user", async (_rt, pod) => {
    const c = pod().run("c", containerSecurity({ run_as_user: { value: 1000 }, capabilities: { add_capabilities: ["NET_BIND_SERVICE"], drop_capabilities: ["ALL"] } }));
    return c.sh(`id -u; ${STATUS}`);
  });

  scenario("safe and unsafe sysctls of the pod", async (_rt, pod) => {
    const sysctls = {
      "kernel.shm_rmid_forced": "1", "net.ipv4.ip_unprivileged_port_start": "80", "net.ipv4.ping_group_range": "0 2147483647",
      "net.core.somaxconn": "1000", "kernel.msgmax": "16384",
    };
    const c = pod("sysctls", { linux: { sysctls } }).run("c");
    const probes = c.sh("for k in kernel/shm_rmid_forced net/ipv4/ip_unprivileged_port_start net/ipv4/ping_group_range net/core/somaxconn kernel/msgmax; do echo $k=$(cat /proc/sys/$k); done");
    expect(probes).toContain("kernel/shm_rmid_forced=1");
    expect(probes).toContain("net/ipv4/ip_unprivileged_port_start=80");
    expect(probes).toContain("net/core/somaxconn=1000");
    expect(probes).toContain("kernel/msgmax=16384");
    return probes;
  });
});
