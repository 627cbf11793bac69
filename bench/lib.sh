# Shared by the bench scripts (sourced; expects $root, the repository root): loopback ports, waiting for a
# service, reading wrk's RESULT line, and the signed-webhook environment bench/webhook.lua reads.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 100); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "bench: $1 did not come up"; exit 1; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "bench: port $1 did not open"; exit 1; }
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }   # RESULT line, key -> value

# Redis as production runs it: append-only file, fsync every second. The automatic AOF rewrite is deferred past
# 4 GB: a load phase's backlog only grows (no worker consumes during it), so the rewrite child would re-serialize the
# whole backlog every time the file doubled (measured: ~23% of the machine's CPU during a gateway run), work that a
# consumed queue, whose live data stays small, does not have. Durability is the same: every write is in the AOF.
REDIS_BENCH_ARGS=(--save "" --appendonly yes --appendfsync everysec --auto-aof-rewrite-min-size 4gb)

export BENCH_WEBHOOK_SECRET="bench-secret-$(date +%s)"
export BENCH_BODY_FILE="$root/bench/payloads/pull_request.opened.json"
export BENCH_SIGNATURE="sha256=$(openssl dgst -sha256 -hmac "$BENCH_WEBHOOK_SECRET" -hex <"$BENCH_BODY_FILE" | awk '{print $NF}')"
export Logging__LogLevel__Default=Warning
export DOTNET_gcServer=1
