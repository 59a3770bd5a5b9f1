#!/usr/bin/env bash
# The test command: every test of the workspace, the storage conformance suite on SQLite and on
# PostgreSQL, and (when Chromium is available) the browser tests.
#
# PostgreSQL: TANGGAP_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) must
# reach a server where that user may create databases; each test creates and drops its own.
# If no server answers on the default address, this script tries to start the machine's cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

export TANGGAP_TEST_DATABASE_URL="${TANGGAP_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if [[ "$TANGGAP_TEST_DATABASE_URL" == *"127.0.0.1:5432"* ]] && ! pg_up; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "PostgreSQL is down; starting it" >&2
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
  pg_up || { echo "error: no PostgreSQL on 127.0.0.1:5432; start one or set TANGGAP_TEST_DATABASE_URL" >&2; exit 1; }
fi

# The accessibility check in the browser tests runs axe-core, fetched pinned (scripts/fetch-axe.sh).
if command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then
  if axe=$(scripts/fetch-axe.sh); then
    export TANGGAP_AXE_JS="$PWD/$axe"
    [[ "$axe" == /* ]] && export TANGGAP_AXE_JS="$axe"
  elif [ "${TANGGAP_REQUIRE_BROWSER:-}" = 1 ]; then
    echo "error: cannot fetch axe-core for the accessibility check" >&2; exit 1
  else
    echo "warning: cannot fetch axe-core; the accessibility check is skipped" >&2
  fi
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# Two phases: everything but the browser, then the browser tests on their own.
cargo test --workspace --no-fail-fast -- --skip browser 2>&1 | tee "$log" || status=$?

# The browser tests one at a time, after the rest (they share the machine's two cores with
# nothing else that way).
cargo test --offline --workspace --test it --no-fail-fast browser -- --test-threads=1 2>&1 \
  | tee -a "$log" || status=$?

# Say how many conformance tests ran on each backend.
awk '
  /Running tests\/conformance_sqlite.rs/   { backend = "SQLite" }
  /Running tests\/conformance_postgres.rs/ { backend = "PostgreSQL" }
  /^test result:/ && backend != "" {
    printf "storage conformance suite on %s: %s\n", backend, $0
    backend = ""
  }
' "$log"
exit $status
