#!/usr/bin/env bash
# Walks through the seed apps as a user would, on the current X display:
# starts the gallery (examples/gallery), opens each app from it, types,
# clicks and uses menus with xdotool, checks what the user sees, prints the
# IPC conversation (VALENCE_IPC_TRACE) and saves a screenshot of each window.
# Exits non-zero if an app misbehaves.
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
log=$(mktemp)
gallery_pid=""
cleanup() {
  [ -n "$gallery_pid" ] && pkill -P "$gallery_pid" 2>/dev/null || true
  [ -n "$gallery_pid" ] && kill "$gallery_pid" 2>/dev/null || true
  rm -f "$log"
}
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

# The conversation since line $1 of the log.
conversation() { tail -n +"$1" "$log" | grep -vE "a11y|^$|^\*\*" | sed 's/^/   /'; }

gallery=""
# open_app ROW TITLE: opens the gallery's app number ROW (its key) and
# prints the new window's id.
open_app() {
  xdotool windowfocus --sync "$gallery"
  xdotool key "$1"
  wait_window "$2"
}
# close_app WINDOW: ends the app that owns the window, and waits until its
# windows are gone (the next app may have the same title).
close_app() {
  local pid
  pid=$(xdotool getwindowpid "$1" 2>/dev/null || true)
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    xdotool getwindowname "$1" >/dev/null 2>&1 || break
    sleep 0.1
  done
  sleep 0.2
}

echo "-- the gallery --"
(cd "$build/examples/gallery" && exec ./gallery) >"$log" 2>&1 &
gallery_pid=$!
gallery=$(wait_window "valence gallery") || { echo "FAIL: the gallery did not open" >&2; exit 1; }
sleep 1
shot "$gallery" gallery.png

echo "-- set-title (pattern 1: ipcRenderer.send -> ipcMain.on) --"
start=$(($(wc -l <"$log") + 1))
if win=$(open_app 1 "Hello World!"); then
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
  conversation "$start"
  echo "   window title after clicking Set: '$title'"
  [ "$title" = "Hello from valence" ] || fail "set-title: the window title is '$title'"
  shot "$win" set-title.png
  close_app "$win"
else
  fail "set-title: no window appeared"
fi

echo "-- ping (pattern 2: ipcRenderer.invoke -> ipcMain.handle) --"
start=$(($(wc -l <"$log") + 1))
if win=$(open_app 2 "Hello from Electron renderer!"); then
  sleep 0.5
  xdotool windowfocus --sync "$win"
  xdotool key Tab space
  for _ in $(seq 50); do
    [ "$(tail -n +"$start" "$log" | grep -c "InvokeReply 'ping'")" -ge 2 ] && break
    sleep 0.1
  done
  sleep 0.3
  conversation "$start"
  shot "$win" ping.png
  [ "$(tail -n +"$start" "$log" | grep -c "InvokeReply 'ping'")" -ge 2 ] || fail "ping: main did not answer twice"
  tail -n +"$start" "$log" | grep -q "CONSOLE LOG Pong" || fail "ping: the page did not log Pong"
  close_app "$win"
else
  fail "ping: no window appeared"
fi

echo "-- open-file (pattern 2: invoke -> handle -> dialog.showOpenDialog) --"
start=$(($(wc -l <"$log") + 1))
pick="$shots/a file to open.txt"
echo "chosen in the demo" >"$pick"
if win=$(open_app 3 "Dialog"); then
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
    conversation "$start"
    tail -n +"$start" "$log" | grep -q "InvokeReply 'dialog:openFile' #1 \"$pick\"" ||
      fail "open-file: main did not answer with the picked file"
    shot "$win" open-file.png
  else
    fail "open-file: no file chooser appeared"
  fi
  close_app "$win"
else
  fail "open-file: no window appeared"
fi

echo "-- menu counter (pattern 3: Menu -> webContents.send; the page replies) --"
start=$(($(wc -l <"$log") + 1))
if win=$(open_app 4 "Menu Counter"); then
  sleep 0.5
  xdotool windowfocus --sync "$win"
  for _ in 1 2 3; do
    xdotool key F10
    sleep 0.2
    xdotool key Down Return   # the app menu's Increment
    sleep 0.3
  done
  sleep 0.5
  conversation "$start"
  shot "$win" menu-counter.png
  tail -n +"$start" "$log" | grep -qx 3 || fail "menu counter: main did not print 3"
  close_app "$win"
else
  fail "menu counter: no window appeared"
fi

echo "-- two windows (pattern 4: main as broker, then a MessagePort each) --"
start=$(($(wc -l <"$log") + 1))
if wa=$(open_app 5 "Window A") && wb=$(wait_window "Window B"); then
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
  conversation "$start"
  shot "$wb" two-windows-b.png
  [ "$(tail -n +"$start" "$log" | grep -c "main forwards")" -eq 1 ] ||
    fail "two windows: the direct message went through main"
  close_app "$wa"
else
  fail "two windows: the windows did not appear"
fi

echo "-- legacy ping-pong (001: asyncChannelToMain / asyncChannelToRenderer, nodeIntegration) --"
start=$(($(wc -l <"$log") + 1))
if win=$(open_app 6 "Hello World IPC"); then
  sleep 0.5
  xdotool windowfocus --sync "$win"
  xdotool key Tab space
  sleep 1
  conversation "$start"
  shot "$win" legacy-async.png
  tail -n +"$start" "$log" | grep -q "hello from renderer" || fail "legacy: main did not get the click's hello"
  tail -n +"$start" "$log" | grep -q "world from main" || fail "legacy: the page did not get main's world"
  close_app "$win"
else
  fail "legacy: no window appeared"
fi

echo "-- legacy sendSync (001: syncChannelToMain, event.returnValue) --"
start=$(($(wc -l <"$log") + 1))
if win=$(open_app 7 "Hello World IPC"); then
  sleep 0.5
  xdotool windowfocus --sync "$win"
  xdotool key Tab space
  sleep 1
  conversation "$start"
  tail -n +"$start" "$log" | grep -q "CONSOLE LOG world from main" || fail "legacy sync: no 'world from main'"
  close_app "$win"
else
  fail "legacy sync: no window appeared"
fi

echo "-- remote module (004: mapNumbers, a window the page opens, sharedObject) --"
start=$(($(wc -l <"$log") + 1))
if win=$(open_app 8 "The remote module"); then
  sleep 0.5
  # (Before the page opens a window: with no window manager, it would
  # cover this one.)
  shot "$win" remote.png
  xdotool windowfocus --sync "$win"
  xdotool key Tab space
  if opened=$(wait_window "opened from the page"); then
    shot "$opened" remote-opened.png
  else
    fail "remote: new BrowserWindow from the page opened no window"
  fi
  conversation "$start"
  tail -n +"$start" "$log" | grep -q "CONSOLE LOG ,, 2,3,4" ||
    fail "remote: the seed's console.log did not print [undefined x3] [2, 3, 4]"
  close_app "$win"
else
  fail "remote: no window appeared"
fi

echo "-- remote RMI (001: the page's own require('electron').remote) --"
start=$(($(wc -l <"$log") + 1))
if win=$(open_app 9 "RMI"); then
  sleep 0.5
  shot "$win" rmi.png
  xdotool windowfocus --sync "$win"
  xdotool key Tab space
  count=0
  for _ in $(seq 50); do
    count=$( (xdotool search --name "^RMI\$" 2>/dev/null || true) | wc -l)
    [ "$count" -ge 2 ] && break
    sleep 0.1
  done
  echo "   RMI windows after clicking 'new window': $count"
  [ "$count" -ge 2 ] || fail "rmi: 'new window' opened no second window"
  second=$( (xdotool search --name "^RMI\$" 2>/dev/null || true) | grep -vx "$win" | head -n 1)
  [ -n "$second" ] && shot "$second" rmi-new-window.png
  # 'quit' (the button after 'new window', which has the focus): app.quit()
  # from the page ends the program.
  xdotool windowfocus --sync "$win"
  xdotool key Tab space
  for _ in $(seq 50); do
    count=$( (xdotool search --name "^RMI\$" 2>/dev/null || true) | wc -l)
    [ "$count" -eq 0 ] && break
    sleep 0.1
  done
  conversation "$start"
  [ "$count" -eq 0 ] || { fail "rmi: 'quit' left $count windows"; close_app "$win"; }
else
  fail "rmi: no window appeared"
fi

[ "$failures" -eq 0 ] && echo "walkthrough: all apps behaved" || exit 1
