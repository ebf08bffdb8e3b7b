// Flush-then-close: a channel whose owner is done with it still writes what
// it queued, then closes. A port closed (or dropped) right after posting
// keeps Electron's promise that those messages arrive; waiting would block
// the loop, so the channel lingers on it instead.
//
// Thread rule: the channel's loop thread; `closed` runs on it.
#pragma once

#include "transport/channel.h"
#include "valence/base/unique_function.h"

namespace valence::transport {

// Stops reading, writes what is queued, then closes, without delegate calls
// except on_channel_error if writing fails; calls `closed` once the socket is
// closed either way (at once when nothing is queued). The owner keeps the
// channel alive until then and frees it from the loop, not from `closed`
// (the channel may still be on the stack).
void close_when_flushed(Channel& channel, UniqueFunction<void()> closed);

}  // namespace valence::transport
