// Endpoint: a renderer's end of its connection to the main process, the one
// state machine native children (ipc/renderer) and pages (web_extension)
// share: Hello and Welcome, sending, a blocking wait for one reply during
// which everything else that arrives is kept for later, delivery in arrival
// order (held while the owner is blocked or has no delegate, e.g. a page
// between two documents), request ids unique for the connection's life, and
// the end of the connection, reported once after every message.
//
// Bodies are bytes here: the owner encodes and decodes them (the C++ codec
// in native children; the preload world's JS codec in pages, whose bodies
// the web process never decodes).
//
// Thread safety: loop-affine. The delegate may destroy the Endpoint from
// its callbacks.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ipc/common/message.h"
#include "transport/blocking_io.h"
#include "transport/channel.h"
#include "valence/base/result.h"
#include "valence/event_loop.h"

namespace valence::ipc {

class Endpoint final : public transport::Channel::Delegate {
 public:
  struct Options {
    // Blocking waits poll this long, yielding between polls, before they
    // sleep (waking a process asleep on another CPU costs more than most
    // answers take). -1: 50 µs when the machine has more than one CPU.
    int spin_before_block_us = -1;
    // Most messages held for later; more ends the connection (a peer that
    // keeps sending while nobody can receive).
    std::size_t max_held = std::size_t{1} << 16;
    // How long destruction may wait for what was sent to be written.
    int shutdown_flush_ms = 5000;
  };
  class Delegate {
   public:
    // A message from main (never kWelcome, which the endpoint keeps).
    virtual void on_message(RawMessage& message) = 0;
    // The connection ended: once, after every message that came before.
    virtual void on_lost(const std::string& reason) = 0;

   protected:
    ~Delegate() = default;
  };

  Endpoint(EventLoop& loop, UniqueFd socket, Options options);
  Endpoint(EventLoop& loop, UniqueFd socket) : Endpoint(loop, std::move(socket), Options{}) {}
  // Writes what was sent (bounded by shutdown_flush_ms), then closes.
  ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  // Says Hello (`token`, and `body`: V8 bytes) and starts reading. With
  // flush_timeout_ms >= 0, waits until the Hello is written (a page, before
  // any of its scripts runs).
  Result<void> start(std::string_view token, std::span<const std::uint8_t> body,
                     int flush_timeout_ms = -1);
  // Where messages go; null holds them until a delegate is set.
  void set_delegate(Delegate* delegate);

  // A request id not used before on this connection.
  std::uint64_t next_request_id() noexcept { return next_request_++; }
  Result<void> send(MessageKind kind, std::string_view channel, std::uint64_t request_id,
                    std::span<const std::uint8_t> body, std::vector<UniqueFd> fds = {});
  // Sends a payload built with encode_message() (header included).
  Result<void> send_payload(MessageKind kind, transport::Buffer payload,
                            std::vector<UniqueFd> fds = {});
  // Blocks until the message of `kind` with `request_id` arrives (taken from
  // what is held, if it came already); everything else is held for later.
  // timeout_ms < 0 waits forever. Errors: kTimedOut (the connection stays),
  // kDisconnected (the connection ended; the reason says why).
  Result<RawMessage> wait_for(MessageKind kind, std::uint64_t request_id, int timeout_ms);

  bool connected() const noexcept { return !lost_; }
  const std::string& lost_reason() const noexcept { return lost_reason_; }
  // The WebContents id main gave this renderer (0 until its Welcome).
  int contents_id() const noexcept { return contents_id_; }

  void on_frame(transport::Frame frame) override;
  void on_channel_error(transport::ChannelError error, const std::string& detail) override;

 private:
  void accept(RawMessage m);
  void schedule_delivery();
  void deliver_held();
  void lose(const std::string& reason);
  Result<RawMessage> lost_while_blocked();

  EventLoop& loop_;
  Options options_;
  transport::Channel channel_;
  transport::BlockingIo sync_io_;  // wait_for(), and the last writes in ~Endpoint()
  Delegate* delegate_ = nullptr;
  std::deque<RawMessage> held_;
  std::uint64_t next_request_ = 1;
  int contents_id_ = 0;
  bool blocking_ = false;
  bool delivery_scheduled_ = false;
  bool lost_ = false;
  bool lost_reported_ = false;
  std::string lost_reason_;
  std::shared_ptr<Endpoint*> self_ = std::make_shared<Endpoint*>(this);
};

}  // namespace valence::ipc
