#!/usr/bin/env bash
# Builds bench/NetDsl.PeerBenchmarks and runs the NetDsl / TorchSharp / ONNX Runtime comparison at 1 and 2 threads;
# writes bench/RESULTS.md. About 2-4 minutes after the first restore (TorchSharp-cpu is ~600 MB).
# Usage: bench/run-peers.sh [--quick]     (--quick: short timing blocks, a smoke test, written to /tmp/RESULTS.quick.md)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
project="$here/NetDsl.PeerBenchmarks/NetDsl.PeerBenchmarks.csproj"

export PEERS_LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg | sed 's/ /, /g')"
echo "load average before the build: $PEERS_LOAD_BEFORE (2 cores: results are only meaningful near 0)"

# Not part of NetDsl.sln on purpose: build it by path.
dotnet build "$project" -c Release -nologo -v quiet
commit="$(git -C "$repo" rev-parse --short HEAD)"
if ! git -C "$repo" diff --quiet HEAD -- src generators; then commit="$commit+uncommitted"; fi
export NETDSL_COMMIT="$commit"

# Tier methods up as soon as they are hot, so the warm-up reaches steady-state (tier-1, PGO) code quickly even while
# the peers keep the JIT busy; steady-state code is the same as with the default delay.
export DOTNET_TC_CallCountingDelayMs=0
# The malloc thresholds are raised by mallopt inside the program (see NativeSetup.cs), before TorchSharp's first call.

dll="$(dirname "$project")/bin/Release/net10.0/NetDsl.PeerBenchmarks.dll"
out="$here/RESULTS.md"
if [[ "${1:-}" == "--quick" ]]; then out="${TMPDIR:-/tmp}/RESULTS.quick.md"; fi
dotnet "$dll" --out "$out" "$@" > /dev/null
echo "wrote $out"
