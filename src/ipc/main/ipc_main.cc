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
    std::fprintf(stderr, "valence: set_return_value() on a message that is not a pending sendSync\n");
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
  ListenerId id = next_id_++;
  auto it = listeners_.find(channel);
  if (it == listeners_.end()) it = listeners_.emplace(std::string(channel), std::vector<Entry>{}).first;
  it->second.push_back(Entry{id, std::make_shared<Listener>(std::move(listener)), once});
  return id;
}

bool IpcMain::remove_listener(std::string_view channel, ListenerId id) {
  auto it = listeners_.find(channel);
  if (it == listeners_.end()) return false;
  auto& v = it->second;
  for (auto e = v.begin(); e != v.end(); ++e) {
    if (e->id == id) {
      v.erase(e);
      if (v.empty()) listeners_.erase(it);
      return true;
    }
  }
  return false;
}

void IpcMain::remove_all_listeners(std::string_view channel) {
  auto it = listeners_.find(channel);
  if (it != listeners_.end()) listeners_.erase(it);
}

void IpcMain::remove_all_listeners() { listeners_.clear(); }

std::size_t IpcMain::listener_count(std::string_view channel) const {
  auto it = listeners_.find(channel);
  return it == listeners_.end() ? 0 : it->second.size();
}

Result<void> IpcMain::add_raw_handler(std::string_view channel, Handler handler, bool once) {
  if (handlers_.find(channel) != handlers_.end())
    return make_error(ErrorCode::kFailed,
                      "Attempted to register a second handler for '" + std::string(channel) + "'");
  handlers_.emplace(std::string(channel), HandlerEntry{std::make_shared<Handler>(std::move(handler)), once});
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
  auto it = listeners_.find(channel);
  if (it == listeners_.end()) return 0;
  // A snapshot: listeners added or removed while dispatching take effect for
  // the next message (as Node's EventEmitter does).
  std::vector<Entry> snapshot = it->second;
  for (const Entry& e : snapshot)
    if (e.once) remove_listener(channel, e.id);
  std::string name(channel);
  for (const Entry& e : snapshot) {
    try {
      (*e.listener)(event, args);
    } catch (const std::exception& ex) {
      report_error("a listener of '" + name + "' threw: " + ex.what());
    }
  }
  return snapshot.size();
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
