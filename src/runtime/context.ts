import type { Logger } from "../log";
import type { Settings } from "../settings";
import { StateStore } from "../state";

/** What every command gets: resolved settings, the logger, the state store and runc's global flags. */
export interface RuntimeContext {
  settings: Settings;
  log: Logger;
  store: StateStore;
  systemdCgroup: boolean;
  /** argv[0] resolved, for RUNTIME_PATH and the like. */
  runtimePath: string;
}

/** What a standalone command (one that runs no container: check, spec…) gets instead of a RuntimeContext. */
export interface StandaloneData {
  globals: Record<string, unknown>;
}

export class RuntimeError extends Error {}
