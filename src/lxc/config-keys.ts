// The liblxc config items crio-lxc writes (src/translate/*, runtime/create*.ts),
// for `crio-lxc check`. test/unit/config-keys.test.ts translates a wide range
// of specs and fails when an emitted key is missing here.

/** Keys liblxc's config table holds as they are: lxc_config_item_is_supported answers for them. */
export const EXACT_CONFIG_KEYS = [
  "lxc.apparmor.profile", "lxc.arch", "lxc.autodev", "lxc.cap.keep", "lxc.cgroup.dir.container",
  "lxc.cgroup.dir.monitor", "lxc.cgroup.dir.monitor.pivot", "lxc.console.path", "lxc.environment",
  "lxc.hook.autodev", "lxc.hook.mount", "lxc.hook.pre-mount", "lxc.hook.start-host", "lxc.hook.version",
  "lxc.idmap", "lxc.init.cwd", "lxc.init.gid", "lxc.init.groups", "lxc.init.uid", "lxc.log.file",
  "lxc.log.level", "lxc.monitor.signal.pdeath", "lxc.mount.entry", "lxc.namespace.clone", "lxc.no_new_privs",
  "lxc.pty.max", "lxc.rootfs.mount", "lxc.rootfs.options", "lxc.rootfs.path", "lxc.seccomp.allow_nesting",
  "lxc.seccomp.profile", "lxc.time.offset.boot", "lxc.time.offset.monotonic", "lxc.tty.max", "lxc.uts.name",
] as const;

/**
 * Families of keys (`lxc.prlimit.nofile`) that liblxc matches by prefix, so
 * lxc_config_item_is_supported doesn't know them: `check` sets the probe on a
 * scratch container handle instead.
 */
export const PREFIX_CONFIG_KEYS = [
  { prefix: "lxc.prlimit.", probe: ["lxc.prlimit.nofile", "1024:1024"] },
  { prefix: "lxc.cgroup2.", probe: ["lxc.cgroup2.pids.max", "max"] },
  { prefix: "lxc.namespace.share.", probe: ["lxc.namespace.share.net", "/proc/1/ns/net"] },
  { prefix: "lxc.net.", probe: ["lxc.net.0.type", "empty"] },
  { prefix: "lxc.proc.", probe: ["lxc.proc.oom_score_adj", "0"] },
] as const;

/** Whether `key` is one crio-lxc may write (exact, or in a prefix family). */
export function isKnownConfigKey(key: string): boolean {
  return (EXACT_CONFIG_KEYS as readonly string[]).includes(key) || PREFIX_CONFIG_KEYS.some(({ prefix }) => key.startsWith(prefix));
}
