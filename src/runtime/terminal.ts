// process.terminal. With lxc.console.path unset, liblxc allocates the console
// from the container's own devpts instance and makes its slave init's stdin,
// stdout, stderr and /dev/console: inside, `tty` says /dev/pts/N. The master
// stays in init until start hands it to the monitor (which start kills). So
// create takes a duplicate of that master out of the held init (pidfd_getfd)
// and sends it over --console-socket as runc does: one pty, owned by the client.
// liblxc never makes the slave init's controlling terminal; start does (ctty.ts).
import { closeSync, readdirSync, readlinkSync } from "node:fs";
import { check, libc, pidfdGetfd } from "../native/libc";
import { connectUnix, sendFd } from "../native/unix-socket";
import { pidfdOpen } from "../sys";
import { RuntimeError } from "./context";

const TIOCGPTN = 0x80045430;
const TIOCSWINSZ = 0x5414;

export interface ConsoleSize { height: number; width: number }

const MAX_WINSIZE = 0xffff;

/** Refuses a terminal that can't be set up or handed to anyone, before anything is set up. */
export function checkTerminalRequest(terminal: boolean | undefined, consoleSocket: string | undefined, size?: ConsoleSize | null): void {
  if (!terminal) return;
  if (size && (size.height > MAX_WINSIZE || size.width > MAX_WINSIZE)) {
    throw new RuntimeError(`process.consoleSize: ${size.height}x${size.width} is larger than a terminal can be (${MAX_WINSIZE})`);
  }
  if (!consoleSocket) {
    throw new RuntimeError("process.terminal is true in config.json but no --console-socket was given to receive the pty master");
  }
  if (process.arch !== "x64") {
    throw new RuntimeError(`process.terminal: making the pty the controlling terminal is implemented for x86_64 only, not ${process.arch}`);
  }
}

/** Sends the console's master of the held init to the client's socket, sized as asked. */
export function sendConsole(initPid: number, socketPath: string, size: ConsoleSize | null | undefined): void {
  const master = takeConsoleMaster(initPid);
  try {
    if (size) setWindowSize(master, size);
    const socket = connectUnix(socketPath);
    try {
      sendFd(socket, master, "/dev/ptmx");
    } finally {
      closeSync(socket);
    }
  } catch (err) {
    throw new RuntimeError(`--console-socket ${socketPath}: ${(err as Error).message}`);
  } finally {
    closeSync(master);
  }
}

/** A duplicate of the init's console master: the ptmx fd whose pty is init's stdin. */
function takeConsoleMaster(pid: number): number {
  const slave = readlinkSync(`/proc/${pid}/fd/0`);
  const candidates = readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try { return readlinkSync(`/proc/${pid}/fd/${fd}`).endsWith("/ptmx"); } catch { return false; }
  });
  const pidfd = pidfdOpen(pid);
  try {
    for (const candidate of candidates) {
      let fd: number;
      try {
        fd = pidfdGetfd(pidfd, Number(candidate));
      } catch (err) {
        throw new RuntimeError(`process.terminal: cannot take the console pty from the container init (${(err as Error).message}); crio-lxc needs ptrace access to it (Yama ptrace_scope below 3)`);
      }
      if (`/dev/pts/${ptyNumber(fd)}` === slave) return fd;
      closeSync(fd);
    }
  } finally {
    closeSync(pidfd);
  }
  throw new RuntimeError(`process.terminal: liblxc set up no console pty for the container init (its stdin is ${slave})`);
}

function ptyNumber(master: number): number {
  const n = new Int32Array(1);
  check("ioctl(TIOCGPTN)", libc.ioctl(master, TIOCGPTN, n));
  return n[0]!;
}

function setWindowSize(fd: number, { height, width }: ConsoleSize): void {
  const winsize = new Uint16Array([height, width, 0, 0]);
  check("ioctl(TIOCSWINSZ)", libc.ioctl(fd, TIOCSWINSZ, winsize));
}
