#!/usr/bin/env bash
# The kernels `make run` runs the bond playbooks on in the kernel lab, one per line:
# nothing when the running kernel has a bonding driver (failover then runs them directly);
# otherwise the newest /boot/vmlinuz-* of each major.minor series whose modules include bonding
# (Debian bookworm: 6.1 from linux-image-amd64 and 6.12 from linux-image-6.12-amd64).
set -euo pipefail
if [ -d /sys/module/bonding ] || modprobe -n -q bonding 2>/dev/null; then
  exit 0
fi
declare -A newest=()
for k in /boot/vmlinuz-*; do
  [ -e "$k" ] || continue
  release=${k#/boot/vmlinuz-}
  compgen -G "/lib/modules/$release/kernel/drivers/net/bonding/bonding.ko*" >/dev/null || continue
  series=$(echo "$release" | cut -d. -f1,2)
  current=${newest[$series]:-}
  if [ -z "$current" ] || [ "$(printf '%s\n%s\n' "$current" "$k" | sort -V | tail -n 1)" = "$k" ]; then
    newest[$series]=$k
  fi
done
for series in "${!newest[@]}"; do echo "${newest[$series]}"; done | sort -V
