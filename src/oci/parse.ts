// Reading and validating the JSON files a caller gives (config.json,
// process.json, update's resources): errors name the file and the JSON path.
// Apart from the schemas, so a call that checks only one part (exec's
// process.json) doesn't build the valibot schema of a whole config.json.
import * as v from "valibot";
import { readRegularFile } from "../files";
import { SpecError, formatJsonPath, type JsonPathSegment } from "./errors";

const ARTICLE_FOR: Record<string, string> = {
  string: "a string", number: "a number", boolean: "a boolean", Object: "an object", Array: "an array",
};

/** Message for issues whose schema has no message of its own. */
function describeIssue(issue: v.BaseIssue<unknown>): string {
  const { kind, type, expected, received } = issue;
  if (kind === "schema" && type.endsWith("object") && received === "undefined" && expected?.startsWith('"')) {
    return "required";
  }
  if (type === "picklist") return `invalid value ${received} (expected ${expected?.replace(/^\((.*)\)$/, "$1")})`;
  if (kind === "schema") return `expected ${ARTICLE_FOR[expected ?? ""] ?? expected}, got ${received}`;
  if (type === "integer") return `expected an integer, got ${received}`;
  if (type === "min_value" || type === "max_value") return `expected a number ${expected}, got ${received}`;
  if (type === "min_length") return `expected at least ${expected?.replace(">=", "")} item(s)`;
  return `expected ${expected}, got ${received}`;
}

function issuePath(issue: v.BaseIssue<unknown>): JsonPathSegment[] {
  return (issue.path ?? []).map((item) => item.key as JsonPathSegment);
}

export function parseWith<T extends v.GenericSchema>(schema: T, json: unknown, file: string): v.InferOutput<T> {
  const result = v.safeParse(schema, json, { message: describeIssue });
  if (result.success) return result.output;
  const [first, ...others] = result.issues;
  const more = others.length ? ` (and ${others.length} more problem${others.length > 1 ? "s" : ""})` : "";
  throw new SpecError(formatJsonPath(issuePath(first)), first.message + more, file);
}

/** Reads a JSON file; a missing or malformed file is a SpecError naming it. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readRegularFile(file);
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    throw new SpecError("", code === "ENOENT" ? "no such file" : `cannot read: ${message}`, file);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SpecError("", `not valid JSON: ${(err as Error).message}`, file);
  }
}

