/**
 * A failed exec. Its exit code, as runc's: 255 when the runtime failed, so a
 * caller can tell it from the process's own status; 127 and 126 when the
 * program is missing or may not be executed (what a shell, and podman, use).
 */
export class ExecError extends Error {
  constructor(message: string, readonly exitCode = 255) {
    super(message);
  }
}

export const EXIT_NOT_FOUND = 127;
export const EXIT_CANNOT_EXECUTE = 126;
