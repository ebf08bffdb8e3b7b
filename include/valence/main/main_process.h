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

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "valence/base/result.h"
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
class MainProcessImpl;
}

class MainProcess {
 public:
  explicit MainProcess(EventLoop& loop);
  // Kills and reaps the children still running.
  ~MainProcess();
  MainProcess(const MainProcess&) = delete;
  MainProcess& operator=(const MainProcess&) = delete;

  EventLoop& loop() noexcept;
  IpcMain& ipc_main() noexcept;

  // Starts `options.path` as a renderer. Errors: the executable could not be
  // started (kFailed, with the errno text).
  Result<std::shared_ptr<WebContents>> spawn_child(const ChildOptions& options);

  // Every WebContents: native children and web pages.
  std::vector<std::shared_ptr<WebContents>> all_web_contents() const;
  std::shared_ptr<WebContents> from_id(int id) const;

 private:
  // Qt's d-pointer: the state and everything the IPC core and the ui layer
  // use (pages, their binding, the connections) live in
  // src/ipc/main/main_process_impl.h, which alone may follow this pointer.
  friend class ipc::MainProcessImpl;
  std::unique_ptr<ipc::MainProcessImpl> impl_;
};

}  // namespace valence
