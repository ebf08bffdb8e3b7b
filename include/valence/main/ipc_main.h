// ipcMain for C++: listeners and handlers for messages from renderers (web
// pages and native children alike), with Electron's semantics.
//
//   ipc_main.on("set-title", [&](IpcMainEvent& event, std::string title) { ... });
//   ipc_main.handle("dialog:openFile", [](IpcMainInvokeEvent&) { return path; });
//   ipc_main.on("synchronous-message", [](IpcMainEvent& e, std::string arg) {
//     e.set_return_value("pong");
//   });
//
// Listener parameters after the event are converted from the message's
// arguments (valence::Convert<T>); `const std::vector<Value>&` takes them raw.
// A handler may return void, a value, a Result<T>, or a Future<T>; throwing
// std::exception or returning an error rejects the renderer's invoke with
// "Error invoking remote method 'ch': Error: <message>".
//
// Thread safety: loop-affine (the main process's loop). Listeners run on it
// in registration order.
#pragma once

#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "valence/base/future.h"
#include "valence/base/result.h"
#include "valence/base/unique_function.h"
#include "valence/detail/listener_registry.h"
#include "valence/detail/typed_call.h"
#include "valence/message_port.h"
#include "valence/value.h"

namespace valence {

class WebContents;
namespace ipc {
class SyncReplySlot;
}  // namespace ipc

// The event of ipcMain.on listeners.
class IpcMainEvent {
 public:
  int process_id = 0;  // the renderer's OS process id
  int frame_id = 0;    // the frame that sent it (0: the main frame / a native child)
  // The WebContents that sent the message (shared: it may outlive the process).
  std::shared_ptr<WebContents> sender;

  // Sends a message back to the sender's frame (Electron's event.reply).
  template <class... A>
  bool reply(std::string_view channel, A&&... args) {
    return reply_values(channel, detail::pack_args(std::forward<A>(args)...));
  }
  bool reply_values(std::string_view channel, std::vector<Value> args);

  // For sendSync: the value the renderer's sendSync returns. Set it in the
  // listener, or call defer_return_value() to set it later.
  bool is_sync() const noexcept { return sync_ != nullptr; }
  void set_return_value(Value v);
  template <class T>
  void set_return_value(const T& v) {
    set_return_value(detail::pack_one(v));
  }
  // Keeps a sync message waiting after the listener returns; the returned
  // handle sets the value later (or, dropped unset, fails the renderer's
  // sendSync). The renderer's own deadline still applies.
  class DeferredReturn {
   public:
    DeferredReturn() = default;
    explicit DeferredReturn(std::shared_ptr<ipc::SyncReplySlot> slot) : slot_(std::move(slot)) {}
    void set(Value v);
    explicit operator bool() const noexcept { return slot_ != nullptr; }

   private:
    std::shared_ptr<ipc::SyncReplySlot> slot_;
  };
  DeferredReturn defer_return_value();

  // MessagePorts sent with ipcRenderer.postMessage (empty otherwise).
  std::vector<std::shared_ptr<MessagePort>> ports;

 protected:
  // A sendSync's pending answer: set by the IPC core's event for sync
  // messages (src/ipc/main/ipc_main_impl.h), null for every other message.
  std::shared_ptr<ipc::SyncReplySlot> sync_;
};

// The event of ipcMain.handle handlers.
class IpcMainInvokeEvent {
 public:
  int process_id = 0;
  int frame_id = 0;
  std::shared_ptr<WebContents> sender;
};

// Thrown (or returned as an error's `remote`) by a handler to reject an
// invoke with a complete JS Error: prototype, message, stack and cause reach
// the renderer intact.
class HandlerError : public std::exception {
 public:
  explicit HandlerError(ErrorValue error) : error_(std::make_shared<Value>(std::move(error))) {
    const ErrorValue& e = error_->get_error();
    what_ = e.message ? e.message->utf8() : error_prototype_name(e.prototype);
  }
  const char* what() const noexcept override { return what_.c_str(); }
  const std::shared_ptr<const Value>& error() const noexcept { return error_; }

 private:
  std::shared_ptr<const Value> error_;
  std::string what_;
};

// What a handler produced: a value, or an error for the renderer.
using HandlerResult = Future<Value>;

class IpcMain {
 public:
  using Listener = UniqueFunction<void(IpcMainEvent&, const std::vector<Value>&)>;
  using Handler = UniqueFunction<HandlerResult(IpcMainInvokeEvent&, const std::vector<Value>&)>;

  IpcMain() = default;
  IpcMain(const IpcMain&) = delete;
  IpcMain& operator=(const IpcMain&) = delete;

  // Listeners. The returned id removes the listener (off / remove_listener).
  template <class F>
  ListenerId on(std::string_view channel, F&& listener) {
    return add_raw_listener(channel, wrap_listener(std::forward<F>(listener)), false);
  }
  template <class F>
  ListenerId add_listener(std::string_view channel, F&& listener) {
    return on(channel, std::forward<F>(listener));
  }
  template <class F>
  ListenerId once(std::string_view channel, F&& listener) {
    return add_raw_listener(channel, wrap_listener(std::forward<F>(listener)), true);
  }
  bool off(std::string_view channel, ListenerId id) { return remove_listener(channel, id); }
  bool remove_listener(std::string_view channel, ListenerId id);
  void remove_all_listeners(std::string_view channel);
  void remove_all_listeners();
  std::size_t listener_count(std::string_view channel) const;

  // Handlers. Errors: "Attempted to register a second handler for 'ch'".
  template <class F>
  Result<void> handle(std::string_view channel, F&& handler) {
    return add_raw_handler(channel, wrap_handler(std::forward<F>(handler)), false);
  }
  template <class F>
  Result<void> handle_once(std::string_view channel, F&& handler) {
    return add_raw_handler(channel, wrap_handler(std::forward<F>(handler)), true);
  }
  void remove_handler(std::string_view channel);
  // Every handler of every channel (tests and teardown; Electron has no such call).
  void remove_all_handlers() { handlers_.clear(); }
  bool has_handler(std::string_view channel) const;

  ListenerId add_raw_listener(std::string_view channel, Listener listener, bool once);
  Result<void> add_raw_handler(std::string_view channel, Handler handler, bool once);

  // Where conversion failures of one-way messages are reported (there is no
  // caller to reject). Default: stderr.
  void set_error_reporter(UniqueFunction<void(const std::string&)> reporter) {
    error_reporter_ = std::move(reporter);
  }
  void report_error(const std::string& message);

 protected:
  // What the IPC core does with each message (ipc::IpcMainImpl makes them
  // its public API). Runs the listeners; returns how many ran.
  std::size_t dispatch_message(IpcMainEvent& event, std::string_view channel,
                               const std::vector<Value>& args);
  // Runs the channel's handler; the future rejects when there is none.
  HandlerResult dispatch_invoke(IpcMainInvokeEvent& event, std::string_view channel,
                                const std::vector<Value>& args);

 private:
  template <class F>
  Listener wrap_listener(F&& f);
  template <class F>
  Handler wrap_handler(F&& f);

  struct HandlerEntry {
    std::shared_ptr<Handler> handler;
    bool once;
  };
  detail::ListenerRegistry<Listener> listeners_;
  std::map<std::string, HandlerEntry, std::less<>> handlers_;
  UniqueFunction<void(const std::string&)> error_reporter_;
};

namespace detail {
template <class T>
struct IsFuture : std::false_type {};
template <class T>
struct IsFuture<Future<T>> : std::true_type {};
template <class T>
struct IsResult : std::false_type {};
template <class T>
struct IsResult<Result<T>> : std::true_type {};

// Turns whatever a handler returned into a Future<Value>.
template <class R>
HandlerResult to_handler_result(R&& r) {
  using D = std::remove_cvref_t<R>;
  if constexpr (std::is_same_v<D, std::monostate>) {
    return HandlerResult::ready(Value());
  } else if constexpr (std::is_same_v<D, HandlerResult>) {
    return std::move(r);
  } else if constexpr (IsFuture<D>::value) {
    Promise<Value> p;
    HandlerResult out = p.future();
    auto pp = std::make_shared<Promise<Value>>(std::move(p));
    r.then([pp](auto result) {
      if (!result) {
        pp->set(Unexpected{result.error()});
      } else {
        pp->set(pack_one(std::move(result).value()));
      }
    });
    return out;
  } else if constexpr (IsResult<D>::value) {
    if (!r) return HandlerResult::ready(Unexpected{r.error()});
    if constexpr (std::is_void_v<typename D::value_type>) {
      return HandlerResult::ready(Value());
    } else {
      return HandlerResult::ready(pack_one(std::move(r).value()));
    }
  } else {
    return HandlerResult::ready(pack_one(std::forward<R>(r)));
  }
}
}  // namespace detail

template <class F>
IpcMain::Listener IpcMain::wrap_listener(F&& f) {
  return
      [this, fn = std::forward<F>(f)](IpcMainEvent& event, const std::vector<Value>& args) mutable {
        auto r = detail::typed_call(fn, event, args);
        if (!r) report_error(r.error().message);
      };
}

template <class F>
IpcMain::Handler IpcMain::wrap_handler(F&& f) {
  return [fn = std::forward<F>(f)](IpcMainInvokeEvent& event,
                                   const std::vector<Value>& args) mutable -> HandlerResult {
    try {
      auto r = detail::typed_call(fn, event, args);
      if (!r) return HandlerResult::ready(Unexpected{r.error()});
      return detail::to_handler_result(std::move(r).value());
    } catch (const HandlerError& e) {
      Error error{ErrorCode::kHandlerRejected, e.what(), e.error()};
      return HandlerResult::ready(Unexpected{std::move(error)});
    } catch (const std::exception& e) {
      return HandlerResult::ready(make_error(ErrorCode::kHandlerRejected, e.what()));
    }
  };
}

}  // namespace valence
