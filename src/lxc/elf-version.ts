// The version a liblxc on disk reports, read from the file without loading
// it. lxc_get_version() returns a string constant: in the builds there are
// (x86_64, arm64) its code is one address computation and a return. Where
// the code is exactly that, the string it would return is read from the
// file; anything else (another compiler's code, another architecture) gives
// undefined, and the caller loads the library to ask it
// (native/library-version.ts, ~1 ms: liblxc and its five libraries).
import { closeSync, openSync, readSync } from "node:fs";

const EM_X86_64 = 62;
const EM_AARCH64 = 183;
const PT_LOAD = 1;
const SHT_DYNSYM = 11;

function readAt(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, offset);
  return buf.subarray(0, n);
}

interface Elf { fd: number; machine: number; loads: Array<{ offset: number; vaddr: number; size: number }> }

function fileOffset(elf: Elf, vaddr: number): number | undefined {
  const seg = elf.loads.find((s) => vaddr >= s.vaddr && vaddr < s.vaddr + s.size);
  return seg && seg.offset + (vaddr - seg.vaddr);
}

/** st_value of a dynamic symbol, from the section headers' .dynsym and its string table. */
function dynamicSymbol(fd: number, header: Buffer, name: string): number | undefined {
  const shoff = Number(header.readBigUInt64LE(0x28));
  const shentsize = header.readUInt16LE(0x3a);
  const sections = readAt(fd, shoff, shentsize * header.readUInt16LE(0x3c));
  const section = (i: number) => ({
    type: sections.readUInt32LE(i * shentsize + 4),
    offset: Number(sections.readBigUInt64LE(i * shentsize + 0x18)),
    size: Number(sections.readBigUInt64LE(i * shentsize + 0x20)),
    link: sections.readUInt32LE(i * shentsize + 0x28),
  });
  for (let i = 0; i * shentsize < sections.length; i++) {
    const dynsym = section(i);
    if (dynsym.type !== SHT_DYNSYM) continue;
    const strtab = section(dynsym.link);
    const syms = readAt(fd, dynsym.offset, dynsym.size);
    const strings = readAt(fd, strtab.offset, strtab.size);
    const wanted = Buffer.from(`${name}\0`);
    for (let s = 0; s + 24 <= syms.length; s += 24) {
      const at = syms.readUInt32LE(s);
      if (strings[at] === wanted[0] && strings.subarray(at, at + wanted.length).equals(wanted)) return Number(syms.readBigUInt64LE(s + 8));
    }
  }
  return undefined;
}

/** x86_64: [endbr64] lea rax, [rip + d32]; ret. */
export function x86Target(code: Buffer, pc: number): number | undefined {
  const start = code.subarray(0, 4).equals(Buffer.from([0xf3, 0x0f, 0x1e, 0xfa])) ? 4 : 0;
  if (code[start] !== 0x48 || code[start + 1] !== 0x8d || code[start + 2] !== 0x05 || code[start + 7] !== 0xc3) return undefined;
  return pc + start + 7 + code.readInt32LE(start + 3);
}

/** arm64: [bti c | paciasp] adrp x0, page; add x0, x0, #lo12; [autiasp] ret. */
export function arm64Target(code: Buffer, pc: number): number | undefined {
  const word = (i: number) => code.readUInt32LE(4 * i);
  const first = [0xd503245f, 0xd503233f].includes(word(0)) ? 1 : 0;
  const adrp = word(first);
  const add = word(first + 1);
  if ((adrp & 0x9f00001f) >>> 0 !== 0x90000000 || (add & 0xff8003ff) >>> 0 !== 0x91000000) return undefined;
  const imm21 = (((adrp >>> 5) & 0x7ffff) << 2) | ((adrp >>> 29) & 3);
  const pageOffset = ((imm21 << 11) >> 11) * 4096; // sign-extended 21 bits, in pages
  const lo12 = ((add >>> 10) & 0xfff) * ((add >>> 22) & 1 ? 4096 : 1);
  return Math.floor((pc + first * 4) / 4096) * 4096 + pageOffset + lo12;
}

/** The string liblxc's lxc_get_version() returns, or undefined when its code isn't the expected two steps. */
export function readLiblxcVersion(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return undefined;
  }
  try {
    const header = readAt(fd, 0, 64);
    if (header.length < 64 || header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return undefined;
    const phentsize = header.readUInt16LE(0x36);
    const phdrs = readAt(fd, Number(header.readBigUInt64LE(0x20)), phentsize * header.readUInt16LE(0x38));
    const elf: Elf = { fd, machine: header.readUInt16LE(0x12), loads: [] };
    for (let p = 0; p + phentsize <= phdrs.length; p += phentsize) {
      if (phdrs.readUInt32LE(p) !== PT_LOAD) continue;
      elf.loads.push({ offset: Number(phdrs.readBigUInt64LE(p + 8)), vaddr: Number(phdrs.readBigUInt64LE(p + 0x10)), size: Number(phdrs.readBigUInt64LE(p + 0x20)) });
    }
    const pc = dynamicSymbol(fd, header, "lxc_get_version");
    const codeAt = pc === undefined ? undefined : fileOffset(elf, pc);
    if (pc === undefined || codeAt === undefined) return undefined;
    const code = readAt(fd, codeAt, 16);
    if (code.length < 16) return undefined;
    const target = elf.machine === EM_X86_64 ? x86Target(code, pc) : elf.machine === EM_AARCH64 ? arm64Target(code, pc) : undefined;
    const stringAt = target === undefined ? undefined : fileOffset(elf, target);
    if (stringAt === undefined) return undefined;
    const text = readAt(fd, stringAt, 64);
    const end = text.indexOf(0);
    const version = end < 0 ? undefined : text.toString("latin1", 0, end);
    return version && /^\d+\.\d+\.\d+[\w.~+-]*$/.test(version) ? version : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
