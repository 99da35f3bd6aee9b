// liblxc and the libraries it needs beyond glibc, embedded in dist/crio-lxc by
// scripts/build.ts (scripts/embedded-libs.ts pins their Debian packages), as
// /$bunfs/ paths at run time. Only the compiled binary loads this module.
import pcre from "../../dist/liblxc/libpcre2-8.so.0" with { type: "file" };
import selinux from "../../dist/liblxc/libselinux.so.1" with { type: "file" };
import apparmor from "../../dist/liblxc/libapparmor.so.1" with { type: "file" };
import cap from "../../dist/liblxc/libcap.so.2" with { type: "file" };
import seccomp from "../../dist/liblxc/libseccomp.so.2" with { type: "file" };
import lxc from "../../dist/liblxc/liblxc.so.1" with { type: "file" };

/**
 * By SONAME, dependencies first, each with a symbol it exports (bun:ffi opens
 * a library only for some symbol): loaded in this order, each library's
 * DT_NEEDED finds the ones before it by SONAME.
 */
export const EMBEDDED_LIBS: readonly (readonly [soname: string, path: string, symbol: string])[] = [
  ["libpcre2-8.so.0", pcre, "pcre2_config_8"],
  ["libselinux.so.1", selinux, "is_selinux_enabled"],
  ["libapparmor.so.1", apparmor, "aa_is_enabled"],
  ["libcap.so.2", cap, "cap_get_proc"],
  ["libseccomp.so.2", seccomp, "seccomp_version"],
  ["liblxc.so.1", lxc, "lxc_get_version"],
];
