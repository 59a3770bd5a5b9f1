#!/usr/bin/env bash
# Intake side by side, in one run on this machine: the peer tracker (django-helpdesk, from
# ../shared/peers/helpdesk), the raw SQLite ceiling (its sqlite_ceiling.py), our own ceiling (the
# rows of N reports written straight into Tanggap's schema, benches/intake_ceiling.rs) and
# Tanggap over HTTP (bench/intake.sh), all with the same wrk settings (2 threads, 16 connections,
# 20 s). Prints one table with the ratios. Takes about 8 minutes (the peer's first setup installs
# django-helpdesk into /tmp/peer with pip and takes a few more).
#
#   bench/compare.sh                 # SQLite
#   BACKEND=postgres bench/compare.sh  # Tanggap and our ceiling on PostgreSQL (the peer stays on SQLite)
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${BACKEND:-sqlite}
PEER=${PEER:-../shared/peers/helpdesk}
CEILING_REPORTS=${CEILING_REPORTS:-20000}
log=$(mktemp -d)
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }

echo "== 1/4 peer (django-helpdesk) ==" >&2
export HD_HOME=${HD_HOME:-/tmp/peer-helpdesk}
(cd "$PEER" && ./stop.sh >/dev/null 2>&1 || true; RESET=1 ./setup.sh >"$log/peer-setup.log" 2>&1 \
  && HD_SQLITE_SYNC=NORMAL ./serve.sh >/dev/null && TAG=compare$$ ./load.sh; ./stop.sh >/dev/null 2>&1 || true) \
  | tee "$log/peer.txt" >&2

echo "== 2/4 raw SQLite ceiling (sqlite_ceiling.py, cases a and c) ==" >&2
python3 "$PEER/sqlite_ceiling.py" --dir "$log/ceiling" --cases ac --budget 20 | tee "$log/raw.txt" >&2

echo "== 3/4 our ceiling (benches/intake_ceiling.rs) ==" >&2
for batch in 1 16; do
  cargo bench -q -p tanggap --bench intake_ceiling -- --backend "$BACKEND" --reports "$CEILING_REPORTS" --batch "$batch" \
    | tee -a "$log/ours.txt" >&2
done

echo "== 4/4 Tanggap over HTTP (bench/intake.sh) ==" >&2
BACKEND=$BACKEND bench/intake.sh | tee "$log/tanggap.txt" >&2

python3 - "$log" "$BACKEND" <<'PY'
import re, sys, os
log, backend = sys.argv[1:]
read = lambda f: open(os.path.join(log, f)).read()
peer = read("peer.txt")
peer_rate = float(re.search(r"tickets/s \(2xx/s\)\s*:\s*([\d.]+)", peer).group(1))
peer_p99 = float(re.search(r"p50 / p99 \(ms\)\s*:\s*[\d.]+\s*/\s*([\d.]+)", peer).group(1))
peer_rss = float(re.search(r"peak RSS sum\s*:\s*([\d.]+) MiB", peer).group(1))
raw = read("raw.txt")
raw_a = float(re.search(r"\(a\)[^:]*:.*=\s*([\d,]+) rows/s", raw).group(1).replace(",", ""))
raw_c = float(re.search(r"\(c\)[^:]*:.*=\s*([\d,]+) rows/s", raw).group(1).replace(",", ""))
ours = {int(m.group(1)): float(m.group(2)) for m in re.finditer(r"batch=(\d+) .*reports_per_sec=([\d.]+)", read("ours.txt"))}
t = read("tanggap.txt")
rate = float(re.search(r"per_sec=([\d.]+)", t).group(1))
p99 = float(re.search(r"p99_ms=([\d.]+)", t).group(1))
rss = float(re.search(r"peak RSS ([\d.]+) MiB", t).group(1))
rows = [
    ("peer: django-helpdesk tickets over HTTP (SQLite, synchronous=NORMAL)", peer_rate, f"{peer_p99:.1f}", f"{peer_rss:.1f}"),
    ("raw SQLite ceiling: 1 row per transaction, FULL (Python)", raw_a, "", ""),
    ("raw SQLite ceiling: 100 rows per transaction, FULL (Python)", raw_c, "", ""),
    (f"our ceiling ({backend}): a report's rows, 1 report per transaction", ours.get(1, 0), "", ""),
    (f"our ceiling ({backend}): a report's rows, 16 reports per transaction", ours.get(16, 0), "", ""),
    (f"Tanggap ({backend}): reports over HTTP, POST /api/v1/reports", rate, f"{p99:.1f}", f"{rss:.1f}"),
]
print(f"\n| | per second | × peer | p99 ms | peak RSS MiB |")
print("|---|---:|---:|---:|---:|")
for name, r, p, m in rows:
    print(f"| {name} | {r:,.0f} | {r / peer_rate:.1f} | {p} | {m} |")
c16 = ours.get(16, 0)
print(f"\nTanggap / peer = {rate / peer_rate:.1f}×; Tanggap / our ceiling (16 per transaction) = "
      f"{rate / c16:.2f}" if c16 else "")
print(f"Tanggap peak RSS / peer's = {rss / peer_rss:.2f}; Tanggap p99 = {p99:.1f} ms")
PY
rm -rf "$log"
