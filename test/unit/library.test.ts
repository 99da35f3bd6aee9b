// Which liblxc CRIO_LXC_LIBLXC chooses (src/lxc/library.ts), without loading one.
import { expect, test } from "bun:test";
import { chooseLiblxc, systemLiblxc } from "../../src/lxc/library";

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
