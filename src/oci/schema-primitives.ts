// Building blocks shared by the config.json schemas.
import * as v from "valibot";

/**
 * An optional field. Go's encoding/json (runc, and the engines that write
 * config.json) treats `null` like an absent field, so we accept both and
 * hand on `undefined` for either.
 */
export function optional<T extends v.GenericSchema>(schema: T) {
  return v.pipe(v.nullish(schema), v.transform((value) => value ?? undefined));
}

export const uint16 = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffff));
export const uint32 = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffffffff));
export const int32 = v.pipe(v.number(), v.integer(), v.minValue(-(2 ** 31)), v.maxValue(2 ** 31 - 1));
/** JSON numbers past 2^53 lose precision in JavaScript; RLIM_INFINITY (2^64-1) arrives as 2^64. */
export const uint64 = v.pipe(v.number(), v.integer(), v.minValue(0));
export const int64 = v.pipe(v.number(), v.integer());

export const strings = v.array(v.string());
export const stringMap = v.record(v.string(), v.string());

/** C strings end at a NUL: what comes after it would be silently dropped. */
export const cString = v.pipe(v.string(), v.check((s) => !s.includes("\0"), "contains a NUL byte"));

export const absolutePath = v.pipe(cString, v.startsWith("/", "expected an absolute path"));

/** hostname and domainname: names, also written into lxc.conf lines. */
export const utsName = v.pipe(cString, v.check((s) => !/[\x00-\x1f\x7f]/.test(s), "contains a control character"));

export const IdMappingSchema = v.object({
  containerID: uint32,
  hostID: uint32,
  size: uint32,
});
