#!/usr/bin/env bash
# The scheduler sweep benchmark (see BENCHMARKS.md): a sweep that fires the same 1,000 due clocks
# among 10,000 and among 1,000,000 open assignments, on SQLite and on PostgreSQL.
#
#   bench/sweep.sh                 # all four runs
#   bench/sweep.sh sqlite 10000    # one run
#
# PostgreSQL: TANGGAP_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres),
# a user who may create databases; each run creates and drops its own. SQLite files go to
# TANGGAP_BENCH_DIR (default the system temp directory); the 1,000,000 run needs about 2 GB.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo bench -p tanggap-jobs --bench sweep --no-run 2>&1 | tail -n 1 >&2
run() {
  echo "== $1, $2 open assignments ==" >&2
  cargo bench -q -p tanggap-jobs --bench sweep -- --backend "$1" --open "$2" --due 1000
}

if [ $# -eq 2 ]; then
  run "$1" "$2"
  exit
fi
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for backend in sqlite postgres; do
  for open in 10000 1000000; do
    run "$backend" "$open" | tee -a "$results"
  done
done
echo
awk '
  { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    ms[v["backend"], v["open"]] = v["sweep_ms_median"] }
  END {
    printf "%-10s %18s %20s %8s\n", "backend", "10k open (ms)", "1M open (ms)", "ratio"
    n = split("sqlite postgres", b, " ")
    for (i = 1; i <= n; i++) {
      small = ms[b[i], "10000"]; large = ms[b[i], "1000000"]
      printf "%-10s %18.1f %20.1f %8.2f\n", b[i], small, large, large / small
    }
  }' "$results"
