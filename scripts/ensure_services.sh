#!/usr/bin/env bash
# Makes sure PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) answer, for the
# tests and the cluster profile: starts them if they are installed but stopped, and
# installs them from Debian's packages if they are missing. Needs root for installs.
set -euo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }
apt_install() {
  echo "==> Installing $* from Debian's packages"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! pg_up; then
  command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql
  version="$(ls /etc/postgresql | sort -V | tail -n 1)"
  echo "==> Starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { echo "ERROR: PostgreSQL does not answer on 127.0.0.1:5432" >&2; exit 1; }
  # Local trust for the tests' role, as on the project's machines.
  psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname='$(whoami)'" 2>/dev/null | grep -q 1 \
    || su postgres -c "createuser --superuser $(whoami)" 2>/dev/null || true
fi

if ! redis_up; then
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  echo "==> Starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/tms.log
  for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
  redis_up || { echo "ERROR: Redis does not answer on 127.0.0.1:6379" >&2; exit 1; }
fi
echo "PostgreSQL and Redis are up."
