#!/usr/bin/env bash
# Desktop smoke test: the real Wails window under Xvfb with a D-Bus session.
# It must start, answer /health on all three servers, show a window, and quit
# cleanly on SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS=-buildvcs=false
bin=build/bin/neko-desktop
CGO_ENABLED=1 go build -tags desktop,production,webkit2_41 -o "$bin" .

work=$(mktemp -d)
trap 'kill $xvfb_pid 2>/dev/null || true; rm -rf "$work"' EXIT
display=:$((90 + RANDOM % 100))
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done

DISPLAY=$display dbus-run-session -- "$bin" --data "$work/data" --main-port 0 --memory-port 0 --agent-port 0 \
  --zmq-session-port 0 --zmq-agent-port 0 --zmq-analyze-port 0 >"$work/out.log" 2>"$work/err.log" &
runner=$!

ready=""
for _ in $(seq 300); do
  ready=$(grep -m1 '"event":"startup_ready"' "$work/out.log" || true)
  [ -n "$ready" ] && break
  kill -0 $runner 2>/dev/null || break
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "smoke: the desktop app did not become ready"; cat "$work/out.log" "$work/err.log"; exit 1
fi
pid=$(grep -m1 '"event":"startup_begin"' "$work/out.log" | sed 's/.*"pid":\([0-9]*\).*/\1/')
port() { echo "$ready" | sed "s/.*\"$1\":\([0-9]*\).*/\1/"; }
for svc in main memory agent; do
  p=$(port "$svc")
  body=$(curl -fsS "http://127.0.0.1:$p/health")
  echo "$body" | grep -q "\"service\":\"$svc\"" || { echo "smoke: bad $svc health: $body"; exit 1; }
  echo "smoke: $svc healthy on port $p"
done
# The window exists on the X display.
for _ in $(seq 100); do
  if DISPLAY=$display xdotool search --name 'N.E.K.O' >/dev/null 2>&1; then break; fi
  sleep 0.1
done
DISPLAY=$display xdotool search --name 'N.E.K.O' >/dev/null || { echo "smoke: no window titled N.E.K.O"; cat "$work/err.log"; exit 1; }
echo "smoke: window is up"

kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
  echo "smoke: neko did not exit within 10 s of SIGTERM"; kill -9 "$pid"; cat "$work/err.log"; exit 1
fi
wait $runner || { echo "smoke: exit status $?"; cat "$work/err.log"; exit 1; }
grep -q 'service=main' "$work/err.log" && grep -q 'msg="server stopped" component=services service=agent' "$work/err.log" \
  || { echo "smoke: no ordered shutdown in the log"; cat "$work/err.log"; exit 1; }
echo "smoke: desktop app quit cleanly"
