// The liblxc binding: the only module that knows liblxc's ABI.
// `struct lxc_container` is a table of function pointers; we read each member
// at its offset and wrap it with CFunction. Offsets come from the table below,
// chosen by lxc_get_version() and verified by selfCheck() before first use.
import { CFunction, dlopen, FFIType, ptr, read, CString, type Pointer } from "bun:ffi";
import { peekLiblxcVersion } from "../native/library-version";
import { readLiblxcVersion } from "./elf-version";
import { chooseLiblxc, type LiblxcChoice, type LiblxcFile } from "./library";

export class LiblxcError extends Error {}

/** struct lxc_container member offsets on x86_64 (LP64), from offsetof() against lxc-dev headers. */
interface ContainerLayout {
  name: number; configfile: number; errorString: number; errorNum: number; configPath: number;
  wantCloseAllFds: number; wantDaemonize: number; start: number; setConfigItem: number; getConfigItem: number;
  initPidfd: number; size: number;
}

// Every member up to seccomp_notify_fd (536) kept its offset from lxc 3.0 to 6.0;
// 4.0.5 inserted a member before init_pidfd (544 → 552).
const LAYOUT_4_0_5_PLUS: ContainerLayout = {
  name: 0, configfile: 8, errorString: 56, errorNum: 64, configPath: 72,
  wantCloseAllFds: 168, wantDaemonize: 160, start: 136, setConfigItem: 192, getConfigItem: 272,
  initPidfd: 552, size: 568,
};

/** Versions whose layout we know. Anything else is refused rather than guessed. */
function layoutFor(version: string): ContainerLayout | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return undefined;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (major === 4 && (minor > 0 || patch >= 5)) return LAYOUT_4_0_5_PLUS;
  if (major === 5 || major === 6) return LAYOUT_4_0_5_PLUS;
  return undefined;
}

/** The versions auto takes from the host: the one the embedded liblxc is, whose layout crio-lxc checks. */
const knownVersion = (version: string) => /^5\.0\.\d+/.test(version) && layoutFor(version) !== undefined;

function openLibrary(choice: LiblxcChoice) {
  let file: LiblxcFile;
  try {
    file = chooseLiblxc(choice, knownVersion, (path) => readLiblxcVersion(path) ?? peekLiblxcVersion(path));
  } catch (err) {
    throw new LiblxcError((err as Error).message);
  }
  try {
    const lib = dlopen(file.path, {
      lxc_get_version: { args: [], returns: FFIType.cstring },
      lxc_container_new: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.ptr },
      lxc_container_put: { args: [FFIType.ptr], returns: FFIType.i32 },
      lxc_config_item_is_supported: { args: [FFIType.cstring], returns: FFIType.bool },
    });
    return { lib, file };
  } catch (err) {
    const what = file.source === "path" ? `CRIO_LXC_LIBLXC=${file.path}: not a liblxc`
      : file.source === "system" ? `CRIO_LXC_LIBLXC=${choice}: cannot load the host's liblxc ${file.path}` : "cannot load the embedded liblxc";
    throw new LiblxcError(`${what}: ${(err as Error).message}`);
  }
}

let cached: Liblxc | undefined;

/** Loads liblxc once per process (as CRIO_LXC_LIBLXC chooses) and checks that we know its struct layout. */
export function liblxc(choice: LiblxcChoice = process.env.CRIO_LXC_LIBLXC || "auto"): Liblxc {
  cached ??= new Liblxc(choice);
  return cached;
}

const cstr = (s: string) => Buffer.from(s + "\0");

export class Liblxc {
  readonly lib: ReturnType<typeof openLibrary>["lib"];
  /** Which liblxc, and where it came from. */
  readonly file: LiblxcFile;
  readonly version: string;
  readonly layout: ContainerLayout;

  constructor(choice: LiblxcChoice) {
    ({ lib: this.lib, file: this.file } = openLibrary(choice));
    this.version = String(this.lib.symbols.lxc_get_version() ?? "unknown");
    const layout = layoutFor(this.version);
    if (!layout) throw new LiblxcError(`liblxc ${this.version} has a struct lxc_container layout crio-lxc does not know (supported: 4.0.5 to 6.0.x)`);
    this.layout = layout;
  }

  isConfigItemSupported(key: string): boolean {
    return this.lib.symbols.lxc_config_item_is_supported(cstr(key));
  }

  /** A new container handle; `lxcpath` is where liblxc would keep its files (we keep none there). */
  container(name: string, lxcpath: string): Container {
    const c = this.lib.symbols.lxc_container_new(cstr(name), cstr(lxcpath));
    if (!c) throw new LiblxcError(`lxc_container_new(${name}, ${lxcpath}) failed`);
    const container = new Container(this, c as Pointer);
    container.selfCheck(name, lxcpath);
    return container;
  }
}

function member(c: Pointer, offset: number, returns: FFIType, args: FFIType[]) {
  const fn = read.ptr(c, offset) as unknown as Pointer;
  return CFunction({ ptr: fn, args: [FFIType.ptr, ...args], returns });
}

export class Container {
  constructor(private readonly lxc: Liblxc, readonly ptr: Pointer) {}

  private get layout() { return this.lxc.layout; }

  /**
   * The runtime check the ABI table promises: name, configfile and config_path hold
   * the strings we passed, and every function-pointer slot points into liblxc's
   * executable mapping. A layout mismatch fails here instead of jumping to garbage.
   */
  selfCheck(name: string, lxcpath: string): void {
    const l = this.layout;
    const str = (off: number) => { const p = read.ptr(this.ptr, off); return p ? new CString(p as unknown as Pointer).toString() : ""; };
    const problems: string[] = [];
    if (str(l.name) !== name) problems.push("name");
    if (str(l.configPath) !== lxcpath) problems.push("config_path");
    const text = liblxcTextMappings();
    for (const off of [l.start, l.setConfigItem, l.wantCloseAllFds, l.wantDaemonize, l.getConfigItem]) {
      const p = read.ptr(this.ptr, off);
      if (!text.some(([lo, hi]) => p >= lo && p < hi)) problems.push(`function pointer at offset ${off}`);
    }
    if (problems.length) {
      throw new LiblxcError(`liblxc ${this.lxc.version}: struct lxc_container layout check failed (${problems.join(", ")}); refusing to run`);
    }
  }

  private setItem?: ReturnType<typeof member>;

  setConfigItem(key: string, value: string): void {
    const fn = this.setItem ??= member(this.ptr, this.layout.setConfigItem, FFIType.bool, [FFIType.ptr, FFIType.ptr]);
    const k = cstr(key), v = cstr(value);
    if (!fn(this.ptr, ptr(k), ptr(v))) {
      throw new LiblxcError(`liblxc rejected config item ${key} = ${value}`);
    }
  }

  /**
   * Address of a member function, for the C monitor, which calls start,
   * want_close_all_fds(true) and want_daemonize(false) after its fork
   * (want_daemonize takes effect only once a config item is set).
   */
  member(name: "start" | "wantCloseAllFds" | "wantDaemonize"): number { return read.ptr(this.ptr, this.layout[name]); }

  get errorNumOffset(): number { return this.layout.errorNum; }

  release(): void { this.lxc.lib.symbols.lxc_container_put(this.ptr); }
}

/** Executable address ranges of liblxc in this process, from /proc/self/maps. */
function liblxcTextMappings(): Array<[number, number]> {
  const maps = require("node:fs").readFileSync("/proc/self/maps", "utf8") as string;
  const ranges: Array<[number, number]> = [];
  for (const line of maps.split("\n")) {
    const [range, perms, , , , path] = line.split(/\s+/);
    if (!path?.includes("liblxc") || !perms?.includes("x")) continue;
    const [lo, hi] = range!.split("-").map((h) => parseInt(h, 16));
    ranges.push([lo!, hi!]);
  }
  return ranges;
}

