// Pods as the kubelet makes them, through the real CRI-O (scripts/crio-lane):
// shared namespaces, hostnames, host namespaces. Each scenario runs with
// crio-lxc and with runc, and what the containers see is compared.
import { describe, expect } from "bun:test";
import { readlinkSync } from "node:fs";
import { NS, SKIP_REASON, crioSuite, scenario, type Container } from "../support/crio";

const namespaces = (c: Container, types: string[]) => c.sh(`for t in ${types.join(" ")}; do readlink /proc/self/ns/$t; done`).split("\n");

describe.skipIf(!!SKIP_REASON)("pods", () => {
  crioSuite();

  scenario("two containers share the pod's net, ipc and uts namespaces", async (_rt, pod) => {
    const p = pod("shared");
    const server = p.run("server", { command: ["sh", "-c", "trap 'exit 0' TERM; nc -ll -p 8080 -e echo hello-from-server & wait"] });
    const client = p.run("client");
    const [serverNs, clientNs] = [server, client].map((c) => namespaces(c, ["net", "ipc", "uts", "pid"]));
    expect(clientNs!.slice(0, 3)).toEqual(serverNs!.slice(0, 3));
    expect(clientNs![3]).not.toBe(serverNs![3]); // pid: one per container (the kubelet's default)
    // One network: the client reaches the server on localhost; one ipc: a shm segment is seen by both.
    expect(client.sh("nc 127.0.0.1 8080 </dev/null")).toBe("hello-from-server");
    server.sh("echo shared >/dev/shm/marker");
    expect(client.sh("cat /dev/shm/marker")).toBe("shared");
    return client.sh("hostname; cat /etc/hostname; ip -o -4 addr show eth0 | grep -c 10.88.; id; cat /proc/1/cmdline | tr '\\0' ' '");
  });

  scenario("the pod's hostname, explicit and CRI-O's default (the sandbox id) when none is given", async (_rt, pod) => {
    const named = pod("named", { hostname: "web-0" }).run("c");
    const unnamedPod = pod("unnamed", { hostname: "" });
    const unnamed = unnamedPod.run("c");
    expect(named.sh("hostname")).toBe("web-0");
    expect(named.sh("cat /etc/hostname")).toBe("web-0");
    expect(unnamed.sh("hostname; cat /etc/hostname")).toBe(`${unnamedPod.id.slice(0, 12)}\n${unnamedPod.id.slice(0, 12)}`);
    return named.sh("hostname; cat /etc/hostname; echo $HOSTNAME");
  });

  scenario("the pod's DNS config in /etc/resolv.conf, the kubelet's /etc/hosts", async (_rt, pod) => {
    const c = pod("dns").run("c");
    const seen = c.sh("cat /etc/resolv.conf; echo ---; cat /etc/hosts; grep -E ' /etc/(resolv.conf|hosts) ' /proc/self/mountinfo | cut -d' ' -f5,6");
    expect(seen).toContain("nameserver 10.96.0.10");
    expect(seen).toContain("search default.svc.cluster.local svc.cluster.local");
    expect(seen).toContain("options ndots:5");
    expect(seen).toContain("127.0.0.1\tlocalhost");
    return seen;
  });

  scenario("hostNetwork, hostPID and hostIPC: the node's namespaces", async (_rt, pod) => {
    const host = { network: NS.NODE, pid: NS.NODE, ipc: NS.NODE };
    const c = pod("host", { hostname: undefined, linux: { security_context: { namespace_options: host } } }).run("c");
    const inside = namespaces(c, ["net", "ipc", "pid"]);
    expect(inside).toEqual(["net", "ipc", "pid"].map((t) => readlinkSync(`/proc/self/ns/${t}`)));
    // The node's processes are visible: this test's own among them.
    expect(c.sh(`cat /proc/${process.pid}/cmdline >/dev/null && echo visible`)).toBe("visible");
    return inside.join("\n");
  });
});
