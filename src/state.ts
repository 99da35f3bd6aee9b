// The state store: one directory per container under --root, mode 0700.
// We keep our own state because liblxc's command socket does not answer while
// a created container is held at the start-host hook, and is gone after start.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import type { Spec } from "./oci/schema";
import { isFrozen } from "./cgroup";
import { exeIdentity, processStartTime } from "./proc";

export class StateError extends Error {}

/** `container <id> does not exist`, which delete --force treats as done. */
export class ContainerMissing extends StateError {}

/** runc's rule: letters, digits and _ + - . ; we also cap the length and forbid . and .. */
const ID_PATTERN = /^[\w+.-]+$/;
/** The id names a directory under --root and the default cgroup: NAME_MAX. */
export const MAX_ID_LENGTH = 255;

export function validateId(id: string | undefined): string {
  if (!id) throw new StateError("container id is required");
  if (id.length > MAX_ID_LENGTH) throw new StateError(`container id is longer than ${MAX_ID_LENGTH} characters (it names a directory and a cgroup)`);
  if (!ID_PATTERN.test(id) || id === ".") {
    throw new StateError(`invalid container id ${JSON.stringify(id)}: only letters, digits, '_', '+', '-' and '.' are allowed`);
  }
  // liblxc refuses ".." anywhere in a cgroup path, and the id is the default cgroup's name.
  if (id.includes("..")) throw new StateError(`invalid container id ${JSON.stringify(id)}: ".." is not allowed`);
  return id;
}

/** A process identified by pid and start time, so a reused pid is never mistaken for ours. */
export interface ProcessRef { pid: number; startTime: string }

export interface ContainerRecord {
  id: string;
  ociVersion: string;
  bundle: string;
  annotations: Record<string, string>;
  created: string;
  cgroupDir: string;
  monitorCgroupDir: string;
  monitor?: ProcessRef;
  init?: ProcessRef;
  started: boolean;
  /** config.json's hooks, kept for start and delete (the bundle may change or go). */
  hooks?: Spec["hooks"];
  /** process.terminal: start makes the console pty init's controlling terminal. */
  terminal?: boolean;
  /** exeIdentity of the held init (a copy of the runtime) at create: once it differs, init has exec'd. */
  heldExe?: string;
}

export type Status = "creating" | "created" | "running" | "paused" | "stopped";

export function processRef(pid: number): ProcessRef | undefined {
  const startTime = processStartTime(pid);
  return startTime ? { pid, startTime } : undefined;
}

/** True while the process lives and is not a zombie waiting to be reaped. */
export function isAlive(ref: ProcessRef | undefined): boolean {
  if (!ref) return false;
  try {
    const stat = readFileSync(`/proc/${ref.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] === ref.startTime && fields[0] !== "Z" && fields[0] !== "X";
  } catch {
    return false;
  }
}

export function statusOf(record: ContainerRecord): Status {
  if (!record.init) return isAlive(record.monitor) ? "creating" : "stopped";
  if (!isAlive(record.init)) return "stopped";
  // A start killed after releasing init never recorded it: the exec says it is running.
  if (!record.started) return stillHeld(record) ? "created" : "running";
  return isFrozen(record.cgroupDir) ? "paused" : "running";
}

function stillHeld(record: ContainerRecord): boolean {
  return !record.heldExe || exeIdentity(record.init!.pid) === record.heldExe;
}

const SPEC_FILE = "config.json";

export class StateStore {
  constructor(readonly root: string) {}

  dir(id: string): string { return join(this.root, id); }
  path(id: string, file: string): string { return join(this.root, id, file); }

  /** Claims the id: fails if a container with it exists. */
  createDir(id: string): string {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    const dir = this.dir(id);
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") throw new StateError(`container ${id} already exists`);
      throw err;
    }
    return dir;
  }

  exists(id: string): boolean { return existsSync(this.path(id, "state.json")) || existsSync(this.dir(id)); }

  load(id: string): ContainerRecord {
    let text: string;
    try {
      text = readFileSync(this.path(id, "state.json"), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new ContainerMissing(`container ${id} does not exist`);
      throw err;
    }
    try {
      return JSON.parse(text) as ContainerRecord;
    } catch {
      throw new StateError(`${this.path(id, "state.json")}: state file is corrupt`);
    }
  }

  /** Written atomically: a reader never sees half a file. */
  save(record: ContainerRecord): void {
    const file = this.path(record.id, "state.json");
    writeFileSync(`${file}.tmp`, JSON.stringify(record), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }

  /**
   * config.json as create checked it, kept in the state directory: exec runs
   * against it (as runc does), whatever happens to the bundle afterwards, and
   * needn't check it again. Undefined where there is none.
   */
  saveSpec(id: string, spec: unknown): void {
    writeFileSync(this.path(id, SPEC_FILE), JSON.stringify(spec), { mode: 0o600 });
  }

  loadSpec(id: string): unknown {
    let text: string;
    try {
      text = readFileSync(this.path(id, SPEC_FILE), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new StateError(`${this.path(id, SPEC_FILE)}: the container's copy of its config.json is corrupt`);
    }
  }

  remove(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }
}

/** The OCI state JSON, as `state` prints it and hooks receive it. */
export function ociState(record: ContainerRecord, status: Status) {
  return {
    ociVersion: record.ociVersion,
    id: record.id,
    status,
    pid: status === "stopped" || status === "creating" ? 0 : record.init?.pid ?? 0,
    bundle: record.bundle,
    annotations: record.annotations,
    created: record.created,
  };
}
