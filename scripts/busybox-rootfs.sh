#!/bin/sh
# Builds a busybox root filesystem from Debian's busybox-static into $1.
# Idempotent: an existing complete rootfs is kept.
set -eu
rootfs=${1:?usage: busybox-rootfs.sh DIR}
[ -x "$rootfs/bin/busybox" ] && [ -d "$rootfs/var" ] && exit 0
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "install ok installed" || {
  echo "busybox-rootfs: installing busybox-static" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
}
mkdir -p "$rootfs"/bin "$rootfs"/proc "$rootfs"/sys "$rootfs"/dev "$rootfs"/tmp "$rootfs"/etc "$rootfs"/root "$rootfs"/mnt "$rootfs"/run "$rootfs"/var
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$rootfs/etc/passwd"
echo 'root:x:0:' > "$rootfs/etc/group"
chmod 1777 "$rootfs/tmp"
