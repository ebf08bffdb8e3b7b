// RendererConnection: a renderer's connection to the main process — the
// handshake, requests and their replies, blocking waits, and the stash of
// messages that arrive while the renderer is blocked.
// Thread safety: loop-affine.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>

#include "ipc/common/message.h"
#include "transport/channel.h"
#include "valence/renderer/ipc_renderer.h"

namespace valence::ipc {

class RendererConnection final : public transport::Channel::Delegate {
 public:
  RendererConnection(IpcRenderer& owner, EventLoop& loop, UniqueFd socket, std::string token,
                     IpcRendererOptions options);
  ~RendererConnection();

  bool connected() const noexcept { return !lost_; }
  int id() const noexcept { return id_; }
  void add_disconnect_callback(UniqueFunction<void(const std::string&)> cb) {
    disconnect_callbacks_.push_back(std::move(cb));
  }

  Result<void> send(MessageKind kind, std::string_view channel, std::vector<Value> args,
                    std::uint64_t request_id = 0);
  Future<Value> invoke(std::string_view channel, std::vector<Value> args);
  Result<Value> send_sync(std::string_view channel, std::vector<Value> args, int timeout_ms);
  Result<void> post_message(std::string_view channel, Value message,
                            const std::vector<std::shared_ptr<MessagePort>>& transfer);

  void on_frame(transport::Frame frame) override;
  void on_channel_error(transport::ChannelError error, const std::string& detail) override;

 private:
  // Blocks until the reply of `kind` with `request_id` arrives; everything
  // else that arrives meanwhile is stashed for later, in order.
  Result<Message> wait_for(MessageKind kind, std::uint64_t request_id, int timeout_ms);
  void handle(Message m);
  void schedule_drain();
  void drain_stash();
  void lost(const std::string& reason);
  Result<Value> invoke_result(const std::string& channel, Message reply) const;

  IpcRenderer& owner_;
  EventLoop& loop_;
  IpcRendererOptions options_;
  transport::Channel channel_;
  int id_ = 0;
  std::uint64_t next_request_ = 1;
  std::map<std::uint64_t, std::pair<std::string, Promise<Value>>> pending_invokes_;
  std::deque<Message> stash_;
  bool drain_scheduled_ = false;
  bool blocking_ = false;
  bool lost_ = false;
  std::vector<UniqueFunction<void(const std::string&)>> disconnect_callbacks_;
  std::shared_ptr<RendererConnection*> self_ = std::make_shared<RendererConnection*>(this);
};

}  // namespace valence::ipc
