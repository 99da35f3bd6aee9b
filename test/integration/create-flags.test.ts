// runc's create flags beyond --bundle/--pid-file/--console-socket: --preserve-fds,
// --no-new-keyring and --no-pivot (run by scripts/test inside scripts/cgroup2-lane).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { closeSync, constants, openSync, readFileSync, readSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inside, type Inside } from "../support/inside";
import { BIN, Sandbox, becomeSubreaper, requireBuilt, sh, waitExit, waitFor } from "../support/runtime";

let sb: Sandbox;
let box: Inside;
beforeAll(() => { requireBuilt(); becomeSubreaper(); sb = new Sandbox(); box = inside(sb, "cflags"); });
afterAll(() => sb.cleanup());

/** Reads a non-blocking fd: its data, "EOF" once no writer is left, or undefined while one may still write. */
function readNow(fd: number): string | undefined {
  const buf = Buffer.alloc(4096);
  try {
    const n = readSync(fd, buf);
    return n === 0 ? "EOF" : buf.subarray(0, n).toString();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EAGAIN") return undefined;
    throw err;
  }
}

test("--preserve-fds N: the caller's fds 3 … 3+N-1 reach the process; no runtime process keeps a copy", async () => {
  const fifo = join(sb.dir, "preserved.fifo");
  sh(`mkfifo ${fifo}`);
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(fifo, constants.O_WRONLY);
  const input = join(sb.dir, "preserved.in");
  writeFileSync(input, "from fd 4\n");
  const inputFd = openSync(input, "r");
  const id = `cflags-${process.pid}-fds`;
  const script = "echo from fd 3 >&3; cat <&4 >&3; exec 3>&- 4<&-; ls /proc/self/fd > /tmp/fds; sleep 30";
  const bundle = sb.bundle({ ...box.spec(script), linux: { ...(box.spec(script).linux as object), cgroupsPath: `/crio-lxc-test/${id}` } });
  const err = join(sb.dir, "create.err");
  const errFd = openSync(err, "w");
  const created = Bun.spawnSync([BIN, "--root", sb.root, "create", "--preserve-fds", "2", "--pid-file", join(sb.dir, "fds.pid"), "--bundle", bundle, id], {
    env: sb.env(), stdio: ["ignore", errFd, errFd, writer, inputFd],
  });
  closeSync(writer); closeSync(inputFd); closeSync(errFd);
  expect(readFileSync(err, "utf8")).toBe("");
  expect(created.exitCode).toBe(0);
  const pid = Number(readFileSync(join(sb.dir, "fds.pid"), "utf8"));
  expect(sb.run(["start", id]).code).toBe(0);
  let got = "";
  await waitFor(() => { const chunk = readNow(reader); if (chunk) got += chunk; return got.endsWith("EOF"); }, "EOF on the preserved pipe while the container runs");
  expect(got).toBe("from fd 3\nfrom fd 4\nEOF");
  expect(sb.state(id).status).toBe("running");
  expect(sb.run(["delete", "--force", id]).code).toBe(0);
  await waitExit(pid);
  closeSync(reader);
});

test("--preserve-fds refuses a count that isn't a number, and an fd that isn't open", () => {
  const bundle = sb.bundle(box.spec("true"));
  expect(sb.run(["create", "--preserve-fds", "x", "--bundle", bundle, "cflags-x"]).stderr).toContain('--preserve-fds: expected a number of fds, got "x"');
  const r = sb.run(["create", "--preserve-fds", "200", "--bundle", bundle, "cflags-y"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/--preserve-fds 200: fd \d+ is not open \(EBADF\)/);
  expect(sb.run(["state", "cflags-y"]).code).not.toBe(0);
});

test("--no-new-keyring and --no-pivot are accepted (run passes them on too)", async () => {
  const id = `cflags-${process.pid}-keyring`;
  const bundle = sb.bundle({ ...box.spec("true"), linux: { ...(box.spec("true").linux as object), cgroupsPath: `/crio-lxc-test/${id}` } });
  expect(sb.run(["create", "--no-new-keyring", "--no-pivot", "--bundle", bundle, id]).code).toBe(0);
  expect(readFileSync(join(sb.root, id, "lxc.conf"), "utf8")).toContain("lxc.keyring.session = 1");
  expect(sb.log()).toContain("--no-pivot: liblxc always moves the container into its rootfs with pivot_root");
  expect(sb.run(["delete", "--force", id]).code).toBe(0);
  const out = openSync(join(sb.dir, "run.out"), "w");
  const run = sb.run(["run", "--no-new-keyring", "--preserve-fds", "0", "--bundle", bundle, `${id}-run`], { stdout: out });
  closeSync(out);
  expect(run.code).toBe(0);
});
