#!/usr/bin/env bash
# Regenerates the committed deployment files from the app model (Aof.AppHost/Program.cs).
# A test (Aof.Tests/Deployment/CommittedOutputsTests) fails when they are stale: run this after changing the model.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build Aof.AppHost -v q -nologo >/dev/null
apphost=(dotnet Aof.AppHost/bin/Debug/net10.0/Aof.AppHost.dll)
"${apphost[@]}" --publisher manifest --output-path deploy/manifest/aspire-manifest.json
"${apphost[@]}" --publisher kubernetes --queue redis --output-path deploy/kubernetes/redis
"${apphost[@]}" --publisher kubernetes --queue nats --output-path deploy/kubernetes/nats
"${apphost[@]}" --publisher helm --output-path deploy/helm/aof
