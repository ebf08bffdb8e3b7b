// PendingPort: a MessagePort between two owners — taken out of its port in
// one process, written into a message (ports/transfer.h), and made a port
// again wherever the message arrives. It is the port's whole state in
// transit: its socket, the bytes its old owner had read from the socket but
// not delivered and had queued but not written (transport/handoff.h), and
// the entangle id it shares with its partner.
//
// PortTransfer is the one place that takes ports apart and puts them
// together (MessagePort's friend, so its public header shows none of it).
//
// Thread rule: PendingPort is a plain value. PortTransfer's calls are
// loop-affine: on the port's loop (take, prepare, check), or on the loop
// the new port belongs to (adopt).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "transport/buffer.h"
#include "valence/base/result.h"
#include "valence/base/unique_fd.h"
#include "valence/event_loop.h"
#include "valence/message_port.h"

namespace valence::ports {

struct PendingPort {
  UniqueFd socket;
  transport::Buffer unread;  // read from the socket, not yet delivered
  transport::Buffer unsent;  // queued for the socket, not yet written
  std::string entangle_id;   // shared with its partner, wherever that is
};

class PortTransfer {
 public:
  // The transfer rules for sending `transfer` from `source` (null when sent
  // over an IPC connection, not a port). Errors: kCloneError
  // ("DataCloneError: ...").
  static Result<void> check(const MessagePort* source,
                            const std::vector<std::shared_ptr<MessagePort>>& transfer);
  // Makes a port ready to leave: what its socket takes now is written (never
  // a blocking wait). Error (kOverloaded) when a message carrying ports is
  // on its way in or out of it; nothing else changes.
  static Result<void> prepare(MessagePort& port);
  // Takes the port's state; the port becomes transferred (closed, no
  // events). Only after prepare() succeeded.
  static PendingPort take(MessagePort& port);
  // A port on `loop` that continues where `pending` left off (not started).
  static std::shared_ptr<MessagePort> adopt(EventLoop& loop, PendingPort pending);
};

}  // namespace valence::ports
