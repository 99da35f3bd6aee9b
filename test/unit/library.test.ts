// Which liblxc CRIO_LXC_LIBLXC chooses (src/lxc/library.ts), without loading one.
import { expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VERSION_MEMO, chooseLiblxc, rememberedPeek, systemLiblxc } from "../../src/lxc/library";

const host = systemLiblxc();
const is500 = (v: string) => v.startsWith("5.0.");

test("auto: the host's liblxc when its version is one crio-lxc knows; else the embedded one (none in a source checkout)", () => {
  if (!host) return void console.log("skipped: this machine has no liblxc.so.1 of its own");
  expect(chooseLiblxc("auto", is500, () => "5.0.2")).toEqual({ path: host, source: "system", origin: host });
  expect(() => chooseLiblxc("auto", is500, () => "6.0.1")).toThrow("a source checkout has no embedded liblxc");
  expect(() => chooseLiblxc("auto", is500, () => undefined)).toThrow("a source checkout has no embedded liblxc");
});

test("system, a path, and what is refused", () => {
  if (host) expect(chooseLiblxc("system", is500, () => undefined).path).toBe(host);
  expect(chooseLiblxc("/etc/hostname", is500, () => undefined)).toEqual({ path: "/etc/hostname", source: "path", origin: "/etc/hostname" });
  expect(() => chooseLiblxc("liblxc.so.1", is500, () => undefined)).toThrow("CRIO_LXC_LIBLXC: expected auto, embedded, system or an absolute path");
  expect(() => chooseLiblxc("/no/such/liblxc.so", is500, () => undefined)).toThrow("CRIO_LXC_LIBLXC=/no/such/liblxc.so: no such file");
});

test("auto remembers the host's version in the state root, for the library file as it is; a changed file is peeked at again", () => {
  const dir = mkdtempSync(join(tmpdir(), "liblxc-memo-"));
  try {
    const lib = join(dir, "liblxc.so.1");
    writeFileSync(lib, "a");
    const peeked: string[] = [];
    const peek = (path: string) => { peeked.push(path); return "5.0.2"; };
    const root = join(dir, "root");
    const peekIn = (memoDir: string | undefined) => rememberedPeek(memoDir, peek)(lib);
    // No root yet (a call that won't make one): the memo can't be written, the version is still read.
    expect(peekIn(root)).toBe("5.0.2");
    expect(peekIn(undefined)).toBe("5.0.2");
    expect(peeked.length).toBe(2);
    chmodSync(dir, 0o755);
    mkdirSync(root);
    expect([peekIn(root), peekIn(root), peekIn(root)]).toEqual(["5.0.2", "5.0.2", "5.0.2"]);
    expect(peeked.length).toBe(3);
    expect(readFileSync(join(root, VERSION_MEMO), "utf8")).toEndWith("\n5.0.2\n");
    // An upgrade: new content and times.
    writeFileSync(lib, "bb");
    utimesSync(lib, new Date(), new Date(Date.now() + 5000));
    expect(peekIn(root)).toBe("5.0.2");
    expect(peeked.length).toBe(4);
    // A library that can't be loaded is not remembered.
    expect(rememberedPeek(root, () => undefined)(join(dir, "other.so"))).toBeUndefined();
    expect(readFileSync(join(root, VERSION_MEMO), "utf8")).toContain(lib);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
