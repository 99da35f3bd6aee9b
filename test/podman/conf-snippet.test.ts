// The shipped podman snippet (docs/examples/containers.conf) as an operator
// would install it, with only the binary's path changed to dist/crio-lxc,
// merged into the configuration this machine needs (test/support/podman.ts).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { IMAGE, Podman } from "../support/podman";
import { BIN, REPO, requireBuilt } from "../support/runtime";

const SNIPPET = join(REPO, "docs/examples/containers.conf");

/** The key = value lines of each [table] (comments dropped); "" holds lines before the first table. */
function tables(text: string): Map<string, Map<string, string>> {
  const result = new Map<string, Map<string, string>>([["", new Map()]]);
  let current = result.get("")!;
  for (const line of text.split("\n").map((l) => l.trim())) {
    const header = /^\[([^\]]+)\]$/.exec(line)?.[1];
    if (header) result.set(header, (current = result.get(header) ?? new Map()));
    else if (line && !line.startsWith("#")) current.set(line.split("=")[0]!.trim(), line);
  }
  return result;
}

/** `base` with every key of `snippet` added, the snippet's value winning. */
function merge(base: string, snippet: string): string {
  const merged = tables(base);
  for (const [name, keys] of tables(snippet)) {
    const into = merged.get(name) ?? new Map();
    for (const [key, line] of keys) into.set(key, line);
    merged.set(name, into);
  }
  return [...merged].map(([name, keys]) => [...(name ? [`[${name}]`] : []), ...keys.values()].join("\n")).join("\n") + "\n";
}

const pm = new Podman();
const podman = (args: string[]) => {
  const p = Bun.spawnSync(["podman", ...args], { env: pm.env, cwd: pm.dir, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
};

beforeAll(() => {
  requireBuilt();
  const snippet = readFileSync(SNIPPET, "utf8")
    .replace('["/usr/local/bin/crio-lxc"]', JSON.stringify([BIN]))
    .replace('# runtime = "crio-lxc"', 'runtime = "crio-lxc"');
  writeFileSync(pm.env.CONTAINERS_CONF, merge(readFileSync(pm.env.CONTAINERS_CONF, "utf8"), snippet));
  pm.setup();
});
afterAll(() => pm.cleanup());

describe("docs/examples/containers.conf", () => {
  test("makes crio-lxc, found by name in [engine.runtimes], podman's runtime", () => {
    const r = podman(["info", "--format", "{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}}"]);
    expect(r).toMatchObject({ code: 0, stdout: `crio-lxc ${BIN}\n` });
  });

  test("a container's output and exit status come through", () => {
    expect(podman(["run", "--rm", IMAGE, "sh", "-c", "echo hi; exit 3"])).toEqual({ code: 3, stdout: "hi\n", stderr: "" });
  });

  test("runtime_supports_json: podman shows crio-lxc's own error and maps it to 127", () => {
    const r = podman(["run", "--rm", IMAGE, "/no/such/program"]);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain('crio-lxc: exec: "/no/such/program": no such file or directory');
  });

  test("runtime_supports_nocgroup leaves crio-lxc out: podman refuses --cgroups=disabled itself", () => {
    const r = podman(["run", "--rm", "--cgroups=disabled", IMAGE, "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("is not compatible with NoCgroups");
  });
});
