// Future<T> / Promise<T>: a single-consumer asynchronous result, usable three
// ways: with a callback (then), from a C++20 coroutine (co_await), or — in a
// native child process only — with a blocking wait (get), which the IPC
// layer implements by reading its connection until the result arrives.
//
// Task: a fire-and-forget coroutine type, so that code can write
//   valence::Task ping(IpcRenderer& ipc) { auto r = co_await ipc.invoke("ping"); ... }
//
// Thread safety: loop-affine. A Promise is fulfilled and its Future consumed
// on the same thread (the loop's).
#pragma once

#include <coroutine>
#include <exception>
#include <memory>
#include <optional>
#include <utility>

#include "valence/base/result.h"
#include "valence/base/unique_function.h"

namespace valence {

namespace detail {
template <class T>
struct FutureState {
  std::optional<Result<T>> result;
  UniqueFunction<void(Result<T>)> continuation;
  // Set by the producer when a blocking wait is possible: runs until the
  // result is there (or it knows it never will be).
  UniqueFunction<void()> block_until_ready;
  bool consumed = false;
};
}  // namespace detail

template <class T>
class Future;

template <class T>
class Promise {
 public:
  Promise() : state_(std::make_shared<detail::FutureState<T>>()) {}
  Promise(Promise&&) noexcept = default;
  Promise& operator=(Promise&&) noexcept = default;
  // A promise dropped without a result fails its future.
  ~Promise() {
    if (state_ && !state_->result)
      set(make_error(ErrorCode::kFailed, "the promise was dropped without a result"));
  }

  Future<T> future() { return Future<T>(state_); }
  // Fulfils the future once; later calls are ignored.
  void set(Result<T> result) {
    if (!state_ || state_->result) return;
    if (state_->continuation) {
      auto c = std::move(state_->continuation);
      state_->consumed = true;
      state_->result.emplace(make_error(ErrorCode::kFailed, "consumed"));
      c(std::move(result));
      return;
    }
    state_->result.emplace(std::move(result));
  }
  bool is_set() const { return !state_ || state_->result.has_value(); }
  void set_blocking_wait(UniqueFunction<void()> wait) {
    state_->block_until_ready = std::move(wait);
  }

 private:
  std::shared_ptr<detail::FutureState<T>> state_;  // shared by exactly one Promise and one Future
};

template <class T>
class [[nodiscard]] Future {
 public:
  Future() = default;
  // An already resolved future.
  static Future ready(Result<T> r) {
    Promise<T> p;
    p.set(std::move(r));
    return p.future();
  }

  bool valid() const noexcept { return state_ != nullptr; }
  bool is_ready() const noexcept { return state_ && state_->result && !state_->consumed; }

  // Calls `f` with the result: now if it is there, else when it arrives.
  void then(UniqueFunction<void(Result<T>)> f) {
    auto s = std::move(state_);
    if (!s) return;
    if (s->result && !s->consumed) {
      s->consumed = true;
      f(std::move(*s->result));
      return;
    }
    s->continuation = std::move(f);
  }

  // Blocks until the result is there. Only where the producer supports it
  // (IpcRenderer in a native child); elsewhere an unresolved future fails
  // with kUnimplemented instead of deadlocking.
  Result<T> get() {
    auto s = std::move(state_);
    if (!s) return make_error(ErrorCode::kFailed, "get() on an empty future");
    if (!s->result && s->block_until_ready) {
      auto wait = std::move(s->block_until_ready);
      wait();
    }
    if (!s->result || s->consumed)
      return make_error(ErrorCode::kUnimplemented,
                        "this future cannot be waited for here; use then() or co_await");
    s->consumed = true;
    return std::move(*s->result);
  }

  // co_await support: resumes the coroutine with the Result<T>.
  bool await_ready() const noexcept { return is_ready(); }
  void await_suspend(std::coroutine_handle<> h) {
    state_->continuation = [this, h](Result<T> r) {
      resumed_.emplace(std::move(r));
      h.resume();
    };
  }
  Result<T> await_resume() {
    if (resumed_) return std::move(*resumed_);
    auto s = std::move(state_);
    s->consumed = true;
    return std::move(*s->result);
  }

 private:
  template <class>
  friend class Promise;
  explicit Future(std::shared_ptr<detail::FutureState<T>> s) : state_(std::move(s)) {}
  std::shared_ptr<detail::FutureState<T>> state_;
  std::optional<Result<T>> resumed_;
};

// A coroutine that starts at once and frees itself when done. Exceptions
// escaping it terminate (as a detached thread's would).
struct Task {
  struct promise_type {
    Task get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
};

}  // namespace valence
