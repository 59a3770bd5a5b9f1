#!/usr/bin/env bash
# The API against its own OpenAPI document: schemathesis generates requests from
# /api/v1/openapi.json (positive and negative), sends them to a running server with demo data, and
# checks that no answer is a 5xx, that every status and content type is documented, and that every
# body fits its schema. Runs as an operator's integration account (API token) and as nobody.
# Bounded in time.
#
# Usage: scripts/contract.sh [seconds per caller, default 90]. Needs python3 (installs schemathesis
# into target/contract-venv on first use) and a built `target/debug/tanggap`.
set -euo pipefail
cd "$(dirname "$0")/.."
budget="${1:-90}"

venv=target/contract-venv
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==4.*"
fi
[ -x target/debug/tanggap ] || cargo build -q -p tanggap --bin tanggap

data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
TANGGAP_DATA_DIR="$data" TANGGAP_LISTEN="127.0.0.1:$port" TANGGAP_JOBS=off TANGGAP_LOG=warn \
  TANGGAP_RATE_LOGIN_PER_USER=100000 TANGGAP_RATE_LOGIN_PER_IP=100000 \
  TANGGAP_RATE_LOOKUPS_PER_IP=100000 TANGGAP_RATE_SUBMISSIONS_PER_IP=100000 \
  TANGGAP_RATE_PUBLIC_LIST_PER_IP=100000 \
  target/debug/tanggap serve --demo >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do
  curl -sf "$base/readyz" >/dev/null && break
  sleep 0.5
done
curl -sf "$base/readyz" >/dev/null || { cat "$data/server.log"; echo "server did not start" >&2; exit 1; }

# An API token for an integration account with the operator's role (only integration accounts
# get tokens), made and issued by the demo admin.
jar="$data/cookies"
csrf=$(curl -sf -c "$jar" -H 'content-type: application/json' \
  -d '{"username":"admin","password":"admin-demo-2026"}' "$base/api/v1/sessions" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])')
operator_id=$(curl -sf -b "$jar" -H "x-csrf-token: $csrf" -H 'content-type: application/json' \
  -d '{"username":"kontrak","display_name":"Contract test","role":"operator","integration":true}' \
  "$base/api/v1/users" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
token=$(curl -sf -b "$jar" -H "x-csrf-token: $csrf" -H 'content-type: application/json' \
  -d '{"name":"contract test"}' "$base/api/v1/users/$operator_id/tokens" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
run() {
  "$venv/bin/schemathesis" run "$base/api/v1/openapi.json" \
    --checks "$checks" --max-time "$budget" --workers 2 \
    --suppress-health-check all --request-timeout 10 --warnings off "$@"
}
echo "== as the demo operator (API token)"
run -H "Authorization: Bearer $token"
echo "== as nobody"
run
