// The GLib backend of EventLoop: watches, timers and posted tasks become
// sources on GLib's default main context, so valence shares one loop with
// GTK (the main process) and with WebKit (the web process).
//
// Thread safety: as EventLoop — loop-affine except post(). The loop must be
// created and used on the thread that owns the default main context.
#pragma once

#include <memory>

#include "valence/event_loop.h"

namespace valence {

// run() runs a GMainLoop on the default context (nested run() calls work:
// each has its own GMainLoop; quit() ends the innermost). In a process where
// someone else runs the context (WebKit's web process), never call run():
// the sources fire from their loop.
//
// Differences from the epoll loop that callers may notice: while an fd
// watch's callback runs a nested run(), that watch does not fire (GLib does
// not re-enter a source; timers, tasks and other watches do fire), and
// run_once() may return early without running anything when GLib woke the
// context for its own bookkeeping (callers loop on run_once() anyway).
std::unique_ptr<EventLoop> create_glib_loop();

}  // namespace valence
