#!/usr/bin/env bash
# Reads on a large database: `tanggap demo --reports N` (copies of the demo reports with their
# whole history over three years), then each read below under wrk (2 threads, 16 connections,
# DURATION s after a WARMUP s warm-up), printing one line per read with p50, p99 and req/s,
# and the load time, start-up time, database size and server memory.
#
#   bench/reads.sh sqlite 1000000          # backend and number of reports
#   bench/reads.sh postgres 10000
#   KEEP=1 keeps the database for another run (SQLite: $DATA_ROOT/reads-N, PostgreSQL:
#   database tanggap_reads_N) and a kept one is reused instead of loaded again.
#   DURATION=15 WARMUP=3 CONNS=16 THREADS=2 PORT=18310 DATA_ROOT=/tmp are the defaults;
#   ONLY=staff-page,search runs only the reads named (as in the READ lines).
#   BIN=/path/to/tanggap runs another build (an earlier commit's) instead of this tree's.
#
# The reads: the public tracking page of a random report, the home page (the public list of
# recent reports, province-wide and for a kabupaten/kota), the public dashboard, the desk's queue
# (unfiltered, by status, by channel), the desk's full-text search, an agency's queue and the
# staff page of a random report.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}; N=${2:-100000}
DURATION=${DURATION:-15}; WARMUP=${WARMUP:-3}; CONNS=${CONNS:-16}; THREADS=${THREADS:-2}
PORT=${PORT:-18310}; DATA_ROOT=${DATA_ROOT:-/tmp}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
if [ -n "${BIN:-}" ]; then bin=$BIN
else cargo build --release -q -p tanggap; bin=$PWD/${CARGO_TARGET_DIR:-target}/release/tanggap; fi

dir=$DATA_ROOT/reads-$backend-$N
db=tanggap_reads_$N
export TANGGAP_DATA_DIR=$dir TANGGAP_LISTEN=127.0.0.1:$PORT TANGGAP_LOG=warn
# Reads only: the copies of open demo reports carry clock steps that fell due while nothing ran
# (`tanggap demo` starts no scheduler), and the scheduler's catching up would share the cores.
# JOBS=on measures with it.
export TANGGAP_JOBS=${JOBS:-off}
export TANGGAP_RATE_LOOKUPS_PER_IP=1000000000 TANGGAP_RATE_PUBLIC_LIST_PER_IP=1000000000
export TANGGAP_RATE_LOGIN_PER_IP=1000000 TANGGAP_RATE_LOGIN_PER_USER=1000000
unset DATABASE_URL
fresh=0
if [ "$backend" = postgres ]; then
  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db
  if ! psql -h 127.0.0.1 -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$db'" postgres | grep -q 1; then
    psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" postgres; fresh=1
  fi
elif [ ! -f "$dir/tanggap.db" ]; then fresh=1; fi
mkdir -p "$dir"
sql() {
  if [ "$backend" = postgres ]; then psql -h 127.0.0.1 -U postgres -Atc "$1" "$db"
  else python3 -c "import sqlite3,sys
for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print('|'.join(map(str, r)))" "$dir/tanggap.db" "$1"; fi
}
cleanup() {
  [ -n "${pid:-}" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  if [ -z "${KEEP:-}" ]; then
    rm -rf "$dir"
    [ "$backend" = postgres ] && psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" postgres
  fi
  return 0
}
trap cleanup EXIT
if [ $fresh = 1 ]; then
  start=$(date +%s.%N)
  "$bin" demo --reports "$N" > "$dir/load.log" 2>&1 || { cat "$dir/load.log"; exit 1; }
  echo "LOAD backend=$backend reports=$N seconds=$(echo "$(date +%s.%N) - $start" | bc)"
  [ "$backend" = postgres ] && psql -h 127.0.0.1 -U postgres -qc "VACUUM ANALYZE" "$db"
  [ "$backend" = sqlite ] && sql "PRAGMA optimize" >/dev/null
fi
if [ "$backend" = postgres ]; then
  size=$(sql "SELECT pg_database_size('$db')")
else
  size=$(du -cb "$dir"/tanggap.db* | tail -1 | cut -f1)
fi
echo "SIZE backend=$backend reports=$(sql "SELECT count(*) FROM reports") bytes=$size MiB=$((size / 1048576))"

start=$(date +%s.%N)
"$bin" serve > "$dir/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
echo "STARTUP seconds=$(echo "$(date +%s.%N) - $start" | bc) rss_kib=$(awk '/VmRSS/{print $2}' /proc/$pid/status)"
base=http://127.0.0.1:$PORT

login() {
  curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"username\": \"$1\", \"password\": \"$1-demo-2026\"}" "$base/api/v1/sessions" |
    awk -F'[ ;]' 'tolower($1) == "set-cookie:" {print $2; exit}'
}
operator=$(login operator); petugas=$(login petugas.dpu)
[ -n "$operator" ] && [ -n "$petugas" ] || { echo "login failed" >&2; exit 1; }
work=$(mktemp -d)
# A thousand random reports that the public may see, a thousand of any kind for the desk.
sql "SELECT '/lacak/' || tracking_id FROM reports WHERE NOT rahasia AND status NOT IN ('baru', 'diarsipkan', 'duplikat') ORDER BY random() LIMIT 1000" > "$work/track"
sql "SELECT '/kelola/' || tracking_id FROM reports ORDER BY random() LIMIT 1000" > "$work/staff"
printf '/\n' > "$work/home"
sql "SELECT '/?wilayah=' || code FROM regions WHERE parent_code = '33'" > "$work/home-kab"
printf '/statistik\n' > "$work/stats"
printf '/meja\n' > "$work/desk"
printf '/meja?status=baru\n/meja?status=didisposisikan\n/meja?status=diproses\n' > "$work/desk-status"
printf '/meja?channel=whatsapp\n/meja?channel=web\n/meja?channel=sms\n' > "$work/desk-channel"
for w in jalan rusak puskesmas sekolah banjir listrik bantuan pungli sampah air; do echo "/meja?q=$w"; done > "$work/search"
printf '/instansi\n' > "$work/agency"

# ONLY=staff-page,search measures those reads alone.
wanted() { [ -z "${ONLY:-}" ] || [[ ",$ONLY," == *",$1,"* ]]; }
bench() {
  local name=$1 paths=$2 cookie=${3:-} out
  wanted "$name" || return 0
  wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" -s bench/reads.lua "$base" -- "$paths" "$cookie" >/dev/null
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s bench/reads.lua "$base" -- "$paths" "$cookie")
  local bad
  bad=$(echo "$out" | awk '/Non-2xx/{print $NF}')
  echo "$out" | awk -v n="$name" -v b="$backend" -v r="$N" -v bad="${bad:-0}" '
    /^ +50%/{p50=$2} /^ +99%/{p99=$2} /Requests\/sec/{rps=$2}
    END{printf "READ backend=%s reports=%s read=%-14s p50=%-8s p99=%-8s req/s=%-8s non2xx=%s\n", b, r, n, p50, p99, rps, bad}'
}
bench tracking "$work/track"
bench home "$work/home"
bench home-kab "$work/home-kab"
bench dashboard "$work/stats"
bench desk "$work/desk" "$operator"
bench desk-status "$work/desk-status" "$operator"
bench desk-channel "$work/desk-channel" "$operator"
bench search "$work/search" "$operator"
bench agency "$work/agency" "$petugas"
# The desk assistant is trained once after start-up (the jobs runner does it at once when jobs
# run; 2.9 s at a million reports) and the first staff page of an open report waits for it:
# trained here first, so the figures are the pages', not one start-up's.
if wanted staff-page; then
  open=$(sql "SELECT tracking_id FROM reports WHERE status = 'baru' LIMIT 1")
  curl -s -o /dev/null -H "Cookie: $operator" "$base/kelola/$open"
fi
bench staff-page "$work/staff" "$operator"
# RSS split: anonymous memory (the process's own) and file pages (on SQLite, the database file
# mapped by the reading connections: the kernel's page cache, shared and droppable).
st() { awk -v k="$1:" '$1 == k {print $2}' /proc/$pid/status; }
echo "MEMORY backend=$backend reports=$N rss_kib=$(st VmRSS) hwm_kib=$(st VmHWM) anon_kib=$(st RssAnon) file_kib=$(st RssFile)"
rm -rf "$work"
