// Pins the ABI table in src/lxc/liblxc.ts against the installed lxc-dev headers
// with a compiled offsetof() program, and checks the runtime self-check passes.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { liblxc } from "../../src/lxc/liblxc";

const MEMBERS = { name: "name", configfile: "configfile", errorString: "error_string", errorNum: "error_num", configPath: "config_path",
  wantCloseAllFds: "want_close_all_fds", wantDaemonize: "want_daemonize", start: "start", setConfigItem: "set_config_item",
  getConfigItem: "get_config_item", initPidfd: "init_pidfd" } as const;

describe("liblxc ABI", () => {
  test("the offset table matches offsetof() from the installed headers", () => {
    if (!existsSync("/usr/include/lxc/lxccontainer.h")) throw new Error("lxc-dev is not installed: scripts/setup installs it");
    const dir = mkdtempSync(join(tmpdir(), "abi-"));
    try {
      checkOffsets(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  function checkOffsets(dir: string) {
    const lines = Object.values(MEMBERS).map((m) => `printf("${m} %zu\\n", offsetof(struct lxc_container, ${m}));`);
    writeFileSync(join(dir, "abi.c"), `#include <stdio.h>\n#include <stddef.h>\n#include <lxc/lxccontainer.h>\nint main(void){${lines.join("")}printf("size %zu\\n", sizeof(struct lxc_container));return 0;}\n`);
    const cc = Bun.spawnSync(["gcc", "-o", join(dir, "abi"), join(dir, "abi.c")], { stderr: "pipe" });
    expect(cc.stderr.toString()).toBe("");
    const out = Bun.spawnSync([join(dir, "abi")]).stdout.toString();
    const measured = Object.fromEntries(out.trim().split("\n").map((l) => l.split(" ")).map(([k, v]) => [k, Number(v)]));
    const { layout } = liblxc();
    for (const [key, member] of Object.entries(MEMBERS)) expect([member, layout[key as keyof typeof layout]]).toEqual([member, measured[member]]);
    expect(layout.size).toBe(measured.size);
  }

  test("a container handle passes the self-check", () => {
    const c = liblxc().container("abi-check", tmpdir());
    c.setConfigItem("lxc.uts.name", "abi");
    c.release();
  });
});
