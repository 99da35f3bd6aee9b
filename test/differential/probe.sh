# What a container's process can observe, printed as "@@ <section>" headers
# each followed by raw lines; test/support/probe-record.ts parses and normalizes
# them. Runs under busybox sh as the container's process (/.probe.sh).
# The harness prepends the parameters as shell variables (not exported, so
# they don't show up in the environment):
#   PROBE_HOST_NS   "<type>=<link> ..." of the runtime's caller
#   PROBE_MASKED    linux.maskedPaths, one a line
#   PROBE_READONLY  linux.readonlyPaths, one a line
#   PROBE_SYSCTL    linux.sysctl keys, one a line
#   PROBE_FINISH    "exit N", or "wait" to sleep until the harness kills us

section() { echo "@@ $1"; }

# The last part of an error message ("sh: can't create /x: Read-only file system").
reason() { sed -n '$s/.*: //p'; }

section mountinfo
cat /proc/self/mountinfo

# The shell's own descriptors: stdio, the script, whatever the runtime passed on.
section fds
# (ls, not a loop of $(readlink): a command substitution's pipe would show as a descriptor.)
ls -l /proc/$$/fd

section status
grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp|Seccomp_filters|Groups|Umask|Uid|Gid):' /proc/self/status

section limits
cat /proc/self/limits

section id
id 2>&1

section cwd
pwd

section env
env

section hostname
cat /proc/sys/kernel/hostname

section domainname
cat /proc/sys/kernel/domainname

section oom_score_adj
cat /proc/self/oom_score_adj

section cgroup
cat /proc/self/cgroup

# The settings of the container's own cgroup (not its counters), where it can see it.
section cgroupfiles
own=$(sed -n 's/^0:://p' /proc/self/cgroup)
for f in "/sys/fs/cgroup${own%/}"/*; do
  n=${f##*/}
  case "$n" in
    *.current|*.stat|*.stat.local|*.events|*.events.local|*.pressure|*.peak|*.numa_stat|cgroup.procs|cgroup.threads|cgroup.kill|cgroup.freeze) continue ;;
  esac
  [ -f "$f" ] && echo "$n=$(head -c 300 "$f" 2>&1 | tr '\n' ';')"
done

section uid_map
cat /proc/self/uid_map
section gid_map
cat /proc/self/gid_map
section setgroups
cat /proc/self/setgroups

section timens_offsets
cat /proc/self/timens_offsets 2>&1

section uname
uname -m

section lsm
cat /proc/self/attr/current 2>&1

section ns
for f in /proc/self/ns/*; do
  n=${f##*/}
  link=$(readlink "$f" 2>&1)
  case " $PROBE_HOST_NS " in
    *" $n=$link "*) echo "$n shared" ;;
    *) echo "$n new" ;;
  esac
done

section dev
find /dev 2>/dev/null | sort | while read -r p; do
  info=$(stat -c '%F|%a|%u:%g|%t:%T' "$p" 2>&1)
  if [ -L "$p" ]; then info="$info|-> $(readlink "$p")"; fi
  echo "$p|$info"
done

# One line per path: label path|type|mode|owner|read|write|touch. Nothing here
# may block: FIFOs and sockets are never opened, devices other than 1:3 never read.
probe_path() {
  label=$1 p=$2
  if [ ! -e "$p" ] && [ ! -L "$p" ]; then echo "$label $p|missing"; return; fi
  info=$(stat -c '%F|%a|%u:%g|%t:%T' "$p" 2>&1)
  read=- write=-
  if [ -L "$p" ]; then
    info="$info|-> $(readlink "$p")"
  elif [ -f "$p" ] || { [ -c "$p" ] && [ "${info##*|}" = "1:3" ]; }; then
    if head -c 1 "$p" >/dev/null 2>&1; then
      [ "$(head -c 64 "$p" 2>/dev/null | wc -c)" -gt 0 ] && read=non-empty || read=empty
    else
      read="unreadable: $(head -c 1 "$p" 2>&1 >/dev/null | reason)"
    fi
    # Append mode: opens for writing without truncating or writing anything.
    if err=$( (exec 3>>"$p") 2>&1 ); then write=ok; else write="failed: $(echo "$err" | reason)"; fi
  elif [ -d "$p" ]; then
    if entries=$(ls -A "$p" 2>&1); then [ -n "$entries" ] && read=non-empty || read=empty; else read="unreadable: $(echo "$entries" | reason)"; fi
    if err=$(mkdir "$p/.probe-write" 2>&1); then write=ok; rmdir "$p/.probe-write"; else write="failed: $(echo "$err" | reason)"; fi
  fi
  if err=$(touch -c "$p" 2>&1); then touched=ok; else touched="failed: $(echo "$err" | reason)"; fi
  echo "$label $p|$info|read $read|write $write|touch $touched"
}

section paths
echo "$PROBE_MASKED" | while read -r p; do [ -n "$p" ] && probe_path masked "$p"; done
echo "$PROBE_READONLY" | while read -r p; do [ -n "$p" ] && probe_path readonly "$p"; done

section sysctl
echo "$PROBE_SYSCTL" | while read -r k; do
  [ -n "$k" ] || continue
  echo "$k=$(cat "/proc/sys/$(echo "$k" | tr . /)" 2>&1 | tr '\n\t' '  ')"
done

# Things a process may be allowed to do (capabilities, seccomp, read-only
# mounts), each undone at once; nothing that could touch the host.
try() {
  name=$1; shift
  if err=$("$@" 2>&1); then echo "$name ok"; else echo "$name failed: $(echo "$err" | reason)"; fi
}
section actions
scratch=/tmp
[ -d "$scratch" ] || scratch=/
try mkdir mkdir "$scratch/.probe-dir"; rmdir "$scratch/.probe-dir" 2>/dev/null
try symlink ln -s target "$scratch/.probe-link"; rm -f "$scratch/.probe-link"
try mknod mknod "$scratch/.probe-null" c 1 3; rm -f "$scratch/.probe-null"
if touch "$scratch/.probe-file" 2>/dev/null; then
  try chown chown 1:1 "$scratch/.probe-file"
  rm -f "$scratch/.probe-file"
fi
try chroot chroot / true
try write-root touch /.probe-root; rm -f /.probe-root

section end
case "$PROBE_FINISH" in
  wait) exec sleep 600 ;;
  exit*) $PROBE_FINISH ;;
esac
exit 0
