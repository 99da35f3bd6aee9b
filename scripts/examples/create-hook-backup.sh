#!/bin/sh
# An example CRIO_LXC_CREATE_HOOK: keeps what a container was created from, for
# debugging, in <directory of the log file>/backup/<container id>/:
#   lxc.conf      the LXC config crio-lxc generated (<root>/<id>/lxc.conf)
#   state/        the rest of the state directory (state.json, hook scripts; no FIFOs)
#   config.json   the bundle's OCI spec
#   crio-lxc.log  the last lines of the log file (runtime and liblxc lines)
#   error         why create failed (RUNTIME_ERROR), only when it did
#
# crio-lxc runs the hook before `create` returns, on success and on failure,
# with exactly these variables: CONTAINER_ID LXC_CONFIG RUNTIME_CMD RUNTIME_PATH
# BUNDLE_PATH SPEC_PATH LOG_FILE PATH, and RUNTIME_ERROR on failure. Its stdio
# is /dev/null and it is killed after CRIO_LXC_CREATE_HOOK_TIMEOUT; a failing
# hook is logged and never fails the create.
#
# Install: copy it to e.g. /usr/local/libexec/crio-lxc/create-hook-backup.sh and
# set CRIO_LXC_CREATE_HOOK=/usr/local/libexec/crio-lxc/create-hook-backup.sh
# in /etc/default/crio-lxc.
set -eu

LOG_LINES=2000

backup=$(dirname "$LOG_FILE")/backup/$CONTAINER_ID
rm -rf "$backup"
mkdir -p "$backup/state"
chmod 0700 "$backup"

state_dir=$(dirname "$LXC_CONFIG")
for file in "$state_dir"/*; do
  [ -f "$file" ] || continue
  case $file in
    "$LXC_CONFIG") cp "$file" "$backup/lxc.conf" ;;
    *) cp "$file" "$backup/state/" ;;
  esac
done

[ -f "$SPEC_PATH" ] && cp "$SPEC_PATH" "$backup/config.json"
[ -f "$LOG_FILE" ] && tail -n "$LOG_LINES" "$LOG_FILE" >"$backup/crio-lxc.log"
if [ -n "${RUNTIME_ERROR:-}" ]; then
  printf '%s\n' "$RUNTIME_ERROR" >"$backup/error"
fi
