#!/usr/bin/env bash
# Intake through the WhatsApp webhook: wrk posts signed WhatsApp Cloud API webhooks (each a
# first text message from a new number) to /channels/whatsapp with the settings of
# bench/intake.sh (2 threads, 16 connections, 20 s after a 3 s warm-up). A 2xx means the message
# is recorded (durably); the inbox then files each as a report (the same use case as the API).
# Prints the webhook's rate and latency, then how long the inbox took to file every
# acknowledged message as a report, and checks that each became exactly one report.
#
#   bench/intake-whatsapp.sh                  # SQLite
#   BACKEND=postgres bench/intake-whatsapp.sh # PostgreSQL on 127.0.0.1:5432 (a fresh database)
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${BACKEND:-sqlite}
DURATION=${DURATION:-20}; CONNS=${CONNS:-16}; THREADS=${THREADS:-2}; WARMUP=${WARMUP:-3}; PORT=${PORT:-18210}
MESSAGES=${MESSAGES:-120000}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
cargo build --release -q -p tanggap
bin=target/release/tanggap
dir=$(mktemp -d)
export TANGGAP_DATA_DIR=$dir TANGGAP_LISTEN=127.0.0.1:$PORT TANGGAP_LOG=warn
export TANGGAP_WHATSAPP_APP_SECRET=bench-app-secret TANGGAP_WHATSAPP_VERIFY_TOKEN=bench-verify
unset DATABASE_URL TANGGAP_WHATSAPP_ACCESS_TOKEN TANGGAP_WHATSAPP_PHONE_NUMBER_ID
if [ "$BACKEND" = postgres ]; then
  db=tanggap_bench_wa_$$
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" postgres
  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db
fi
# Signed bodies, one file per wrk thread and one for the warm-up (new numbers each).
python3 - "$dir/msg" "$THREADS" "$MESSAGES" <<'PY'
import hashlib, hmac, json, sys
prefix, threads, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
text = ("Jalan provinsi di depan pasar berlubang besar dan membahayakan pengendara motor. " * 4)[:300]
def line(k, i):
    number = f"62813{k:02d}{i:06d}"
    body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6281100000000", "phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": "Warga"}, "wa_id": number}],
        "messages": [{"from": number, "id": f"wamid.bench{k}x{i}", "timestamp": "1764550000", "type": "text",
                      "text": {"body": f"{text} ({k}-{i})"}}]}}]}]}, separators=(",", ":"))
    sig = "sha256=" + hmac.new(b"bench-app-secret", body.encode(), hashlib.sha256).hexdigest()
    return f"{sig}\t{body}\n"
for k in range(0, threads + 1):  # k = 0: the warm-up's
    n = total // threads if k else 20000
    with open(f"{prefix}{'w' if k == 0 else ''}{k if k else ''}", "w") as f:
        f.writelines(line(k if k else 99, i) for i in range(n))
PY
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
  local q="SELECT count(*) FROM reports WHERE channel = 'whatsapp'"
  if [ "$BACKEND" = postgres ]; then psql -h 127.0.0.1 -U postgres -Atc "$q" "$db"
  else python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$dir/tanggap.db" "$q"; fi
}
# The warm-up's own messages (thread files are msg1, msg2; the warm-up's is msgw, read by each thread as msgw1..).
for t in $(seq 1 "$THREADS"); do sed -n "${t}~${THREADS}p" "$dir/msgw" > "$dir/msgw$t"; done
wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" -s bench/wa_messages.lua "http://127.0.0.1:$PORT" -- "$dir/msgw" >/dev/null
# Let the warm-up drain before measuring.
for _ in $(seq 1 120); do a=$(count); sleep 1; [ "$a" = "$(count)" ] && break; done
before=$(count)
t0=$(date +%s.%N)
out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s -s bench/wa_messages.lua "http://127.0.0.1:$PORT" -- "$dir/msg")
t1=$(date +%s.%N)
echo "$out" | grep -E "RESULT|non-2xx"
ok=$(echo "$out" | sed -n 's/.*messages_2xx=\([0-9]*\).*/\1/p')
# Wait (at most 5 minutes) until every acknowledged message is a report.
for _ in $(seq 1 1500); do
  now=$(count)
  [ $((now - before)) -ge "$ok" ] && break
  sleep 0.2
done
t2=$(date +%s.%N); after=$(count)
python3 - "$ok" "$before" "$after" "$t0" "$t1" "$t2" "$pid" "$BACKEND" <<'PY'
import sys
ok, before, after, t0, t1, t2, pid, backend = sys.argv[1:]
ok, filed = int(ok), int(after) - int(before)
t0, t1, t2 = float(t0), float(t1), float(t2)
hwm = [l for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM")][0].split()[1]
print(f"backend={backend} webhooks acknowledged={ok} reports filed={filed} "
      f"(in flight at the end: {filed - ok}); every report filed {t2 - t0:.1f} s after the start "
      f"({t2 - t1:.1f} s after the load stopped): {filed / (t2 - t0):.0f} reports/s end to end; "
      f"peak RSS {int(hwm) / 1024:.1f} MiB")
assert filed >= ok, "an acknowledged message did not become a report"
PY
