// The exit codes podman reports must not depend on the runtime: every row runs
// with dist/crio-lxc and with Debian's runc in the same test, and the two must
// agree (and match the code written in the row, so a change in both is seen).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { IMAGE, Podman } from "../support/podman";
import { BIN, requireBuilt } from "../support/runtime";

const RUNC = "runc";
const pm = new Podman();
beforeAll(() => { requireBuilt(); pm.setup(); });
afterAll(() => pm.cleanup());

const runtimes = [RUNC, BIN] as const;
const label = (runtime: string) => (runtime === BIN ? "crio-lxc" : "runc");

/** How podman classified a runtime's failure ("OCI permission denied", …); "" when the container ran. */
const failureClass = (stderr: string) => /: (OCI [^\n]*)\n?$/.exec(stderr)?.[1] ?? "";

interface Row {
  what: string;
  /** `podman run` arguments after --rm/--name; the image comes first unless the row gives it. */
  args: string[];
  code: number;
  stdout?: string;
  /** Done from outside once the container runs. */
  action?: string[];
}

const rows: Row[] = [
  { what: "exit 0", args: ["true"], code: 0 },
  { what: "exit 1", args: ["false"], code: 1 },
  { what: "exit 3", args: ["sh", "-c", "exit 3"], code: 3 },
  { what: "exit 255", args: ["sh", "-c", "exit 255"], code: 255 },
  { what: "a file without execute permission: 126", args: ["/etc/passwd"], code: 126 },
  { what: "a directory: 126", args: ["/"], code: 126 },
  { what: "a program missing from PATH: 127", args: ["no-such-program"], code: 127 },
  { what: "a missing path: 127", args: ["/bin/no-such-dir/x"], code: 127 },
  { what: "pid 1 ignores signals from inside it has no handler for", args: ["sh", "-c", "kill -TERM $$; kill -KILL $$; echo survived"], code: 0, stdout: "survived\n" },
  // --init binds catatonit over /run/podman-init (a program on a bind mount) and runs the command as its child.
  { what: "--init: a child killed by SIGKILL: 137", args: ["--init", IMAGE, "sh", "-c", "kill -KILL $$"], code: 137 },
  { what: "podman kill (SIGKILL): 137", args: ["sleep", "300"], action: ["kill"], code: 137 },
  { what: "--init: podman kill -s TERM reaches the child: 143", args: ["--init", IMAGE, "sleep", "300"], action: ["kill", "-s", "TERM"], code: 143 },
  { what: "podman stop, SIGTERM handled by a trap", args: ["sh", "-c", "trap 'exit 143' TERM; while :; do sleep 1 & wait $!; done"], action: ["stop", "-t", "60"], code: 143 },
  { what: "podman stop, SIGTERM ignored by pid 1: SIGKILL after the timeout, 137", args: ["sleep", "300"], action: ["stop", "-t", "1"], code: 137 },
];

let serial = 0;
async function runRow(row: Row, runtime: string) {
  const name = `ec-${process.pid}-${++serial}`;
  const args = ["run", "--rm", "--name", name, ...(row.args.includes(IMAGE) ? row.args : [IMAGE, ...row.args])];
  if (!row.action) return pm.run(args, { runtime });
  const run = pm.spawn(args, { runtime });
  await pm.waitRunning(name, runtime);
  const acted = pm.run([...row.action, name], { runtime });
  if (acted.code !== 0) throw new Error(`podman ${row.action.join(" ")} ${name} (${label(runtime)}) failed: ${acted.stderr}`);
  const [code, stdout, stderr] = await Promise.all([run.exited, new Response(run.stdout).text(), new Response(run.stderr).text()]);
  return { code, stdout, stderr };
}

describe("podman run: the same exit code with crio-lxc as with runc", () => {
  for (const row of rows) {
    test(`${row.what}${row.action ? ` (podman ${row.action.join(" ")})` : ""}`, async () => {
      const [runc, crioLxc] = [await runRow(row, RUNC), await runRow(row, BIN)];
      const seen = (r: typeof runc) => ({ code: r.code, stdout: r.stdout, failure: failureClass(r.stderr) });
      expect(seen(crioLxc)).toEqual(seen(runc));
      expect(crioLxc.code).toBe(row.code);
      if (row.stdout !== undefined) expect(crioLxc.stdout).toBe(row.stdout);
    });
  }
});

describe("podman exec: the same exit code and output with crio-lxc as with runc", () => {
  const names = new Map<string, string>();
  beforeAll(() => {
    for (const runtime of runtimes) {
      const name = `ecx-${label(runtime)}-${process.pid}`;
      const r = pm.run(["run", "-d", "--name", name, "-e", "RUNVAR=from-run", IMAGE, "sleep", "300"], { runtime });
      if (r.code !== 0) throw new Error(`podman run (${label(runtime)}) failed: ${r.stderr}`);
      names.set(runtime, name);
    }
  });
  afterAll(() => { for (const [runtime, name] of names) pm.run(["rm", "-f", "-t", "0", name], { runtime }); });

  const caps = ["sh", "-c", "id; grep ^Cap /proc/self/status"];
  const execRows: (Row & { opts?: string[] })[] = [
    { what: "exit 0", args: ["true"], code: 0 },
    { what: "exit 5", args: ["sh", "-c", "exit 5"], code: 5 },
    { what: "a file without execute permission: 126", args: ["/etc/passwd"], code: 126 },
    { what: "a directory: 126", args: ["/"], code: 126 },
    { what: "a program missing from PATH: 127", args: ["no-such-program"], code: 127 },
    { what: "killed by SIGKILL (not a namespace's init): 137", args: ["sh", "-c", "kill -KILL $$"], code: 137 },
    { what: "killed by SIGTERM: 143", args: ["sh", "-c", "kill -TERM $$"], code: 143 },
    { what: "-w a missing directory: 127", opts: ["-w", "/nonexistent"], args: ["pwd"], code: 127 },
    { what: "-w a file: 255", opts: ["-w", "/etc/passwd"], args: ["pwd"], code: 255 },
    { what: "the environment: the container's, HOME and PATH", args: ["sh", "-c", "echo $RUNVAR $HOME; echo $PATH"], code: 0 },
    { what: "-e overrides the container's environment", opts: ["-e", "RUNVAR=from-exec"], args: ["sh", "-c", "echo $RUNVAR"], code: 0, stdout: "from-exec\n" },
    { what: "root's capabilities (podman's default set)", args: caps, code: 0 },
    { what: "-u 4242: no capabilities left, the bounding set kept", opts: ["-u", "4242"], args: caps, code: 0 },
    { what: "--privileged: every capability", opts: ["--privileged"], args: caps, code: 0 },
  ];
  for (const row of execRows) {
    test(row.what, () => {
      const [runc, crioLxc] = runtimes.map((runtime) => pm.run(["exec", ...(row.opts ?? []), names.get(runtime)!, ...row.args], { runtime }));
      expect({ code: crioLxc!.code, stdout: crioLxc!.stdout }).toEqual({ code: runc!.code, stdout: runc!.stdout });
      expect(crioLxc!.code).toBe(row.code);
      if (row.stdout !== undefined) expect(crioLxc!.stdout).toBe(row.stdout);
    });
  }
});
