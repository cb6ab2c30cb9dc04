#!/usr/bin/env bash
# Runs every benchmark and prints one table: the start-up figures of the
# headless binary, then each Go benchmark with its ns/op, allocations and the
# custom metrics it reports (p50/p99, ×realtime, ratios against sox, …).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS=-buildvcs=false
out=$(mktemp)
trap 'rm -f "$out"' EXIT

echo "## neko benchmarks ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(go version | cut -d' ' -f3))"
echo
echo "| what | figure | note |"
echo "|---|---|---|"
go run ./tools/benchstartup -bin build/bin/neko -runs "${STARTUP_RUNS:-10}"
echo
CGO_ENABLED=1 go test -run '^$' -bench "${BENCH:-.}" -benchmem -benchtime "${BENCHTIME:-1s}" -timeout 45m ./... 2>&1 | tee "$out" >/dev/null || {
  grep -E '^(FAIL|panic|---)' "$out" || true; echo "bench: a benchmark failed"; exit 1; }
echo "| package | benchmark | figures |"
echo "|---|---|---|"
awk '
  /^pkg: / { pkg = $2; sub(/^neko\//, "", pkg) }
  /^Benchmark/ {
    name = $1; sub(/-[0-9]+$/, "", name)
    figs = ""
    for (i = 3; i < NF; i += 2) figs = figs (figs == "" ? "" : ", ") $i " " $(i+1)
    printf "| %s | %s | %s |\n", pkg, name, figs
  }' "$out"
