// EventLoop: one per process, created in main() and passed down (no globals).
// Backends: epoll (native children, tests) and, later, GLib's main context
// (the UI and web processes).
//
// Thread safety: loop-affine — every method must be called on the thread
// that runs the loop, EXCEPT post(), which may be called from any thread
// (the callback then runs on the loop thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>

#include "valence/base/unique_function.h"

namespace valence {

class EventLoop;

// Handles unregister what they registered when destroyed (or reset()), and
// no callback of theirs runs after that. Move-only; must not outlive the loop.
class [[nodiscard]] FdWatch {
 public:
  FdWatch() = default;
  FdWatch(FdWatch&& other) noexcept;
  FdWatch& operator=(FdWatch&& other) noexcept;
  ~FdWatch() { reset(); }
  void reset();
  // Changes the events of interest (EventLoop::kReadable | kWritable).
  void set_events(std::uint32_t events);
  explicit operator bool() const noexcept { return loop_ != nullptr; }

 private:
  friend class EventLoop;
  FdWatch(EventLoop* loop, std::uint64_t id) : loop_(loop), id_(id) {}
  EventLoop* loop_ = nullptr;
  std::uint64_t id_ = 0;
};

class [[nodiscard]] Timer {
 public:
  Timer() = default;
  Timer(Timer&& other) noexcept;
  Timer& operator=(Timer&& other) noexcept;
  ~Timer() { reset(); }
  // Cancels the timer if it has not fired.
  void reset();
  explicit operator bool() const noexcept { return loop_ != nullptr; }

 private:
  friend class EventLoop;
  Timer(EventLoop* loop, std::uint64_t id) : loop_(loop), id_(id) {}
  EventLoop* loop_ = nullptr;
  std::uint64_t id_ = 0;
};

class EventLoop {
 public:
  static constexpr std::uint32_t kReadable = 1;
  static constexpr std::uint32_t kWritable = 2;
  // Reported with kReadable when the peer hung up or the fd is in error.
  static constexpr std::uint32_t kHangup = 4;

  using FdCallback = UniqueFunction<void(std::uint32_t events)>;
  using Task = UniqueFunction<void()>;

  // An epoll-based loop.
  static std::unique_ptr<EventLoop> create();

  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  virtual ~EventLoop() = default;

  // Calls `callback` on the loop thread while `fd` has any of `events`.
  // The fd stays owned by the caller and must outlive the watch.
  FdWatch watch_fd(int fd, std::uint32_t events, FdCallback callback) {
    return FdWatch(this, add_fd_watch(fd, events, std::move(callback)));
  }
  // Calls `callback` once after `delay`.
  Timer add_timer(std::chrono::nanoseconds delay, Task callback) {
    return Timer(this, add_timer_impl(delay, std::move(callback)));
  }
  // Runs `task` on the loop thread soon, in posting order. Thread-safe.
  virtual void post(Task task) = 0;

  // Runs until quit() (which may be called from a callback).
  virtual void run() = 0;
  virtual void quit() = 0;
  // Runs callbacks that are ready, waiting at most `timeout` for one;
  // returns false when the loop has been quit.
  virtual bool run_once(std::chrono::nanoseconds timeout) = 0;

  // Keeps `object` alive until release(token), or until the loop is
  // destroyed — then before anything else of the loop, so the object can
  // still unregister its watches. For objects that finish work on their own
  // after their owner let go (a closed port flushing its last messages).
  using KeepToken = std::uint64_t;
  KeepToken keep(std::shared_ptr<void> object);
  void release(KeepToken token);
  // How many objects are kept now (a diagnostic: it should fall back to 0).
  std::size_t kept_count() const noexcept { return kept_.size(); }

 protected:
  EventLoop() = default;
  // Backends call this first in their destructors.
  void drop_kept();

 private:
  friend class FdWatch;
  friend class Timer;
  virtual std::uint64_t add_fd_watch(int fd, std::uint32_t events, FdCallback callback) = 0;
  virtual void set_fd_events(std::uint64_t id, std::uint32_t events) = 0;
  virtual void remove_fd_watch(std::uint64_t id) = 0;
  virtual std::uint64_t add_timer_impl(std::chrono::nanoseconds delay, Task callback) = 0;
  virtual void cancel_timer(std::uint64_t id) = 0;

  std::map<KeepToken, std::shared_ptr<void>> kept_;
  KeepToken next_keep_ = 1;
};

}  // namespace valence
