// The deviation table's parsing and matching (test/support/deviations.ts) and
// the probe record's comparison rules, without running any container.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { DOC, Deviations, parseDeviations } from "../support/deviations";
import { compareRecords } from "../support/probe-record";

const table = (...rows: string[]) =>
  ["# doc", "", "## Deviations from runc", "", "Some text.", "", "| Bundle | Field | Difference | Reason |", "|---|---|---|---|", ...rows, "", "## Next"].join("\n");

describe("the deviation table", () => {
  test("docs/spec-fields.md has one that parses", () => {
    expect(() => parseDeviations(readFileSync(DOC, "utf8"))).not.toThrow();
  });

  test("rows become entries; backticks around Bundle and Field are dropped; the next section ends the table", () => {
    const [entry, ...rest] = parseDeviations(table("| `runc spec` | `mount /dev*` | extra tmpfs | liblxc's autodev |"));
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({ bundle: "runc spec", field: "mount /dev*", difference: "extra tmpfs", reason: "liblxc's autodev", line: 9 });
  });

  test("a row without a reason, or with the wrong number of cells, is an error", () => {
    expect(() => parseDeviations(table("| * | fd 0 | pipe |  |"))).toThrow(/needs a reason/);
    expect(() => parseDeviations(table("| * | fd 0 | pipe |"))).toThrow(/4 cells/);
    expect(() => parseDeviations("# no section")).toThrow(/Deviations from runc/);
  });

  test("globs match whole names; free text covers any values; `a` → `b` only those", () => {
    const d = new Deviations(parseDeviations(table(
      "| spec: * | fd ? | any | runc relays stdio through pipes |",
      "| * | status CapEff | `CHOWN` → `CHOWN,*` | wider |",
    )));
    expect(d.explain("spec: base", { field: "fd 1", runc: "pipe", crioLxc: "/dev/null" })?.line).toBe(9);
    expect(d.explain("runc spec", { field: "fd 1", runc: "pipe", crioLxc: "x" })).toBeUndefined();
    expect(d.explain("spec: base", { field: "fd 10", runc: "a", crioLxc: "b" })).toBeUndefined();
    expect(d.explain("x", { field: "status CapEff", runc: "CHOWN", crioLxc: "CHOWN,KILL" })?.line).toBe(10);
    expect(d.explain("x", { field: "status CapEff", runc: "KILL", crioLxc: "CHOWN,KILL" })).toBeUndefined();
    expect(d.unused()).toEqual([]);
  });

  test("an entry nothing matched is unused (stale)", () => {
    const d = new Deviations(parseDeviations(table("| nothing | here | - | stale |")));
    d.explain("spec: base", { field: "fd 1", runc: "pipe", crioLxc: "/dev/null" });
    expect(d.unused().map((e) => e.line)).toEqual([9]);
  });
});

describe("comparing probe records", () => {
  test("values that differ or exist on one side only, sorted by field", () => {
    expect(compareRecords({ b: "1", a: "x", same: "s" }, { a: "y", c: "2", same: "s" })).toEqual([
      { field: "a", runc: "x", crioLxc: "y" },
      { field: "b", runc: "1", crioLxc: "(absent)" },
      { field: "c", runc: "(absent)", crioLxc: "2" },
    ]);
  });

  test("the mount order is compared over the mounts both have", () => {
    const runc = { "mounts order": "/  /proc  /dev", "mount /": "", "mount /proc": "", "mount /dev": "" };
    const extra = { ...runc, "mounts order": "/  /dev (covered 1)  /proc  /dev  /boot_id", "mount /dev (covered 1)": "", "mount /boot_id": "" };
    expect(compareRecords(runc, extra).map((d) => d.field)).toEqual(["mount /boot_id", "mount /dev (covered 1)"]);
    const reordered = { ...runc, "mounts order": "/  /dev  /proc" };
    expect(compareRecords(runc, reordered)).toEqual([{ field: "mounts order", runc: "/  /proc  /dev", crioLxc: "/  /dev  /proc" }]);
  });
});
