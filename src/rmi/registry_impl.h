// Registry::Impl: what the app registered (classes, modules, globals,
// built-ins, filters), which WebContents may use remote, and a Session for
// each renderer connection that used it. It is the IPC core's
// RemoteDispatcher.
//
// Thread safety: loop-affine.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <typeindex>
#include <vector>

#include "ipc/main/main_process_impl.h"
#include "ipc/main/remote_dispatcher.h"
#include "rmi/session.h"
#include "valence/remote.h"

namespace valence::remote {

struct Registry::Impl final : ipc::RemoteDispatcher {
  explicit Impl(MainProcess& main);
  ~Impl();

  Result<void> on_remote_message(ipc::ChildHost& host, ipc::RawMessage& message) override;
  void on_host_gone(ipc::ChildHost& host) override;

  // A module's object: its entries as members.
  struct ModuleObject {
    std::shared_ptr<ClassInfo> cls;
    std::shared_ptr<void> self;  // what the page's proxy names
  };
  struct Global {
    Value copy;
    std::shared_ptr<SharedObject> shared;
  };
  struct Builtin {
    ClassInfo* constructor = nullptr;
    std::shared_ptr<void> object;
    std::type_index type = typeid(void);
  };

  bool enabled(int contents_id) const { return enabled_ids.count(contents_id) > 0; }
  // Runs the root filters: false when one prevented it.
  bool filter_root(std::vector<UniqueFunction<void(RootEvent&)>>& filters, RootEvent& event);
  Decision filter_op(const OpInfo& info);
  const ClassInfo* class_of(std::type_index type) const;

  MainProcess& main;
  ipc::MainProcessImpl& main_impl;
  std::vector<std::shared_ptr<ClassInfo>> classes;
  std::map<std::type_index, ClassInfo*> by_type;
  std::map<std::string, ModuleObject> modules;
  std::map<std::string, Global> globals;
  std::map<std::string, Builtin> builtins;
  UniqueFunction<Value(const std::shared_ptr<WebContents>&)> current_window;
  UniqueFunction<Value(const std::shared_ptr<WebContents>&)> current_web_contents;
  std::vector<UniqueFunction<void(RootEvent&)>> on_require, on_get_global, on_get_builtin,
      on_get_current_window, on_get_current_web_contents;
  UniqueFunction<Decision(const OpInfo&)> call_filter;
  Quotas quotas;
  std::set<int> enabled_ids;
  std::map<ipc::ChildHost*, std::unique_ptr<Session>> sessions;
  // Sessions whose connection went during one of their operations.
  std::vector<std::unique_ptr<Session>> detached;
  std::shared_ptr<Impl*> self = std::make_shared<Impl*>(this);  // for Callbacks that outlive it
};

}  // namespace valence::remote
