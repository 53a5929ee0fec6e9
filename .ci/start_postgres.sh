#!/usr/bin/env bash
# Start a throwaway local PostgreSQL for tests/test_postgres.py and print its URL.
# Prints nothing (and the tests skip) where it cannot: not root, no apt, no server.
set -u
[ "$(id -u)" = 0 ] || exit 0
command -v apt-get >/dev/null || exit 0
if ! command -v pg_ctlcluster >/dev/null; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } \
    >/dev/null 2>&1 || exit 0
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -1)
pg_ctlcluster "$version" main start >/dev/null 2>&1
pg_lsclusters 2>/dev/null | grep -q online || exit 0
su postgres -c "psql -q" >/dev/null 2>&1 <<'SQL' || exit 0
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'orch') THEN
    CREATE ROLE orch LOGIN SUPERUSER PASSWORD 'orch';
  END IF;
END $$;
SQL
echo "postgresql+psycopg://orch:orch@127.0.0.1/postgres"
