#!/usr/bin/env bash
# CPU time per webhook, by process: a figure that stays meaningful on a busy machine (throughput does not).
# Runs the ceiling and the gateway on one broker, each under the same wrk load after a warm-up, and prints
# the CPU microseconds (user+system, from /proc) each process spent per answered request.
# Usage: bench/cpu-cost.sh [redis|nats|memory] [seconds=10] [connections=64]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd); cd "$root"
BROKER=${1:-redis}; DURATION=${2:-10}; CONNECTIONS=${3:-64}; WARMUP=${BENCH_WARMUP_SECS:-10}
export PATH="$PATH:/usr/sbin"
for p in Aof.Gateway bench/Ceiling; do dotnet build "$p" -c Release -v q -nologo >/dev/null; done
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
pids=(); tmp=$(mktemp -d)
cleanup() { for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }   # utime+stime in clock ticks
hz=$(getconf CLK_TCK)
measure() { # label url pid... : warm up, then load with CPU sampled around it
  local label=$1 url=$2; shift 2
  wrk -t2 -c"$CONNECTIONS" -d"${WARMUP}s" -s bench/webhook.lua "$url" >/dev/null
  local before=() p; for p in "$@"; do before+=("$(ticks "$p")"); done
  local r; r=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/webhook.lua "$url" | grep '^RESULT')
  local n; n=$(field "$r" accepted); local i=0 line="$label: $(python3 -c "print(f'{$n/($(field "$r" duration_us)/1e6):.0f}')")/s accepted"
  for p in "$@"; do
    line+=" | $(ps -o comm= -p "$p") $(python3 -c "print(f'{($(ticks "$p")-${before[$i]})/$hz*1e6/max($n,1):.1f}')") us/req"
    i=$((i+1))
  done
  echo "$line"
}
port=$(free_port)
ASPNETCORE_URLS="http://127.0.0.1:$port" dotnet bench/Ceiling/bin/Release/net10.0/Ceiling.dll >/dev/null 2>&1 &
cp=$!; pids+=($cp); wait_port "$port"
measure ceiling "http://127.0.0.1:$port" "$cp"
kill $cp
extra=()
case $BROKER in
  redis) rp=$(free_port); redis-server --port "$rp" --bind 127.0.0.1 "${REDIS_BENCH_ARGS[@]}" --dir "$tmp" --daemonize no >/dev/null 2>&1 &
         bp=$!; pids+=($bp); extra=($bp); sleep 0.5; export Aof__Queue__Type=redis ConnectionStrings__redis="127.0.0.1:$rp" ;;
  nats)  np=$(free_port); nats-server -js -a 127.0.0.1 -p "$np" -sd "$tmp" >/dev/null 2>&1 &
         bp=$!; pids+=($bp); extra=($bp); sleep 0.5; export Aof__Queue__Type=nats ConnectionStrings__nats="nats://127.0.0.1:$np" ;;
  memory) export Aof__Queue__Type=memory ;;
esac
gp=$(free_port)
ASPNETCORE_URLS="http://127.0.0.1:$gp" dotnet Aof.Gateway/bin/Release/net10.0/Aof.Gateway.dll --config bench/config/daemon.yaml --mode "$([ "$BROKER" = memory ] && echo standalone || echo gateway)" >"$tmp/gw.log" 2>&1 &
g=$!; pids+=($g); wait_http "http://127.0.0.1:$gp/alive"
measure "gateway/$BROKER" "http://127.0.0.1:$gp" "$g" "${extra[@]}"
