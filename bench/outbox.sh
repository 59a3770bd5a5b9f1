#!/usr/bin/env bash
# The outbox's claims when a crowd of messages waits behind one address (see BENCHMARKS.md):
# 1,000 receipts to addresses of their own come after 20,000 and 1,000,000 e-mails waiting
# behind one being sent to an agency head, on SQLite and on PostgreSQL.
#
#   bench/outbox.sh                     # all four runs
#   bench/outbox.sh postgres 20000      # one run
#
# PostgreSQL: TANGGAP_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres),
# a user who may create databases; each run creates and drops its own. SQLite files go to
# TANGGAP_BENCH_DIR (default the system temp directory).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo bench -p tanggap-jobs --bench sweep --no-run 2>&1 | tail -n 1 >&2
run() {
  echo "== $1, $2 waiting behind one address ==" >&2
  cargo bench -q -p tanggap-jobs --bench sweep -- --measure outbox --backend "$1" --open "$2" --due 1000
}

if [ $# -eq 2 ]; then
  run "$1" "$2"
  exit
fi
for backend in sqlite postgres; do
  for waiting in 20000 1000000; do
    run "$backend" "$waiting"
  done
done
