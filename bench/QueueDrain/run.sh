#!/usr/bin/env bash
# Starts a throwaway broker on a free loopback port, runs the drain benchmark against it, stops it.
# BACKEND=redis (default) runs redis-server; BACKEND=nats runs nats-server with JetStream (file storage).
set -euo pipefail
cd "$(dirname "$0")"
backend=${BACKEND:-redis}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
if [ "$backend" = nats ]; then
  nats-server -a 127.0.0.1 -p "$port" -js -sd "$dir" >"$dir/nats.log" 2>&1 &
else
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" --daemonize no --loglevel warning &
fi
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do
  if [ "$backend" = nats ]; then (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  else redis-cli -p "$port" ping >/dev/null 2>&1 && break; fi
  sleep 0.1
done
if [ "$backend" = nats ]; then address="nats://127.0.0.1:$port"; else address="127.0.0.1:$port"; fi
dotnet run -c Release -- "$address" "$@"
