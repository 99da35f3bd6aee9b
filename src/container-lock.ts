// One call at a time per container: every command that changes a container
// holds an exclusive flock on its state directory until it is done, so
// concurrent calls on one id (create twice, delete while starting, kill while
// deleting) run one after the other. `state` takes no lock: state.json is
// replaced atomically. A killed call's lock goes with its process.
//
// A create makes the directory and locks it under a short lock on --root
// itself, so a directory it has just made is never taken for one that a
// killed create left without a state.json (which delete --force removes).
import { closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, rmdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { ContainerMissing, StateError, type StateStore } from "./state";
import { LOCK_EX, LOCK_SH, tryFlock } from "./sys";

const O_CLOEXEC = 0o2000000;
const RETRY_MS = 2;

export class ContainerLock {
  constructor(private fd: number) {}

  release(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}

/** Opened close-on-exec: a hook or helper the runtime starts must not keep the lock after it dies. */
const openDir = (path: string) => openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | O_CLOEXEC);

/** Claims a new id: its state directory exists, locked by us, or this throws "already exists". */
export function claimContainer(store: StateStore, id: string, deadline: number): ContainerLock {
  mkdirSync(store.root, { recursive: true, mode: 0o700 });
  const started = Date.now();
  const rootFd = openDir(store.root);
  try {
    waitForLock(rootFd, LOCK_EX, deadline, () => busy(`--root ${store.root}`, "another create", started));
    const dir = store.createDir(id);
    const fd = openDir(dir);
    // Only a caller that found no state.json yet can hold it; it backs off while --root is locked.
    waitForLock(fd, LOCK_EX, deadline, () => {
      closeSync(fd);
      rmdirSync(dir);
      return busy(dir, `another call on container ${id}`, started);
    });
    return new ContainerLock(fd);
  } finally {
    closeSync(rootFd);
  }
}

/** Waits (until `deadline`) for the lock of an existing container. */
export function lockContainer(store: StateStore, id: string, deadline: number): ContainerLock {
  const dir = store.dir(id);
  const started = Date.now();
  for (;;) {
    let fd: number;
    try {
      fd = openDir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new ContainerMissing(`container ${id} does not exist`);
      throw err;
    }
    waitForLock(fd, LOCK_EX, deadline, () => { closeSync(fd); return busy(dir, `another call on container ${id}`, started); });
    // Deleted (and perhaps created again) while we waited: look again.
    const stillThere = sameFile(fd, dir);
    const claimPending = stillThere && !existsSync(join(dir, "state.json")) && createClaiming(store.root);
    if (stillThere && !claimPending) return new ContainerLock(fd);
    closeSync(fd);
    if (Date.now() > deadline) throw busy(dir, `a create of container ${id}`, started);
    Bun.sleepSync(RETRY_MS);
  }
}

function waitForLock(fd: number, operation: typeof LOCK_EX | typeof LOCK_SH, deadline: number, onTimeout: () => Error): void {
  while (!tryFlock(fd, operation)) {
    if (Date.now() > deadline) throw onTimeout();
    Bun.sleepSync(RETRY_MS);
  }
}

function busy(what: string, holder: string, started: number): StateError {
  return new StateError(`${what} is locked by ${holder} still running; gave up waiting after ${Date.now() - started} ms (this command's timeout)`);
}

function sameFile(fd: number, path: string): boolean {
  try {
    const [held, now] = [fstatSync(fd), statSync(path)];
    return held.ino === now.ino && held.dev === now.dev;
  } catch {
    return false;
  }
}

/** True while a create holds --root's lock: it may have made a directory it has not locked yet. */
function createClaiming(root: string): boolean {
  const fd = openDir(root);
  try {
    return !tryFlock(fd, LOCK_SH);
  } finally {
    closeSync(fd);
  }
}

/** Runs `fn` holding the container's lock. */
export function withContainerLock<T>(store: StateStore, id: string, deadline: number, fn: () => T): T {
  const lock = lockContainer(store, id, deadline);
  try {
    return fn();
  } finally {
    lock.release();
  }
}
