# Shared by scripts/test and scripts/demo: make this machine able to run hive (idempotent).
# Installs the host packages, starts a Docker engine if none answers, and creates .venv.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${HIVE_VENV:-$ROOT/.venv}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_host_packages() {
  local need=()
  command -v dockerd >/dev/null || need+=(docker.io)
  command -v debootstrap >/dev/null || need+=(debootstrap)
  command -v drbdadm >/dev/null || need+=(drbd-utils)
  command -v sshpass >/dev/null || need+=(sshpass)
  command -v ssh >/dev/null || need+=(openssh-client)
  command -v ip >/dev/null || need+=(iproute2)
  # unit tests run the repository server's log collection config (render/rsyslog.py) for real
  command -v rsyslogd >/dev/null || [ -x /usr/sbin/rsyslogd ] || need+=(rsyslog)
  command -v logrotate >/dev/null || [ -x /usr/sbin/logrotate ] || need+=(logrotate)
  python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing host packages: ${need[*]}"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
  fi
}

ensure_docker_engine() {
  docker info >/dev/null 2>&1 && return 0
  echo "starting a Docker engine (dockerd)"
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    as_root systemctl start docker
  else
    as_root sh -c 'nohup /usr/sbin/dockerd >/var/log/dockerd.log 2>&1 &'
  fi
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && return 0; sleep 1; done
  echo "Docker engine did not start; see /var/log/dockerd.log" >&2
  return 1
}

ensure_venv() {
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
  # the distribution was named hive-builder before: both would own bin/hive
  if "$VENV/bin/python" -m pip show hive-builder >/dev/null 2>&1; then
    "$VENV/bin/python" -m pip uninstall -y -q hive-builder
  fi
  # test: pytest, moto (tests/aws); aws: boto3 for the aws provider; gcp: google-auth, which
  # tests/unit/test_gcp_google_auth.py drives against a token endpoint on loopback (the azure
  # SDK, 36 distributions, is left out: its tests use stand-ins)
  "$VENV/bin/python" -m pip install -q -e "$ROOT[test,aws,gcp]"
  # the Ansible collections the playbooks use (hive_builder/ansible-requirements.yml), the cloud
  # providers' too: the tests check every provider's module calls
  "$VENV/bin/hive" collections --provider all >/dev/null 2>&1 ||
    "$VENV/bin/hive" collections --install --provider all
}
