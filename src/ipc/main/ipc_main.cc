#include "valence/main/ipc_main.h"

#include <cstdio>

#include "ipc/main/child_host.h"

namespace valence {

// ---- IpcMainEvent ------------------------------------------------------------

bool IpcMainEvent::reply_values(std::string_view channel, std::vector<Value> args) {
  return sender && sender->send_values(channel, std::move(args));
}

void IpcMainEvent::set_return_value(Value v) {
  if (!sync_ || sync_->done()) {
    std::fprintf(stderr,
                 "valence: set_return_value() on a message that is not a pending sendSync\n");
    return;
  }
  sync_->set(std::move(v));
}

IpcMainEvent::DeferredReturn IpcMainEvent::defer_return_value() {
  if (!sync_) return DeferredReturn();
  sync_->deferred = true;
  return DeferredReturn(sync_);
}

void IpcMainEvent::DeferredReturn::set(Value v) {
  if (slot_) slot_->set(std::move(v));
}

// ---- IpcMain -----------------------------------------------------------------

ListenerId IpcMain::add_raw_listener(std::string_view channel, Listener listener, bool once) {
  return listeners_.add(channel, std::move(listener), once);
}

bool IpcMain::remove_listener(std::string_view channel, ListenerId id) {
  return listeners_.remove(channel, id);
}

void IpcMain::remove_all_listeners(std::string_view channel) {
  listeners_.remove_all(channel);
}
void IpcMain::remove_all_listeners() {
  listeners_.remove_all();
}

std::size_t IpcMain::listener_count(std::string_view channel) const {
  return listeners_.count(channel);
}

Result<void> IpcMain::add_raw_handler(std::string_view channel, Handler handler, bool once) {
  if (handlers_.find(channel) != handlers_.end())
    return make_error(ErrorCode::kFailed,
                      "Attempted to register a second handler for '" + std::string(channel) + "'");
  handlers_.emplace(std::string(channel),
                    HandlerEntry{std::make_shared<Handler>(std::move(handler)), once});
  return {};
}

void IpcMain::remove_handler(std::string_view channel) {
  auto it = handlers_.find(channel);
  if (it != handlers_.end()) handlers_.erase(it);
}

bool IpcMain::has_handler(std::string_view channel) const {
  return handlers_.find(channel) != handlers_.end();
}

void IpcMain::report_error(const std::string& message) {
  if (error_reporter_) {
    error_reporter_(message);
  } else {
    std::fprintf(stderr, "valence: %s\n", message.c_str());
  }
}

std::size_t IpcMain::dispatch_message(IpcMainEvent& event, std::string_view channel,
                                      const std::vector<Value>& args) {
  return listeners_.dispatch(channel, [&](Listener& listener) {
    try {
      listener(event, args);
    } catch (const std::exception& ex) {
      report_error("a listener of '" + std::string(channel) + "' threw: " + ex.what());
    }
  });
}

HandlerResult IpcMain::dispatch_invoke(IpcMainInvokeEvent& event, std::string_view channel,
                                       const std::vector<Value>& args) {
  auto it = handlers_.find(channel);
  if (it == handlers_.end())
    return HandlerResult::ready(make_error(
        ErrorCode::kNoHandler, "No handler registered for '" + std::string(channel) + "'"));
  auto handler = it->second.handler;
  if (it->second.once) handlers_.erase(it);
  return (*handler)(event, args);
}

}  // namespace valence
