#!/bin/sh
# rootfs-etc.sh ROOT: the example's /etc: a root user with a (fake) password
# hash in /etc/shadow, the file the attacks go after. The Dockerfile and
# make demo both run it.
set -eu
root=${1:?usage: rootfs-etc.sh ROOT}
mkdir -p "$root/etc" "$root/root" "$root/tmp" "$root/var/lib/vigil/outbox"
chmod 1777 "$root/tmp"
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
# A made-up SHA-512 crypt hash: not the hash of any password used anywhere.
echo 'root:$6$vigildemo$notarealhashnotarealhashnotarealhashnotarealhashnotarealhash0123456789abcdefABCDEF:20000:0:99999:7:::' >"$root/etc/shadow"
chmod 600 "$root/etc/shadow"
echo 'vulnerable-web' >"$root/etc/hostname"
