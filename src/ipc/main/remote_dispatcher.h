// RemoteDispatcher: where the IPC core hands the remote module's messages
// (protocol.h, kinds 11-18). The rmi layer implements it and installs it on
// the MainProcessImpl, so ipc_main never includes rmi (the layer DAG).
//
// Thread safety: loop-affine.
#pragma once

#include "ipc/common/message.h"
#include "valence/base/result.h"

namespace valence::ipc {

class ChildHost;

class RemoteDispatcher {
 public:
  // A remote message from a bound renderer. An error is a bad message: the
  // host ends the connection (and kills the renderer) with its text.
  virtual Result<void> on_remote_message(ChildHost& host, RawMessage& message) = 0;
  // The connection ended: everything of its documents is released.
  virtual void on_host_gone(ChildHost& host) = 0;

 protected:
  ~RemoteDispatcher() = default;
};

}  // namespace valence::ipc
