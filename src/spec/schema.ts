// Schema of an OCI bundle's config.json (runtime-spec v1.0-v1.2, Linux parts),
// and loading it with errors that name the file and the JSON path at fault.
import { readRegularFile } from "../files";
import { join } from "node:path";
import * as v from "valibot";
import { SpecError, formatJsonPath, type JsonPathSegment } from "./errors";
import { LinuxSchema, ResourcesSchema, type LinuxResources } from "./schema-linux";
import { IdMappingSchema, absolutePath, cString, int32, optional, stringMap, strings, utsName } from "./schema-primitives";
import { ProcessSchema } from "./schema-process";

export { SpecError } from "./errors";
export { ProcessSchema, type Process } from "./schema-process";
export { NAMESPACE_TYPES, type NamespaceType, type Linux, type LinuxResources, type DeviceRule } from "./schema-linux";

const MountSchema = v.object({
  destination: v.string(),
  type: optional(v.string()),
  source: optional(v.string()),
  options: optional(strings),
  uidMappings: optional(v.array(IdMappingSchema)),
  gidMappings: optional(v.array(IdMappingSchema)),
});

const HookSchema = v.object({
  path: absolutePath,
  args: optional(strings),
  env: optional(strings),
  timeout: optional(v.pipe(int32, v.minValue(1, "expected a number of seconds greater than zero"))),
});

const Hooks = optional(v.array(HookSchema));

export const HooksSchema = v.object({
  prestart: Hooks,
  createRuntime: Hooks,
  createContainer: Hooks,
  startContainer: Hooks,
  poststart: Hooks,
  poststop: Hooks,
});

/** Unknown properties are kept and otherwise ignored, as the runtime-spec requires. */
export const SpecSchema = v.looseObject({
  ociVersion: v.string(),
  root: v.object({
    path: v.pipe(cString, v.nonEmpty("expected the path of the root filesystem")),
    readonly: optional(v.boolean()),
  }),
  process: optional(ProcessSchema),
  hostname: optional(utsName),
  domainname: optional(utsName),
  mounts: optional(v.array(MountSchema)),
  hooks: optional(HooksSchema),
  annotations: optional(stringMap),
  linux: optional(LinuxSchema),
});

export type Spec = v.InferOutput<typeof SpecSchema>;
export type Mount = v.InferOutput<typeof MountSchema>;

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

function parseWith<T extends v.GenericSchema>(schema: T, json: unknown, file: string): v.InferOutput<T> {
  const result = v.safeParse(schema, json, { message: describeIssue });
  if (result.success) return result.output;
  const [first, ...others] = result.issues;
  const more = others.length ? ` (and ${others.length} more problem${others.length > 1 ? "s" : ""})` : "";
  throw new SpecError(formatJsonPath(issuePath(first)), first.message + more, file);
}

/** Validates a parsed config.json; throws SpecError naming `file` and the JSON path at fault. */
export function parseSpec(json: unknown, file: string): Spec {
  return parseWith(SpecSchema, json, file);
}

/** Validates a parsed process.json (as given to `exec`). */
export function parseProcess(json: unknown, file: string): v.InferOutput<typeof ProcessSchema> {
  return parseWith(ProcessSchema, json, file);
}

/** Validates LinuxResources on their own (as `update --resources` gets them). */
export function parseResources(json: unknown, file: string): LinuxResources {
  return parseWith(ResourcesSchema, json, file);
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

/** Loads and validates `<bundleDir>/config.json`. */
export function loadSpec(bundleDir: string): Spec {
  const file = join(bundleDir, "config.json");
  return parseSpec(readJsonFile(file), file);
}
