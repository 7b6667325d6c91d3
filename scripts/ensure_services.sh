#!/usr/bin/env bash
# Makes sure PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) are ready for the
# tests and the cluster profile, idempotently, on this machine or a fresh Debian one:
#   1. installs them from Debian's packages if missing, starts them if stopped;
#   2. every run: makes sure the project's PostgreSQL role exists (the user running
#      this, superuser, as the tests drop and create their databases; and
#      TRACKER_DB_USER when set, with CREATEDB);
#   3. makes the project's password-less loopback connections work: only when one
#      fails (Debian's default pg_hba.conf asks for a scram-sha-256 password on
#      127.0.0.1 and ::1), it adds `host all <role> 127.0.0.1/32 trust` (and ::1)
#      ahead of the other lines of pg_hba.conf, keeps a copy of the file, says so,
#      and reloads PostgreSQL. A role with TRACKER_DB_PASSWORD set is left to its
#      password (the production case: see README, "Production profile");
#   4. creates the databases the tests and `make cluster` use: `test`
#      (tests/unit/test_conversation_store.py) and TRACKER_DB_NAME (tms_conversations).
# Needs root (or the postgres user) for installs and for pg_hba.conf.
# TMS_PG_PORT picks another local cluster (default 5432), for checking this script
# against a scratch cluster without touching the real one.
set -euo pipefail

PG_HOST=127.0.0.1
PG_PORT="${TMS_PG_PORT:-5432}"
REDIS_PORT=6379
ME="$(id -un)"
HBA_MARK="# tms-assistant (scripts/ensure_services.sh): the project's role over loopback, no password"

say() { echo "==> $*"; }
fail() { echo "ERROR: $*" >&2; exit 1; }
pg_up() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" 2>/dev/null; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }
apt_install() {
  say "Installing $* from Debian's packages"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Runs a command as the postgres user (the cluster's owner: peer authentication over
# the local socket, and the owner of pg_hba.conf). Only needed while the project's
# own role cannot connect yet.
as_postgres() {
  if [ "$ME" = postgres ]; then (cd / && "$@")
  elif [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@")
  else fail "PostgreSQL needs setting up for $ME: run this once as root (make services)"
  fi
}
# SQL as the cluster's superuser, over the local socket; prints the rows, unaligned.
admin_sql() { as_postgres psql -X -q -p "$PG_PORT" -d postgres -v ON_ERROR_STOP=1 -tAc "$1"; }
# SQL as the project's role, over TCP like the project (once that works).
my_sql() { psql -X -q -w -h "$PG_HOST" -p "$PG_PORT" -U "$ME" -d postgres -v ON_ERROR_STOP=1 -tAc "$1"; }
sql_literal() { printf "'%s'" "${1//\'/\'\'}"; }
sql_ident() { printf '"%s"' "${1//\"/\"\"}"; }

# A password-less connection of role over TCP to 127.0.0.1, as the project makes: its
# error, and a failing status, if it is refused.
loopback_error() {
  PGCONNECT_TIMEOUT=5 psql -X -w -h "$PG_HOST" -p "$PG_PORT" -U "$1" -d postgres -tAc "SELECT 1" 2>&1 >/dev/null
}

# --- PostgreSQL: installed and running ------------------------------------------------

start_postgres() {
  command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql
  local cluster
  cluster="$(pg_lsclusters -h 2>/dev/null | awk -v port="$PG_PORT" '$3 == port {print $1, $2; exit}')"
  if [ -z "$cluster" ]; then
    [ "$PG_PORT" = 5432 ] || fail "no PostgreSQL cluster on port $PG_PORT (pg_lsclusters)"
    local version
    version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
    say "Creating PostgreSQL $version cluster 'main' on port 5432"
    pg_createcluster "$version" main -p 5432 >/dev/null
    cluster="$version main"
  fi
  say "Starting PostgreSQL $cluster"
  # shellcheck disable=SC2086  # "version name"
  pg_ctlcluster --skip-systemctl-redirect $cluster start || true
  for _ in $(seq 1 30); do pg_up && return 0; sleep 1; done
  fail "PostgreSQL does not answer on $PG_HOST:$PG_PORT"
}

pg_up || start_postgres

# --- the project's roles and their loopback connections (every run) -------------------

# role, attributes, password ("" for none), sql function: creates the role if missing.
ensure_role() {
  local exists
  exists="$("$4" "SELECT 1 FROM pg_roles WHERE rolname = $(sql_literal "$1")")"
  [ "$exists" = 1 ] && return 0
  say "Creating the PostgreSQL role $1 ($2)"
  local password=""
  [ -n "$3" ] && password=" PASSWORD $(sql_literal "$3")"
  "$4" "CREATE ROLE $(sql_ident "$1") LOGIN $2$password" >/dev/null
}

# role, first error: adds its trust lines for 127.0.0.1 and ::1 at the top of
# pg_hba.conf (once), reloads, and waits until the connection works.
trust_on_loopback() {
  local role="$1" hba lines scratch error
  case "$2" in
    *"password authentication failed"*|*"no password supplied"*|*"no pg_hba.conf entry"*) ;;
    *) fail "cannot connect to PostgreSQL on $PG_HOST:$PG_PORT as $role: $2" ;;
  esac
  hba="$(admin_sql "SHOW hba_file")"
  if grep -qE "^host[[:space:]]+all[[:space:]]+$role[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust" "$hba"; then
    fail "$hba already trusts $role on 127.0.0.1, yet: $2"
  fi
  say "PostgreSQL wants a password from $role on 127.0.0.1 ($(echo "$2" | head -n 1))."
  say "Adding 'host all $role 127.0.0.1/32 trust' and '... ::1/128 trust' at the top of"
  say "$hba (the file as it was: $hba.before-tms), then reloading PostgreSQL."
  [ -e "$hba.before-tms" ] || as_postgres cp -p "$hba" "$hba.before-tms"
  lines="$(printf '%s\nhost    all    %s    127.0.0.1/32    trust\nhost    all    %s    ::1/128    trust' \
    "$HBA_MARK" "$role" "$role")"
  scratch="$(mktemp)"
  # Ahead of the first rule (the comments at the top stay first); written in place so
  # that the file keeps its owner and mode.
  as_postgres awk -v lines="$lines" '
    !done && $0 !~ /^[[:space:]]*(#|$)/ { print lines; print ""; done = 1 }
    { print }
    END { if (!done) print lines }' "$hba" > "$scratch"
  as_postgres tee "$hba" < "$scratch" >/dev/null
  rm -f "$scratch"
  admin_sql "SELECT pg_reload_conf()" >/dev/null
  for _ in $(seq 1 20); do
    error="$(loopback_error "$role")" && return 0
    sleep 0.5
  done
  fail "still no password-less connection for $role after the reload: $error"
}

# The user running this: a superuser (the tests drop and create their databases).
if ! error="$(loopback_error "$ME")"; then
  ensure_role "$ME" SUPERUSER "" admin_sql
  error="$(loopback_error "$ME")" || trust_on_loopback "$ME" "$error"
fi
# From here on the project's own role does the rest, over TCP.
if [ -n "${TRACKER_DB_USER:-}" ] && [ "$TRACKER_DB_USER" != "$ME" ]; then
  ensure_role "$TRACKER_DB_USER" CREATEDB "${TRACKER_DB_PASSWORD:-}" my_sql
  if [ -z "${TRACKER_DB_PASSWORD:-}" ] && ! error="$(loopback_error "$TRACKER_DB_USER")"; then
    trust_on_loopback "$TRACKER_DB_USER" "$error"
  fi
fi

# --- the databases --------------------------------------------------------------------

for database in test "${TRACKER_DB_NAME:-tms_conversations}"; do
  exists="$(my_sql "SELECT 1 FROM pg_database WHERE datname = $(sql_literal "$database")")"
  [ "$exists" = 1 ] && continue
  owner="$ME"
  [ "$database" = test ] || owner="${TRACKER_DB_USER:-$ME}"
  say "Creating the database $database (owner $owner)"
  my_sql "CREATE DATABASE $(sql_ident "$database") OWNER $(sql_ident "$owner")" >/dev/null
done

# --- Redis ----------------------------------------------------------------------------

if ! redis_up; then
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  say "Starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/tms.log
  for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
  redis_up || fail "Redis does not answer on 127.0.0.1:$REDIS_PORT"
fi
echo "PostgreSQL and Redis are up."
