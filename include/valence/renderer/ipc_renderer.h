// ipcRenderer for native C++ child processes, with Electron's semantics:
//
//   auto loop = valence::EventLoop::create();
//   auto ipc = valence::IpcRenderer::connect(*loop).value();
//   ipc->send("set-title", "hello");
//   ipc->invoke("ping").then([](valence::Result<valence::Value> r) { ... });
//   valence::Result<valence::Value> v = ipc->send_sync("synchronous-message", "ping");
//   ipc->on("update-counter", [](valence::IpcRendererEvent& e, int delta) { ... });
//   loop->run();
//
// invoke() returns a Future: use then(), co_await, or get() (blocks this
// child until the reply). send_sync() blocks until main sets
// event.returnValue, fails at once when there is no listener or the
// listeners set none, and takes an optional deadline. Messages that arrive
// while the child is blocked are delivered afterwards, in order.
//
// When the main process goes away, pending invokes reject at once with
// kDisconnected, on_disconnect callbacks run, and (by default) the loop quits.
//
// Thread safety: loop-affine.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "valence/base/future.h"
#include "valence/base/result.h"
#include "valence/base/unique_fd.h"
#include "valence/base/unique_function.h"
#include "valence/detail/listener_registry.h"
#include "valence/detail/typed_call.h"
#include "valence/event_loop.h"
#include "valence/message_port.h"
#include "valence/value.h"

namespace valence {

class IpcRenderer;

class IpcRendererEvent {
 public:
  IpcRenderer* sender = nullptr;  // Electron's event.sender: the ipcRenderer
  // MessagePorts sent with webContents.postMessage (empty otherwise).
  std::vector<std::shared_ptr<MessagePort>> ports;
};

struct IpcRendererOptions {
  // Quit the loop when the connection to the main process is lost.
  bool quit_loop_on_disconnect = true;
  // Reject invokes with the handler's error message as is, instead of
  // Electron's "Error invoking remote method 'ch': Error: <message>".
  bool raw_invoke_errors = false;
  // Blocking waits (send_sync, invoke().get()) poll this long, yielding the
  // CPU between polls, before they sleep: waking a process that sleeps on
  // another CPU costs more than a quick answer takes. -1: 50 µs when the
  // machine has more than one CPU, else 0. Costs at most that much CPU per
  // wait whose answer is slower (yielding keeps it cheap on a shared CPU).
  int spin_before_block_us = -1;
};

namespace ipc {
class RendererConnection;
}

class IpcRenderer {
 public:
  using Listener = UniqueFunction<void(IpcRendererEvent&, const std::vector<Value>&)>;

  // Connects over the socket the main process gave this process
  // (VALENCE_IPC_FD / VALENCE_IPC_TOKEN). Errors: not started by a valence
  // main process.
  static Result<std::unique_ptr<IpcRenderer>> connect(EventLoop& loop,
                                                      IpcRendererOptions options = {});
  static Result<std::unique_ptr<IpcRenderer>> connect_socket(EventLoop& loop, UniqueFd socket,
                                                             std::string token,
                                                             IpcRendererOptions options = {});
  ~IpcRenderer();
  IpcRenderer(const IpcRenderer&) = delete;
  IpcRenderer& operator=(const IpcRenderer&) = delete;

  // ipcRenderer.send. False when disconnected or an argument cannot be cloned.
  template <class... A>
  bool send(std::string_view channel, A&&... args) {
    return send_values(channel, detail::pack_args(std::forward<A>(args)...));
  }
  bool send_values(std::string_view channel, std::vector<Value> args);

  // ipcRenderer.invoke. Rejects with kHandlerRejected ("Error invoking remote
  // method 'ch': Error: <message>"), kNoHandler, kCloneError or kDisconnected.
  // A handler's error arrives intact in Error::remote (an ErrorValue with
  // prototype, message, stack and cause).
  template <class... A>
  Future<Value> invoke(std::string_view channel, A&&... args) {
    return invoke_values(channel, detail::pack_args(std::forward<A>(args)...));
  }
  Future<Value> invoke_values(std::string_view channel, std::vector<Value> args);

  // ipcRenderer.sendSync: blocks until the main process answers. Errors:
  // kNoHandler (no listener, or none set event.returnValue), kTimedOut,
  // kDisconnected, kCloneError.
  template <class... A>
  Result<Value> send_sync(std::string_view channel, A&&... args) {
    return send_sync_values(channel, detail::pack_args(std::forward<A>(args)...), -1);
  }
  Result<Value> send_sync_values(std::string_view channel, std::vector<Value> args,
                                 int timeout_ms = -1);

  // ipcRenderer.postMessage(channel, message, [ports]): the ports leave this
  // process (see MessagePort for the transfer rules); main's listeners get
  // them in event.ports. Errors: kCloneError (DataCloneError), kDisconnected.
  Result<void> post_message(std::string_view channel, Value message,
                            std::vector<std::shared_ptr<MessagePort>> transfer = {});

  template <class F>
  ListenerId on(std::string_view channel, F&& listener) {
    return add_raw_listener(channel, wrap(std::forward<F>(listener)), false);
  }
  template <class F>
  ListenerId add_listener(std::string_view channel, F&& listener) {
    return on(channel, std::forward<F>(listener));
  }
  template <class F>
  ListenerId once(std::string_view channel, F&& listener) {
    return add_raw_listener(channel, wrap(std::forward<F>(listener)), true);
  }
  bool off(std::string_view channel, ListenerId id) { return remove_listener(channel, id); }
  bool remove_listener(std::string_view channel, ListenerId id);
  void remove_all_listeners(std::string_view channel);
  void remove_all_listeners();
  ListenerId add_raw_listener(std::string_view channel, Listener listener, bool once);

  void on_disconnect(UniqueFunction<void(const std::string& reason)> callback);
  bool connected() const noexcept;
  // This renderer's WebContents id in the main process (0 until known).
  int id() const noexcept;
  EventLoop& loop() noexcept { return loop_; }

  // Where conversion failures of listener arguments are reported. Default: stderr.
  void set_error_reporter(UniqueFunction<void(const std::string&)> reporter);

 private:
  explicit IpcRenderer(EventLoop& loop);
  template <class F>
  Listener wrap(F&& f) {
    return [this, fn = std::forward<F>(f)](IpcRendererEvent& event,
                                           const std::vector<Value>& args) mutable {
      auto r = detail::typed_call(fn, event, args);
      if (!r) report_error(r.error().message);
    };
  }
  void report_error(const std::string& message);

  EventLoop& loop_;
  // Everything else, listeners included, lives in the connection
  // (src/ipc/renderer/renderer_connection.h), which runs them as messages
  // arrive.
  std::unique_ptr<ipc::RendererConnection> connection_;
};

}  // namespace valence
