// App::Impl: what the App owns (ui layer internals).
// Thread safety: loop-affine (the GTK main thread).
#pragma once

#include <webkit2/webkit2.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ipc/main/main_process_impl.h"
#include "ipc/main/page_server.h"
#include "valence/base/unique_fd.h"
#include "valence/remote.h"
#include "valence/ui/app.h"
#include "valence/ui/browser_window.h"
#include "valence/ui/menu.h"

namespace valence {

struct App::Impl {
  AppOptions options;
  std::unique_ptr<EventLoop> loop;
  std::unique_ptr<MainProcess> main;
  WebKitWebContext* context = nullptr;
  // The socket pages connect to, in a private directory.
  std::unique_ptr<ipc::PageServer> page_server;
  std::string config_json;                                // what preload scripts see (versions)
  std::map<int, std::shared_ptr<BrowserWindow>> windows;  // open windows, by id
  std::shared_ptr<Menu> application_menu;
  int next_window_id = 1;
  bool running = false;
  bool ready = false;
  bool quitting = false;
  std::vector<UniqueFunction<void()>> when_ready;
  std::vector<UniqueFunction<void()>> window_all_closed;
  // After `main`: destroyed before it (its sessions name main's hosts).
  std::unique_ptr<remote::Registry> remote;

  WebKitWebContext* web_context();  // created on first use
  void start_page_server();
  void window_closed(int id);
};

// The built-ins pages reach through remote (remote_builtins.cc).
void register_remote_builtins(App& app, remote::Registry& registry);

// glibc keeps freed memory for reuse (AppOptions::tune_malloc).
void tune_malloc();

// The JS value WebKit returned (UI process) as a Value. Errors name the path.
Result<Value> value_from_jsc(JSCValue* value);

}  // namespace valence
