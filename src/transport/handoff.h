// Handoff: a Channel's socket leaving for another owner — another process,
// when a MessagePort is transferred — without losing or repeating a byte.
// The socket travels with what its old owner had read from it but not
// delivered (a partial frame) and what it had queued for it but not
// written; the new owner's channel delivers the first before anything it
// reads and writes the second before anything it sends.
//
// Descriptors cannot travel as bytes: a socket cannot leave while a frame
// with descriptors is half-read or not yet begun to be written. check()
// says so before anything changes, so a message carrying several sockets
// either takes all of them or none.
//
// Thread rule: the channel's loop thread, between its callbacks (as the
// Channel itself). A SocketInTransit is a plain value.
#pragma once

#include <cstdint>
#include <span>

#include "transport/buffer.h"
#include "transport/channel.h"
#include "valence/base/unique_fd.h"

namespace valence::transport {

struct SocketInTransit {
  UniqueFd socket;
  Buffer unread;  // read from the socket, not yet delivered
  Buffer unsent;  // queued for the socket, not yet written (whole frames)
};

// What keeps a socket from leaving now (the caller words it for its users).
enum class HandoffBlocker : std::uint8_t {
  kNone,
  kDescriptorsToSend,    // a queued frame with descriptors has not begun
  kDescriptorsArriving,  // a partial frame's descriptors have arrived
};

class Handoff {
 public:
  // Writes what the socket takes now (never waits: the main process must not
  // block on a renderer), then says whether the socket may leave; nothing
  // else changes.
  static HandoffBlocker check(Channel& channel);
  // Takes the socket and its bytes; the channel is closed without delegate
  // calls. Only after check() said kNone.
  static SocketInTransit take(Channel& channel);
  // The new owner's side, before Channel::start(): `unread` comes before
  // anything read from the socket, `unsent` goes out before anything sent.
  static void resume(Channel& channel, std::span<const std::uint8_t> unread,
                     std::span<const std::uint8_t> unsent);
  // The socket alone: queued frames are dropped (an owner that let every
  // message out first, or whose unsent ones may go).
  static UniqueFd release_socket(Channel& channel);
};

}  // namespace valence::transport
