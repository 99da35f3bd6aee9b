// The resources a container runs with: config.json's at create, each update
// merged in. `update` computes from them what a partial update implies (swap
// is written relative to the memory limit, quota and period go together).
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import type { LinuxResources } from "../oci/schema";
import type { StateStore } from "../state";

const RESOURCES_FILE = "resources.json";

export function saveResources(store: StateStore, id: string, resources: LinuxResources): void {
  const file = store.path(id, RESOURCES_FILE);
  writeFileSync(`${file}.tmp`, JSON.stringify(resources), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** What was saved; nothing for a container created before crio-lxc kept them. */
export function loadResources(store: StateStore, id: string): LinuxResources {
  try {
    return JSON.parse(readFileSync(store.path(id, RESOURCES_FILE), "utf8")) as LinuxResources;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new Error(`${store.path(id, RESOURCES_FILE)}: ${(err as Error).message}`);
  }
}
