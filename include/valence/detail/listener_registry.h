// Listeners by channel, with Node EventEmitter semantics: run in
// registration order; `once` listeners are removed before they run; a
// listener added or removed during a dispatch takes effect for the next one.
// Shared by IpcMain and IpcRenderer.
// Thread safety: loop-affine (as its owner).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace valence {
// Identifies a registered listener (for off / remove_listener).
using ListenerId = std::uint64_t;
}  // namespace valence

namespace valence::detail {

template <class Listener>
class ListenerRegistry {
 public:
  ListenerId add(std::string_view channel, Listener listener, bool once) {
    ListenerId id = next_id_++;
    auto it = by_channel_.find(channel);
    if (it == by_channel_.end())
      it = by_channel_.emplace(std::string(channel), std::vector<Entry>{}).first;
    it->second.push_back(Entry{id, std::make_shared<Listener>(std::move(listener)), once});
    return id;
  }

  bool remove(std::string_view channel, ListenerId id) {
    auto it = by_channel_.find(channel);
    if (it == by_channel_.end()) return false;
    auto& entries = it->second;
    for (auto e = entries.begin(); e != entries.end(); ++e) {
      if (e->id != id) continue;
      entries.erase(e);
      if (entries.empty()) by_channel_.erase(it);
      return true;
    }
    return false;
  }

  void remove_all(std::string_view channel) {
    auto it = by_channel_.find(channel);
    if (it != by_channel_.end()) by_channel_.erase(it);
  }
  void remove_all() { by_channel_.clear(); }

  std::size_t count(std::string_view channel) const {
    auto it = by_channel_.find(channel);
    return it == by_channel_.end() ? 0 : it->second.size();
  }

  // Calls `call(listener)` for each listener of `channel`; returns how many.
  template <class Call>
  std::size_t dispatch(std::string_view channel, Call&& call) {
    auto it = by_channel_.find(channel);
    if (it == by_channel_.end()) return 0;
    std::vector<Entry> snapshot = it->second;
    for (const Entry& e : snapshot)
      if (e.once) remove(channel, e.id);
    for (const Entry& e : snapshot) call(*e.listener);
    return snapshot.size();
  }

 private:
  struct Entry {
    ListenerId id;
    std::shared_ptr<Listener> listener;  // shared: a listener may remove itself while running
    bool once;
  };
  std::map<std::string, std::vector<Entry>, std::less<>> by_channel_;
  ListenerId next_id_ = 1;
};

}  // namespace valence::detail
