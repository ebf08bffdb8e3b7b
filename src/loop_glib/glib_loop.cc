// The GLib backend of EventLoop: everything is a GSource on GLib's default
// main context, so valence's channels and timers fire from whichever loop
// runs that context (ours in run()/run_once(), GTK's, or WebKit's).
//
// Thread rule: loop-affine, like every EventLoop. The loop is created, used
// and destroyed on the thread that iterates the default main context; only
// post() may be called from other threads (it locks the task queue and wakes
// the context with g_main_context_wakeup()).
//
// Sources (all G_PRIORITY_DEFAULT):
//   - one per FdWatch: a custom source with g_source_add_unix_fd(), so that
//     set_events() is g_source_modify_unix_fd(). Not recursive: while a
//     watch's callback runs a nested run(), GLib blocks that watch (its
//     callback is never re-entered); other sources keep firing.
//   - one for all timers: it polls until the earliest deadline and runs the
//     due timers in deadline order (one GSource per timer would run timers
//     that became due in the same iteration in the order they were added,
//     not by deadline).
//   - one for posted tasks: ready while the queue is non-empty; each
//     dispatch runs the tasks that were queued when it started, so a task
//     that posts runs its follow-up on a later iteration (fds get polled in
//     between).
// The timer and task sources may recurse: a task that runs a nested run()
// does not stop the other tasks and timers. Every callback is looked up by
// id or taken out of its container before it is called, so a callback may
// remove any watch or timer (its own included), and nothing of a removed one
// runs afterwards.
#include <fcntl.h>
#include <glib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/check.h"
#include "valence/event_loop.h"
#include "valence/glib_loop.h"

namespace valence {
namespace {

using Clock = std::chrono::steady_clock;

class GlibLoop;

// Our custom sources: GSource first, so GLib's pointer is ours.
struct WatchSource {
  GSource base;
  GlibLoop* loop;
  std::uint64_t id;
  gpointer tag;  // from g_source_add_unix_fd
};
struct LoopSource {
  GSource base;
  GlibLoop* loop;
};

GSource* new_source(GSourceFuncs* funcs, std::size_t size, const char* name, GlibLoop* loop) {
  GSource* source = g_source_new(funcs, static_cast<guint>(size));
  g_source_set_name(source, name);
  g_source_set_priority(source, G_PRIORITY_DEFAULT);
  reinterpret_cast<LoopSource*>(source)->loop = loop;  // WatchSource starts the same way
  return source;
}

void destroy_source(GSource* source) {
  // Safe from the source's own dispatch: GLib holds a reference until the
  // dispatch returns and never dispatches a destroyed source.
  g_source_destroy(source);
  g_source_unref(source);
}

GIOCondition to_glib(std::uint32_t events) {
  // ERR and HUP are always reported, like EPOLLERR and EPOLLHUP.
  unsigned c = G_IO_ERR | G_IO_HUP;
  if (events & EventLoop::kReadable) c |= G_IO_IN;
  if (events & EventLoop::kWritable) c |= G_IO_OUT;
  return static_cast<GIOCondition>(c);
}

class GlibLoop final : public EventLoop {
 public:
  GlibLoop() : context_(g_main_context_ref(g_main_context_default())) {
    timer_source_ = new_source(&timer_funcs_, sizeof(LoopSource), "valence timers", this);
    g_source_set_can_recurse(timer_source_, TRUE);
    g_source_attach(timer_source_, context_);
    task_source_ = new_source(&task_funcs_, sizeof(LoopSource), "valence posted tasks", this);
    g_source_set_can_recurse(task_source_, TRUE);
    g_source_attach(task_source_, context_);
  }

  ~GlibLoop() override {
    drop_kept();
    // Callbacks that never ran are destroyed while the loop is still whole:
    // what they own may unregister watches and timers.
    while (!timers_.empty()) {
      auto node = timers_.extract(timers_.begin());
      timer_ids_.erase(node.key().second);
    }
    for (;;) {
      Task task;
      {
        std::lock_guard<std::mutex> lock(posted_mutex_);
        if (posted_.empty()) break;
        task = std::move(posted_.front().task);
        posted_.pop_front();
      }
    }
    while (!watches_.empty()) remove_fd_watch(watches_.begin()->first);
    destroy_source(timer_source_);
    destroy_source(task_source_);
    g_main_context_unref(context_);
  }

  void post(Task task) override {
    bool was_empty;
    {
      std::lock_guard<std::mutex> lock(posted_mutex_);
      was_empty = posted_.empty();
      posted_.push_back(Posted{next_post_++, std::move(task)});
    }
    // The loop thread checks the queue before every poll; another thread
    // must interrupt a poll that may have started after that check.
    if (was_empty && std::this_thread::get_id() != loop_thread_) g_main_context_wakeup(context_);
  }

  void run() override {
    bool outer_quit = quit_;
    quit_ = false;
    GMainLoop* loop = g_main_loop_new(context_, FALSE);
    frames_.push_back(Frame{loop, false});
    g_main_loop_run(loop);
    // What was posted up to quit() still runs before run() returns (a
    // channel's last flush, say), as the epoll loop's last batch does.
    run_posted();
    frames_.pop_back();
    g_main_loop_unref(loop);
    // Outermost: stay quit (run_once() returns false, as with epoll). Nested:
    // only the inner run() ended.
    if (!frames_.empty()) quit_ = outer_quit;
  }

  void quit() override {
    quit_ = true;
    // Ends the innermost run(), and any run_once() nested inside it.
    for (std::size_t i = frames_.size(); i-- > 0;) {
      frames_[i].quit = true;
      if (frames_[i].loop) {
        g_main_loop_quit(frames_[i].loop);
        break;
      }
    }
  }

  bool run_once(std::chrono::nanoseconds timeout) override {
    if (quit_) return false;
    frames_.push_back(Frame{nullptr, false});
    // A wake-up source bounds the wait; low priority so that it never keeps
    // another ready source from being dispatched.
    GSource* wake = nullptr;
    bool block = timeout > std::chrono::nanoseconds::zero();
    if (block && timeout < std::chrono::hours(24)) {
      wake = g_source_new(&wake_funcs_, sizeof(GSource));
      g_source_set_name(wake, "valence run_once timeout");
      g_source_set_priority(wake, G_PRIORITY_LOW);
      g_source_set_ready_time(wake, ready_time_after(timeout));
      g_source_attach(wake, context_);
    }
    g_main_context_iteration(context_, block ? TRUE : FALSE);
    if (wake) destroy_source(wake);
    if (frames_.back().quit) run_posted();
    frames_.pop_back();
    return !quit_;
  }

 private:
  struct Watch {
    int fd;
    GSource* source;
    std::uint32_t events;
    FdCallback callback;
  };
  struct Posted {
    std::uint64_t seq;
    Task task;
  };
  // One per active run() (loop set) or run_once() (loop null).
  struct Frame {
    GMainLoop* loop;
    bool quit;
  };

  // After quit(), no more fd or timer callbacks in the ending run()/run_once()
  // (like epoll); they stay ready for the next one.
  bool stopping() const { return !frames_.empty() && frames_.back().quit; }

  static gint64 ready_time_after(std::chrono::nanoseconds delay) {
    gint64 now = g_get_monotonic_time();
    if (delay <= std::chrono::nanoseconds::zero()) return now;
    // Rounded up, plus a microsecond because g_get_monotonic_time() truncates:
    // the source never becomes ready before the deadline.
    std::int64_t us = std::chrono::ceil<std::chrono::microseconds>(delay).count() + 1;
    constexpr gint64 kFar = G_MAXINT64 / 2;
    return us >= kFar - now ? kFar : now + us;
  }

  // ---- fd watches ----

  std::uint64_t add_fd_watch(int fd, std::uint32_t events, FdCallback callback) override {
    // As epoll_ctl(ADD) would fail (GLib itself would take both).
    VALENCE_CHECK(::fcntl(fd, F_GETFD) != -1 && watched_fds_.insert(fd).second,
                  "watch_fd: is the fd valid and not watched twice?");
    std::uint64_t id = next_id_++;
    GSource* source = new_source(&watch_funcs_, sizeof(WatchSource), "valence fd watch", this);
    auto* ws = reinterpret_cast<WatchSource*>(source);
    ws->id = id;
    ws->tag = g_source_add_unix_fd(source, fd, to_glib(events));
    watches_.emplace(id, std::make_shared<Watch>(Watch{fd, source, events, std::move(callback)}));
    g_source_attach(source, context_);
    return id;
  }

  void set_fd_events(std::uint64_t id, std::uint32_t events) override {
    auto it = watches_.find(id);
    if (it == watches_.end() || it->second->events == events) return;
    Watch& w = *it->second;
    w.events = events;
    g_source_modify_unix_fd(w.source, reinterpret_cast<WatchSource*>(w.source)->tag,
                            to_glib(events));
  }

  void remove_fd_watch(std::uint64_t id) override {
    auto it = watches_.find(id);
    if (it == watches_.end()) return;
    // A running callback keeps its Watch alive (see dispatch_watch).
    std::shared_ptr<Watch> w = std::move(it->second);
    watches_.erase(it);
    watched_fds_.erase(w->fd);
    destroy_source(w->source);
  }

  void dispatch_watch(std::uint64_t id, unsigned revents) {
    if (stopping()) return;
    auto it = watches_.find(id);
    if (it == watches_.end()) return;  // removed by an earlier callback
    // Reported as the epoll backend does.
    std::uint32_t e = 0;
    if (revents & G_IO_IN) e |= kReadable;
    if (revents & G_IO_OUT) e |= kWritable;
    // NVAL (the fd was closed under the watch) too, rather than spinning.
    if (revents & (G_IO_HUP | G_IO_ERR | G_IO_NVAL)) e |= kHangup | kReadable;
    e &= it->second->events | kHangup;
    if (!e) return;
    // The callback may remove this watch; its closure lives until it returns.
    std::shared_ptr<Watch> keep = it->second;
    keep->callback(e);
  }

  static gboolean watch_dispatch(GSource* source, GSourceFunc, gpointer) {
    auto* ws = reinterpret_cast<WatchSource*>(source);
    unsigned revents = g_source_query_unix_fd(source, ws->tag);
    ws->loop->dispatch_watch(ws->id, revents);
    return G_SOURCE_CONTINUE;
  }

  // ---- timers ----

  std::uint64_t add_timer_impl(std::chrono::nanoseconds delay, Task callback) override {
    std::uint64_t id = next_id_++;
    auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                       std::max(delay, std::chrono::nanoseconds::zero()));
    timers_.emplace(std::make_pair(deadline, id), std::move(callback));
    timer_ids_.emplace(id, deadline);
    return id;
  }

  void cancel_timer(std::uint64_t id) override {
    auto it = timer_ids_.find(id);
    if (it == timer_ids_.end()) return;
    auto node = timers_.extract(std::make_pair(it->second, id));
    timer_ids_.erase(it);
    // `node` (the callback) is destroyed here, after the maps are consistent.
  }

  void run_timers() {
    auto now = Clock::now();
    // One at a time: a callback may add or cancel timers, or run a nested
    // loop that runs the next ones.
    while (!timers_.empty() && timers_.begin()->first.first <= now && !stopping()) {
      auto node = timers_.extract(timers_.begin());
      timer_ids_.erase(node.key().second);
      node.mapped()();
    }
  }

  // The timer source computes its poll timeout from the earliest deadline
  // before every poll (rather than g_source_set_ready_time(), which wakes the
  // context on every change), rounded up to GLib's milliseconds like epoll's.
  static gboolean timer_prepare(GSource* source, gint* timeout) {
    GlibLoop* loop = reinterpret_cast<LoopSource*>(source)->loop;
    *timeout = -1;
    if (loop->timers_.empty()) return FALSE;
    auto until = loop->timers_.begin()->first.first - Clock::now();
    if (until <= Clock::duration::zero()) {
      *timeout = 0;
      return TRUE;
    }
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(until).count();
    *timeout = static_cast<gint>(std::min<std::int64_t>(ms, G_MAXINT));
    return FALSE;
  }
  static gboolean timer_check(GSource* source) {
    GlibLoop* loop = reinterpret_cast<LoopSource*>(source)->loop;
    return !loop->timers_.empty() && loop->timers_.begin()->first.first <= Clock::now() ? TRUE
                                                                                        : FALSE;
  }
  static gboolean timer_dispatch(GSource* source, GSourceFunc, gpointer) {
    GlibLoop* loop = reinterpret_cast<LoopSource*>(source)->loop;
    if (!loop->stopping()) loop->run_timers();
    return G_SOURCE_CONTINUE;
  }

  // ---- posted tasks ----

  bool has_posted() {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    return !posted_.empty();
  }

  // Runs the tasks posted so far, in order; later ones wait for the next
  // dispatch. One at a time, so a nested loop inside a task goes on with the
  // next ones and the order holds.
  void run_posted() {
    std::uint64_t limit;
    {
      std::lock_guard<std::mutex> lock(posted_mutex_);
      limit = next_post_;
    }
    for (;;) {
      Task task;
      {
        std::lock_guard<std::mutex> lock(posted_mutex_);
        if (posted_.empty() || posted_.front().seq >= limit) return;
        task = std::move(posted_.front().task);
        posted_.pop_front();
      }
      task();
    }
  }

  static gboolean task_prepare(GSource* source, gint* timeout) {
    *timeout = -1;
    return reinterpret_cast<LoopSource*>(source)->loop->has_posted() ? TRUE : FALSE;
  }
  static gboolean task_check(GSource* source) {
    return reinterpret_cast<LoopSource*>(source)->loop->has_posted() ? TRUE : FALSE;
  }
  static gboolean task_dispatch(GSource* source, GSourceFunc, gpointer) {
    // Runs even when stopping: tasks are not cut off by quit() (see run()).
    reinterpret_cast<LoopSource*>(source)->loop->run_posted();
    return G_SOURCE_CONTINUE;
  }

  // run_once()'s timeout: only wakes the poll.
  static gboolean wake_dispatch(GSource*, GSourceFunc, gpointer) { return G_SOURCE_CONTINUE; }

  static inline GSourceFuncs watch_funcs_ = {nullptr, nullptr, &watch_dispatch,
                                             nullptr, nullptr, nullptr};
  static inline GSourceFuncs timer_funcs_ = {&timer_prepare, &timer_check, &timer_dispatch,
                                             nullptr,        nullptr,      nullptr};
  static inline GSourceFuncs task_funcs_ = {&task_prepare, &task_check, &task_dispatch,
                                            nullptr,       nullptr,     nullptr};
  static inline GSourceFuncs wake_funcs_ = {nullptr, nullptr, &wake_dispatch,
                                            nullptr, nullptr, nullptr};

  GMainContext* context_;
  GSource* timer_source_ = nullptr;
  GSource* task_source_ = nullptr;
  std::unordered_map<std::uint64_t, std::shared_ptr<Watch>> watches_;
  std::unordered_set<int> watched_fds_;
  std::map<std::pair<Clock::time_point, std::uint64_t>, Task> timers_;
  std::unordered_map<std::uint64_t, Clock::time_point> timer_ids_;
  std::mutex posted_mutex_;
  std::deque<Posted> posted_;    // guarded by posted_mutex_
  std::uint64_t next_post_ = 0;  // guarded by posted_mutex_
  std::uint64_t next_id_ = 1;
  const std::thread::id loop_thread_ = std::this_thread::get_id();
  std::vector<Frame> frames_;
  bool quit_ = false;
};

}  // namespace

std::unique_ptr<EventLoop> create_glib_loop() {
  return std::make_unique<GlibLoop>();
}

}  // namespace valence
