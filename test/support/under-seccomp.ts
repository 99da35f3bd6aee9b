// bun under-seccomp.ts CMD ARGS...: runs CMD under an allow-everything seccomp
// filter, as a runtime started by a confined service would be.
import { dlopen, FFIType, ptr } from "bun:ffi";

const SYS_SECCOMP = { x64: 317, arm64: 277 }[process.arch as string];
if (!SYS_SECCOMP) throw new Error(`no seccomp(2) number known for ${process.arch}`);
const SECCOMP_SET_MODE_FILTER = 1;
const SECCOMP_FILTER_FLAG_TSYNC = 1; // every thread: Bun may spawn from another one
const BPF_RET_K = 0x06;
const SECCOMP_RET_ALLOW = 0x7fff0000;

const libc = dlopen("libc.so.6", {
  syscall: { args: [FFIType.i64, FFIType.u64, FFIType.u64, FFIType.ptr], returns: FFIType.i64 },
});

// struct sock_filter { u16 code; u8 jt, jf; u32 k; } and struct sock_fprog { u16 len; sock_filter *filter; }
const program = new DataView(new ArrayBuffer(8));
program.setUint16(0, BPF_RET_K, true);
program.setUint32(4, SECCOMP_RET_ALLOW, true);
const fprog = new DataView(new ArrayBuffer(16));
fprog.setUint16(0, 1, true);
fprog.setBigUint64(8, BigInt(ptr(program)), true);

// As root, CAP_SYS_ADMIN stands in for no_new_privs.
const rc = libc.symbols.syscall(SYS_SECCOMP, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, ptr(fprog));
if (Number(rc) !== 0) throw new Error(`seccomp(SECCOMP_SET_MODE_FILTER) failed: ${rc}`);
const child = Bun.spawnSync(process.argv.slice(2), { stdio: ["inherit", "inherit", "inherit"] });
process.exit(child.exitCode ?? 1);
