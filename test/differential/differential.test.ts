// The same bundle under runc and under dist/crio-lxc, compared field by field
// through what test/differential/probe.sh observes inside. Every difference
// must be a deviation listed in docs/spec-fields.md ("Deviations from runc").
// Run in a pure cgroup2 view, as root:
//   scripts/cgroup2-lane ./node_modules/.bin/bun test --timeout 120000 test/differential/
// DIFFERENTIAL_REPORT=<file> also writes every difference found (listed or not) there as JSON lines.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { Deviations, DOC } from "../support/deviations";
import { type BundleCase, DifferentialRunner, type Outcome, RUNC } from "../support/differential";
import { type Difference, compareRecords } from "../support/probe-record";
import { Sandbox, requireBuilt } from "../support/runtime";
import { CORPUS } from "./corpus";

const CGROUP_CONTROLLERS = "/sys/fs/cgroup/cgroup.controllers";

let sb: Sandbox;
let runner: DifferentialRunner;
const deviations = Deviations.load();
let bundlesCompared = 0;

beforeAll(() => {
  requireBuilt();
  if (!existsSync(RUNC)) throw new Error(`${RUNC} is missing: the differential test compares against it`);
  sb = new Sandbox();
  runner = new DifferentialRunner(sb);
});
afterAll(() => sb?.cleanup());

const describeOutcome = (o: Outcome) => (o.outcome === "ran" ? `ran (exit ${o.record.exit})` : o.outcome);

function differences(runc: Outcome, crioLxc: Outcome): Difference[] {
  if (runc.outcome === "ran" && crioLxc.outcome === "ran") return compareRecords(runc.record, crioLxc.record);
  // Both refusing is agreement, whatever their words.
  if (runc.outcome !== "ran" && crioLxc.outcome !== "ran") return [];
  return [{ field: "outcome", runc: describeOutcome(runc), crioLxc: describeOutcome(crioLxc) }];
}

function report(bundle: string, runc: Outcome, crioLxc: Outcome, diffs: Difference[]): void {
  const file = process.env.DIFFERENTIAL_REPORT;
  if (!file) return;
  const fields = runc.outcome === "ran" ? Object.keys(runc.record).length : 0;
  appendFileSync(file, `${JSON.stringify({ bundle, fields, outcomes: { runc: describeOutcome(runc), crioLxc: describeOutcome(crioLxc) } })}\n`);
  for (const d of diffs) appendFileSync(file, `${JSON.stringify({ bundle, ...d, listed: !!deviations.explain(bundle, d) })}\n`);
}

const show = (value: string) => (value.length > 300 ? `${value.slice(0, 300)}…` : value);

async function compare(c: BundleCase): Promise<void> {
  const [runc, crioLxc] = await Promise.all([runner.run("runc", c), runner.run("crio-lxc", c)]);
  const left = [...await runner.leftovers(runc.id), ...await runner.leftovers(crioLxc.id)];
  const diffs = differences(runc, crioLxc);
  report(c.name, runc, crioLxc, diffs);
  const unlisted = diffs.filter((d) => !deviations.explain(c.name, d));
  bundlesCompared++;
  const problems = unlisted.map((d) => `  ${d.field}\n    runc:     ${show(d.runc)}\n    crio-lxc: ${show(d.crioLxc)}`);
  if (unlisted.length) problems.unshift(`${unlisted.length} difference(s) from runc not listed in ${DOC}:`);
  if (left.length) problems.push("left behind on the host:", ...left.map((l) => `  ${l}`));
  if (problems.length) {
    const tails = [runc, crioLxc].filter((o) => o.stderr.trim()).map((o) => `${o.runtime} stderr: ${show(o.stderr.trim())}`);
    throw new Error(`${c.name}: ${[...problems, ...tails].join("\n")}`);
  }
}

const CONTROLLERS = existsSync(CGROUP_CONTROLLERS) ? readFileSync(CGROUP_CONTROLLERS, "utf8").trim().split(/\s+/) : [];
const missing = (c: BundleCase) => (c.controllers ?? []).filter((name) => !CONTROLLERS.includes(name));
const runnable = (c: BundleCase) => !missing(c).length;
// DIFFERENTIAL_SUBSET=resources: only the bundles that need cgroup controllers (the QEMU lane runs those).
const inSubset = (c: BundleCase) => process.env.DIFFERENTIAL_SUBSET !== "resources" || (c.controllers ?? []).length > 0;
const SELECTED = CORPUS.filter(inSubset);

for (const c of SELECTED) {
  if (runnable(c)) test(c.name, () => compare(c));
  else test.skip(`${c.name} (skipped: needs the ${missing(c).join(", ")} controller(s), which this cgroup2 lacks; scripts/qemu-lane has them)`, () => {});
}

test("every deviation listed in docs/spec-fields.md still shows", () => {
  // Only a run of the whole corpus can tell (a filtered run leaves entries unused).
  if (process.env.DIFFERENTIAL_SUBSET || bundlesCompared < CORPUS.filter(runnable).length) return;
  expect(deviations.unused().map((e) => `${DOC}:${e.line}: | ${e.bundle} | ${e.field} | ${e.difference} |`)).toEqual([]);
});
