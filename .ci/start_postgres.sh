#!/usr/bin/env bash
# Start a throwaway local PostgreSQL for the tests and print its superuser URL.
# Installs Debian's server when it is missing. Prints nothing and exits 1 when it
# cannot (not root, no apt, the server will not start): `.ci/run` then fails.
set -u
fail() { echo "start_postgres: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "must run as root to install and start the server"
if ! command -v pg_ctlcluster >/dev/null; then
  command -v apt-get >/dev/null || fail "no pg_ctlcluster and no apt-get to install postgresql"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } \
    >/dev/null 2>&1 || fail "apt-get install postgresql failed"
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -1)
[ -n "$version" ] || fail "no PostgreSQL version under /usr/lib/postgresql"
pg_lsclusters -h 2>/dev/null | grep -q "^$version main" \
  || pg_createcluster "$version" main >/dev/null 2>&1 || fail "pg_createcluster failed"
# A test server: durability off (each test database is thrown away), room for
# the runner processes and xdist workers. Read at start; reloaded if running.
conf=/etc/postgresql/$version/main/conf.d
mkdir -p "$conf"
cat > "$conf/orchestrator-tui-tests.conf" <<'CONF'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
CONF
pg_ctlcluster "$version" main start >/dev/null 2>&1
pg_lsclusters -h 2>/dev/null | grep "^$version main" | grep -q online \
  || fail "the cluster $version/main did not come online"
su postgres -c "psql -q" >/dev/null 2>&1 <<'SQL' || fail "could not create the test role"
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'orch') THEN
    CREATE ROLE orch LOGIN SUPERUSER PASSWORD 'orch';
  END IF;
END $$;
SELECT pg_reload_conf();
SQL
echo "postgresql+psycopg://orch:orch@127.0.0.1/postgres"
