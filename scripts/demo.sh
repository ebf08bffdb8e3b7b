#!/usr/bin/env bash
# Builds valence and runs the demos:
#  1. the IPC tutorial's patterns between a C++ main process and a native C++
#     child in the renderer's place (send/on, invoke/handle, event.reply,
#     sendSync/returnValue, webContents.send with a reply);
#  2. renderer to renderer: main as a broker, then a MessageChannelMain whose
#     ports let two children talk directly;
#  3. a rich value sent from C++ to a real Node.js process over Node's IPC
#     channel and back (V8's wire format);
#  4. the seed apps in WebKitGTK windows, their preload.js, index.html and
#     renderer.js unchanged, from a gallery window that opens each in its own
#     window. With a display, the gallery opens for you (close it to end the
#     demo; VALENCE_DEMO_WALKTHROUGH=1 walks through it by itself instead).
#     Without one it runs on Xvfb by itself: opens every app from the gallery,
#     types, clicks and uses menus as a user would, prints the IPC
#     conversation and saves screenshots in BUILD/demo-screenshots.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build test web
build="${VALENCE_BUILD_DIR:-build}"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target ipc_patterns renderer_to_renderer codec_roundtrip \
  set_title ping_app open_file menu_counter legacy_patterns two_windows gallery
echo "== 1. IPC patterns: C++ main process <-> C++ child process =="
"$build/examples/ipc_patterns/ipc_patterns"
echo
echo "== 2. Renderer to renderer: brokered, then over a MessagePort =="
"$build/examples/renderer_to_renderer/renderer_to_renderer"
echo
echo "== 3. Values: C++ <-> Node.js over Node's advanced IPC channel =="
"$build/examples/codec_roundtrip/codec_roundtrip"
echo
echo "== 4. The seed apps in WebKitGTK windows, from the gallery =="
shots="$build/demo-screenshots"
if [ -n "${DISPLAY:-}" ] && [ "${VALENCE_DEMO_WALKTHROUGH:-0}" = 0 ] && [ "${CI:-}" != true ]; then
  echo "The gallery is open: open the apps from it; close it to end the demo."
  VALENCE_IPC_TRACE=1 "$build/examples/gallery/gallery"
elif [ -n "${DISPLAY:-}" ]; then
  scripts/web_walkthrough.sh "$build" "$shots"
else
  echo "(no display: on Xvfb, walking through every app by itself)"
  xvfb-run -a -s "-screen 0 1280x1024x24" scripts/web_walkthrough.sh "$build" "$shots"
fi
