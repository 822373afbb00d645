#!/usr/bin/env bash
# Load benchmark of vault-api on the embedded store, on loopback.
#
#   vault-api/bench/run.sh            # 10 s per scenario, 64 connections
#   DURATION=5s CONNECTIONS=32 vault-api/bench/run.sh
#
# Builds the release binary, starts it on a free loopback port with a fresh
# data dir, seeds items, then runs wrk (bounded by DURATION) against
# GET /vault, GET /vault/items/{id} and PUT /vault/items/{id}. Reports
# requests/s, p50/p99 latency, CPU time per request and memory (RSS idle,
# after load, and peak). Needs wrk (apt-get install -y wrk) and curl.
# Everything stays on 127.0.0.1 and the server is stopped at the end.
set -euo pipefail

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
SEEDED=${SEEDED:-100}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool not found (apt-get install -y $tool)" >&2; exit 1; }
done

echo "building release binary..." >&2
(cd "$root" && cargo build --release --locked -p vault-api >&2)
bin="${CARGO_TARGET_DIR:-$root/target}/release/vault-api"

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

env -u VAULT_TABLE HOST=127.0.0.1 PORT=0 VAULT_DATA_DIR="$work/data" \
  VAULT_LOG_FORMAT=json ApplicationVersion=bench "$bin" >"$work/server.log" 2>&1 &
server_pid=$!

addr=""
for _ in $(seq 1 200); do
  addr=$(grep -o '"message":"listening","addr":"[^"]*"' "$work/server.log" | sed 's/.*"addr":"\([^"]*\)"/\1/' || true)
  [[ -n "$addr" ]] && break
  sleep 0.05
done
[[ -n "$addr" ]] || { echo "bench: server did not start" >&2; cat "$work/server.log" >&2; exit 1; }
base="http://$addr"

for i in $(seq 0 $((SEEDED - 1))); do
  curl -sf -o /dev/null -X PUT -H 'Content-Type: application/json' \
    -d "{\"i\":$i,\"name\":\"seed\"}" "$base/vault/items/item-$i"
done

rss_kib() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$server_pid/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
ticks_per_sec=$(getconf CLK_TCK)
idle_rss=$(rss_kib VmRSS)

results=()
run() { # name, wrk args...
  local name=$1; shift
  local before after out rps p50 p99 requests cpu_ms
  before=$(cpu_ticks)
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 5s --latency "$@")
  after=$(cpu_ticks)
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  if grep -q "Non-2xx" <<<"$out"; then
    echo "bench: $name had non-2xx responses:" >&2; echo "$out" >&2; exit 1
  fi
  cpu_ms=$(awk -v t=$((after - before)) -v hz="$ticks_per_sec" -v n="$requests" \
    'BEGIN { printf "%.3f", (t / hz * 1000) / n }')
  results+=("| $name | $rps | $p50 | $p99 | $cpu_ms |")
}

run "GET /vault" "$base/vault"
SEEDED=$SEEDED run "GET /vault/items/{id}" -s "$here/get_item.lua" "$base"
run "PUT /vault/items/{id}" -s "$here/put_item.lua" "$base"

loaded_rss=$(rss_kib VmRSS)
peak_rss=$(rss_kib VmHWM)

echo
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, server and wrk on the same machine ($(nproc) cores)"
echo
echo "| scenario | requests/s | p50 | p99 | server CPU ms/request |"
echo "| --- | --- | --- | --- | --- |"
printf '%s\n' "${results[@]}"
echo
echo "memory (RSS): idle $((idle_rss / 1024)) MiB, after load $((loaded_rss / 1024)) MiB, peak $((peak_rss / 1024)) MiB"
