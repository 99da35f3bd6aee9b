// Errors about a bundle's config.json, always naming the JSON path at fault.

export type JsonPathSegment = string | number;

/** `linux.namespaces[2].type`; keys that aren't identifiers are quoted: `linux.sysctl["net.ipv4.ip_forward"]`. */
export function formatJsonPath(segments: readonly JsonPathSegment[]): string {
  let path = "";
  for (const segment of segments) {
    if (typeof segment === "number") path += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) path += path ? `.${segment}` : segment;
    else path += `[${JSON.stringify(segment)}]`;
  }
  return path;
}

/** A config.json that is invalid, or asks for something crio-lxc can't honour. */
export class SpecError extends Error {
  override name = "SpecError";

  constructor(
    /** The offending field, e.g. `linux.namespaces[2].type`; empty for the document itself. */
    readonly jsonPath: string,
    /** What is wrong with it. */
    readonly reason: string,
    /** The config.json it came from, when known. */
    readonly file?: string,
  ) {
    super([file, jsonPath, reason].filter(Boolean).join(": "));
  }

  /** The same error, attributed to `file`. */
  inFile(file: string): SpecError {
    return new SpecError(this.jsonPath, this.reason, file);
  }
}

/** Throws a SpecError for the field at `segments`. */
export function refuse(segments: readonly JsonPathSegment[], reason: string): never {
  throw new SpecError(formatJsonPath(segments), reason);
}
