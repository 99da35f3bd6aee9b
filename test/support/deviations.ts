// The deliberate deviations from runc, read from the table under
// "## Deviations from runc" in docs/spec-fields.md, so the documentation and
// the differential test (test/differential/) cannot disagree.
//
//   | Bundle | Field | Difference | Reason |
//
// Bundle and Field are globs (`*` any run of characters, `?` one), matched
// against the whole bundle name and field name; backticks around them are
// ignored. A Difference of the form `runc value` → `crio-lxc value` (globs too)
// only covers those values; any other text covers every difference in the
// field. An entry that covers no difference in a full run is stale.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Difference } from "./probe-record";
import { REPO } from "./runtime";

export const DOC = join(REPO, "docs/spec-fields.md");
const HEADING = "## Deviations from runc";

export interface Deviation {
  line: number;
  bundle: string;
  field: string;
  difference: string;
  reason: string;
  values?: { runc: RegExp; crioLxc: RegExp };
}

export function glob(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*").replaceAll("?", ".");
  return new RegExp(`^${body}$`, "s");
}

const unquote = (cell: string) => cell.trim().replace(/^`(.*)`$/s, "$1");

/** The rows of the deviation table (none when the section has only its header). */
export function parseDeviations(markdown: string): Deviation[] {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => l.trim() === HEADING);
  if (start < 0) throw new Error(`${DOC}: no "${HEADING}" section`);
  const rows: Deviation[] = [];
  let inTable = false;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line.startsWith("## ")) break;
    if (!line.startsWith("|")) { if (inTable) break; continue; }
    inTable = true;
    const cells = line.slice(1, line.endsWith("|") ? -1 : undefined).split(/(?<!\\)\|/).map((c) => c.replaceAll("\\|", "|").trim());
    if (cells[0] === "Bundle" || /^:?-+:?$/.test(cells[0] ?? "")) continue;
    if (cells.length !== 4) throw new Error(`${DOC}:${i + 1}: a deviation row needs 4 cells (Bundle | Field | Difference | Reason), got ${cells.length}`);
    const [bundle, field, difference, reason] = cells as [string, string, string, string];
    if (!reason) throw new Error(`${DOC}:${i + 1}: a deviation needs a reason`);
    const pair = /^`([^`]*)`\s*(?:→|->)\s*`([^`]*)`$/.exec(difference);
    rows.push({
      line: i + 1, bundle: unquote(bundle), field: unquote(field), difference, reason,
      ...(pair ? { values: { runc: glob(pair[1]!), crioLxc: glob(pair[2]!) } } : {}),
    });
  }
  return rows;
}

export class Deviations {
  private readonly used = new Set<Deviation>();

  constructor(readonly entries: Deviation[]) {}

  static load(file = DOC): Deviations {
    return new Deviations(parseDeviations(readFileSync(file, "utf8")));
  }

  /** The entry that allows this difference in this bundle (marked used), if any. */
  explain(bundle: string, d: Difference): Deviation | undefined {
    const entry = this.entries.find((e) =>
      glob(e.bundle).test(bundle) && glob(e.field).test(d.field) &&
      (!e.values || (e.values.runc.test(d.runc) && e.values.crioLxc.test(d.crioLxc))));
    if (entry) this.used.add(entry);
    return entry;
  }

  unused(): Deviation[] {
    return this.entries.filter((e) => !this.used.has(e));
  }
}
