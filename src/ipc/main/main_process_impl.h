// MainProcessImpl: what a MainProcess is, behind its public API: the native
// children's connections, the pages' WebContents and their binding
// (PageBinder), and the ids. The IPC core and the ui layer reach it from a
// MainProcess through from(); the app never sees it.
//
// Thread safety: loop-affine.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "ipc/main/ipc_main_impl.h"
#include "ipc/main/page_binder.h"
#include "ipc/main/remote_dispatcher.h"
#include "valence/main/main_process.h"

namespace valence::ipc {

class ChildHost;
class WebContentsImpl;

class MainProcessImpl {
 public:
  explicit MainProcessImpl(EventLoop& loop);
  ~MainProcessImpl();
  MainProcessImpl(const MainProcessImpl&) = delete;
  MainProcessImpl& operator=(const MainProcessImpl&) = delete;

  static MainProcessImpl& from(MainProcess& main) noexcept { return *main.impl_; }
  static const MainProcessImpl& from(const MainProcess& main) noexcept { return *main.impl_; }

  EventLoop& loop() noexcept { return loop_; }
  IpcMainImpl& ipc_main() noexcept { return ipc_main_; }

  Result<std::shared_ptr<WebContents>> spawn_child(const ChildOptions& options);
  std::vector<std::shared_ptr<WebContents>> all_web_contents() const;
  std::shared_ptr<WebContents> from_id(int id) const;

  // A WebContents for a page that will connect later (PageBinder binds it).
  std::shared_ptr<WebContentsImpl> create_page_contents();
  PageBinder& pages() noexcept { return pages_; }
  const PageBinder& pages() const noexcept { return pages_; }

  // A host whose process or connection is gone: deleted from the loop, not
  // from inside its own callback.
  void remove_host(ChildHost& host);

  // The remote module's dispatcher (the rmi layer's Registry), or null.
  RemoteDispatcher* remote() const noexcept { return remote_; }
  void set_remote(RemoteDispatcher* remote) noexcept { remote_ = remote; }

 private:
  RemoteDispatcher* remote_ = nullptr;
  EventLoop& loop_;
  IpcMainImpl ipc_main_;
  std::map<int, std::weak_ptr<WebContentsImpl>> page_contents_;  // by id
  int next_id_ = 1;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // for posted tasks
  // Last: their destructors kill and reap the processes while the rest is
  // whole.
  PageBinder pages_;
  std::map<int, std::unique_ptr<ChildHost>> hosts_;  // native children, by WebContents id
};

}  // namespace valence::ipc
