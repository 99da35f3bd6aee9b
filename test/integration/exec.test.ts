// exec into real containers through dist/crio-lxc, in a pure cgroup2 view, as
// root. The test process is a child subreaper, as conmon is: detached exec'd
// processes become its children.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readlinkSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConsoleSocket, converse } from "../support/console-socket";
import { BIN, Sandbox, becomeSubreaper, busyboxSpec, requireBuilt, waitExit, waitFor } from "../support/runtime";

let sb: Sandbox;
let running: { id: string; pid: number };
beforeAll(() => {
  requireBuilt();
  becomeSubreaper();
  sb = new Sandbox();
  // A user-namespaced container is set up as its mapped root, which must reach --root.
  chmodSync(sb.dir, 0o711);
  // A devpts, as every engine's bundle mounts: exec --tty opens the container's /dev/ptmx (runc's symlink to pts/ptmx).
  running = container((spec) => spec.mounts.push({ destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] }));
});
afterAll(() => sb.cleanup());

let seq = 0;
const newId = () => `ex-${process.pid}-${++seq}`;
const cgroupOf = (id: string) => `crio-lxc-test/${id}`;

const CAPS = ["CAP_CHOWN", "CAP_KILL", "CAP_SETUID", "CAP_SETGID"];
/** Runs a command under an allow-everything seccomp filter, as a confined service would. */
const UNDER_SECCOMP = [process.execPath, join(import.meta.dir, "../support/under-seccomp.ts")];
type Spec = Record<string, any>;

interface ContainerOptions { start?: boolean; env?: Record<string, string>; wrapper?: string[] }

/** A running (or with start: false, created) busybox container; returns init's pid. */
function container(patch: (spec: Spec) => void = () => {}, opts: ContainerOptions = {}) {
  const id = newId();
  const spec: Spec = busyboxSpec({ args: ["sleep", "300"], cgroupsPath: `/${cgroupOf(id)}` });
  spec.process.capabilities = { bounding: CAPS, effective: CAPS, permitted: CAPS };
  spec.process.rlimits = [{ type: "RLIMIT_NOFILE", soft: 1000, hard: 2000 }];
  spec.process.user.umask = 0o27;
  patch(spec);
  const pidFile = join(sb.dir, `${id}.pid`);
  const outFile = join(sb.dir, `${id}.out`);
  const out = openSync(outFile, "w");
  const create = [...(opts.wrapper ?? []), BIN, "--root", sb.root, "create", "--bundle", sb.bundle(spec), "--pid-file", pidFile, id];
  const code = Bun.spawnSync(create, { env: sb.env(opts.env), stdout: out, stderr: out }).exitCode;
  closeSync(out);
  if (code !== 0) throw new Error(`create failed: ${readFileSync(outFile, "utf8")}`);
  if (opts.start !== false) expect(sb.run(["start", id]).code).toBe(0);
  return { id, pid: Number(readFileSync(pidFile, "utf8")) };
}

interface ExecResult { code: number | null; stdout: string; stderr: string }

/** Runs `crio-lxc [globals] exec ARGS` with its own stdout/stderr in files, and `fds` as fds 3, 4, … */
function execIn(args: string[], opts: { fds?: number[]; globals?: string[]; env?: Record<string, string>; wrapper?: string[] } = {}): ExecResult {
  const outFile = join(sb.dir, "exec.stdout");
  const errFile = join(sb.dir, "exec.stderr");
  const out = openSync(outFile, "w");
  const err = openSync(errFile, "w");
  try {
    const proc = Bun.spawnSync([...(opts.wrapper ?? []), BIN, "--root", sb.root, ...(opts.globals ?? []), "exec", ...args], {
      env: sb.env(opts.env), stdio: ["ignore", out, err, ...(opts.fds ?? [])],
    });
    return { code: proc.exitCode, stdout: readFileSync(outFile, "utf8"), stderr: readFileSync(errFile, "utf8") };
  } finally {
    closeSync(out);
    closeSync(err);
  }
}

function statusField(text: string, field: string): string {
  return new RegExp(`^${field}:\\s+(.*)$`, "m").exec(text)?.[1] ?? "";
}

const capHex = (...numbers: number[]) => numbers.reduce((m, n) => m | (1n << BigInt(n)), 0n).toString(16).padStart(16, "0");

describe("exec: what the process gets", () => {
  test("exactly the container's environment plus --env, and HOME from /etc/passwd", () => {
    const r = execIn(["-e", "FOO=bar", "-e", "TERM=dumb", running.id, "env"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // runc's order: a repeated key keeps its last position.
    expect(r.stdout.trim().split("\n")).toEqual(["PATH=/bin:/usr/bin", "FOO=bar", "TERM=dumb", "HOME=/root"]);
  });

  test("the config the container was created with, as runc: a bundle changed or gone since doesn't matter", () => {
    const c = container((spec) => { spec.process.env = ["PATH=/bin:/usr/bin", "FROM=create"]; });
    const bundle = sb.state(c.id).bundle as string;
    writeFileSync(join(bundle, "config.json"), "{ not json");
    expect(execIn([c.id, "sh", "-c", "echo $FROM"])).toEqual({ code: 0, stdout: "create\n", stderr: "" });
    rmSync(bundle, { recursive: true });
    expect(execIn([c.id, "sh", "-c", "echo $FROM"])).toEqual({ code: 0, stdout: "create\n", stderr: "" });
    expect(sb.run(["delete", "--force", c.id]).code).toBe(0);
  });

  test("cwd, uid, gid and additional groups: the container's, then --cwd, --user, --additional-gids", () => {
    expect(execIn([running.id, "sh", "-c", "pwd; id"]).stdout).toBe("/\nuid=0(root) gid=0(root)\n");
    const r = execIn(["--cwd", "/tmp", "-u", "1000:1001", "-g", "20", "-g", "30", running.id, "sh", "-c", "pwd; id"]);
    expect(r.stdout).toBe("/tmp\nuid=1000 gid=1001 groups=20,30\n");
  });

  test("a root process: capabilities are the container's bounding set; --cap adds one", () => {
    const status = execIn([running.id, "cat", "/proc/self/status"]).stdout;
    const caps = capHex(0, 5, 6, 7);
    for (const field of ["CapBnd", "CapPrm", "CapEff"]) expect(statusField(status, field)).toBe(caps);
    expect(statusField(status, "CapAmb")).toBe(capHex());
    const added = execIn(["--cap", "CAP_NET_ADMIN", running.id, "cat", "/proc/self/status"]).stdout;
    expect(statusField(added, "CapEff")).toBe(capHex(0, 5, 6, 7, 12));
  });

  test("a non-root process gets all five sets from --process, ambient ones effective", () => {
    const file = join(sb.dir, "caps-process.json");
    writeFileSync(file, JSON.stringify({
      user: { uid: 1000, gid: 1000 }, args: ["cat", "/proc/self/status"], cwd: "/", env: ["PATH=/bin"],
      capabilities: {
        bounding: ["CAP_KILL", "CAP_NET_RAW", "CAP_CHOWN"], permitted: ["CAP_KILL", "CAP_NET_RAW"], effective: ["CAP_KILL"],
        inheritable: ["CAP_KILL", "CAP_NET_RAW"], ambient: ["CAP_NET_RAW"],
      },
    }));
    const status = execIn(["--process", file, running.id]).stdout;
    expect(statusField(status, "CapBnd")).toBe(capHex(0, 5, 13));
    expect(statusField(status, "CapInh")).toBe(capHex(5, 13));
    expect(statusField(status, "CapAmb")).toBe(capHex(13));
    // execve as non-root: permitted = effective = ambient.
    expect(statusField(status, "CapPrm")).toBe(capHex(13));
    expect(statusField(status, "CapEff")).toBe(capHex(13));
  });

  test("no_new_privs from the container, --no-new-privs=false clears it; signals reset; umask from the config", () => {
    const status = execIn([running.id, "cat", "/proc/self/status"]).stdout;
    expect(statusField(status, "NoNewPrivs")).toBe("1");
    // Bun ignores SIGPIPE and SIGXFSZ; none of that may reach the process.
    expect(statusField(status, "SigIgn")).toBe(capHex());
    expect(statusField(status, "SigBlk")).toBe(capHex());
    expect(statusField(execIn(["--no-new-privs=false", running.id, "cat", "/proc/self/status"]).stdout, "NoNewPrivs")).toBe("0");
    expect(execIn([running.id, "sh", "-c", "umask"]).stdout.trim()).toBe("0027");
  });

  test("rlimits from the config (not the runtime's raised RLIMIT_NOFILE)", () => {
    expect(execIn([running.id, "sh", "-c", "ulimit -n; ulimit -Hn"]).stdout).toBe("1000\n2000\n");
  });

  test("without an RLIMIT_NOFILE in the config, the process gets the caller's", () => {
    const c = container((spec) => { spec.process.rlimits = []; });
    const limits = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"))!;
    const [soft, hard] = limits.slice("Max open files".length).trim().split(/\s+/);
    expect(execIn([c.id, "sh", "-c", "ulimit -n; ulimit -Hn"]).stdout).toBe(`${soft}\n${hard}\n`);
    sb.run(["delete", "--force", c.id]);
  });

  test("it runs in the container's cgroup and joins every one of init's namespaces", () => {
    expect(execIn([running.id, "cat", "/proc/self/cgroup"]).stdout).toContain(`0::/${cgroupOf(running.id)}\n`);
    const names = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"];
    const inside = execIn([running.id, "sh", "-c", `for n in ${names.join(" ")}; do readlink /proc/self/ns/$n; done`]).stdout;
    expect(inside.trim().split("\n")).toEqual(names.map((n) => readlinkSync(`/proc/${running.pid}/ns/${n}`)));
    // In the PID namespace: init is pid 1 and we are someone else.
    expect(execIn([running.id, "sh", "-c", "cat /proc/1/cmdline; echo; echo $$"]).stdout).toMatch(/^sleep\u0000300\u0000\n\d+\n$/);
  });

  test("in a container with its own cgroup namespace, it joins that too", () => {
    const c = container((spec) => { spec.linux.namespaces.push({ type: "cgroup" }); });
    const out = execIn([c.id, "sh", "-c", "readlink /proc/self/ns/cgroup; grep ^0:: /proc/self/cgroup"]).stdout;
    expect(out).toBe(`${readlinkSync(`/proc/${c.pid}/ns/cgroup`)}\n0::/\n`);
    expect(readlinkSync(`/proc/${c.pid}/ns/cgroup`)).not.toBe(readlinkSync("/proc/self/ns/cgroup"));
    sb.run(["delete", "--force", c.id]);
  });

  test("in a container with a user namespace, ids are the container's (mapped on the host)", async () => {
    const c = container((spec) => {
      spec.linux.namespaces.push({ type: "user" }, { type: "cgroup" });
      spec.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      spec.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    });
    const inside = execIn([c.id, "sh", "-c", "id; readlink /proc/self/ns/user; grep ^CapEff /proc/self/status"]).stdout;
    expect(inside).toBe(`uid=0(root) gid=0(root)\n${readlinkSync(`/proc/${c.pid}/ns/user`)}\nCapEff:\t${capHex(0, 5, 6, 7)}\n`);
    const pidFile = join(sb.dir, "userns.pid");
    expect(execIn(["-d", "--pid-file", pidFile, "-u", "1000:1000", c.id, "sleep", "0.3"]).code).toBe(0);
    const pid = Number(readFileSync(pidFile, "utf8"));
    expect(statusField(readFileSync(`/proc/${pid}/status`, "utf8"), "Uid")).toBe("101000\t101000\t101000\t101000");
    expect(await waitExit(pid)).toBe(0);
    sb.run(["delete", "--force", c.id]);
  });

  test("--cgroup puts it in an existing sub-cgroup of the container's", () => {
    const sub = join("/sys/fs/cgroup", cgroupOf(running.id), "exec-sub");
    mkdirSync(sub);
    try {
      expect(execIn(["--cgroup", "exec-sub", running.id, "cat", "/proc/self/cgroup"]).stdout).toContain(`0::/${cgroupOf(running.id)}/exec-sub\n`);
      expect(execIn(["--cgroup", "nope", running.id, "true"]).stderr).toContain("--cgroup nope");
    } finally {
      rmdirSync(sub);
    }
  });

  test("--preserve-fds N passes fds 3 … 3+N-1 and nothing else; no LISTEN_FDS (runc sets none for exec)", () => {
    const a = openSync("/etc/hostname", "r");
    const b = openSync("/etc/passwd", "r");
    try {
      const r = execIn(["--preserve-fds", "2", running.id, "sh", "-c", "ls /proc/self/fd; env | grep -c LISTEN_"], { fds: [a, b] });
      // 0–4, plus the fd ls opens for /proc/self/fd.
      expect(r.stdout).toBe("0\n1\n2\n3\n4\n5\n0\n");
      expect(execIn([running.id, "ls", "/proc/self/fd"], { fds: [a, b] }).stdout).toBe("0\n1\n2\n3\n");
      // fd 10 is free in the runtime (Bun opens 3–7 and 10 only once fds 3–4 are taken).
      expect(execIn(["--preserve-fds", "9", running.id, "true"], { fds: [a, b] }).stderr).toContain("unable to stat preserved-fd");
    } finally {
      closeSync(a);
      closeSync(b);
    }
  });
});

/** Every ABI of the host listed: no extra filter for unlisted ones (src/translate/seccomp-abi.ts), one filter to count. */
const HOST_ABIS = process.arch === "x64" ? ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"] : ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"];

describe("exec: seccomp and personality", () => {
  test("the process runs under the container's seccomp filter (copied from init), installed last", () => {
    const c = container((spec) => {
      spec.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW", architectures: HOST_ABIS, syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 38 }] };
    });
    const r = execIn([c.id, "sh", "-c", "grep ^Seccomp /proc/self/status; mkdir /tmp/x; touch /tmp/y && echo touched"]);
    expect(r.stdout).toBe("Seccomp:\t2\nSeccomp_filters:\t1\ntouched\n");
    expect(r.stderr).toContain("mkdir: can't create directory '/tmp/x': Function not implemented");
    // Also as a non-root user with no_new_privs (the filter then goes on after the ids and caps are set).
    expect(execIn(["-u", "1000", "--no-new-privs", c.id, "mkdir", "/tmp/z"]).stderr).toContain("Function not implemented");
    // init was stopped only for a moment, and is not left traced.
    const stat = readFileSync(`/proc/${c.pid}/stat`, "utf8");
    expect(stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3)).toBe("S");
    expect(statusField(readFileSync(`/proc/${c.pid}/status`, "utf8"), "TracerPid")).toBe("0");
    const confined = execIn([c.id, "true"], { wrapper: UNDER_SECCOMP });
    expect(confined.code).toBe(255);
    expect(confined.stderr).toContain("crio-lxc runs under a seccomp filter itself");
    // The process gets what init got: the switch matters when the container is created.
    expect(execIn([c.id, "grep", "^Seccomp:", "/proc/self/status"], { env: { CRIO_LXC_SECCOMP: "false" } }).stdout).toBe("Seccomp:\t2\n");
    sb.run(["delete", "--force", c.id]);
  });

  test("created by a confined runtime, init has two filters: the process gets both, oldest first", () => {
    const c = container((spec) => {
      spec.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW", architectures: HOST_ABIS, syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO" }] };
    }, { wrapper: UNDER_SECCOMP });
    const r = execIn([c.id, "sh", "-c", "grep ^Seccomp_filters /proc/self/status; mkdir /tmp/x"]);
    expect(r.stdout).toBe("Seccomp_filters:\t2\n");
    expect(r.stderr).toContain("Operation not permitted");
    sb.run(["delete", "--force", c.id]);
  });

  test("without linux.seccomp, or created with CRIO_LXC_SECCOMP=false, there is no filter", () => {
    expect(statusField(execIn([running.id, "cat", "/proc/self/status"]).stdout, "Seccomp")).toBe("0");
    const c = container((spec) => {
      spec.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO" }] };
    }, { env: { CRIO_LXC_SECCOMP: "false" } });
    expect(execIn([c.id, "grep", "^Seccomp:", "/proc/self/status"]).stdout).toBe("Seccomp:\t0\n");
    sb.run(["delete", "--force", c.id]);
  });

  test("linux.personality LINUX32: uname -m says so in exec'd processes too", () => {
    const c = container((spec) => { spec.linux.personality = { domain: "LINUX32" }; });
    expect(execIn([c.id, "uname", "-m"]).stdout).toBe("i686\n");
    sb.run(["delete", "--force", c.id]);
  });
});

describe("exec: exit codes and waiting", () => {
  for (const [args, code] of [[["true"], 0], [["sh", "-c", "exit 3"], 3], [["sh", "-c", "kill -9 $$"], 137]] as const) {
    test(`the runtime exits with the process's status: ${args.join(" ")} → ${code}`, () => {
      expect(execIn([running.id, ...args]).code).toBe(code);
    });
  }

  test("20 foreground and 20 detached execs in a row each deliver the status", async () => {
    const codes = Array.from({ length: 20 }, () => execIn([running.id, "sh", "-c", "exit 7"]).code);
    expect(codes).toEqual(Array(20).fill(7));
    const pidFile = join(sb.dir, "loop.pid");
    const detached: number[] = [];
    for (let i = 0; i < 20; i++) {
      expect(execIn(["-d", "--pid-file", pidFile, running.id, "sh", "-c", `exit ${i}`]).code).toBe(0);
      detached.push(await waitExit(Number(readFileSync(pidFile, "utf8"))));
    }
    expect(detached).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  test("a missing program: 127 with runc's wording; not executable: 126", () => {
    const missing = execIn([running.id, "no-such-program"]);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toBe('exec failed: unable to start container process: exec: "no-such-program": executable file not found in $PATH\n');
    const denied = execIn([running.id, "/etc/passwd"]);
    expect(denied.code).toBe(126);
    expect(denied.stderr).toContain('exec: "/etc/passwd": permission denied');
    expect(execIn([running.id, "/no/such"]).code).toBe(127);
  });

  test("--detach: returns at once, the pid-file names the process, which the caller (subreaper) reaps", async () => {
    const pidFile = join(sb.dir, "detached.pid");
    const r = execIn(["--detach", "--pid-file", pidFile, running.id, "sh", "-c", "while [ ! -e /tmp/detached-go ]; do sleep 0.05; done; exit 5"]);
    expect(r.code).toBe(0);
    // exec returned while the process still waits for its go.
    const pid = Number(readFileSync(pidFile, "utf8"));
    expect(readFileSync(`/proc/${pid}/status`, "utf8")).toMatch(new RegExp(`^PPid:\\s+${process.pid}$`, "m"));
    expect(readFileSync(`/proc/${pid}/status`, "utf8")).toMatch(/^State:\s+[RS]/m);
    writeFileSync(`/proc/${pid}/root/tmp/detached-go`, "");
    expect(await waitExit(pid)).toBe(5);
  });

  test("the process leads a session and process group of its own, as with runc (conmon's exec timeout kills the group)", async () => {
    const pidFile = join(sb.dir, "session.pid");
    expect(execIn(["--detach", "--pid-file", pidFile, running.id, "sleep", "30"]).code).toBe(0);
    const pid = Number(readFileSync(pidFile, "utf8"));
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const [pgrp, session] = stat.slice(stat.lastIndexOf(")") + 2).split(" ").slice(2, 4).map(Number);
    expect({ pgrp, session }).toEqual({ pgrp: pid, session: pid });
    process.kill(-pid, "SIGKILL");
    expect(await waitExit(pid)).toBe(137);
    expect(execIn([running.id, "sh", "-c", "ps -o pid,pgid,sid,args | grep '[p]s -o' | awk '$1 == $2 && $2 == $3 { print \"own\" }'"]).stdout).toBe("own\n");
  });

  test("--detach: a failed exec is an error in --log as one JSON object, and writes no pid-file", () => {
    const pidFile = join(sb.dir, "failed.pid");
    const clientLog = join(sb.dir, "exec.oci-log");
    const r = execIn(["-d", "--pid-file", pidFile, running.id, "nope"], { globals: ["--log", clientLog, "--log-format=json"] });
    expect(r.code).toBe(127);
    expect(JSON.parse(readFileSync(clientLog, "utf8"))).toMatchObject({ level: "error", msg: r.stderr.trim() });
    expect(existsSync(pidFile)).toBe(false);
  });

  test("in the foreground, signals to the runtime are forwarded to the process", async () => {
    const proc = Bun.spawn([BIN, "--root", sb.root, "exec", running.id, "sh", "-c", "touch /tmp/fg-ready; exec sleep 30"], { env: sb.env(), stdio: ["ignore", "ignore", "ignore"] });
    const ready = `/proc/${running.pid}/root/tmp/fg-ready`;
    await waitFor(() => existsSync(ready), "the process to start");
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(143);
  });
});

describe("exec: terminals", () => {
  test("--tty --detach --console-socket: the caller gets the master of a pty in the container's devpts", async () => {
    const socket = new ConsoleSocket(join(sb.dir, "console.sock"));
    const pidFile = join(sb.dir, "tty.pid");
    try {
      const r = execIn(["--tty", "--detach", "--console-socket", socket.path, "--pid-file", pidFile, "-u", "1000", running.id, "sh"]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const master = socket.receiveMaster();
      const out = converse(master, "tty; stat -c %u $(tty); echo $((6*7)); exit 3\n");
      closeSync(master);
      expect(out).toContain("/dev/pts/0\r\n1000\r\n42\r\n");
      expect(await waitExit(Number(readFileSync(pidFile, "utf8")))).toBe(3);
    } finally {
      socket.close();
    }
  });

  test("--tty in the foreground relays the runtime's own stdio (CRI-O's streaming exec)", async () => {
    const proc = Bun.spawn([BIN, "--root", sb.root, "exec", "-t", running.id, "sh"], { env: sb.env(), stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    proc.stdin.write("tty; echo fg-$((6*7)); exit 4\n");
    await proc.stdin.flush();
    expect(await proc.exited).toBe(4);
    const out = await new Response(proc.stdout).text();
    expect(out).toContain("/dev/pts/0\r\nfg-42\r\n");
  });

  test("runc's checks of --tty, --detach and --console-socket", () => {
    expect(execIn(["-t", "-d", running.id, "sh"]).stderr).toContain("cannot allocate tty if runc will detach without setting console socket");
    expect(execIn(["--console-socket", "/x", running.id, "sh"]).stderr).toContain("cannot use console socket if runc will not detach or allocate tty");
    expect(execIn(["-t", "-d", "--console-socket", join(sb.dir, "nobody-listens"), running.id, "sh"]).stderr).toContain("failed to connect to console socket");
  });
});

describe("exec: container states (runc's rules)", () => {
  test("a created container takes an exec, inside its namespaces", () => {
    const c = container(() => {}, { start: false });
    const r = execIn([c.id, "sh", "-c", "echo $$; readlink /proc/self/ns/pid"]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[1]).toBe(readlinkSync(`/proc/${c.pid}/ns/pid`));
    sb.run(["delete", "--force", c.id]);
  });

  test("a stopped container refuses", async () => {
    const c = container();
    expect(sb.run(["kill", c.id, "KILL"]).code).toBe(0);
    expect(await waitExit(c.pid)).toBe(137);
    const r = execIn([c.id, "true"]);
    expect(r.code).toBe(255);
    expect(r.stderr).toBe("cannot exec in a stopped container\n");
    sb.run(["delete", c.id]);
  });

  test("a paused (frozen) container refuses unless --ignore-paused", async () => {
    const c = container();
    const freeze = join("/sys/fs/cgroup", cgroupOf(c.id), "cgroup.freeze");
    writeFileSync(freeze, "1");
    try {
      expect(execIn([c.id, "true"]).stderr).toBe("cannot exec in a paused container (use --ignore-paused to override)\n");
      const proc = Bun.spawn([BIN, "--root", sb.root, "exec", "--ignore-paused", c.id, "true"], { env: sb.env(), stdio: ["ignore", "ignore", "ignore"] });
      await Bun.sleep(200);
      writeFileSync(freeze, "0");
      expect(await proc.exited).toBe(0);
    } finally {
      writeFileSync(freeze, "0");
      sb.run(["delete", "--force", c.id]);
    }
  });

  test("unknown container, --pidfd-socket and --apparmor are refused clearly", () => {
    expect(execIn(["nope", "true"]).stderr).toBe("container nope does not exist\n");
    expect(execIn(["--pidfd-socket", "/x", running.id, "sh"]).stderr).toContain("--pidfd-socket is not supported yet");
    expect(execIn(["--apparmor", "x", running.id, "sh"]).stderr).toContain("--apparmor: AppArmor is not enabled on this host");
  });
});
