// What the kubelet and kubectl do with a running container through CRI-O
// (scripts/crio-lane): execSync (probes) with exit codes and a timeout,
// streaming exec with and without a tty, attach, logs and their reopening
// after a rotation, port-forward. Each runs with crio-lxc and with runc.
import { describe, expect } from "bun:test";
import { readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { SKIP_REASON, crictl, crictlSpawn, crioSuite, scenario } from "../support/crio";

/** crictl in a pty (through script(1)), as a user's terminal would run it. */
function inTerminal(args: string[], input?: string) {
  const command = [process.env.CRICTL ?? "crictl", ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  const p = Bun.spawnSync(["script", "-qec", command, "/dev/null"], {
    stdin: input === undefined ? "ignore" : new Blob([input]), stdout: "pipe", stderr: "pipe", timeout: 60_000,
  });
  return { code: p.exitCode, out: p.stdout.toString().replaceAll("\r", "") };
}

/** Reads `stream` until it holds `text`; `stop` ends the process that writes it, should that take too long. */
async function readUntil(stream: ReadableStream<Uint8Array>, text: string, stop: () => void, timeoutMs = 30_000): Promise<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  const timer = setTimeout(stop, timeoutMs);
  try {
    while (!seen.includes(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += decoder.decode(value);
    }
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
  if (!seen.includes(text)) throw new Error(`no "${text}" in: ${seen}`);
  return seen;
}

describe.skipIf(!!SKIP_REASON)("exec, attach, logs, port-forward", () => {
  crioSuite();

  scenario("execSync: exit codes, output, a timeout that kills the command", async (_rt, pod) => {
    const c = pod().run("c");
    const ok = c.execSync(["sh", "-c", "echo out; echo err >&2"]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^out\n+err\n+$/); // crictl prints both on stdout
    // crictl exits 1 and says what the command exited with.
    const failed = c.execSync(["sh", "-c", "exit 3"]);
    expect(failed.stderr).toContain("exited with 3");
    const missing = c.execSync(["/no/such/program"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("/no/such/program");
    expect(missing.stderr).toContain("no such file or directory");
    const started = Date.now();
    const timedOut = c.execSync(["sleep", "37"], 2);
    expect(timedOut.code).not.toBe(0);
    expect(timedOut.stderr).toMatch(/timed out|timeout/i);
    expect(Date.now() - started).toBeLessThan(30_000);
    // Nothing of it is left running in the container.
    expect(c.sh("ps -o args | grep -c '^sleep 37' || true")).toBe("0");
    // Not the missing program's error: runc words it "stat /no/such/program: no such file or directory".
    return [ok.stdout, failed.stderr, timedOut.stderr].join("\n").replace(/[0-9a-f]{64}/g, "ID");
  });

  scenario("streaming exec: output, exit code, stdin", async (_rt, pod) => {
    const c = pod().run("c");
    const r = crictl(["exec", c.id, "sh", "-c", "echo out; echo err >&2; exit 4"]);
    expect(r.stdout).toBe("out\n");
    expect(r.stderr).toStartWith("err\n");
    expect(r.stderr).toContain("command terminated with exit code 4");
    const piped = crictl(["exec", "-i", c.id, "sh", "-c", "tr a-z A-Z; echo stdin-closed"], { input: "piped through\n" });
    expect(piped.code).toBe(0);
    expect(piped.stdout).toBe("PIPED THROUGH\nstdin-closed\n");
    return [r.stdout, r.stderr, piped.stdout].join("\n").replace(/[0-9a-f]{64}/g, "ID");
  });

  scenario("streaming exec with a tty", async (_rt, pod) => {
    const c = pod().run("c");
    const r = inTerminal(["exec", "-it", c.id, "sh", "-c", "tty; test -t 0 && test -t 1 && echo both-ttys; echo TERM=$TERM; exit 5"]);
    expect(r.out).toMatch(/\/dev\/pts\/\d+\n/);
    expect(r.out).toContain("both-ttys");
    expect(r.out).toContain("command terminated with exit code 5");
    return r.out.replace(/\/dev\/pts\/\d+/, "/dev/pts/N").replace(/[0-9a-f]{64}/g, "ID").replaceAll("^@", "");
  });

  scenario("attach: stdin reaches the container, its output comes back", async (_rt, pod) => {
    const c = pod().run("c", { stdin: true, command: ["sh", "-c", "trap 'exit 0' TERM; echo ready; exec 3<&0; while read line <&3; do echo got:$line; done & wait"] });
    await c.waitLog("ready");
    const attach = crictlSpawn(["attach", "-i", c.id]);
    attach.stdin.write("hello\n");
    attach.stdin.flush();
    await c.waitLog("got:hello");
    // Without stdin_once the container's stdin stays open when the attach ends.
    attach.stdin.end();
    const timer = setTimeout(() => attach.kill(), 30_000);
    await attach.exited;
    clearTimeout(timer);
    const seen = await new Response(attach.stdout).text();
    expect(seen).toContain("got:hello");
    expect(c.status().state).toBe("CONTAINER_RUNNING");
    return seen;
  });

  scenario("logs, and reopening them after a rotation", async (_rt, pod) => {
    const p = pod("logs");
    const c = p.run("c", { command: ["sh", "-c", "trap 'exit 0' TERM; echo first; echo to-stderr >&2; i=0; while :; do i=$((i+1)); echo line-$i; sleep 0.1; done & wait"] });
    const before = await c.waitLog("line-3");
    expect(before).toContain("first");
    expect(before).toContain("to-stderr");
    const logFile = join(p.dir, "logs", "c", "0.log");
    expect(readFileSync(logFile, "utf8")).toMatch(/^\S+ stdout F first$/m);
    expect(readFileSync(logFile, "utf8")).toMatch(/^\S+ stderr F to-stderr$/m);
    // The kubelet's rotation: rename, then ask the runtime to reopen.
    renameSync(logFile, `${logFile}.rotated`);
    const reopened = crictl(["logs", "--reopen", c.id]);
    expect(reopened.code).toBe(0);
    await c.waitLog("line-");
    const fresh = readFileSync(logFile, "utf8");
    expect(fresh).not.toContain("first");
    expect(fresh).toMatch(/stdout F line-\d+/);
    return "logs reopened";
  });

  scenario("port-forward to a pod's port", async (_rt, pod) => {
    const p = pod("forward");
    p.run("server", { command: ["sh", "-c", "trap 'exit 0' TERM; nc -ll -p 8080 -e echo hello-through-the-forward & wait"] });
    const forward = crictlSpawn(["port-forward", p.id, "0:8080"]);
    try {
      const banner = await readUntil(forward.stdout, "Forwarding from", () => forward.kill());
      const port = banner.match(/127\.0\.0\.1:(\d+)/)?.[1];
      expect(port).toBeDefined();
      const got = Bun.spawnSync(["busybox", "nc", "127.0.0.1", port!], { stdin: "ignore", stdout: "pipe", timeout: 30_000 }).stdout.toString();
      expect(got).toBe("hello-through-the-forward\n");
      return got;
    } finally {
      forward.kill();
      await forward.exited;
    }
  });
});
