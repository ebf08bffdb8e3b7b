// MessagePort / MessageChannelMain: Electron's MessagePortMain for C++, in
// the main process and in native children alike.
//
//   auto [port1, port2] = valence::MessageChannelMain::create(loop);
//   port1->on_message([](valence::MessageEvent& e) { ... e.data, e.ports ... });
//   port1->start();
//   child->post_message("port", valence::Value(), {port2});   // port2 leaves this process
//
// A port is one end of an AF_UNIX socket pair. Transferring a port sends its
// descriptor, so after set-up two processes that hold the two ends talk
// directly — no hop through the main process. Messages queue until start()
// (Electron's rule). Closing either end, or the death of the process holding
// it, gives the other end a `close` event after every message sent before
// the close has been delivered.
//
// Transfer rules (errors say DataCloneError, as browsers do): a port that is
// closed, already transferred, the sending port itself, or its own partner
// cannot be transferred; a failed post_message changes nothing.
//
// Thread safety: loop-affine. Shared ownership: events hand ports out as
// shared_ptr; the last owner's release closes a port that was not transferred.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "valence/base/result.h"
#include "valence/base/unique_fd.h"
#include "valence/base/unique_function.h"
#include "valence/event_loop.h"
#include "valence/value.h"

namespace valence {

class MessagePort;
namespace ports {
class PortChannel;
class PortTransfer;
}  // namespace ports

struct MessageEvent {
  Value data;
  std::vector<std::shared_ptr<MessagePort>> ports;
};

class MessagePort : public std::enable_shared_from_this<MessagePort> {
 public:
  // Adopts one end of a connected AF_UNIX stream socket pair.
  static std::shared_ptr<MessagePort> adopt(EventLoop& loop, UniqueFd socket);
  ~MessagePort();
  MessagePort(const MessagePort&) = delete;
  MessagePort& operator=(const MessagePort&) = delete;

  // port.postMessage(message, [transfer]). Errors: kCloneError
  // ("DataCloneError: ...") for the transfer rules above or an uncloneable
  // message; kDisconnected when this port is closed.
  Result<void> post_message(Value message, std::vector<std::shared_ptr<MessagePort>> transfer = {});
  // Starts delivering messages (they queue until then).
  void start();
  // Closes this end; the other end gets `close`. No events after this.
  void close();

  void on_message(UniqueFunction<void(MessageEvent&)> listener);
  void on_close(UniqueFunction<void()> listener);

  bool is_closed() const noexcept { return closed_; }
  bool is_transferred() const noexcept { return transferred_; }
  bool is_started() const noexcept { return started_; }

  // The loop the port's events run on.
  EventLoop& loop() noexcept { return loop_; }

 private:
  // The port's connection and its transfer (src/ports/) are the port's own
  // implementation, kept out of this header.
  friend class ports::PortChannel;
  friend class ports::PortTransfer;
  friend struct MessageChannelMain;
  MessagePort(EventLoop& loop, UniqueFd socket);
  void deliver(MessageEvent event);
  // The other end closed (no `problem`), or the connection broke (`problem`
  // says how; it is reported on stderr). Either way, `close` once.
  void peer_closed(const std::string& problem = {});

  using MessageListener = UniqueFunction<void(MessageEvent&)>;
  using CloseListener = UniqueFunction<void()>;
  EventLoop& loop_;
  std::unique_ptr<ports::PortChannel> channel_;  // until start(), messages wait in the socket
  std::weak_ptr<MessagePort> partner_;
  // Random, the same for both ends of one channel, carried along on every
  // transfer (ports::PendingPort): "is this port the sender's own partner?"
  // holds across processes.
  std::string entangle_id_;
  // shared_ptr: a listener may close the port (clearing these) while it runs.
  std::vector<std::shared_ptr<MessageListener>> message_listeners_;
  std::vector<std::shared_ptr<CloseListener>> close_listeners_;
  bool started_ = false;
  bool closed_ = false;
  bool transferred_ = false;
  bool close_reported_ = false;
};

// new MessageChannelMain(): two entangled ports.
struct MessageChannelMain {
  std::shared_ptr<MessagePort> port1;
  std::shared_ptr<MessagePort> port2;
  // Errors: socketpair failed (descriptor limits).
  static Result<MessageChannelMain> create(EventLoop& loop);
};

using MessagePortMain = MessagePort;

}  // namespace valence
