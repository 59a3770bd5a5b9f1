#!/usr/bin/env bash
# Intake throughput: citizens submitting reports through POST /api/v1/reports, with the same wrk
# settings as the peer benchmark in ../shared/peers/helpdesk (2 threads, 16 connections, 20 s
# after a 3 s warm-up), so the figures can be compared side by side. Every 2xx means the report,
# its reporter, clocks, timeline entry and audit event are committed (SQLite: synchronous=FULL,
# group commit; PostgreSQL: synchronous_commit=on). The background jobs run as in production.
#
#   bench/intake.sh                  # SQLite
#   BACKEND=postgres bench/intake.sh # PostgreSQL on 127.0.0.1:5432 (a fresh database)
#   DURATION=20 CONNS=16 THREADS=2 WARMUP=3 PORT=18200 are the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${BACKEND:-sqlite}
DURATION=${DURATION:-20}; CONNS=${CONNS:-16}; THREADS=${THREADS:-2}; WARMUP=${WARMUP:-3}; PORT=${PORT:-18200}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
cargo build --release -q -p tanggap
bin=target/release/tanggap
dir=$(mktemp -d)
export TANGGAP_DATA_DIR=$dir TANGGAP_LISTEN=127.0.0.1:$PORT TANGGAP_LOG=warn
export TANGGAP_RATE_SUBMISSIONS_PER_IP=1000000000
unset DATABASE_URL
if [ "$BACKEND" = postgres ]; then
  db=tanggap_bench_$$
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" postgres
  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db
fi
"$bin" seed >/dev/null
"$bin" serve > "$dir/server.log" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  [ "$BACKEND" = postgres ] && psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" postgres || true
  rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
count() {
  if [ "$BACKEND" = postgres ]; then psql -h 127.0.0.1 -U postgres -Atc "SELECT count(*) FROM reports" "$db"
  else "$bin" audit verify >/dev/null 2>&1; python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from reports').fetchone()[0])" "$dir/tanggap.db"; fi
}
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" -s bench/post_report.lua "http://127.0.0.1:$PORT" -- warmup >/dev/null
before=$(count); cpu0=$(cpu); t0=$(date +%s.%N)
out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s -s bench/post_report.lua "http://127.0.0.1:$PORT" -- "run$$")
t1=$(date +%s.%N); cpu1=$(cpu); sleep 1; after=$(count)
echo "$out" | grep -E "RESULT|non-2xx"
ok=$(echo "$out" | sed -n 's/.*reports_2xx=\([0-9]*\).*/\1/p')
ticks=$(getconf CLK_TCK)
python3 - "$ok" "$before" "$after" "$cpu0" "$cpu1" "$ticks" "$pid" "$BACKEND" <<'PY'
import sys
ok, before, after, c0, c1, hz, pid, backend = sys.argv[1:]
ok, stored = int(ok), int(after) - int(before)
cpu_ms = (int(c1) - int(c0)) * 1000 / int(hz)
hwm = [l for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM")][0].split()[1]
print(f"backend={backend} acknowledged={ok} stored_this_run={stored} (in flight at the end: {stored - ok})")
print(f"server CPU {cpu_ms:.0f} ms = {cpu_ms / max(ok, 1):.3f} ms per report; peak RSS {int(hwm) / 1024:.1f} MiB")
assert stored >= ok, "an acknowledged report is missing"
PY
