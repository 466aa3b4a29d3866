#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL 15 cluster, started here and removed afterwards.
# As root, initdb and pg_ctl run as the postgres user (through runuser), which owns the data and
# socket directories. The cluster listens only on a Unix socket.
set -euo pipefail
PGBIN=/usr/lib/postgresql/15/bin
test -x "$PGBIN/initdb" || { echo "PostgreSQL 15 is not installed (make system-deps-test)" >&2; exit 1; }
dir=$(mktemp -d /tmp/portal-pg.XXXXXX)
chmod 755 "$dir"
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres:postgres "$dir"
  run_as=(runuser -u postgres --)
fi
port=${PGPORT_TEST:-54329}
stop() {
  "${run_as[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
"${run_as[@]}" "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${run_as[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -w -l "$dir/log" \
  -o "-c listen_addresses='' -k $dir -p $port -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
export TEST_DATABASE_URL="postgresql+psycopg://postgres@/postgres?host=$dir&port=$port"
echo "PostgreSQL 15 running in $dir (port $port)"
"$@"
