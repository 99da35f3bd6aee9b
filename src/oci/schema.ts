// Schema of an OCI bundle's config.json (runtime-spec v1.0-v1.2, Linux parts),
// and loading it with errors that name the file and the JSON path at fault.
import { join } from "node:path";
import * as v from "valibot";
import { parseWith, readJsonFile } from "./parse";
import { LinuxSchema, ResourcesSchema, type LinuxResources } from "./schema-linux";
import { IdMappingSchema, absolutePath, cString, int32, optional, stringMap, strings, utsName } from "./schema-primitives";
import { ProcessSchema } from "./schema-process";

export { SpecError } from "./errors";
export { ProcessSchema, parseProcess, type Process } from "./schema-process";
export { readJsonFile } from "./parse";
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

/** Validates a parsed config.json; throws SpecError naming `file` and the JSON path at fault. */
export function parseSpec(json: unknown, file: string): Spec {
  return parseWith(SpecSchema, json, file);
}

/** Validates LinuxResources on their own (as `update --resources` gets them). */
export function parseResources(json: unknown, file: string): LinuxResources {
  return parseWith(ResourcesSchema, json, file);
}

/** Loads and validates `<bundleDir>/config.json`. */
export function loadSpec(bundleDir: string): Spec {
  const file = join(bundleDir, "config.json");
  return parseSpec(readJsonFile(file), file);
}
