#!/usr/bin/env bash
# Load benchmark of vault-api (embedded store) against a bare axum server,
# side by side in one run, on loopback.
#
#   vault-api/bench/run.sh                 # 5 rounds of 5 s per scenario, wrk -t1 -c32
#   ROUNDS=1 DURATION=5s CONNECTIONS=64 THREADS=2 vault-api/bench/run.sh
#   VAULT_API_BIN=/path/to/old/vault-api vault-api/bench/run.sh   # measure another build
#
# Builds the release binary and the bare axum example (bench/bare_axum.rs),
# starts both on free loopback ports (vault-api with a fresh data dir and its
# JSON access log on), seeds items, then for each round runs wrk against:
#   - the bare server's GET /vault (the anchor), then vault-api's GET /vault,
#   - the anchor again, then vault-api's GET /vault/items/{id} on random
#     seeded ids,
# and reports the median over rounds of requests/s and p99, each also as a
# ratio to the anchor run just before it, with vault-api's CPU time per
# request (user + system, from /proc). Then it runs sustained PUT load for
# PUT_DURATION twice: ~200-byte documents on 1000 ids (creates and
# replaces), then 16 KiB documents on 4000 ids, which grows the data to about
# 64 MiB, far past the page cache. It reports the server's resident memory
# (VmRSS idle and after each load, and the peak VmHWM) and the data file's
# size. Needs wrk (apt-get install -y wrk) and curl.
# Everything stays on 127.0.0.1; both servers are stopped at the end.
set -euo pipefail

DURATION=${DURATION:-5s}
PUT_DURATION=${PUT_DURATION:-30s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
ROUNDS=${ROUNDS:-5}
SEEDED=${SEEDED:-100}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool not found (apt-get install -y $tool)" >&2; exit 1; }
done

echo "building release binaries..." >&2
(cd "$root" && cargo build --release --locked -p vault-api --bin vault-api --example bare-axum >&2)
target="${CARGO_TARGET_DIR:-$root/target}/release"
vault_bin=${VAULT_API_BIN:-$target/vault-api}
echo "measuring $vault_bin against $target/examples/bare-axum" >&2

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; fi
  done
  rm -rf "$work"
}
trap cleanup EXIT

# wait_for_addr LOG PATTERN: prints the address once PATTERN's capture shows up.
wait_for_addr() {
  local addr=""
  for _ in $(seq 1 200); do
    addr=$(sed -n "$2" "$1" | head -n1)
    [[ -n "$addr" ]] && { echo "$addr"; return 0; }
    sleep 0.05
  done
  echo "bench: server did not start:" >&2; cat "$1" >&2; return 1
}

PORT=0 "$target/examples/bare-axum" >"$work/bare.log" 2>&1 &
bare_pid=$!; pids+=("$bare_pid")
bare="http://$(wait_for_addr "$work/bare.log" 's/^listening \(.*\)$/\1/p')"

env -u VAULT_TABLE VAULT_STORE=embedded HOST=127.0.0.1 PORT=0 VAULT_DATA_DIR="$work/data" \
  VAULT_LOG_FORMAT=json ApplicationVersion=bench "$vault_bin" >"$work/server.log" 2>&1 &
server_pid=$!; pids+=("$server_pid")
base="http://$(wait_for_addr "$work/server.log" 's/.*"message":"listening","addr":"\([^"]*\)".*/\1/p')"

for i in $(seq 0 $((SEEDED - 1))); do
  curl -sf -o /dev/null -X PUT -H 'Content-Type: application/json' \
    -d "{\"i\":$i,\"name\":\"seed\"}" "$base/vault/items/item-$i"
done

rss_kib() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$server_pid/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ticks_per_sec=$(getconf CLK_TCK)
idle_rss=$(rss_kib VmRSS)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# to_ms VALUE: wrk latency (e.g. 512.00us, 1.20ms, 1.01s) in milliseconds.
to_ms() { awk -v v="$1" 'BEGIN {
  n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
  if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
  printf "%.3f", n }'; }

# measure NAME DURATION WRK-ARGS...: runs wrk, appends
# "NAME rps p50_ms p99_ms requests server_cpu_us_per_request" to $work/results
# (the server is the bare one for the anchor, vault-api otherwise).
measure() {
  local name=$1; shift
  local out rps p50 p99 requests before after cpu_us pid=$server_pid
  [[ $name == anchor ]] && pid=$bare_pid
  before=$(cpu_ticks "$pid")
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$1" --timeout 5s --latency "${@:2}")
  after=$(cpu_ticks "$pid")
  if grep -q "Non-2xx" <<<"$out"; then
    echo "bench: $name had non-2xx responses:" >&2; echo "$out" >&2; exit 1
  fi
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  cpu_us=$(awk -v t=$((after - before)) -v hz="$ticks_per_sec" -v n="$requests" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
  echo "$name $rps $p50 $p99 $requests $cpu_us" >>"$work/results"
}

# Each vault-api measurement directly follows its own anchor measurement, so
# the pair sees the same machine load.
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round of $ROUNDS..." >&2
  measure anchor "$DURATION" "$bare/vault"
  measure health "$DURATION" "$base/vault"
  measure anchor "$DURATION" "$bare/vault"
  SEEDED=$SEEDED measure item "$DURATION" -s "$here/get_item.lua" "$base"
done

echo "sustained PUT load..." >&2
measure put "$PUT_DURATION" -s "$here/put_item.lua" "$base"
small_rss=$(rss_kib VmRSS)
IDS=4000 DOC_BYTES=16384 measure put16k "$PUT_DURATION" -s "$here/put_item.lua" "$base"
large_rss=$(rss_kib VmRSS)
peak_rss=$(rss_kib VmHWM)
data_mib=$(( $(stat -c %s "$work/data/vault.redb") / 1048576 ))

echo
echo "machine: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo); wrk and both servers share them;" \
  "load average $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after"
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $ROUNDS rounds; medians over rounds; each ratio against the anchor run just before it"
echo
# Each scenario's ratio is to the anchor measured just before it; then medians.
awk -v rounds="$ROUNDS" '
  function median(a, n,   i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  $1 == "anchor" { r++; arps[r] = $2; ap99[r] = $4; acpu[r] = $6 }
  $1 == "health" || $1 == "item" {
    k = $1; c[k]++; rps[k, c[k]] = $2; p99[k, c[k]] = $4; cpu[k, c[k]] = $6
    rr[k, c[k]] = $2 / arps[r]; pr[k, c[k]] = ($4 > 0 && ap99[r] > 0) ? $4 / ap99[r] : 0
  }
  END {
    print "| scenario | requests/s | vs bare axum | p99 | p99 vs bare axum | server CPU per request |"
    print "| --- | --- | --- | --- | --- | --- |"
    for (i = 1; i <= r; i++) { x[i] = arps[i]; y[i] = ap99[i]; z[i] = acpu[i] }
    printf "| bare axum `GET /vault` (anchor) | %.0f | 1.00 | %.2f ms | 1.00 | %.1f µs |\n", median(x, r), median(y, r), median(z, r)
    split("health item", keys, " ")
    names["health"] = "vault-api `GET /vault`"; names["item"] = "vault-api `GET /vault/items/{id}`"
    for (q = 1; q <= 2; q++) {
      k = keys[q]; n = c[k]
      for (i = 1; i <= n; i++) { a[i] = rps[k, i]; b[i] = rr[k, i]; d[i] = p99[k, i]; e[i] = pr[k, i]; f[i] = cpu[k, i] }
      printf "| %s | %.0f | %.2f | %.2f ms | %.2f | %.1f µs |\n", names[k], median(a, n), median(b, n), median(d, n), median(e, n), median(f, n)
    }
  }' "$work/results"
awk -v d="${PUT_DURATION%s}" '
  $1 == "put" { printf "| vault-api `PUT /vault/items/{id}`, 200 B documents (%s s sustained) | %.0f | | %.2f ms (p50 %.2f ms) | | %.1f µs |\n", d, $2, $4, $3, $6 }
  $1 == "put16k" { printf "| vault-api `PUT /vault/items/{id}`, 16 KiB documents on 4000 ids (%s s sustained) | %.0f | | %.2f ms (p50 %.2f ms) | | %.1f µs |\n", d, $2, $4, $3, $6 }' "$work/results"
echo
echo "memory (RSS) of vault-api: idle $((idle_rss / 1024)) MiB, after the 200 B PUT load $((small_rss / 1024)) MiB," \
  "after the 16 KiB PUT load $((large_rss / 1024)) MiB (data file $data_mib MiB), peak $((peak_rss / 1024)) MiB (${peak_rss} KiB)"
