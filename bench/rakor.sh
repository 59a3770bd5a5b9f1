#!/usr/bin/env bash
# The quarterly report benchmark (see BENCHMARKS.md): the figures of `tanggap report quarterly`
# (Services::quarterly_report: the quarter, the quarter before, the audit head) over 1,000,000
# assignments and their response obligations, beside one full scan of the assignments table on
# the same engine; SQLite and PostgreSQL. The data are those of the sweep benchmark
# (crates/jobs/benches/sweep.rs), all in 2027-Q1.
#
#   bench/rakor.sh                  # both engines, 1,000,000 assignments
#   bench/rakor.sh sqlite 100000    # one run
set -euo pipefail
cd "$(dirname "$0")/.."

cargo bench -p tanggap-jobs --bench sweep --no-run 2>&1 | tail -n 1 >&2
run() {
  echo "== $1, $2 assignments ==" >&2
  cargo bench -q -p tanggap-jobs --bench sweep -- --backend "$1" --open "$2" --due 1000 --measure rakor
}
if [ $# -eq 2 ]; then
  run "$1" "$2"
  exit
fi
for backend in sqlite postgres; do
  run "$backend" 1000000
done
