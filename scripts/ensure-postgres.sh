#!/usr/bin/env bash
# Make sure the PostgreSQL server the tests use answers; start a local one if it is stopped.
set -u
host=127.0.0.1 port=5432
if pg_isready -q -h "$host" -p "$port" 2>/dev/null; then exit 0; fi
if [ "${CI:-}" != "true" ]; then
  echo "PostgreSQL is not answering on $host:$port; the PostgreSQL half of the tests will be skipped."
  exit 0
fi
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for version in $(ls /etc/postgresql); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
  done
  for _ in $(seq 1 30); do pg_isready -q -h "$host" -p "$port" && exit 0; sleep 1; done
fi
echo "CI=true but PostgreSQL does not answer on $host:$port and could not be started." >&2
exit 1
