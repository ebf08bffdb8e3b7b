// PageLink: one web page's connection to the main process, inside the web
// process (ipc/common/protocol.h, "Web pages"). It carries bodies as the
// preload world's codec wrote them: the extension never decodes page values.
//
// Delivery: incoming messages go to the receiver in arrival order. While a
// sendSync blocks, or before a receiver is set, they wait in a queue and are
// delivered from the loop afterwards (an fd watch does not fire again for
// bytes already read).
//
// Thread safety: loop-affine (the web process's main thread, where WebKit
// runs JS).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ipc/common/protocol.h"
#include "transport/channel.h"
#include "valence/base/result.h"
#include "valence/base/unique_function.h"
#include "valence/event_loop.h"

namespace valence::web {

struct Incoming {
  ipc::MessageKind kind{};
  std::uint64_t request_id = 0;
  std::string channel;
  ipc::ReplyStatus status = ipc::ReplyStatus::kOk;
  transport::Buffer payload;
  std::size_t body_offset = 0;  // the V8-serialized body starts here
  std::vector<UniqueFd> fds;    // kPostMessage: the ports' sockets
  std::span<const std::uint8_t> body() const { return payload.span().subspan(body_offset); }
};

class PageLink final : public transport::Channel::Delegate {
 public:
  // Called for each message, and once with `lost` when the connection ends.
  struct Receiver {
    UniqueFunction<void(Incoming&)> message;
    UniqueFunction<void(const std::string&)> lost;
  };

  // Connects (blocking: before any script of the page runs) and says Hello.
  static Result<std::unique_ptr<PageLink>> connect(EventLoop& loop, const std::string& path,
                                                   const std::string& token,
                                                   const std::string& nonce);
  ~PageLink();

  bool connected() const noexcept { return !lost_; }
  const std::string& lost_reason() const noexcept { return lost_reason_; }
  // The WebContents id main gave this page (0 until kWelcome).
  int contents_id() const noexcept { return contents_id_; }

  // Sends a message whose body (args) the preload's codec encoded.
  Result<void> send(ipc::MessageKind kind, std::string_view channel, std::uint64_t request_id,
                    std::span<const std::uint8_t> body, std::vector<UniqueFd> fds = {});
  // ipcRenderer.sendSync: sends and blocks until main answers. Errors:
  // kDisconnected, kTimedOut (timeout_ms < 0: none).
  Result<Incoming> send_sync(std::string_view channel, std::span<const std::uint8_t> body,
                             int timeout_ms);

  void set_receiver(Receiver receiver);
  void clear_receiver() { receiver_ = {}; }

  void on_frame(transport::Frame frame) override;
  void on_channel_error(transport::ChannelError error, const std::string& detail) override;

 private:
  PageLink(EventLoop& loop, UniqueFd socket);
  Result<Incoming> parse(transport::Frame frame);
  void accept(Incoming m);
  void schedule_drain();
  void drain();
  void lose(const std::string& reason);

  EventLoop& loop_;
  transport::Channel channel_;
  Receiver receiver_;
  std::deque<Incoming> queue_;
  std::uint64_t next_sync_id_ = 1;
  int contents_id_ = 0;
  bool blocking_ = false;
  bool drain_scheduled_ = false;
  bool lost_ = false;
  bool lost_reported_ = false;
  std::string lost_reason_;
  std::shared_ptr<PageLink*> self_ = std::make_shared<PageLink*>(this);
};

}  // namespace valence::web
