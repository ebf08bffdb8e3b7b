// PageServer: the socket web pages connect to, and who gets in
// (docs/security.md). It lives in a private directory (0700, under
// $XDG_RUNTIME_DIR when there is one) named for this process, so a directory
// left by a main process that was killed is recognised and removed by the
// next one. Admission:
//  - only processes of this user (SO_PEERCRED);
//  - at most `max_pending` connections that have not said Hello at a time:
//    the listener rests while that many wait (further connections queue in
//    the kernel's backlog), and each has a small first frame and a deadline
//    (ChildHost, protocol.h); PageBinder then decides which window it is;
//  - out of descriptors, a reserve descriptor makes room to accept and close
//    what waits, and the listener rests, instead of waking the loop again at
//    once forever (level-triggered);
//  - refusals are reported through IpcMain's error reporter at most once per
//    10 s per kind, with a count.
// Thread safety: loop-affine.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "ipc/main/report_limiter.h"
#include "valence/base/result.h"
#include "valence/base/unique_fd.h"
#include "valence/event_loop.h"
#include "valence/main/main_process.h"

namespace valence::ipc {

class MainProcessImpl;

class PageServer {
 public:
  struct Options {
    std::size_t max_pending = 64;
    // Where the private directory goes; empty: $XDG_RUNTIME_DIR, else /tmp.
    std::string base_dir{};
  };

  // Creates the directory and the socket and starts accepting; removes the
  // directories of this user's main processes that are gone. Errors: the
  // directory or the socket could not be made.
  static Result<std::unique_ptr<PageServer>> start(MainProcess& main, Options options);
  static Result<std::unique_ptr<PageServer>> start(MainProcess& main) {
    return start(main, Options{});
  }
  // Closes the socket and removes it and the directory.
  ~PageServer();
  PageServer(const PageServer&) = delete;
  PageServer& operator=(const PageServer&) = delete;

  const std::string& socket_path() const noexcept { return socket_path_; }
  const std::string& directory() const noexcept { return dir_; }
  // Connections closed without being admitted (another user's, or accepted
  // only to be closed while out of descriptors).
  std::size_t refused() const noexcept { return refused_; }
  // How often the listener woke the loop (a spinning listener shows here).
  std::size_t wakeups() const noexcept { return wakeups_; }

  // Removes directories under `base` named as PageServer names them whose
  // process is gone (and which belong to this user). Returns how many.
  static std::size_t remove_stale_directories(const std::string& base);

 private:
  PageServer(MainProcessImpl& main, Options options);
  void on_readable();
  void watch();
  void rest(std::chrono::milliseconds how_long);
  void shed(const std::string& why);
  void report(ReportLimiter& limiter, const std::string& text);

  MainProcessImpl& main_;
  Options options_;
  std::string dir_;
  std::string socket_path_;
  UniqueFd listener_;
  UniqueFd reserve_;  // a spare descriptor, freed to accept-and-close when out of them
  FdWatch watch_;
  Timer resume_;
  std::size_t refused_ = 0;
  std::size_t wakeups_ = 0;
  ReportLimiter other_user_reports_;
  ReportLimiter exhausted_reports_;
  ReportLimiter failure_reports_;
};

}  // namespace valence::ipc
