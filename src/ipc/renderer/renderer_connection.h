// RendererConnection: a native child's connection to the main process, on
// ipc::Endpoint (the state machine pages share): it encodes and decodes
// bodies with the C++ codec, keeps the pending invokes' promises, and turns
// messages from main into calls of IpcRenderer's listeners, which it keeps.
// Thread safety: loop-affine.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "ipc/common/endpoint.h"
#include "ipc/common/message.h"
#include "valence/renderer/ipc_renderer.h"

namespace valence::ipc {

class RendererConnection final : public Endpoint::Delegate {
 public:
  RendererConnection(IpcRenderer& owner, EventLoop& loop, UniqueFd socket, std::string token,
                     IpcRendererOptions options);
  ~RendererConnection();

  bool connected() const noexcept { return endpoint_.connected(); }
  int id() const noexcept { return endpoint_.contents_id(); }
  void add_disconnect_callback(UniqueFunction<void(const std::string&)> cb) {
    disconnect_callbacks_.push_back(std::move(cb));
  }
  detail::ListenerRegistry<IpcRenderer::Listener>& listeners() noexcept { return listeners_; }
  void set_error_reporter(UniqueFunction<void(const std::string&)> reporter) {
    error_reporter_ = std::move(reporter);
  }
  // Through the app's reporter, else on stderr.
  void report_error(const std::string& message);

  Result<void> send(MessageKind kind, std::string_view channel, std::vector<Value> args,
                    std::uint64_t request_id = 0);
  Future<Value> invoke(std::string_view channel, std::vector<Value> args);
  Result<Value> send_sync(std::string_view channel, std::vector<Value> args, int timeout_ms);
  Result<void> post_message(std::string_view channel, Value message,
                            const std::vector<std::shared_ptr<MessagePort>>& transfer);

  void on_message(RawMessage& message) override;
  void on_lost(const std::string& reason) override;

 private:
  Result<void> send_message(const Message& m, std::vector<UniqueFd> fds = {});
  Result<Value> invoke_result(const std::string& channel, Message reply) const;
  void settle_invoke(std::uint64_t id, Result<RawMessage> reply);
  std::size_t dispatch(std::string_view channel, const std::vector<Value>& args,
                       std::vector<std::shared_ptr<MessagePort>> ports = {});

  IpcRenderer& owner_;
  EventLoop& loop_;
  IpcRendererOptions options_;
  std::map<std::uint64_t, std::pair<std::string, Promise<Value>>> pending_invokes_;
  std::vector<UniqueFunction<void(const std::string&)>> disconnect_callbacks_;
  detail::ListenerRegistry<IpcRenderer::Listener> listeners_;
  UniqueFunction<void(const std::string&)> error_reporter_;
  Endpoint endpoint_;  // last: destroyed first, while the rest is whole
  std::shared_ptr<RendererConnection*> self_ = std::make_shared<RendererConnection*>(this);
};

}  // namespace valence::ipc
