#!/usr/bin/env bash
# The crash test (bench/crash.py) on SQLite and on PostgreSQL (127.0.0.1:5432, user postgres),
# ten SIGKILLs each; on PostgreSQL the database server is restarted once mid-run as well. Prints
# one JSON line of figures per backend; fails if any check failed.
#
#   bench/crash.sh                 # both backends
#   BACKENDS=sqlite KILLS=3 bench/crash.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BACKENDS=${BACKENDS:-"sqlite postgres"}
KILLS=${KILLS:-10}
cargo build --release -q -p tanggap
status=0
for b in $BACKENDS; do
  echo "== crash test on $b ($KILLS kills)" >&2
  python3 bench/crash.py --bin target/release/tanggap --backend "$b" --kills "$KILLS" || status=1
done
exit $status
