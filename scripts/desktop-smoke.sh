#!/usr/bin/env bash
# Desktop smoke test: the real Wails window under Xvfb in a D-Bus session.
#  1. it starts, its three /health endpoints answer, and a window appears;
#  2. the tray registers a StatusNotifierItem with its menu;
#  3. a second launch does not start a second instance;
#  4. the tray's Quit exits the app cleanly within 2 s, servers stopped in order;
#  5. tray switches (mute mic/voice, voice only, start in tray) apply and
#     are saved; the avatar is drawn (WebGL);
#  6. a run started in the tray keeps its window unmapped;
#  7. a pet run with click-through has an input shape of only the drag
#     handle until the tray turns it off, and quits cleanly on SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${NEKO_SMOKE_IN_DBUS:-}" ]; then
  export NEKO_SMOKE_IN_DBUS=1
  exec dbus-run-session -- "$0" "$@"
fi
export GOFLAGS=-buildvcs=false
bin=build/bin/neko-desktop
CGO_ENABLED=1 go build -tags desktop,production,webkit2_41 -o "$bin" .
go build -o build/bin/traycheck ./tools/traycheck

work=$(mktemp -d)
xvfb_pid=""
cleanup() { [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null; pkill -f "$work/data" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
display=:$((90 + RANDOM % 100))
Xvfb "$display" +extension GLX -screen 0 1280x800x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done
export DISPLAY=$display

start_app() { # $1: run name; the other args go to neko
  local run=$1; shift
  "$bin" --data "$work/data" "$@" >"$work/$run.out" 2>"$work/$run.err" &
  echo $! >"$work/$run.pid"
  for _ in $(seq 300); do
    grep -q '"event":"startup_ready"' "$work/$run.out" && return 0
    kill -0 "$(cat "$work/$run.pid")" 2>/dev/null || break
    sleep 0.1
  done
  echo "smoke: $run did not become ready"; cat "$work/$run.out" "$work/$run.err"; exit 1
}
port() { grep -m1 '"event":"startup_ready"' "$work/$1.out" | sed "s/.*\"$2\":\([0-9]*\).*/\1/"; }
wait_exit() { # $1 pid, $2 tenths of a second
  for _ in $(seq "$2"); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  return 1
}
check_shutdown() {
  grep -q 'msg="server stopped" component=services service=main' "$work/$1.err" &&
    grep -q 'msg="server stopped" component=services service=agent' "$work/$1.err" ||
    { echo "smoke: no ordered shutdown in the $1 log"; cat "$work/$1.err"; exit 1; }
}

# Run A: health, window, tray, second instance, quit through the tray.
start_app a --main-port 0 --memory-port 0 --agent-port 0 --zmq-session-port 0 --zmq-agent-port 0 --zmq-analyze-port 0
pid=$(cat "$work/a.pid")
for svc in main memory agent; do
  p=$(port a "$svc")
  curl -fsS "http://127.0.0.1:$p/health" | grep -q "\"service\":\"$svc\"" || { echo "smoke: bad $svc health"; exit 1; }
  echo "smoke: $svc healthy on port $p"
done
for _ in $(seq 100); do xdotool search --name 'N.E.K.O' >/dev/null 2>&1 && break; sleep 0.1; done
xdotool search --name 'N.E.K.O' >/dev/null || { echo "smoke: no window titled N.E.K.O"; cat "$work/a.err"; exit 1; }
echo "smoke: window is up"
# The window is not blank: its region holds the page (many colours), kept as an artefact.
go build -o build/bin/xshot ./tools/xshot
wid=$(xdotool search --name 'N.E.K.O' | head -1)
eval "$(xdotool getwindowgeometry --shell "$wid")"
mkdir -p build/test-artifacts
shot_ok=""
for _ in $(seq 40); do
  if build/bin/xshot -x "$X" -y "$Y" -w "$WIDTH" -h "$HEIGHT" -o build/test-artifacts/desktop-window.png -min-colours 64 >/dev/null 2>&1; then shot_ok=1; break; fi
  sleep 0.25
done
[ -n "$shot_ok" ] || { echo "smoke: the window stayed blank"; cat "$work/a.err"; exit 1; }
echo "smoke: window shows the page"
# The avatar (WebGL) is drawn: the stage (left part of the window, below the
# nav bar) differs from its background over a real area, not only the page.
avatar_ok=""
for _ in $(seq 120); do
  if build/bin/xshot -x "$X" -y "$Y" -w "$WIDTH" -h "$HEIGHT" -o build/test-artifacts/desktop-window.png \
    -region 5,10,55,85 -min-differ 0.03 >"$work/avatar.log" 2>&1; then avatar_ok=1; break; fi
  sleep 0.25
done
cat "$work/avatar.log"
[ -n "$avatar_ok" ] || { echo "smoke: the avatar never appeared in the window"; cat "$work/a.err"; exit 1; }
echo "smoke: the avatar is drawn (build/test-artifacts/desktop-window.png)"
build/bin/traycheck -pid "$pid"

# Tray switches: each is a checkbox, reaches the main server (which applies
# it to the sessions) and is saved in config/desktop.json.
poll() { for _ in $(seq 50); do eval "$1" && return 0; sleep 0.1; done; return 1; }
controls() { curl -fsS "http://127.0.0.1:$(port a main)/api/desktop/controls"; }
for sw in "Mute microphone:mic_muted" "Mute voice:voice_muted"; do
  label=${sw%%:*} key=${sw#*:}
  build/bin/traycheck -pid "$pid" -unchecked "$label" -click "$label" >/dev/null
  poll "controls | grep -q '\"$key\":true'" || { echo "smoke: $label did not reach the server: $(controls)"; exit 1; }
  build/bin/traycheck -pid "$pid" -checked "$label" >/dev/null
  poll "grep -q '\"$key\": true' '$work/data/config/desktop.json'" || { echo "smoke: $label not saved"; cat "$work/data/config/desktop.json"; exit 1; }
  echo "smoke: tray '$label' applied and saved"
done
build/bin/traycheck -pid "$pid" -click "Voice only" >/dev/null
poll "! xdotool search --onlyvisible --name 'N.E.K.O' >/dev/null 2>&1" || { echo "smoke: voice-only left the window visible"; exit 1; }
poll "controls | grep -q '\"voice_only\":true'" || { echo "smoke: voice-only did not reach the server: $(controls)"; exit 1; }
build/bin/traycheck -pid "$pid" -click "Voice only" >/dev/null
poll "xdotool search --onlyvisible --name 'N.E.K.O' >/dev/null 2>&1" || { echo "smoke: the window did not come back after voice-only"; exit 1; }
echo "smoke: voice-only hides the window and leaving it shows it again"
build/bin/traycheck -pid "$pid" -unchecked "Start in tray" -click "Start in tray" >/dev/null
poll "grep -q '\"start_minimised\": true' '$work/data/config/desktop.json'" || { echo "smoke: start in tray not saved"; exit 1; }

ports=(--main-port "$(port a main)" --memory-port "$(port a memory)" --agent-port "$(port a agent)"
  --zmq-session-port "$(port a zmq_session_pub)" --zmq-agent-port "$(port a zmq_agent_push)" --zmq-analyze-port "$(port a zmq_analyze_push)")
"$bin" --data "$work/data" "${ports[@]}" >"$work/b.out" 2>"$work/b.err" &
second=$!
wait_exit "$second" 150 || { echo "smoke: a second launch kept running"; kill "$second"; exit 1; }
grep -q '"attached":true' "$work/b.out" || { echo "smoke: the second launch did not attach"; cat "$work/b.out" "$work/b.err"; exit 1; }
kill -0 "$pid" || { echo "smoke: the first instance died"; exit 1; }
[ "$(xdotool search --name 'N.E.K.O' | wc -l)" -ge 1 ] || exit 1
echo "smoke: a second launch attached to the running instance and exited"

build/bin/traycheck -pid "$pid" -click Quit
wait_exit "$pid" 100 || { echo "smoke: Quit from the tray did not exit within 10 s"; cat "$work/a.err"; exit 1; }
check_shutdown a
echo "smoke: Quit from the tray exited cleanly"

# Run D: started in the tray (saved by run A): the tray registers, the
# window stays unmapped, and the tray switches saved by run A apply.
start_app d --main-port 0 --memory-port 0 --agent-port 0 --zmq-session-port 0 --zmq-agent-port 0 --zmq-analyze-port 0
pid=$(cat "$work/d.pid")
build/bin/traycheck -pid "$pid" -checked "Start in tray" >/dev/null
poll "grep -q 'msg=\"window ready\".*hidden=true' '$work/d.err'" || { echo "smoke: the window did not start hidden"; cat "$work/d.err"; exit 1; }
if xdotool search --onlyvisible --name 'N.E.K.O' >/dev/null 2>&1; then echo "smoke: start in tray showed the window"; exit 1; fi
echo "smoke: started in the tray with the window unmapped"
poll "curl -fsS http://127.0.0.1:$(port d main)/api/desktop/controls | grep -q '\"mic_muted\":true,\"voice_muted\":true'" ||
  { echo "smoke: saved tray switches not applied at start"; exit 1; }
echo "smoke: saved tray switches applied at start"
# A settings page opened from the tray shows the window, and its page load
# does not hide it again.
build/bin/traycheck -pid "$pid" -click Characters >/dev/null
poll "xdotool search --onlyvisible --name 'N.E.K.O' >/dev/null 2>&1" || { echo "smoke: the settings page did not show the window"; exit 1; }
sleep 1
xdotool search --onlyvisible --name 'N.E.K.O' >/dev/null 2>&1 || { echo "smoke: the window hid itself after the settings page loaded"; exit 1; }
echo "smoke: a settings page from the tray shows the window and it stays"
build/bin/traycheck -pid "$pid" -click Quit >/dev/null
wait_exit "$pid" 100 || { echo "smoke: Quit from the tray did not exit within 10 s (started in tray)"; cat "$work/d.err"; exit 1; }
check_shutdown d

# Run C: pet mode with click-through (Linux: only the drag handle takes
# clicks), the tray item turns it off; SIGTERM quits cleanly.
printf '{"mode":"pet","click_through":true}' >"$work/data/config/desktop.json"
# A window below the pet records the clicks that pass through it.
xev -geometry 1280x800+0+0 -event button >"$work/below.log" 2>&1 &
below=$!
poll "xdotool search --name 'Event Tester' >/dev/null 2>&1" || { echo "smoke: xev did not start"; exit 1; }
start_app c --main-port 0 --memory-port 0 --agent-port 0 --zmq-session-port 0 --zmq-agent-port 0 --zmq-analyze-port 0
pid=$(cat "$work/c.pid")
poll "grep -q 'msg=\"window ready\".*click_through=true' '$work/c.err'" || { echo "smoke: pet window not ready"; cat "$work/c.err"; exit 1; }
wid=$(xdotool search --onlyvisible --name 'N.E.K.O' | head -1)
[ -n "$wid" ] || { echo "smoke: no visible pet window"; exit 1; }
poll "build/bin/xshot -input-of $wid -max-input-area 4000 >'$work/shape.log' 2>&1" || { cat "$work/shape.log"; echo "smoke: click-through left the window clickable"; exit 1; }
tail -1 "$work/shape.log"
eval "$(xdotool getwindowgeometry --shell "$wid")"
pet_ok=""
for _ in $(seq 120); do
  if build/bin/xshot -x "$X" -y "$Y" -w "$WIDTH" -h "$HEIGHT" -o build/test-artifacts/desktop-pet.png \
    -region 10,5,80,90 -min-differ 0.03 >"$work/pet.log" 2>&1; then pet_ok=1; break; fi
  sleep 0.25
done
cat "$work/pet.log"
[ -n "$pet_ok" ] || { echo "smoke: the pet window shows no avatar"; exit 1; }
echo "smoke: the pet window draws the avatar (build/test-artifacts/desktop-pet.png)"
click_at() { xdotool mousemove "$((X + WIDTH / 2))" "$((Y + HEIGHT / 2))" click 1; }
click_at
poll "grep -q ButtonPress '$work/below.log'" || { echo "smoke: a click on the click-through pet did not reach the window below"; exit 1; }
echo "smoke: a click on the pet reached the window below"
presses=$(grep -c ButtonPress "$work/below.log")
xdotool mousemove "$((X + WIDTH / 2))" "$((Y + 10))" click 1 # the drag handle stays the pet's
sleep 0.3
[ "$(grep -c ButtonPress "$work/below.log")" = "$presses" ] || { echo "smoke: a click on the drag handle went through"; exit 1; }
echo "smoke: the drag handle still takes clicks"
build/bin/traycheck -pid "$pid" -checked "Click-through" -click "Click-through" >/dev/null
poll "build/bin/xshot -input-of $wid -min-input-area 100000 >'$work/shape.log' 2>&1" || { cat "$work/shape.log"; echo "smoke: turning click-through off did not restore input"; exit 1; }
tail -1 "$work/shape.log"
presses=$(grep -c ButtonPress "$work/below.log")
click_at
sleep 0.3
[ "$(grep -c ButtonPress "$work/below.log")" = "$presses" ] || { echo "smoke: with click-through off a click still went through"; exit 1; }
kill "$below" 2>/dev/null || true
echo "smoke: pet click-through: only the drag handle takes clicks, and the tray turns it off"
kill -TERM "$pid"
wait_exit "$pid" 100 || { echo "smoke: neko did not exit within 10 s of SIGTERM"; kill -9 "$pid"; cat "$work/c.err"; exit 1; }
check_shutdown c
echo "smoke: SIGTERM exited cleanly"
