#!/usr/bin/env bash
# The public dashboard under load: GET /statistik (no login; the page is kept in memory per
# language and period for 60 s) with the same wrk settings as bench/intake.sh (2 threads,
# 16 connections, 20 s after a 3 s warm-up), on a database seeded like a live one: the
# reference data and `tanggap demo`, then REPORTS citizen reports (default 10,000) through the
# API over twelve kabupaten/kota and eight categories (one in ten confidential, one in ten
# anonymous), nine in ten of them dispatched by the desk to their category's agency. Prints
# the first (uncached) render's time and wrk's p50/p99.
#
#   bench/public-dashboard.sh                  # SQLite, then PostgreSQL
#   bench/public-dashboard.sh sqlite           # one backend
#   REPORTS=10000 DURATION=20 CONNS=16 THREADS=2 WARMUP=3 PORT=18300 are the defaults.
#
# PostgreSQL on 127.0.0.1:5432 (user postgres, trust); a fresh database per run, dropped after.
set -euo pipefail
cd "$(dirname "$0")/.."
REPORTS=${REPORTS:-10000}
DURATION=${DURATION:-20}; CONNS=${CONNS:-16}; THREADS=${THREADS:-2}; WARMUP=${WARMUP:-3}; PORT=${PORT:-18300}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
cargo build --release -q -p tanggap
bin=${CARGO_TARGET_DIR:-target}/release/tanggap

run() {
  local backend=$1 dir db="" pid
  dir=$(mktemp -d)
  export TANGGAP_DATA_DIR=$dir TANGGAP_LISTEN=127.0.0.1:$PORT TANGGAP_LOG=warn
  export TANGGAP_RATE_SUBMISSIONS_PER_IP=1000000000
  unset DATABASE_URL
  if [ "$backend" = postgres ]; then
    db=tanggap_bench_public_$$
    psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" postgres
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db
  fi
  sql() {
    if [ "$backend" = postgres ]; then psql -h 127.0.0.1 -U postgres -Atc "$1" "$db"
    else python3 -c "import sqlite3,sys
for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print('|'.join(map(str, r)))" "$dir/tanggap.db" "$1"; fi
  }
  "$bin" demo >/dev/null
  "$bin" serve > "$dir/server.log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; [ -n "$db" ] && psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" postgres; rm -rf "$dir"' RETURN
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
  local base=http://127.0.0.1:$PORT round=0
  while [ "$(sql "SELECT count(*) FROM reports")" -lt "$REPORTS" ]; do
    round=$((round + 1))
    wrk -t2 -c8 -d2s -s bench/public_seed.lua "$base" -- "s$round" | grep SEEDED >/dev/null
  done
  # The desk dispatches nine in ten to the category's agency (8 connections, keep-alive).
  sql "SELECT r.tracking_id, c.default_agency_id FROM reports r JOIN categories c ON c.code = r.category WHERE r.status = 'baru' AND c.default_agency_id IS NOT NULL AND r.id % 10 <> 0" > "$dir/dispatch.txt"
  python3 - "$PORT" "$dir/dispatch.txt" <<'PY'
import http.client, json, sys, threading
port, path = int(sys.argv[1]), sys.argv[2]
jobs = [l.split('|') for l in open(path).read().split()]
def login():
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("POST", "/api/v1/sessions", json.dumps({"username": "operator", "password": "operator-demo-2026"}),
              {"Content-Type": "application/json"})
    r = c.getresponse(); body = json.loads(r.read())
    cookie = r.getheader("Set-Cookie").split(";")[0]
    return c, cookie, body["csrf_token"]
failed = []
# One login (the per-user login rate limit), one keep-alive connection per thread.
_, cookie, csrf = login()
def work(part):
    c = http.client.HTTPConnection("127.0.0.1", port)
    for tid, agency in part:
        c.request("POST", f"/api/v1/reports/{tid}/dispatch",
                  json.dumps({"agencies": [{"agency_id": agency, "role": "utama"}]}),
                  {"Content-Type": "application/json", "Cookie": cookie, "X-CSRF-Token": csrf})
        r = c.getresponse(); r.read()
        if r.status != 200: failed.append(r.status)
    c.close()
ts = [threading.Thread(target=work, args=(jobs[i::8],)) for i in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
print(f"dispatched {len(jobs) - len(failed)} of {len(jobs)}" + (f", refused: {sorted(set(failed))}" if failed else ""))
PY
  echo "backend=$backend reports=$(sql "SELECT count(*) FROM reports") public_listed=$(sql "SELECT count(*) FROM reports WHERE status NOT IN ('baru','diarsipkan','duplikat') AND NOT rahasia") obligations=$(sql "SELECT count(*) FROM obligations")"
  # Let the background jobs catch up with the dispatches (the outbox announces each new
  # assignment) so that wrk measures the page, not the outbox on the same two cores; at most 3 min.
  for _ in $(seq 1 180); do
    [ "$(sql "SELECT count(*) FROM notifications WHERE status IN ('pending', 'sending')")" = 0 ] && break
    sleep 1
  done
  echo "outbox waiting: $(sql "SELECT count(*) FROM notifications WHERE status IN ('pending', 'sending')")"
  # The first request renders (nothing cached yet); then wrk, mostly served from memory with
  # one render a minute per language and period.
  curl -s -o /dev/null -w "first render: %{time_total}s, %{size_download} bytes (%{http_code})\n" "$base/statistik"
  curl -s -o /dev/null -H "Accept-Encoding: gzip" -w "gzipped: %{size_download} bytes\n" "$base/statistik"
  curl -s -o /dev/null -w "open data CSV (90 days): %{time_total}s, %{size_download} bytes\n" "$base/data-terbuka.csv"
  wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" "$base/statistik" >/dev/null
  local out
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$base/statistik")
  echo "$out" | grep -E "Requests/sec|Non-2xx|Socket errors" || true
  echo "$out" | awk -v b="$backend" '/^ +50%/{p50=$2} /^ +99%/{p99=$2} END{print "RESULT backend=" b " p50=" p50 " p99=" p99}'
  # An uncached render once the background jobs have caught up: another period (this quarter).
  local quarter
  quarter="$(date +%Y)-Q$(( ($(date +%-m) - 1) / 3 + 1 ))"
  curl -s -o /dev/null -w "render of $quarter (uncached): %{time_total}s\n" "$base/statistik?kuartal=$quarter"
  curl -s -o /dev/null -w "home page: %{time_total}s\n" "$base/"
}

backends=${1:-"sqlite postgres"}
for b in $backends; do run "$b"; done
