#!/usr/bin/env bash
# The issue-16 comparison: every read of bench/reads.sh on N reports and on N/100, one table with
# the p99 of each and the ratio (target: at most 2× slower on the larger database).
#
#   bench/reads-compare.sh sqlite 1000000      # KEEP=1 is passed on, so kept databases are reused
#   bench/reads-compare.sh postgres 10000000
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}; N=${2:-1000000}
small=$((N / 100))
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
bench/reads.sh "$backend" "$N" | tee "$out/large"
bench/reads.sh "$backend" "$small" | tee "$out/small"
python3 - "$out/small" "$out/large" "$small" "$N" <<'PY'
import re, sys
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)$", v)
    n, u = float(m.group(1)), m.group(2)
    return n / 1000 if u == "us" else n * 1000 if u == "s" else n
def reads(path):
    out = {}
    for line in open(path):
        if line.startswith("READ "):
            f = dict(kv.split("=", 1) for kv in line.split()[1:])
            out[f["read"]] = (ms(f["p99"]), f["req/s"])
    return out
small, large = reads(sys.argv[1]), reads(sys.argv[2])
print(f"| read | p99 at {int(sys.argv[3]):,} | p99 at {int(sys.argv[4]):,} | ratio | at most 2× |")
print("|---|---:|---:|---:|---|")
for name, (p_large, _) in large.items():
    p_small = small.get(name, (float("nan"), ""))[0]
    ratio = p_large / p_small if p_small else float("inf")
    print(f"| {name} | {p_small:.1f} ms | {p_large:.1f} ms | {ratio:.1f}× | {'met' if ratio <= 2 else 'not met'} |")
PY
