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

export class RuntimeError extends Error {}
