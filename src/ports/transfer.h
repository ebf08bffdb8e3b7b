// Moving MessagePorts inside a message (kPostMessage over an IPC connection,
// kPortMessage over a port). Body: [message, [[prefix, unsent, entangle id]...]],
// one record per transferred port, its PendingPort (ports/pending_port.h):
// bytes already read from its socket and not yet delivered, bytes queued for
// its socket and not yet written (both ArrayBuffers), and the id its partner
// shares; the frame's descriptors are the ports' sockets in the same order.
// Thread safety: loop-affine (ports belong to a loop).
#pragma once

#include <memory>
#include <vector>

#include "valence/base/result.h"
#include "valence/base/unique_fd.h"
#include "valence/message_port.h"
#include "valence/value.h"

namespace valence::ports {

struct PackedTransfer {
  Value body;
  std::vector<UniqueFd> fds;
};

// Checks the transfer rules and that `message` can be cloned, then takes the
// ports (they become transferred). Nothing changes on error.
Result<PackedTransfer> pack(const MessagePort* source, Value message,
                            const std::vector<std::shared_ptr<MessagePort>>& transfer);

struct UnpackedTransfer {
  Value data;
  std::vector<std::shared_ptr<MessagePort>> ports;
};

// Rebuilds the message and its ports on `loop`. Errors (kBadMessage): a body
// of the wrong shape, a descriptor count that does not match, a descriptor
// that is not a connected AF_UNIX stream socket.
Result<UnpackedTransfer> unpack(EventLoop& loop, Value body, std::vector<UniqueFd> fds);

}  // namespace valence::ports
