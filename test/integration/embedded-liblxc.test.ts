// dist/crio-lxc on a node without liblxc: in a mount namespace of this test's
// own where the host's liblxc (and libseccomp and libapparmor, which only it
// needs here) are /dev/null, the embedded liblxc runs containers (run in
// scripts/cgroup2-lane, as root). CRIO_LXC_LIBLXC chooses.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inside, merge, type Inside } from "../support/inside";
import { BIN, Sandbox, becomeSubreaper, requireBuilt, sh, withoutFiles } from "../support/runtime";

let sb: Sandbox;
let box: Inside;
const HIDDEN = ["liblxc.so.1", "libseccomp.so.2", "libapparmor.so.1"].map((lib) => realpathSync(`/usr/lib/${process.arch === "x64" ? "x86_64" : "aarch64"}-linux-gnu/${lib}`));

let node: Awaited<ReturnType<typeof withoutFiles>>;

beforeAll(async () => {
  requireBuilt();
  becomeSubreaper();
  sb = new Sandbox();
  box = inside(sb, "emb");
  node = await withoutFiles(HIDDEN);
});
afterAll(async () => {
  await node.close();
  sb.cleanup();
});

/** crio-lxc in the namespace without the host's liblxc; stdout and stderr (or both into `fd`). */
function hidden(args: string[], env: Record<string, string> = {}, fd?: number) {
  const out = join(sb.dir, "hidden.out");
  const target = fd ?? openSync(out, "w");
  const r = Bun.spawnSync([...node.enter, BIN, "--root", sb.root, ...args], { env: sb.env(env), stdout: target, stderr: target });
  if (fd === undefined) closeSync(target);
  return { code: r.exitCode, output: fd === undefined ? readFileSync(out, "utf8") : "" };
}

describe("without the host's liblxc", () => {
  test("the host's libraries are really gone there", () => {
    const r = Bun.spawnSync([...node.enter, "cat", HIDDEN[0]!]);
    expect(r.stdout.length).toBe(0);
  });

  test("check and --version say the embedded liblxc is in use; on this host auto takes the host's", () => {
    expect(hidden(["check"]).output).toMatch(/liblxc.*5\.0\.\d+, embedded: embedded in crio-lxc \(the host's \S+ is unloadable\)/);
    expect(hidden(["--version"]).output).toContain("embedded");
    expect(sb.run(["--version"]).stdout).toMatch(/liblxc: 5\.0\.\d+ \(system: \//);
    const features = JSON.parse(Bun.spawnSync([...node.enter, BIN, "features"]).stdout.toString());
    expect(features.annotations["crio-lxc.liblxc.source"]).toStartWith("embedded:");
  });

  test("a container runs under a seccomp profile, with exec, and the log's create line names the liblxc", async () => {
    const id = `emb-${process.pid}-run`;
    const spec = merge(box.spec("grep ^Seccomp: /proc/self/status; sleep 5"), {
      linux: { cgroupsPath: `/crio-lxc-test/${id}`, seccomp: { defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO" }] } },
    });
    const bundle = sb.bundle(spec);
    const outFile = join(sb.dir, `${id}.out`);
    const fd = openSync(outFile, "w");
    expect(hidden(["create", "--bundle", bundle, id], {}, fd).code).toBe(0);
    closeSync(fd);
    expect(hidden(["start", id]).code).toBe(0);
    const exec = hidden(["exec", id, "sh", "-c", "mkdir /tmp/x 2>&1; echo exec-ok"]);
    expect(exec.output).toContain("Operation not permitted");
    expect(exec.output).toContain("exec-ok");
    expect(hidden(["delete", "--force", id]).code).toBe(0);
    expect(readFileSync(outFile, "utf8")).toMatch(/^Seccomp:\s+2$/m);
    expect(sb.log()).toMatch(/"m":"container created".*"liblxc":"5\.0\.\d+ embedded: /);
  });

  test("a liblxc.so.1 planted in the working directory is never loaded (its constructor would run as root)", () => {
    const planted = join(sb.dir, "planted");
    mkdirSync(planted);
    const marker = join(sb.dir, "planted-ran");
    writeFileSync(join(planted, "evil.c"), `#include <fcntl.h>\n__attribute__((constructor)) static void ran(void) { open("${marker}", O_CREAT | O_WRONLY, 0600); }\n`);
    sh(`gcc -shared -fPIC -o ${join(planted, "liblxc.so.1")} ${join(planted, "evil.c")}`);
    for (const choice of ["auto", "system", "embedded"]) {
      Bun.spawnSync([...node.enter, BIN, "--root", sb.root, "check"], { cwd: planted, env: sb.env({ CRIO_LXC_LIBLXC: choice }) });
    }
    expect(existsSync(marker)).toBe(false);
  });

  test("CRIO_LXC_LIBLXC=system without the host's fails naming the setting; a file that isn't liblxc fails clearly; relative paths are refused", () => {
    const system = hidden(["check"], { CRIO_LXC_LIBLXC: "system" });
    expect(system.output).toContain("CRIO_LXC_LIBLXC=system");
    const notLxc = hidden(["--version"], { CRIO_LXC_LIBLXC: "/etc/hostname" });
    expect(notLxc.output).toContain("CRIO_LXC_LIBLXC=/etc/hostname: not a liblxc");
    const relative = sb.run(["--version"], { env: { CRIO_LXC_LIBLXC: "liblxc.so.1" } });
    expect(relative.stdout + relative.stderr).toContain("expected auto, embedded, system or an absolute path");
  });
});
