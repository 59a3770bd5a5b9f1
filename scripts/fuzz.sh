#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for SECONDS_PER_TARGET (default 180) and says what it
# found. Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
#   FUZZ_JOBS=2   how many targets run side by side (default 1; one core each)
#   FUZZ_KEEP=dir keep the grown corpora there instead of deleting them
#
# Each target runs on a temporary copy of its seed corpus (fuzz/corpus/<target>), so the
# committed corpus stays small; a crash is kept in fuzz/artifacts/<target>/ (ignored by git) and
# the script exits 1 naming it. Needs the nightly toolchain (`rustup toolchain install nightly`).
set -euo pipefail

secs=${1:-180}
shift || true
jobs=${FUZZ_JOBS:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
# -a: debug assertions and overflow checks on, so an overflow is a finding, not a wrap.
cargo +nightly fuzz build -a

if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

# The longest input per target: bodies and files need room, words and ids do not.
max_len() {
    case "$1" in
        attachment_clean) echo 65536 ;;
        attachment_redact) echo 16384 ;;
        whatsapp | messenger | telegram | x | email | sms_gateway | twilio | open311_form) echo 16384 ;;
        csv_*) echo 16384 ;;
        verify | connector_webhook) echo 8192 ;;
        *) echo 4096 ;;
    esac
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/logs"

run_target() {
    local t=$1 corpus="$work/corpus/$1" log="$work/logs/$1.log" start end status=0
    mkdir -p "$corpus"
    if [ -d "fuzz/corpus/$t" ]; then
        cp -R "fuzz/corpus/$t/." "$corpus/"
    fi
    start=$(date +%s)
    cargo +nightly fuzz run -a "$t" "$corpus" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -max_len="$(max_len "$t")" \
        -timeout=60 -print_final_stats=1 >"$log" 2>&1 || status=$?
    end=$(date +%s)
    local execs files found took
    execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
    # libFuzzer's own count of seconds when it finished; the wall time when it stopped early
    took=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | tail -1 | awk '{print $5}' || true)
    files=$(find "$corpus" -type f | wc -l)
    found=$(grep -o 'Test unit written to [^ ]*' "$log" | sed 's/Test unit written to //' | tr '\n' ' ' || true)
    if [ "$status" -eq 0 ]; then
        found="none"
    elif [ -z "$found" ]; then
        found="exit $status, see the log"
    fi
    printf '%s\t%s\t%s\t%s\t%s\n' "$t" "${took:-$((end - start))}" "${execs:-?}" "$files" "$found" \
        >"$work/logs/$t.row"
    if [ -n "${FUZZ_KEEP:-}" ]; then
        mkdir -p "$FUZZ_KEEP/$t" "$FUZZ_KEEP/logs"
        cp -R "$corpus/." "$FUZZ_KEEP/$t/"
        cp "$log" "$FUZZ_KEEP/logs/"
    fi
    if [ "$status" -ne 0 ]; then
        tail -n 40 "$log" >&2
    fi
}

for t in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
        wait -n || true
    done
    echo "fuzzing $t for ${secs}s" >&2
    run_target "$t" &
done
wait

printf 'target\tseconds\texecutions\tcorpus files\tfindings\n'
failed=0
for t in "${targets[@]}"; do
    row=$(cat "$work/logs/$t.row")
    printf '%s\n' "$row"
    case "$row" in
        *$'\t'none) ;;
        *) failed=1 ;;
    esac
done
if [ "$failed" -ne 0 ]; then
    echo "a target found a crash: the artifacts above are in fuzz/artifacts/" >&2
    exit 1
fi
