#!/usr/bin/env bash
# The pipeline benchmark of issues 2 and 3, in one run on this machine (loopback only, bounded in time):
# for each broker, Redis (append-only file, fsync every second) and NATS JetStream (file storage):
#   1. ceiling: a bare Kestrel endpoint that reads the body and answers 202, measured right before the broker's gateway
#      phase, which is compared with it; then, for information, the durable floor: the same endpoint storing each body
#      with one broker write (XADD / JetStream publish) before answering, on a broker of its own
#   2. gateway: Aof.Gateway in `gateway` mode, signed pull_request.opened (~2 KB), unique delivery ids
#   3. the accepted webhooks are drained by one worker and every record must reach `succeeded`
#   4. drain: one Aof.Worker process drains N pre-published messages bound to a one-node Transform flow, after the
#      same process has drained a warm-up batch published with them (the gateway gets its warm-up too); the rate
#      of the first N from a cold start is printed beside it
# Usage: bench/run.sh [seconds per load phase=15] [drain messages=100000] [connections=64]
# Prints both brokers side by side and writes the table to bench/results/<date>-pipeline.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
DURATION=${1:-15}
DRAIN_COUNT=${2:-100000}
CONNECTIONS=${3:-64}
THREADS=2
# Every load phase is preceded by the same warm-up: tiered JIT keeps recompiling hot code for several
# seconds after start (seen with perf: ~14% of the gateway's CPU in the JIT 5 s after a 3 s warm-up).
WARMUP=${BENCH_WARMUP_SECS:-12}
# The drain's warm-up, in messages published ahead of the measured N in the same backlog: a cold worker spends
# ~2-3 s of CPU in tier-1 JIT during its first ~10 s of draining (perf: 11-16 % of the machine's samples),
# ~35 % of the worker's CPU in a drain of 60,000.
DRAIN_WARMUP=${BENCH_DRAIN_WARMUP:-50000}
DRAIN_TIMEOUT=300   # seconds a drain may take before it counts as failed
out="$root/bench/out"
mkdir -p "$out" bench/results
export PATH="$PATH:/usr/sbin"
for tool in redis-server redis-cli nats-server wrk openssl python3 curl timeout; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required (apt-get install -y redis-server nats-server wrk openssl curl)"; exit 2; }
done

echo "bench: building (Release)"
for p in Aof.Gateway Aof.Worker bench/Ceiling bench/Aof.Bench; do
  dotnet build "$p" -c Release -v q -nologo >/dev/null
done
GATEWAY_DLL=Aof.Gateway/bin/Release/net10.0/Aof.Gateway.dll
WORKER_DLL=Aof.Worker/bin/Release/net10.0/Aof.Worker.dll
CEILING_DLL=bench/Ceiling/bin/Release/net10.0/Ceiling.dll
BENCH_DLL=bench/Aof.Bench/bin/Release/net10.0/Aof.Bench.dll

# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
pids=()
tmpdirs=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for d in "${tmpdirs[@]:-}"; do [ -n "$d" ] && rm -rf "$d"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
stop() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

load() { # url seconds -> RESULT line
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$2s" --latency -s bench/webhook.lua "$1" | grep '^RESULT'
}
bench() { timeout 600 dotnet "$BENCH_DLL" "$1" "$BROKER" "$CONN" "${@:2}"; }   # verb args... on the current broker

# ---- brokers: each start sets BROKER, CONN, broker_pid and the services' environment ----
start_redis() {
  local port dir
  port=$(free_port); dir=$(mktemp -d); tmpdirs+=("$dir")
  redis-server --port "$port" --bind 127.0.0.1 "${REDIS_BENCH_ARGS[@]}" \
    --dir "$dir" --loglevel warning --daemonize no >"$out/redis.log" 2>&1 &
  broker_pid=$!; pids+=($broker_pid)
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  BROKER=redis; CONN="127.0.0.1:$port"
  BROKER_VERSION="Redis $(redis-server --version | awk '{print $3}' | sed 's/^v=//') with appendonly yes / appendfsync everysec (automatic AOF rewrite past 4 GB, see bench/lib.sh)"
  export Aof__Queue__Type=redis ConnectionStrings__redis="$CONN"
}
start_nats() {
  local port mon dir
  port=$(free_port); mon=$(free_port); dir=$(mktemp -d); tmpdirs+=("$dir")
  # JetStream with its own store dir; the streams use file storage (server default sync, see docs/operations.md).
  nats-server -js -a 127.0.0.1 -p "$port" -m "$mon" -sd "$dir" >"$out/nats.log" 2>&1 &
  broker_pid=$!; pids+=($broker_pid)
  wait_http "http://127.0.0.1:$mon/healthz"
  BROKER=nats; CONN="nats://127.0.0.1:$port"
  BROKER_VERSION="nats-server $(nats-server --version | awk '{print $2}') -js, file storage"
  export Aof__Queue__Type=nats ConnectionStrings__nats="$CONN"
}

start_worker() {
  dotnet "$WORKER_DLL" --config bench/config/daemon.yaml --mode worker --urls "http://127.0.0.1:$(free_port)" >>"$out/worker-$BROKER.log" 2>&1 &
  worker_pid=$!; pids+=($worker_pid)
}

# The ceiling is measured right before each broker's gateway phase: this machine drifts by 10-20 % within minutes,
# so each broker is compared with the ceiling of its own moment of the run.
measure_ceiling() { # key [environment of the ceiling...] -> CEILING[key]
  local port pid
  port=$(free_port)
  env "${@:2}" ASPNETCORE_URLS="http://127.0.0.1:$port" dotnet "$CEILING_DLL" >"$out/ceiling-$1.log" 2>&1 &
  pid=$!; pids+=($pid)
  wait_port "$port"
  load "http://127.0.0.1:$port" "$WARMUP" >/dev/null
  CEILING[$1]=$(load "http://127.0.0.1:$port" "$DURATION"); echo "  ${CEILING[$1]}"
  stop "$pid"
}

# Results per broker, keyed by broker name (CEILING also by "<broker>-floor").
declare -A CEILING GATEWAY GW_VERIFY GW_OK DRAIN DRAIN_VERIFY DRAIN_OK VERSION

run_broker() { # redis|nats: gateway, accepted -> succeeded, drain; leaves the broker stopped
  echo "bench: ceiling (bare Kestrel) before $1"
  measure_ceiling "$1"
  # The durable floor gets a broker of its own, removed after it: its backlog must not weigh on the gateway's phase.
  "start_$1"
  echo "bench: durable floor (bare Kestrel + one $BROKER write per webhook, for information)"
  measure_ceiling "$1-floor" CEILING_STORE="$BROKER" CEILING_CONNECTION="$CONN"
  stop "$broker_pid"; rm -rf "${tmpdirs[-1]}"
  "start_$1"
  VERSION[$BROKER]=$BROKER_VERSION

  echo "bench: gateway (mode gateway, $BROKER)"
  local gw_port gateway_pid accepted
  gw_port=$(free_port)
  ASPNETCORE_URLS="http://127.0.0.1:$gw_port" dotnet "$GATEWAY_DLL" --config bench/config/daemon.yaml --mode gateway >"$out/gateway-$BROKER.log" 2>&1 &
  gateway_pid=$!; pids+=($gateway_pid)
  wait_http "http://127.0.0.1:$gw_port/alive"
  load "http://127.0.0.1:$gw_port" "$WARMUP" >/dev/null
  bench reset >/dev/null   # the measured run starts from an empty broker
  GATEWAY[$BROKER]=$(load "http://127.0.0.1:$gw_port" "$DURATION"); echo "  ${GATEWAY[$BROKER]}"
  stop "$gateway_pid"
  accepted=$(field "${GATEWAY[$BROKER]}" accepted)

  echo "bench: draining the $accepted accepted webhooks and checking every record ($BROKER)"
  start_worker
  bench drain "$accepted" "$DRAIN_TIMEOUT" | sed 's/^/  /' || true
  # wrk stops with up to one request per connection in flight: the gateway may have accepted those without
  # wrk counting them, so up to $CONNECTIONS more records than counted 202s is expected; all must succeed.
  GW_VERIFY[$BROKER]=$(bench verify "$accepted" "$CONNECTIONS") && GW_OK[$BROKER]=yes || GW_OK[$BROKER]=no
  echo "  ${GW_VERIFY[$BROKER]}"
  stop "$worker_pid"

  echo "bench: worker drain of $DRAIN_COUNT pre-published messages after $DRAIN_WARMUP of warm-up ($BROKER)"
  bench reset >/dev/null
  bench publish "$((DRAIN_WARMUP + DRAIN_COUNT))" "$BENCH_BODY_FILE" | sed 's/^/  /'
  start_worker
  DRAIN[$BROKER]=$(bench drain "$DRAIN_COUNT" "$DRAIN_TIMEOUT" "$DRAIN_WARMUP") || true; echo "  ${DRAIN[$BROKER]}"
  DRAIN_VERIFY[$BROKER]=$(bench verify "$((DRAIN_WARMUP + DRAIN_COUNT))") && DRAIN_OK[$BROKER]=yes || DRAIN_OK[$BROKER]=no
  echo "  ${DRAIN_VERIFY[$BROKER]}"
  stop "$worker_pid"
  stop "$broker_pid"
}

run_broker redis
run_broker nats

# ---- the table: per broker its ceiling and its row, figures against that ceiling ----
py() { python3 -c "$1"; }
rate() { py "print(f'{$(field "$1" accepted)/($(field "$1" duration_us)/1e6):.0f}')"; }
ms() { py "print(f'{$1/1000:.2f}')"; }
phase_row() { # name, RESULT line, its rate, ratio -> a row of a phase without targets (ceiling, floor)
  echo "| $1 | $3 | $(ms "$(field "$2" p50_us)") | $(ms "$(field "$2" p99_us)") | $4 | $(field "$2" other) / $(field "$2" errors) | | | | | |"
}
ceiling_row() { # broker -> the rows of the ceiling measured before it and of its durable floor
  local c=${CEILING[$1]} f=${CEILING[$1-floor]} write c_rps f_rps
  [ "$1" = redis ] && write="one XADD" || write="one JetStream publish"
  c_rps=$(rate "$c"); f_rps=$(rate "$f")
  phase_row "ceiling (bare Kestrel) before $1" "$c" "$c_rps" 1.00
  phase_row "durable floor: bare Kestrel + $write per webhook (information)" "$f" "$f_rps" "$(py "print(f'{$f_rps/$c_rps:.2f}')")"
}
floor_ratio() { py "print(f'{$(rate "${GATEWAY[$1]}")/$(rate "${CEILING[$1-floor]}"):.2f}')"; }
row() { # broker -> one table row with a verdict per target and for the row
  local b=$1 g=${GATEWAY[$1]} rps ratio p99 other errors drain_rate ceil_rps
  ceil_rps=$(rate "${CEILING[$1]}")
  # The verdicts compare unrounded figures: 0.3450 is printed as 0.345 and is below 0.35.
  rps=$(rate "$g"); ratio=$(py "print(f'{$rps/$ceil_rps:.3f}')"); p99=$(ms "$(field "$g" p99_us)")
  other=$(field "$g" other); errors=$(field "$g" errors)
  drain_rate=$(field "${DRAIN[$b]}" rate); drain_rate=${drain_rate:-0}
  local cold_rate; cold_rate=$(field "${DRAIN[$b]}" cold_rate); cold_rate=${cold_rate:-0}
  v() { py "print('PASS' if $1 else 'FAIL')"; }
  local c_ratio c_p99 c_other c_gw c_drain c_dv
  c_ratio="$ratio $(v "$rps / $ceil_rps >= 0.35")"; c_p99="$p99 $(v "$(field "$g" p99_us) < 20000")"; c_other="$other / $errors $(v "$other == 0")"
  c_gw="${GW_OK[$b]} $(v "'${GW_OK[$b]}' == 'yes'")"; c_drain="$drain_rate $(v "$drain_rate >= 10000")"
  c_dv="${DRAIN_OK[$b]} $(v "'${DRAIN_OK[$b]}' == 'yes'")"
  local ok=PASS; case "$c_ratio$c_p99$c_other$c_gw$c_drain$c_dv" in *FAIL*) ok=FAIL ;; esac
  echo "| $b | $rps | $(ms "$(field "$g" p50_us)") | $c_p99 | $c_ratio | $c_other | $c_gw | $c_drain | $cold_rate | $c_dv | **$ok** |"
}
rows=$(ceiling_row redis; row redis; ceiling_row nats; row nats)
report=$(cat <<REPORT
| broker | gateway accepted/s | p50 ms | p99 ms (< 20) | gateway / ceiling (>= 0.35) | non-202 / socket errors (0) | accepted -> succeeded (all) | worker drain/s, warm (>= 10000) | first N from cold, /s | drained -> succeeded (all) | row |
|---|---|---|---|---|---|---|---|---|---|---|
$rows

The durable floor is for information, without a target: the ceiling's endpoint also stores each body with one broker
write and answers once the broker confirmed (no signature check, matching, dedup, execution record, telemetry or
group commit).
Gateway / durable floor: redis $(floor_ratio redis), nats $(floor_ratio nats).

Record checks (every execution record listed on the broker and its status counted):
- redis, gateway phase: ${GW_VERIFY[redis]}
- redis, drain phase: ${DRAIN_VERIFY[redis]}
- nats, gateway phase: ${GW_VERIFY[nats]}
- nats, drain phase: ${DRAIN_VERIFY[nats]}
REPORT
)
echo
echo "$report"
result="bench/results/$(date -u +%Y-%m-%d)-pipeline.md"
# Which code ran, read before the results file is opened (opening it truncates it, which an earlier run of the day
# committed, so the check would see a change). The index is refreshed first: files a build rewrote with the same
# content would otherwise count as changed. bench/results holds outputs, not code.
git update-index -q --refresh >/dev/null 2>&1 || true
code="commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- . ':!bench/results' 2>/dev/null || echo ' with uncommitted changes')"
{
  echo "# Pipeline benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "Code: $code."
  echo
  echo "Command: \`bench/run.sh $DURATION $DRAIN_COUNT $CONNECTIONS\` on $(nproc) cores; wrk -t$THREADS -c$CONNECTIONS, ${DURATION}s per load phase after a ${WARMUP} s warm-up;"
  echo "${VERSION[redis]}; ${VERSION[nats]}; payload $(wc -c <"$BENCH_BODY_FILE") bytes; worker drain of $DRAIN_COUNT messages by one process after a warm-up of $DRAIN_WARMUP."
  echo
  echo "$report"
} >"$result"
echo; echo "bench: written to $result"
