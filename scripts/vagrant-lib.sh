# Shared by scripts/build-vagrant-box and tests/vagrant: make this machine able to run the vagrant
# provider on libvirt/QEMU (idempotent). Sourced; needs bash.

VAGRANT_PACKAGES=(vagrant vagrant-libvirt libvirt-daemon-system libvirt-clients qemu-system-x86
                  qemu-utils debootstrap dnsmasq-base)

_as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_vagrant_packages() {
  local need=() p
  for p in "${VAGRANT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing host packages: ${need[*]}"
    _as_root apt-get update -q
    _as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
  fi
}

# Without systemd as PID 1 (containers, CI) nothing starts libvirtd: start it and its log daemon
# ourselves, as scripts/lib.sh does for dockerd.
ensure_libvirtd() {
  if ! virsh -c qemu:///system version >/dev/null 2>&1; then
    echo "starting libvirtd and virtlogd"
    if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
      _as_root systemctl start virtlogd libvirtd
    else
      pgrep -x virtlogd >/dev/null || _as_root /usr/sbin/virtlogd -d
      pgrep -x libvirtd >/dev/null || _as_root sh -c 'nohup /usr/sbin/libvirtd >/var/log/libvirtd.log 2>&1 &'
    fi
    local _i
    for _i in $(seq 30); do virsh -c qemu:///system version >/dev/null 2>&1 && break; sleep 1; done
    if ! virsh -c qemu:///system version >/dev/null 2>&1; then
      echo "libvirtd did not start; see /var/log/libvirtd.log" >&2
      return 1
    fi
  fi
  # vagrant-libvirt uploads box images into the pool `default`, which a fresh libvirt lacks
  if ! virsh -c qemu:///system pool-info default >/dev/null 2>&1; then
    _as_root mkdir -p /var/lib/libvirt/images
    virsh -c qemu:///system pool-define-as default dir --target /var/lib/libvirt/images >/dev/null
    virsh -c qemu:///system pool-autostart default >/dev/null
  fi
  virsh -c qemu:///system pool-info default | grep -q '^State: *running' \
    || virsh -c qemu:///system pool-start default >/dev/null
}
