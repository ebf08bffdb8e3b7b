#!/usr/bin/env bash
# Runs the seed apps (examples/set_title, examples/ping) as a user would, on
# the current X display: starts each program, types and clicks with xdotool,
# checks what the user sees, prints the IPC conversation (VALENCE_IPC_TRACE)
# and saves a screenshot of each window. Exits non-zero if an app misbehaves.
#   scripts/web_walkthrough.sh BUILD_DIR SCREENSHOT_DIR
# Needs DISPLAY (run it under xvfb-run when there is none), xdotool, and
# imagemagick's `import` for the screenshots.
set -euo pipefail
build=$(cd "$1" && pwd)
shots=$2
mkdir -p "$shots"
shots=$(cd "$shots" && pwd)
export NO_AT_BRIDGE=1 GSETTINGS_BACKEND=memory VALENCE_IPC_TRACE=1 VALENCE_CONSOLE=1
failures=0
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# wait_window NAME: the id of the first window titled NAME (15 s at most).
wait_window() {
  local id=""
  for _ in $(seq 150); do
    id=$(xdotool search --name "^$1\$" 2>/dev/null | head -n 1 || true)
    [ -n "$id" ] && { echo "$id"; return 0; }
    sleep 0.1
  done
  return 1
}

# shot WINDOW FILE: the window's contents, under a bar showing its real
# title (Xvfb has no window manager to draw one).
shot() {
  command -v import >/dev/null || return 0
  import -window "$1" "$shots/$2" || return 0
  local font
  font=$(fc-match -f '%{file}' sans 2>/dev/null || true)
  convert "$shots/$2" -background '#2d2d2d' -gravity north -splice 0x32 -fill white \
    ${font:+-font "$font"} -pointsize 15 -annotate +0+8 "$(xdotool getwindowname "$1")" "$shots/$2"
  echo "   screenshot: $shots/$2"
}

echo "-- set-title (pattern 1: ipcRenderer.send -> ipcMain.on) --"
(cd "$build/examples/set_title" && exec ./set_title) &
pids+=($!)
if win=$(wait_window "Hello World!"); then
  sleep 0.5
  xdotool windowfocus --sync "$win"
  xdotool key Tab
  xdotool type --delay 30 "Hello from valence"
  xdotool key Tab space
  title=""
  for _ in $(seq 50); do
    title=$(xdotool getwindowname "$win")
    [ "$title" = "Hello from valence" ] && break
    sleep 0.1
  done
  echo "   window title after clicking Set: '$title'"
  [ "$title" = "Hello from valence" ] || fail "set-title: the window title is '$title'"
  shot "$win" set-title.png
else
  fail "set-title: no window appeared"
fi
kill "${pids[-1]}" 2>/dev/null || true

echo "-- ping (pattern 2: ipcRenderer.invoke -> ipcMain.handle) --"
log=$(mktemp)
(cd "$build/examples/ping" && exec ./ping) >"$log" 2>&1 &
pids+=($!)
if win=$(wait_window "Hello from Electron renderer!"); then
  sleep 0.5
  xdotool windowfocus --sync "$win"
  xdotool key Tab space
  for _ in $(seq 50); do
    [ "$(grep -c "InvokeReply 'ping'" "$log")" -ge 2 ] && break
    sleep 0.1
  done
  sleep 0.3
  shot "$win" ping.png
  cat "$log" | sed 's/^/   /'
  [ "$(grep -c "InvokeReply 'ping'" "$log")" -ge 2 ] || fail "ping: main did not answer twice"
  grep -q "CONSOLE LOG Pong" "$log" || fail "ping: the page did not log Pong"
else
  fail "ping: no window appeared"
fi
rm -f "$log"

echo "-- open-file (pattern 2: invoke -> handle -> dialog.showOpenDialog) --"
pick="$shots/a file to open.txt"
echo "chosen in the demo" >"$pick"
(cd "$build/examples/open_file" && exec ./open_file) &
pids+=($!)
if win=$(wait_window "Dialog"); then
  sleep 0.5
  xdotool windowfocus --sync "$win"
  xdotool key Tab space
  if chooser=$(wait_window "Open File"); then
    sleep 0.5
    xdotool windowfocus --sync "$chooser"
    shot "$chooser" open-file-dialog.png
    xdotool key ctrl+l
    sleep 0.3
    xdotool type --delay 10 "$pick"
    sleep 0.3
    xdotool key Return
    sleep 1
    shot "$win" open-file.png
  else
    fail "open-file: no file chooser appeared"
  fi
else
  fail "open-file: no window appeared"
fi
kill "${pids[-1]}" 2>/dev/null || true

echo "-- menu counter (pattern 3: Menu -> webContents.send; the page replies) --"
log=$(mktemp)
(cd "$build/examples/menu_counter" && exec ./menu_counter reply) >"$log" 2>&1 &
pids+=($!)
if win=$(wait_window "Menu Counter"); then
  sleep 0.5
  xdotool windowfocus --sync "$win"
  for _ in 1 2 3; do
    xdotool key F10
    sleep 0.2
    xdotool key Down Return   # the app menu's Increment
    sleep 0.3
  done
  sleep 0.5
  shot "$win" menu-counter.png
  grep -E "counter-value|^[0-9-]+$" "$log" | sed 's/^/   /'
  grep -qx 3 "$log" || fail "menu counter: main did not print 3"
else
  fail "menu counter: no window appeared"
fi
rm -f "$log"
kill "${pids[-1]}" 2>/dev/null || true

echo "-- legacy ping-pong (001: asyncChannelToMain / asyncChannelToRenderer, nodeIntegration) --"
log=$(mktemp)
(cd "$build/examples/legacy" && exec ./legacy_patterns async) >"$log" 2>&1 &
pids+=($!)
if win=$(wait_window "Hello World IPC"); then
  sleep 0.5
  xdotool windowfocus --sync "$win"
  xdotool key Tab space
  sleep 1
  shot "$win" legacy-async.png
  grep -E "from (main|renderer)|\[ipc\]" "$log" | sed 's/^/   /'
  grep -q "hello from renderer" "$log" || fail "legacy: main did not get the click's hello"
  grep -q "world from main" "$log" || fail "legacy: the page did not get main's world"
else
  fail "legacy: no window appeared"
fi
rm -f "$log"
kill "${pids[-1]}" 2>/dev/null || true

echo "-- two windows (pattern 4: main as broker, then a MessagePort each) --"
log=$(mktemp)
(cd "$build/examples/two_windows" && exec ./two_windows) >"$log" 2>&1 &
pids+=($!)
if wa=$(wait_window "Window A") && wb=$(wait_window "Window B"); then
  sleep 1
  xdotool windowfocus --sync "$wa"
  xdotool key Tab Tab space        # "Send through main"
  sleep 0.5
  title_b=$(xdotool getwindowname "$wb")
  echo "   B after 'Send through main': $title_b"
  [ "$title_b" = "Window B: via main: A says hello" ] || fail "two windows: broker: '$title_b'"
  xdotool key Tab space            # "Send directly"
  sleep 0.5
  title_b=$(xdotool getwindowname "$wb")
  echo "   B after 'Send directly':     $title_b"
  [ "$title_b" = "Window B: direct: A says hello" ] || fail "two windows: port: '$title_b'"
  shot "$wb" two-windows-b.png
  grep "main forwards" "$log" | sed 's/^/   /'
  [ "$(grep -c "main forwards" "$log")" -eq 1 ] || fail "two windows: the direct message went through main"
else
  fail "two windows: the windows did not appear"
fi
rm -f "$log"
kill "${pids[-1]}" 2>/dev/null || true

[ "$failures" -eq 0 ] && echo "walkthrough: all apps behaved" || exit 1
