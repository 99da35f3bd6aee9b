// Passing file descriptors over unix stream sockets (SCM_RIGHTS), as the
// --console-socket protocol of runc, conmon and CRI-O does: one message whose
// payload is a name and whose ancillary data carries the fd. Bun's sockets
// can't carry fds, so this is sendmsg/recvmsg through FFI (x86_64 layouts).
import { ptr } from "bun:ffi";
import { closeSync } from "node:fs";
import { check, libc } from "./libc";

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MSG_CMSG_CLOEXEC = 0x40000000;
const SUN_PATH_MAX = 107;

/** struct sockaddr_un for `path`. */
function socketAddress(path: string): Buffer {
  const bytes = Buffer.from(path);
  if (bytes.length > SUN_PATH_MAX) throw new Error(`unix socket path longer than ${SUN_PATH_MAX} bytes: ${path}`);
  const addr = Buffer.alloc(110);
  addr.writeUInt16LE(AF_UNIX, 0);
  bytes.copy(addr, 2);
  return addr;
}

function unixSocket(): number {
  return check("socket(AF_UNIX)", libc.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
}

export function connectUnix(path: string): number {
  const fd = unixSocket();
  const addr = socketAddress(path);
  try {
    check(`connect ${path}`, libc.connect(fd, addr, addr.length));
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

export function listenUnix(path: string): number {
  const fd = unixSocket();
  const addr = socketAddress(path);
  try {
    check(`bind ${path}`, libc.bind(fd, addr, addr.length));
    check(`listen ${path}`, libc.listen(fd, 1));
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

export function acceptUnix(listenFd: number): number {
  return check("accept", libc.accept4(listenFd, null, null, SOCK_CLOEXEC));
}

// struct msghdr: name@0 namelen@8 iov@16 iovlen@24 control@32 controllen@40 flags@48.
// struct cmsghdr: len@0 (size_t) level@8 type@12 data@16; CMSG_SPACE(4) = 24.
const CMSG_SPACE_ONE_FD = 24;
const CMSG_LEN_ONE_FD = 20;

function message(payload: Buffer, control: Buffer) {
  const iov = new BigUint64Array([BigInt(ptr(payload)), BigInt(payload.length)]);
  const msg = new BigUint64Array(7);
  msg[2] = BigInt(ptr(iov));
  msg[3] = 1n;
  msg[4] = BigInt(ptr(control));
  msg[5] = BigInt(control.length);
  return { msg, keep: [iov, payload, control] };
}

/** Sends `fd` with `name` as the payload. */
export function sendFd(socketFd: number, fd: number, name: string): void {
  const control = Buffer.alloc(CMSG_SPACE_ONE_FD);
  control.writeBigUInt64LE(BigInt(CMSG_LEN_ONE_FD), 0);
  control.writeInt32LE(SOL_SOCKET, 8);
  control.writeInt32LE(SCM_RIGHTS, 12);
  control.writeInt32LE(fd, 16);
  const m = message(Buffer.from(`${name}\0`), control);
  check("sendmsg", libc.sendmsg(socketFd, m.msg, 0));
  void m.keep;
}

/** Receives one fd (close-on-exec) and the payload sent with it. */
export function recvFd(socketFd: number): { fd: number; name: string } {
  const payload = Buffer.alloc(4096);
  const control = Buffer.alloc(CMSG_SPACE_ONE_FD);
  const m = message(payload, control);
  const n = check("recvmsg", libc.recvmsg(socketFd, m.msg, MSG_CMSG_CLOEXEC));
  void m.keep;
  const controlLength = Number(m.msg[5]);
  if (controlLength < CMSG_LEN_ONE_FD || control.readInt32LE(8) !== SOL_SOCKET || control.readInt32LE(12) !== SCM_RIGHTS) {
    throw new Error("recvmsg: the message carried no file descriptor");
  }
  return { fd: control.readInt32LE(16), name: payload.subarray(0, n).toString().replace(/\0.*$/s, "") };
}
