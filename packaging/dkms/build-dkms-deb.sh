#!/usr/bin/env bash
# Builds the sharedmemory-dkms Debian package from driver/linux/:
#   /usr/src/sharedmemory-<version>/        module source, Kbuild, dkms.conf, the ioctl header
#   /lib/udev/rules.d/99-sharedmemory.rules  /dev/sharedmemory -> root:sharedmemory 0660
#   /usr/lib/modules-load.d/sharedmemory.conf  load at boot
#   DEBIAN/postinst, prerm                   group, dkms add/build/install, modprobe; unload, dkms remove
#
#   bash packaging/dkms/build-dkms-deb.sh [OUTPUT_DIR]   (default out/packages)
# Prints the path of the .deb it wrote. Needs dpkg-deb and make; no root.
set -euo pipefail
umask 022
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/out/packages}
revision=1

conf="$root/driver/linux/dkms.conf"
[ -f "$conf" ] || { echo "build-dkms-deb: $conf is missing" >&2; exit 2; }
version=$(sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$conf")
name=$(sed -n 's/^PACKAGE_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$conf")
[ "$name" = sharedmemory ] && [ -n "$version" ] || { echo "build-dkms-deb: cannot read PACKAGE_NAME/PACKAGE_VERSION from $conf" >&2; exit 2; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg="$stage/sharedmemory-dkms"
src="$pkg/usr/src/sharedmemory-$version"

# The module's own recipe for a self-contained DKMS source tree.
make -s -C "$root/driver/linux" dkms-source DEST="$src" >/dev/null
for f in sharedmemory.c Kbuild dkms.conf include/sharedmemory_ioctl.h; do
	[ -f "$src/$f" ] || { echo "build-dkms-deb: dkms-source did not produce $f" >&2; exit 1; }
done
install -D -m 0644 "$root/driver/linux/99-sharedmemory.rules" "$pkg/lib/udev/rules.d/99-sharedmemory.rules"
install -D -m 0644 "$here/modules-load.conf" "$pkg/usr/lib/modules-load.d/sharedmemory.conf"
install -D -m 0644 "$here/debian/copyright" "$pkg/usr/share/doc/sharedmemory-dkms/copyright"

mkdir -p "$pkg/DEBIAN"
for script in postinst prerm; do
	sed "s/@VERSION@/$version/g" "$here/debian/$script" > "$pkg/DEBIAN/$script"
	chmod 0755 "$pkg/DEBIAN/$script"
done
size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
sed -e "s/@VERSION@/$version/g" -e "s/@REVISION@/$revision/g" -e "s/@INSTALLED_SIZE@/$size/g" \
	"$here/debian/control.in" > "$pkg/DEBIAN/control"
(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) > "$pkg/DEBIAN/md5sums"

mkdir -p "$out"
deb="$out/sharedmemory-dkms_${version}-${revision}_all.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
echo "$deb"
