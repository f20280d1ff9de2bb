#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages failover needs, only those missing.
# As root: installs them. Otherwise: says what is missing and how to install it, and fails.
set -euo pipefail

# package : why
needed=(
  "libpcap-dev:packet capture (links into failover)"
  "iproute2:ip netns add/del, and the commands 'failover plan' prints"
  "nftables:switch and cable faults that keep carrier"
  "qemu-system-x86:the kernel lab VM (bonding on kernels without the driver)"
  "busybox-static:the kernel lab's initramfs"
  "xz-utils:extracting vmlinux from the kernel image (xz payloads)"
  "zstd:extracting vmlinux from the kernel image (zstd payloads, Debian 6.12 and later)"
  "kmod:module metadata for the kernel lab"
  "tcpdump:the independent witness for probe figures"
  "ucarp:CARP peers"
  "libxml2-utils:xmllint, which validates the JUnit reports against the junit XSD in the unit tests"
  "iputils-ping:ping, for existing shell tests run in the kernel lab with 'failover lab-exec' (the guest has only what the host has)"
)
# A kernel for the lab: any /boot/vmlinuz-* with its /lib/modules; else Debian's linux-image-amd64.
have_kernel=no
for k in /boot/vmlinuz-*; do
  [ -e "$k" ] || continue
  v=${k#/boot/vmlinuz-}
  [ -d "/lib/modules/$v/kernel" ] && have_kernel=yes
done
[ "$have_kernel" = yes ] || needed+=("linux-image-amd64:a stock kernel with bonding for the kernel lab")
# `make run` runs the bond playbooks on a second kernel series too when this kernel has no
# bonding driver (scripts/lab-kernels.sh): Debian bookworm's 6.12, where the distribution offers it.
# (A fresh machine may have no package lists yet: read them first, as root, to know what is offered.)
if [ "$(id -u)" -eq 0 ] && ! compgen -G "/var/lib/apt/lists/*Packages*" >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
fi
if ! { [ -d /sys/module/bonding ] || modprobe -n -q bonding 2>/dev/null; } \
  && ! compgen -G "/boot/vmlinuz-6.12.*" >/dev/null \
  && apt-cache show linux-image-6.12-amd64 >/dev/null 2>&1; then
  needed+=("linux-image-6.12-amd64:a second lab kernel series (6.12) for the bond playbooks of make run")
fi

missing=()
for entry in "${needed[@]}"; do
  pkg=${entry%%:*}
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "failover needs these packages: ${missing[*]}" >&2
  for entry in "${needed[@]}"; do
    for m in "${missing[@]}"; do [ "${entry%%:*}" = "$m" ] && echo "  $m: ${entry#*:}" >&2; done
  done
  echo "install them as root: apt-get install -y ${missing[*]}   (or run 'make' as root)" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}"
