#include "valence/event_loop.h"

namespace valence {

FdWatch::FdWatch(FdWatch&& other) noexcept
    : loop_(std::exchange(other.loop_, nullptr)), id_(other.id_) {}

FdWatch& FdWatch::operator=(FdWatch&& other) noexcept {
  if (this != &other) {
    reset();
    loop_ = std::exchange(other.loop_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

void FdWatch::reset() {
  if (loop_) std::exchange(loop_, nullptr)->remove_fd_watch(id_);
}

void FdWatch::set_events(std::uint32_t events) {
  if (loop_) loop_->set_fd_events(id_, events);
}

Timer::Timer(Timer&& other) noexcept : loop_(std::exchange(other.loop_, nullptr)), id_(other.id_) {}

Timer& Timer::operator=(Timer&& other) noexcept {
  if (this != &other) {
    reset();
    loop_ = std::exchange(other.loop_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

EventLoop::KeepToken EventLoop::keep(std::shared_ptr<void> object) {
  KeepToken token = next_keep_++;
  kept_.emplace(token, std::move(object));
  return token;
}

void EventLoop::release(KeepToken token) {
  auto it = kept_.find(token);
  if (it == kept_.end()) return;
  auto object = std::move(it->second);  // destroyed after the map is consistent
  kept_.erase(it);
}

void EventLoop::drop_kept() {
  while (!kept_.empty()) {
    auto object = std::move(kept_.begin()->second);
    kept_.erase(kept_.begin());
  }
}

void Timer::reset() {
  if (loop_) std::exchange(loop_, nullptr)->cancel_timer(id_);
}

}  // namespace valence
