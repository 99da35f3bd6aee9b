// linux.seccomp through dist/crio-lxc: what the filter does, seen from inside
// busybox containers. Run in a pure cgroup2 view (scripts/cgroup2-lane), as root.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { merge } from "../support/inside";
import { BIN, ROOTFS, Sandbox, becomeSubreaper, busyboxSpec, requireBuilt, sh, waitExit } from "../support/runtime";
import { PODMAN_CAPABILITIES } from "../support/podman-seccomp";

let sb: Sandbox;
beforeAll(() => { requireBuilt(); becomeSubreaper(); sb = new Sandbox(); });
afterAll(() => sb.cleanup());

let seq = 0;
const newId = () => `sc-${process.pid}-${++seq}`;

const PODMAN_DEFAULT = JSON.parse(readFileSync(join(import.meta.dir, "../golden/seccomp/podman-default.json"), "utf8"));
/** As CRI-O 1.32 writes it for RuntimeDefault (and every infra container). */
const CRIO_DEFAULT = JSON.parse(readFileSync(join(import.meta.dir, "../golden/seccomp/crio-default.json"), "utf8"));

interface RunOptions {
  env?: Record<string, string>;
  process?: Record<string, unknown>;
  /** Runs `create` under this command prefix (e.g. a wrapper that installs a filter first). */
  wrapper?: string[];
  /** Another rootfs than the busybox one. */
  root?: string;
}

type Rule = Record<string, unknown>;
const denylist = (...syscalls: Rule[]) => ({ defaultAction: "SCMP_ACT_ALLOW", syscalls });

function bundleFor(id: string, seccomp: object | undefined, script: string, opts: RunOptions): string {
  const spec = busyboxSpec({ args: ["sh", "-c", script], cgroupsPath: `/crio-lxc-test/${id}` });
  Object.assign(spec.process as object, opts.process);
  if (opts.root) (spec.root as Record<string, unknown>).path = opts.root;
  if (seccomp) (spec.linux as Record<string, unknown>).seccomp = seccomp;
  return sb.bundle(spec);
}

/** create (possibly through a wrapper); the output file gets crio-lxc's and the container's output. */
function create(id: string, bundle: string, out: string, opts: RunOptions) {
  const pidFile = join(sb.dir, `${id}.pid`);
  const fd = openSync(out, "w");
  try {
    const args = ["create", "--bundle", bundle, "--pid-file", pidFile, id];
    const code = opts.wrapper
      ? Bun.spawnSync([...opts.wrapper, BIN, "--root", sb.root, ...args], { env: sb.env(opts.env), stdout: fd, stderr: fd }).exitCode
      : sb.run(args, { stdout: fd, env: opts.env }).code;
    return { code, pidFile };
  } finally {
    closeSync(fd);
  }
}

/** Runs `script` in a busybox container under `seccomp`; returns its exit code and everything it printed. */
async function runIn(seccomp: object | undefined, script: string, opts: RunOptions = {}) {
  const id = newId();
  const out = join(sb.dir, `${id}.out`);
  const { code, pidFile } = create(id, bundleFor(id, seccomp, script, opts), out, opts);
  if (code !== 0) throw new Error(`create failed: ${readFileSync(out, "utf8")}`);
  const pid = Number(readFileSync(pidFile, "utf8"));
  expect(sb.run(["start", id]).code).toBe(0);
  const exit = await waitExit(pid);
  expect(sb.run(["delete", id]).code).toBe(0);
  return { exit, out: readFileSync(out, "utf8") };
}

describe("seccomp inside the container", () => {
  test("a denied syscall fails with errnoRet; the filter is on; other syscalls work", async () => {
    const { exit, out } = await runIn(
      // A rule with the default action makes libseccomp fail the whole profile unless left out.
      denylist({ names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 38 }, { names: ["getpid"], action: "SCMP_ACT_ALLOW" }),
      "grep '^Seccomp:' /proc/self/status; mkdir /tmp/x; touch /tmp/y && rmdir /tmp && echo unexpected; echo done",
    );
    expect(out).toMatch(/^Seccomp:\s+2$/m);
    expect(out).toContain("mkdir: can't create directory '/tmp/x': Function not implemented");
    // touch and rmdir aren't filtered: touch works, rmdir fails as the kernel says (a mount point is busy).
    expect(out).toMatch(/rmdir: '\/tmp': (Device or resource busy|Directory not empty)/);
    expect(out).toContain("done");
    expect(exit).toBe(0);
  });

  test("SCMP_ACT_ERRNO without errnoRet is EPERM", async () => {
    const { out } = await runIn(denylist({ names: ["mkdir"], action: "SCMP_ACT_ERRNO" }), "mkdir /tmp/x");
    expect(out).toContain("mkdir: can't create directory '/tmp/x': Operation not permitted");
  });

  test("an argument filter hits only the matching call", async () => {
    // PER_LINUX32 is 8; linux64 asks for PER_LINUX, 0.
    const { out } = await runIn(
      denylist({ names: ["personality"], action: "SCMP_ACT_ERRNO", errnoRet: 38, args: [{ index: 0, value: 8, op: "SCMP_CMP_EQ" }] }),
      "linux32 true || echo linux32-denied; linux64 true && echo linux64-ok",
    );
    expect(out).toContain("Function not implemented");
    expect(out).toContain("linux32-denied");
    expect(out).toContain("linux64-ok");
  });

  test("several argument filters on one rule are AND-ed", async () => {
    // Denied: kill(1, SIGUSR1) only. kill(1, 0) and kill(<sleep>, SIGUSR1) go through.
    const { out } = await runIn(
      denylist({
        names: ["kill"], action: "SCMP_ACT_ERRNO", errnoRet: 13,
        args: [{ index: 0, value: 1, op: "SCMP_CMP_EQ" }, { index: 1, value: 10, op: "SCMP_CMP_EQ" }],
      }),
      "kill -USR1 1 || echo usr1-to-1-denied; kill -0 1 && echo signal0-ok; sleep 5 & kill -USR1 $!; wait $!; echo sleep=$?",
    );
    expect(out).toContain("Permission denied");
    expect(out).toContain("usr1-to-1-denied");
    expect(out).toContain("signal0-ok");
    expect(out).toContain("sleep=138");
  });

  test("one argument compared twice: each comparison is a rule of its own, OR-ed (as runc; CRI-O's default clone rule)", async () => {
    // Denied: kill(…, SIGUSR1) and kill(…, SIGUSR2). kill(1, 0) goes through.
    const { out } = await runIn(
      denylist({
        names: ["kill"], action: "SCMP_ACT_ERRNO", errnoRet: 13,
        args: [{ index: 1, value: 10, op: "SCMP_CMP_EQ" }, { index: 1, value: 12, op: "SCMP_CMP_EQ" }],
      }),
      "kill -USR1 1 || echo usr1-denied; kill -USR2 1 || echo usr2-denied; kill -0 1 && echo signal0-ok",
    );
    expect(out).toContain("usr1-denied");
    expect(out).toContain("usr2-denied");
    expect(out).toContain("signal0-ok");
  });

  test("SCMP_CMP_MASKED_EQ: value is the mask, valueTwo the datum", async () => {
    // Deny openat(2) with O_CREAT (0o100) but without O_EXCL (0o200) in its flags: mask 0o300, datum 0o100.
    const { out } = await runIn(
      denylist({ names: ["openat"], action: "SCMP_ACT_ERRNO", errnoRet: 17, args: [{ index: 2, value: 0o300, valueTwo: 0o100, op: "SCMP_CMP_MASKED_EQ" }] }),
      "touch /tmp/plain || echo plain-create-denied; mktemp /tmp/excl.XXXXXX && echo excl-create-ok; head -1 /etc/passwd",
    );
    expect(out).toContain("touch: /tmp/plain: File exists");
    expect(out).toContain("plain-create-denied");
    expect(out).toContain("excl-create-ok");
    expect(out).toContain("root:");
  });

  test("syscall names libseccomp doesn't know are skipped, like runc does", async () => {
    const { out } = await runIn(
      denylist({ names: ["no_such_syscall_crio_lxc", "mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 38 }),
      "mkdir /tmp/x",
    );
    expect(out).toContain("Function not implemented");
    expect(sb.log()).toContain("no_such_syscall_crio_lxc");
  });

  test("a non-root user without noNewPrivileges still gets the filter", async () => {
    const { out } = await runIn(
      denylist({ names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 38 }),
      "id -u; grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status; mkdir /tmp/x",
      { process: { user: { uid: 1000, gid: 1000 }, noNewPrivileges: false } },
    );
    expect(out).toMatch(/^1000$/m);
    expect(out).toMatch(/^NoNewPrivs:\s+0$/m);
    expect(out).toMatch(/^Seccomp:\s+2$/m);
    expect(out).toContain("Function not implemented");
  });

  test("podman's default profile loads and a normal shell works under it", async () => {
    const caps = { bounding: PODMAN_CAPABILITIES, effective: PODMAN_CAPABILITIES, permitted: PODMAN_CAPABILITIES };
    const { exit, out } = await runIn(
      PODMAN_DEFAULT,
      // The profile allows personality() for a few values only; PER_LINUX|ADDR_NO_RANDOMIZE isn't one.
      "echo ok; ls /; cat /proc/self/status; linux64 -R true || echo randomize-denied",
      { process: { capabilities: caps } },
    );
    expect(out).toMatch(/^ok$/m);
    expect(out).toMatch(/^bin$/m);
    expect(out).toMatch(/^Seccomp:\s+2$/m);
    expect(out).toContain("Function not implemented");
    expect(out).toContain("randomize-denied");
    expect(exit).toBe(0);
  });

  test("CRI-O's default profile loads (its clone rule compares argument 0 seven times) and a shell forks under it", async () => {
    const { exit, out } = await runIn(CRIO_DEFAULT, "grep '^Seccomp:' /proc/self/status; echo $(echo forked) | cat; sleep 0 & wait; echo ok");
    expect(out).toMatch(/^Seccomp:\s+2$/m);
    expect(out).toContain("forked");
    expect(out).toMatch(/^ok$/m);
    expect(exit).toBe(0);
  });

  test("liblxc accepts every action and operator of the hand-written golden profile", async () => {
    // Its allowlist would starve busybox: deny (errno 99) what it allows, except what sh needs.
    const golden = JSON.parse(readFileSync(join(import.meta.dir, "../golden/seccomp/all-features.json"), "utf8"));
    const shNeeds = new Set(["read", "write", "execve", "clone"]);
    const syscalls = golden.syscalls
      .filter((r: { names: string[] }) => !r.names.some((n) => shNeeds.has(n)))
      .map((r: Rule) => (r.action === "SCMP_ACT_ALLOW" ? { ...r, action: "SCMP_ACT_ERRNO", errnoRet: 99 } : r));
    const { exit } = await runIn({ ...golden, defaultAction: "SCMP_ACT_ALLOW", defaultErrnoRet: undefined, syscalls }, "true");
    expect(exit).toBe(0);
    // liblxc logs each comparison as SCMP_CMP(index, op, datum_a, datum_b), ops NE=1 … MASKED_EQ=7 (mask in datum_a).
    const log = sb.log();
    for (const cmp of ["(0, 1, 0, 16)", "(2, 2, 0, 5)", "(0, 3, 0, 2)", "(0, 4, 0, 8)", "(1, 5, 0, 0)", "(0, 6, 0, 1)", "(2, 7, 192, 64)"]) {
      expect(log).toContain(`SCMP_CMP${cmp}`);
    }
    for (const action of ["[0:kill]", "[196608:trap]", "[327693:errno]"]) expect(log).toContain(`action${action}`);
  });

  test("CRIO_LXC_SECCOMP=false runs without the profile", async () => {
    const { out } = await runIn(
      denylist({ names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 38 }),
      "grep '^Seccomp:' /proc/self/status; mkdir /tmp/x && echo mkdir-ok",
      { env: { CRIO_LXC_SECCOMP: "false" } },
    );
    expect(out).toMatch(/^Seccomp:\s+0$/m);
    expect(out).toContain("mkdir-ok");
  });
});

describe("architectures: syscalls of a host ABI the profile doesn't list kill the thread, as under runc", () => {
  /** A static program making getpid as an i386 (int 0x80) or x32 syscall; prints what it got. */
  const ABI_PROBE = String.raw`
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	long r;
	if (argv[1][0] == 'i')
		__asm__ volatile ("int $0x80" : "=a"(r) : "a"(20L) : "memory");
	else
		r = syscall(39 | 0x40000000);
	printf("%ld\n", r);
	return 0;
}
`;
  let rootfs: string;
  beforeAll(() => {
    rootfs = join(sb.dir, "abi-rootfs");
    sh(`cp -a ${ROOTFS} ${rootfs}`);
    writeFileSync(join(sb.dir, "abi.c"), ABI_PROBE);
    sh(`gcc -static -O2 -o ${rootfs}/bin/abi ${join(sb.dir, "abi.c")}`);
  });
  // The shell says "Bad system call" on stderr when the probe is killed.
  const script = "exec 2>/dev/null; abi i >/dev/null; echo i386=$?; abi x >/dev/null; echo x32=$?";
  const profile = (architectures?: string[]) => ({ ...denylist({ names: ["mkdir"], action: "SCMP_ACT_ERRNO" }), ...(architectures ? { architectures } : {}) });

  test.each([
    ["x86_64 only", ["SCMP_ARCH_X86_64"], "i386=159\nx32=159\n"],
    ["none listed (libseccomp's: the native ABI)", undefined, "i386=159\nx32=159\n"],
    ["x86_64 and x86", ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "i386=0\nx32=159\n"],
    ["all three", ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "i386=0\nx32=0\n"],
  ])("%s: as runc", async (_, architectures, expected) => {
    if (process.arch !== "x64") return void console.log(`skipped: the probe makes x86 syscalls, this host is ${process.arch}`);
    const ours = await runIn(profile(architectures), script, { root: rootfs });
    expect(ours.out).toBe(expected);
    const spec = merge(busyboxSpec({ args: ["sh", "-c", script], cgroupsPath: `/crio-lxc-test/${newId()}` }), { root: { path: rootfs }, linux: { seccomp: profile(architectures) } });
    const runc = Bun.spawnSync(["runc", "--root", join(sb.dir, "runc"), "run", "--bundle", sb.bundle(spec), newId()], { stderr: "pipe" });
    expect(runc.stdout.toString()).toBe(expected);
  });
});

describe("liblxc quirks", () => {
  test("the profile loads even when the runtime itself runs under a seccomp filter", async () => {
    // liblxc skips the profile of an already confined monitor unless lxc.seccomp.allow_nesting = 1.
    const wrapper = [process.execPath, join(import.meta.dir, "../support/under-seccomp.ts")];
    // Every ABI listed: no filter of the monitor's for unlisted ones.
    const { out } = await runIn(
      { ...denylist({ names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 38 }), architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"] },
      "grep '^Seccomp_filters:' /proc/self/status; mkdir /tmp/x",
      { wrapper },
    );
    expect(out).toMatch(/^Seccomp_filters:\s+2$/m);
    expect(out).toContain("Function not implemented");
  });

  test("liblxc loads the filter before its last setup steps: denying chdir fails create", () => {
    const id = newId();
    const out = join(sb.dir, `${id}.out`);
    const opts = {};
    const { code } = create(id, bundleFor(id, denylist({ names: ["chdir"], action: "SCMP_ACT_ERRNO" }), "true", opts), out, opts);
    expect(code).not.toBe(0);
    expect(readFileSync(out, "utf8")).toContain('Could not change directory to "/"');
  });
});
