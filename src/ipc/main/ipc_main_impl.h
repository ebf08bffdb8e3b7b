// What the IPC core needs of ipcMain and its events beyond Electron's API:
// dispatching a message into the listeners and handlers, and a sendSync's
// event that carries its pending answer. Kept out of include/valence/ so the
// app sees only Electron's API.
//
// Thread safety: loop-affine (the main process's loop).
#pragma once

#include <memory>
#include <utility>

#include "valence/main/ipc_main.h"

namespace valence::ipc {

class SyncReplySlot;

class IpcMainImpl final : public IpcMain {
 public:
  using IpcMain::dispatch_invoke;
  using IpcMain::dispatch_message;
};

// The event of a sendSync: event.returnValue answers the renderer.
class SyncMessageEvent final : public IpcMainEvent {
 public:
  explicit SyncMessageEvent(std::shared_ptr<SyncReplySlot> slot) { sync_ = std::move(slot); }
};

}  // namespace valence::ipc
