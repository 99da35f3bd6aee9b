// Refusing spec fields crio-lxc can't honour yet, naming the exact field.
import { refuse, type JsonPathSegment } from "../oci/errors";

export const NOT_SUPPORTED_YET = "not supported yet by crio-lxc";

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Absent, null, false, "", [] and objects with nothing set: all OCI defaults. */
export function isUnset(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isPlainObject(value)) return Object.values(value).every(isUnset);
  return false;
}

/** Path of the first field that is set within `value`, descending into objects. */
export function firstSetField(value: unknown, at: JsonPathSegment[]): JsonPathSegment[] | undefined {
  if (isUnset(value)) return undefined;
  if (!isPlainObject(value)) return at;
  for (const [key, field] of Object.entries(value)) {
    const found = firstSetField(field, [...at, key]);
    if (found) return found;
  }
  return undefined;
}

/** Refuses the first of `fields` of `owner` (found at `at`) that is set. */
export function refuseIfSet<T extends object>(
  owner: T | null | undefined,
  at: JsonPathSegment[],
  fields: readonly (keyof T & string)[],
  reason: string = NOT_SUPPORTED_YET,
): void {
  if (!owner) return;
  for (const field of fields) {
    const found = firstSetField(owner[field], [...at, field]);
    if (found) refuse(found, reason);
  }
}
