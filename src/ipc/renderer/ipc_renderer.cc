#include "valence/renderer/ipc_renderer.h"

#include <fcntl.h>

#include <cstdlib>
#include <string>

#include "ipc/renderer/renderer_connection.h"

namespace valence {

IpcRenderer::IpcRenderer(EventLoop& loop) : loop_(loop) {}
IpcRenderer::~IpcRenderer() = default;

Result<std::unique_ptr<IpcRenderer>> IpcRenderer::connect(EventLoop& loop,
                                                          IpcRendererOptions options) {
  const char* fd_text = std::getenv("VALENCE_IPC_FD");
  const char* token = std::getenv("VALENCE_IPC_TOKEN");
  if (!fd_text || !token)
    return make_error(ErrorCode::kFailed,
                      "VALENCE_IPC_FD / VALENCE_IPC_TOKEN are not set: this process was not "
                      "started by a valence main process");
  char* end = nullptr;
  long fd = std::strtol(fd_text, &end, 10);
  if (!end || *end || fd < 0 || fd > 65535)
    return make_error(ErrorCode::kFailed,
                      std::string("VALENCE_IPC_FD is not a descriptor: ") + fd_text);
  std::string token_copy(token);
  // Neither the variables nor the descriptor reach this process's own children.
  ::unsetenv("VALENCE_IPC_FD");
  ::unsetenv("VALENCE_IPC_TOKEN");
  int flags = ::fcntl(static_cast<int>(fd), F_GETFD);
  if (flags < 0)
    return make_error(ErrorCode::kFailed, "VALENCE_IPC_FD " + std::to_string(fd) + " is not open");
  ::fcntl(static_cast<int>(fd), F_SETFD, flags | FD_CLOEXEC);
  return connect_socket(loop, UniqueFd(static_cast<int>(fd)), std::move(token_copy), options);
}

Result<std::unique_ptr<IpcRenderer>> IpcRenderer::connect_socket(EventLoop& loop, UniqueFd socket,
                                                                 std::string token,
                                                                 IpcRendererOptions options) {
  std::unique_ptr<IpcRenderer> r(new IpcRenderer(loop));
  r->connection_ = std::make_unique<ipc::RendererConnection>(*r, loop, std::move(socket),
                                                             std::move(token), options);
  return r;
}

bool IpcRenderer::send_values(std::string_view channel, std::vector<Value> args) {
  auto r = connection_->send(ipc::MessageKind::kMessage, channel, std::move(args));
  if (!r && r.error().code != ErrorCode::kDisconnected) report_error(r.error().message);
  return r.has_value();
}

Future<Value> IpcRenderer::invoke_values(std::string_view channel, std::vector<Value> args) {
  return connection_->invoke(channel, std::move(args));
}

Result<Value> IpcRenderer::send_sync_values(std::string_view channel, std::vector<Value> args,
                                            int timeout_ms) {
  return connection_->send_sync(channel, std::move(args), timeout_ms);
}

Result<void> IpcRenderer::post_message(std::string_view channel, Value message,
                                       std::vector<std::shared_ptr<MessagePort>> transfer) {
  return connection_->post_message(channel, std::move(message), transfer);
}

ListenerId IpcRenderer::add_raw_listener(std::string_view channel, Listener listener, bool once) {
  return connection_->listeners().add(channel, std::move(listener), once);
}

bool IpcRenderer::remove_listener(std::string_view channel, ListenerId id) {
  return connection_->listeners().remove(channel, id);
}

void IpcRenderer::remove_all_listeners(std::string_view channel) {
  connection_->listeners().remove_all(channel);
}
void IpcRenderer::remove_all_listeners() {
  connection_->listeners().remove_all();
}

void IpcRenderer::set_error_reporter(UniqueFunction<void(const std::string&)> reporter) {
  connection_->set_error_reporter(std::move(reporter));
}

void IpcRenderer::report_error(const std::string& message) {
  connection_->report_error(message);
}

void IpcRenderer::on_disconnect(UniqueFunction<void(const std::string&)> callback) {
  connection_->add_disconnect_callback(std::move(callback));
}

bool IpcRenderer::connected() const noexcept {
  return connection_->connected();
}
int IpcRenderer::id() const noexcept {
  return connection_->id();
}

}  // namespace valence
