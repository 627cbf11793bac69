#!/usr/bin/env bash
# Starts a throwaway redis-server on a free loopback port, runs the drain benchmark against it, stops it.
set -euo pipefail
cd "$(dirname "$0")"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" --daemonize no --loglevel warning &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
dotnet run -c Release -- "127.0.0.1:$port" "$@"
