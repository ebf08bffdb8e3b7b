// The epoll backend of EventLoop.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "base/check.h"
#include "valence/base/unique_fd.h"
#include "valence/event_loop.h"

namespace valence {
namespace {

using Clock = std::chrono::steady_clock;

std::uint32_t to_epoll(std::uint32_t events) {
  std::uint32_t e = 0;
  if (events & EventLoop::kReadable) e |= EPOLLIN;
  if (events & EventLoop::kWritable) e |= EPOLLOUT;
  return e;
}

class EpollLoop final : public EventLoop {
 public:
  EpollLoop()
      : epoll_(::epoll_create1(EPOLL_CLOEXEC)), wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    VALENCE_CHECK(epoll_.valid() && wake_.valid(), "epoll_create1/eventfd failed");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = 0;  // id 0 is the wake-up eventfd
    VALENCE_CHECK(::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev) == 0, "epoll_ctl");
  }

  ~EpollLoop() override { drop_kept(); }

  void post(Task task) override {
    bool need_wake;
    {
      std::lock_guard<std::mutex> lock(posted_mutex_);
      need_wake = posted_.empty();
      posted_.push_back(std::move(task));
    }
    if (need_wake && std::this_thread::get_id() != loop_thread_) {
      std::uint64_t one = 1;
      ssize_t n = ::write(wake_.get(), &one, sizeof one);
      (void)n;  // EAGAIN means a wake-up is already pending
    }
  }

  void run() override {
    quit_ = false;
    while (run_once(std::chrono::nanoseconds::max())) {
    }
  }

  void quit() override { quit_ = true; }

  bool run_once(std::chrono::nanoseconds timeout) override {
    loop_thread_ = std::this_thread::get_id();
    if (quit_) return false;
    run_posted();
    run_timers();
    if (quit_) return false;
    int wait_ms = timeout_ms(timeout);
    epoll_event events[64];
    int n = ::epoll_wait(epoll_.get(), events, 64, wait_ms);
    if (n < 0) {
      VALENCE_CHECK(errno == EINTR, "epoll_wait failed");
      n = 0;
    }
    for (int i = 0; i < n && !quit_; ++i) {
      std::uint64_t id = events[i].data.u64;
      if (id == 0) {
        std::uint64_t drained;
        ssize_t r = ::read(wake_.get(), &drained, sizeof drained);
        (void)r;
        continue;
      }
      auto it = watches_.find(id);
      if (it == watches_.end()) continue;  // removed by an earlier callback
      std::uint32_t e = 0;
      if (events[i].events & EPOLLIN) e |= kReadable;
      if (events[i].events & EPOLLOUT) e |= kWritable;
      if (events[i].events & (EPOLLHUP | EPOLLERR)) e |= kHangup | kReadable;
      Watch& w = *it->second;
      e &= (w.events | kHangup);
      if (!e) continue;
      w.running = true;
      w.callback(e);
      w.running = false;
      if (w.removed) watches_.erase(id);
    }
    run_posted();
    run_timers();
    return !quit_;
  }

 private:
  struct Watch {
    int fd;
    std::uint32_t events;
    FdCallback callback;
    bool running = false;
    bool removed = false;
  };

  std::uint64_t add_fd_watch(int fd, std::uint32_t events, FdCallback callback) override {
    std::uint64_t id = next_id_++;
    epoll_event ev{};
    ev.events = to_epoll(events);
    ev.data.u64 = id;
    VALENCE_CHECK(::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) == 0,
                  "epoll_ctl(ADD) failed: is the fd valid and not watched twice?");
    watches_.emplace(id, std::make_unique<Watch>(Watch{fd, events, std::move(callback)}));
    return id;
  }

  void set_fd_events(std::uint64_t id, std::uint32_t events) override {
    auto it = watches_.find(id);
    if (it == watches_.end() || it->second->events == events) return;
    it->second->events = events;
    epoll_event ev{};
    ev.events = to_epoll(events);
    ev.data.u64 = id;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, it->second->fd, &ev);
  }

  void remove_fd_watch(std::uint64_t id) override {
    auto it = watches_.find(id);
    if (it == watches_.end()) return;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->second->fd, nullptr);
    // A callback may remove its own watch; free it after the callback returns.
    if (it->second->running) {
      it->second->removed = true;
    } else {
      watches_.erase(it);
    }
  }

  std::uint64_t add_timer_impl(std::chrono::nanoseconds delay, Task callback) override {
    std::uint64_t id = next_id_++;
    auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(delay);
    timers_.emplace(std::make_pair(deadline, id), std::move(callback));
    timer_ids_.emplace(id, deadline);
    return id;
  }

  void cancel_timer(std::uint64_t id) override {
    auto it = timer_ids_.find(id);
    if (it == timer_ids_.end()) return;
    timers_.erase(std::make_pair(it->second, id));
    timer_ids_.erase(it);
  }

  void run_posted() {
    std::deque<Task> batch;
    {
      std::lock_guard<std::mutex> lock(posted_mutex_);
      batch.swap(posted_);
    }
    while (!batch.empty()) {
      Task t = std::move(batch.front());
      batch.pop_front();
      t();
    }
  }

  void run_timers() {
    auto now = Clock::now();
    while (!timers_.empty() && timers_.begin()->first.first <= now && !quit_) {
      auto node = timers_.extract(timers_.begin());
      timer_ids_.erase(node.key().second);
      node.mapped()();
    }
  }

  int timeout_ms(std::chrono::nanoseconds timeout) {
    {
      std::lock_guard<std::mutex> lock(posted_mutex_);
      if (!posted_.empty()) return 0;
    }
    auto limit = timeout;
    if (!timers_.empty()) {
      auto until = timers_.begin()->first.first - Clock::now();
      if (until < limit) limit = std::chrono::duration_cast<std::chrono::nanoseconds>(until);
    }
    if (limit <= std::chrono::nanoseconds::zero()) return 0;
    if (limit >= std::chrono::hours(24)) return -1;
    // Round up so that a timer is never polled a moment too early.
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(limit).count();
    return static_cast<int>(ms);
  }

  UniqueFd epoll_;
  UniqueFd wake_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Watch>> watches_;
  std::map<std::pair<Clock::time_point, std::uint64_t>, Task> timers_;
  std::unordered_map<std::uint64_t, Clock::time_point> timer_ids_;
  std::mutex posted_mutex_;
  std::deque<Task> posted_;
  std::uint64_t next_id_ = 1;
  std::atomic<std::thread::id> loop_thread_{};
  bool quit_ = false;
};

}  // namespace

std::unique_ptr<EventLoop> EventLoop::create() {
  return std::make_unique<EpollLoop>();
}

}  // namespace valence
