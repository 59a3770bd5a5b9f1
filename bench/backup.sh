#!/usr/bin/env bash
# Backup and restore on SQLite at scale (issue 17): a database of REPORTS demo reports (copies of
# the demo reports with their whole history), served by `tanggap serve` while wrk submits new
# reports as bench/intake.sh does; during that load `tanggap backup` runs, then (for comparison)
# SQLite's VACUUM INTO through python3's sqlite3. Then, without load, another backup, and a
# restore of the first one into an empty directory with `tanggap audit verify` on it.
#
#   bench/backup.sh                     # 100,000 reports
#   REPORTS=20000 bench/backup.sh
#   DATA=/path/to/dir bench/backup.sh   # reuse a data directory made by a previous run (KEEP=1)
#   CONNS=16 THREADS=2 PORT=18300 are the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
REPORTS=${REPORTS:-100000}; CONNS=${CONNS:-16}; THREADS=${THREADS:-2}; PORT=${PORT:-18300}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
cargo build --release -q -p tanggap
bin=$PWD/target/release/tanggap
work=$(mktemp -d)
export TANGGAP_LISTEN=127.0.0.1:$PORT TANGGAP_LOG=warn
export TANGGAP_RATE_SUBMISSIONS_PER_IP=1000000000
unset DATABASE_URL
if [ -n "${DATA:-}" ]; then
  dir=$DATA
else
  dir=$work/data
  t0=$(date +%s.%N)
  TANGGAP_DATA_DIR=$dir "$bin" demo --reports "$REPORTS" >/dev/null
  echo "demo --reports $REPORTS: $(python3 -c "print(f'{$(date +%s.%N) - $t0:.0f}')") s"
fi
export TANGGAP_DATA_DIR=$dir
pid=
cleanup() {
  [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  if [ -n "${KEEP:-}" ] && [ -z "${DATA:-}" ]; then
    rm -rf "$work/restored" "$work"/*.tar "$work"/*.db; echo "kept $dir"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
count() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from reports').fetchone()[0])" "$dir/tanggap.db"; }
TIMEFORMAT='  took %R s (CPU: %U s user, %S s system)'
timed() { time "$@"; }
size() { du -h --apparent-size "$1" | cut -f1; }
echo "database: $(size "$dir/tanggap.db") ($(count) reports), attachments: $(du -sh "$dir/attachments" 2>/dev/null | cut -f1 || echo none)"

"$bin" serve > "$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done

# Intake alone, for the rate without a backup.
wrk -t"$THREADS" -c"$CONNS" -d3s -s bench/post_report.lua "http://127.0.0.1:$PORT" -- warm$$ >/dev/null
echo "intake alone, 15 s:"
wrk -t"$THREADS" -c"$CONNS" -d15s --timeout 10s -s bench/post_report.lua "http://127.0.0.1:$PORT" -- alone$$ | grep RESULT

# Intake for long enough to cover both copies, and the copies inside it.
wrk -t"$THREADS" -c"$CONNS" -d600s --timeout 10s -s bench/post_report.lua "http://127.0.0.1:$PORT" -- load$$ > "$work/wrk.txt" &
wrk_pid=$!
sleep 3
before=$(count); t0=$(date +%s.%N)
echo "tanggap backup under intake load:"
timed "$bin" backup "$work/under-load.tar"
t1=$(date +%s.%N); after=$(count)
python3 -c "print(f'  reports acknowledged during the backup: {$after - $before} in {$t1 - $t0:.1f} s = {($after - $before) / ($t1 - $t0):.0f}/s')"
echo "  archive: $(size "$work/under-load.tar"), WAL after: $(size "$dir/tanggap.db-wal")"
echo "VACUUM INTO under intake load (for comparison):"
before=$(count); t0=$(date +%s.%N)
timed python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA busy_timeout=5000'); c.execute('VACUUM INTO ?', (sys.argv[2],))" "$dir/tanggap.db" "$work/vacuum.db"
t1=$(date +%s.%N); after=$(count)
python3 -c "print(f'  reports acknowledged during VACUUM INTO: {$after - $before} in {$t1 - $t0:.1f} s = {($after - $before) / ($t1 - $t0):.0f}/s')"
echo "  copy: $(size "$work/vacuum.db")"
rm -f "$work/vacuum.db"
kill -INT "$wrk_pid" 2>/dev/null || true; wait "$wrk_pid" 2>/dev/null || true

echo "tanggap backup without load:"
timed "$bin" backup "$work/idle.tar"
echo "  archive: $(size "$work/idle.tar")"
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=

echo "tanggap restore of the backup made under load, into an empty directory:"
TANGGAP_DATA_DIR=$work/restored timed "$bin" restore "$work/under-load.tar"
echo "tanggap audit verify on the restored copy:"
TANGGAP_DATA_DIR=$work/restored timed "$bin" audit verify
