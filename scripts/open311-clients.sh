#!/usr/bin/env bash
# /open311/v2 through existing third-party Open311 clients from PyPI (georeport, open311), in a
# virtual environment: list the services, create a request, read it back in JSON and XML (see
# scripts/open311_clients.py). Starts its own server on a fresh SQLite database.
#
# Usage: scripts/open311-clients.sh. Needs python3 and a built `target/debug/tanggap`.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/open311-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import georeport, open311' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "georeport==0.3.1" "open311==1.1"
fi
[ -x target/debug/tanggap ] || cargo build -q -p tanggap --bin tanggap

data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
export TANGGAP_DATA_DIR="$data" TANGGAP_LISTEN="127.0.0.1:$port" TANGGAP_JOBS=off TANGGAP_LOG=warn
target/debug/tanggap seed >/dev/null
key=$(target/debug/tanggap api-key add "CI Open311 clients" 2>/dev/null)
target/debug/tanggap serve >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do
  curl -sf "$base/readyz" >/dev/null && break
  sleep 0.5
done
curl -sf "$base/readyz" >/dev/null || { cat "$data/server.log"; echo "server did not start" >&2; exit 1; }
"$venv/bin/python" scripts/open311_clients.py "$base/open311/v2" "$key" jatengprov.go.id
