// MainProcess: the main process's IPC hub. It owns ipcMain and the
// connections to every renderer, and starts native child processes.
//
//   auto loop = valence::EventLoop::create();
//   valence::MainProcess main(*loop);
//   main.ipc_main().handle("ping", [](valence::IpcMainInvokeEvent&) { return "pong"; });
//   auto child = main.spawn_child({.path = "./my_child"});
//   loop->run();
//
// Children: started with fork+exec, their connection on fd 3 (environment
// VALENCE_IPC_FD / VALENCE_IPC_TOKEN); they get SIGTERM when the main process
// dies (PR_SET_PDEATHSIG), so none is orphaned. A child that breaks the
// protocol is reported (WebContents::on_bad_message), disconnected and
// killed; the others keep working.
//
// Thread safety: loop-affine.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "valence/base/result.h"
#include "valence/base/unique_fd.h"
#include "valence/event_loop.h"
#include "valence/main/ipc_main.h"
#include "valence/main/web_contents.h"

namespace valence {

struct ChildOptions {
  std::string path{};               // the executable
  std::vector<std::string> args{};  // argv[1..]
  std::vector<std::string> env{};   // extra "NAME=value" entries
  // Limits of the connection to this child.
  std::size_t max_message_bytes = std::size_t{1} << 30;
  std::size_t max_queued_bytes = std::size_t{256} << 20;
};

namespace ipc {
class ChildHost;
}

class MainProcess {
 public:
  explicit MainProcess(EventLoop& loop);
  // Kills and reaps the children still running.
  ~MainProcess();
  MainProcess(const MainProcess&) = delete;
  MainProcess& operator=(const MainProcess&) = delete;

  EventLoop& loop() noexcept { return loop_; }
  IpcMain& ipc_main() noexcept { return ipc_main_; }

  // Starts `options.path` as a renderer. Errors: the executable could not be
  // started (kFailed, with the errno text).
  Result<std::shared_ptr<WebContents>> spawn_child(const ChildOptions& options);

  // Every WebContents: native children and web pages.
  std::vector<std::shared_ptr<WebContents>> all_web_contents() const;
  std::shared_ptr<WebContents> from_id(int id) const;

  // ---- Web pages (used by valence::ui; see ipc/main/child_host.h) ----------
  // A WebContents for a page that will connect later.
  std::shared_ptr<WebContents> create_page_contents();
  // A token that identifies one web process main started (its kHello). It
  // is bound to the first process that says Hello with it and removed when
  // that process ends.
  void add_page_token(std::string token);
  // A connection accepted from a web process whose SO_PEERCRED pid is `pid`.
  void adopt_page_connection(UniqueFd socket, int pid);
  // Page connections open, and those of them that have not said Hello yet.
  std::size_t page_connections() const;
  std::size_t pending_page_connections() const;
  // WebKit confirmed, on the view's own channel, that the page with `nonce`
  // belongs to `contents`: the connection that said Hello with that nonce
  // (now or later) is bound to it, replacing the page's previous one.
  void bind_page(const std::string& nonce, const std::shared_ptr<WebContents>& contents);

  // Internal: a host whose process or connection is gone; a page's Hello.
  void remove_host(ipc::ChildHost* host);
  Result<void> claim_page_token(const std::string& token, int pid);
  // Reports a page connection refused before it was bound to a window, at
  // most once per 10 s for each kind of `reason` (with a count): whoever
  // connects may repeat it.
  void report_page_refusal(const std::string& reason, const std::string& text);
  Result<void> page_hello(ipc::ChildHost* host);

 private:
  EventLoop& loop_;
  IpcMain ipc_main_;
  std::map<int, std::unique_ptr<ipc::ChildHost>> hosts_;  // native children, by WebContents id
  std::map<ipc::ChildHost*, std::unique_ptr<ipc::ChildHost>> page_hosts_;
  std::map<int, std::weak_ptr<WebContents>> pages_;                     // by id
  std::map<std::string, std::weak_ptr<WebContents>> confirmed_nonces_;  // before their Hello
  struct PageToken {
    int pid = 0;  // the web process that said Hello with it first
    UniqueFd pidfd;
    FdWatch exit_watch;
  };
  std::map<std::string, PageToken> page_tokens_;
  struct RefusalReports {
    std::chrono::steady_clock::time_point last{};
    std::size_t left_out = 0;
  };
  std::map<std::string, RefusalReports> refusal_reports_;  // by kind of reason
  int next_id_ = 1;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // for posted tasks
};

}  // namespace valence
