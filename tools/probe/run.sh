#!/usr/bin/env bash
# Starts a throwaway headless neko (temporary data folder, spare ports),
# probes it with tools/probe and stops it. Exit code is the probe's: 0 clean,
# 1 findings, 2 could not run. `make probe` runs this after `make build`.
#
#   tools/probe/run.sh [extra probe flags…]
#
# Environment: NEKO_BIN (default build/bin/neko), PROBE_PORT_BASE (default
# 49900: main = base+11, memory = +12, agent = +15, ZeroMQ = +61..63).
set -euo pipefail
cd "$(dirname "$0")/../.."

BIN="${NEKO_BIN:-build/bin/neko}"
BASE="${PROBE_PORT_BASE:-49900}"
MAIN=$((BASE + 11)) MEM=$((BASE + 12)) AGENT=$((BASE + 15))
if [[ ! -x "$BIN" ]]; then
	echo "probe: $BIN not built (run make build)" >&2
	exit 2
fi
DATA="$(mktemp -d "${TMPDIR:-/tmp}/neko-probe-data.XXXXXX")"
LOG="$DATA.log"
"$BIN" serve -data "$DATA" -main-port "$MAIN" -memory-port "$MEM" -agent-port "$AGENT" \
	-zmq-session-port $((BASE + 61)) -zmq-agent-port $((BASE + 62)) -zmq-analyze-port $((BASE + 63)) >"$LOG" 2>&1 &
PID=$!
cleanup() {
	kill "$PID" 2>/dev/null || true
	wait "$PID" 2>/dev/null || true
	rm -rf "$DATA"
}
trap cleanup EXIT

for _ in $(seq 1 150); do
	if curl -fsS "http://127.0.0.1:$MAIN/health" >/dev/null 2>&1; then break; fi
	if ! kill -0 "$PID" 2>/dev/null; then
		echo "probe: neko exited during startup; log:" >&2
		cat "$LOG" >&2
		exit 2
	fi
	sleep 0.2
done

set +e
go run ./tools/probe -url "http://127.0.0.1:$MAIN" -memory-url "http://127.0.0.1:$MEM" -agent-url "http://127.0.0.1:$AGENT" \
	-plant 'POST /api/config/core_api' -data "$DATA" -ws /ws/nekoprobe "$@"
code=$?
set -e
rm -f "$LOG"
exit "$code"
