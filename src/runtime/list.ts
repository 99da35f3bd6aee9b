// list: every container under --root, as runc lists them.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { ociState, statusOf, type StateStore } from "../state";
import { LXC_CONFIG_FILE } from "./create";

/** One container as `list --format json` prints it (runc's fields). */
export interface ListedContainer {
  ociVersion: string;
  id: string;
  pid: number;
  status: string;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations: Record<string, string>;
}

/** The rootfs liblxc was given (lxc.rootfs.path = dir:/…); "" if the config is gone. */
function rootfsOf(store: StateStore, id: string): string {
  try {
    const config = readFileSync(store.path(id, LXC_CONFIG_FILE), "utf8");
    return /^lxc\.rootfs\.path = (?:dir:)?(.*)$/m.exec(config)?.[1] ?? "";
  } catch {
    return "";
  }
}

function userName(uid: number): string {
  try {
    const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.split(":")[2] === String(uid));
    if (line) return line.split(":")[0]!;
  } catch {
    // No passwd file: fall through.
  }
  return `#${uid}`;
}

function listed(store: StateStore, id: string): ListedContainer | undefined {
  let record;
  try {
    record = store.load(id);
  } catch {
    return undefined; // being created or half deleted: runc skips those too
  }
  const state = ociState(record, statusOf(record));
  return {
    ...state,
    rootfs: rootfsOf(store, id),
    owner: userName(statSync(store.dir(id)).uid),
    annotations: state.annotations ?? {},
  };
}

export function listContainers(store: StateStore): ListedContainer[] {
  let ids: string[];
  try {
    ids = readdirSync(store.root).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  return ids.map((id) => listed(store, id)).filter((c): c is ListedContainer => c !== undefined);
}

const COLUMNS = ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"] as const;
const MIN_WIDTH = 12;
const PADDING = 3;

/** runc's table: left-aligned columns, at least 12 wide, 3 spaces apart. */
export function listTable(containers: ListedContainer[]): string {
  const rows = [
    [...COLUMNS],
    ...containers.map((c) => [c.id, String(c.pid), c.status, c.bundle, c.created, c.owner]),
  ];
  const widths = COLUMNS.map((_, i) => Math.max(MIN_WIDTH, ...rows.map((row) => row[i]!.length + PADDING)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("")).join("\n") + "\n";
}
