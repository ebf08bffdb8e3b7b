// ChildHost: the main process's end of one renderer connection: the channel,
// the process, the handshake, and dispatch into IpcMain.
// Thread safety: loop-affine.
#pragma once

#include <memory>
#include <string>

#include "ipc/common/message.h"
#include "ipc/main/spawn.h"
#include "transport/channel.h"
#include "valence/main/main_process.h"

namespace valence::ipc {

class ChildHost;

// A pending sendSync: answered once, by set() / fail(), or by the destructor.
class SyncReplySlot {
 public:
  SyncReplySlot(std::weak_ptr<ChildHost*> host, std::uint64_t request_id, std::string channel)
      : host_(std::move(host)), request_id_(request_id), channel_(std::move(channel)) {}
  ~SyncReplySlot();
  void set(Value v);
  void fail(const std::string& message, ReplyStatus status = ReplyStatus::kError);
  bool done() const noexcept { return done_; }
  bool deferred = false;

 private:
  void reply(ReplyStatus status, Value body);
  std::weak_ptr<ChildHost*> host_;
  std::uint64_t request_id_;
  std::string channel_;
  bool done_ = false;
};

class ChildHost final : public transport::Channel::Delegate {
 public:
  ChildHost(MainProcess& main, std::shared_ptr<WebContents> contents, UniqueFd socket,
            std::string token, SpawnedChild child, transport::ChannelOptions options);
  ~ChildHost();

  void start();
  // Encodes and queues a message. False when disconnected or the body
  // cannot be cloned (then reported through IpcMain's error reporter).
  bool send_message(const Message& m, std::vector<UniqueFd> fds = {});
  Result<void> post_message(std::string_view channel, Value message,
                            const std::vector<std::shared_ptr<MessagePort>>& transfer);
  bool connected() const noexcept { return channel_.is_open(); }
  void kill();
  const std::shared_ptr<WebContents>& contents() const noexcept { return contents_; }

  void on_frame(transport::Frame frame) override;
  void on_channel_error(transport::ChannelError error, const std::string& detail) override;

 private:
  void handle_message(Message m);
  void handle_invoke(Message m);
  void handle_sync(Message m);
  void handle_post_message(Message m);
  void bad_message(const std::string& reason);
  void on_process_exit();
  std::string describe() const;

  MainProcess& main_;
  std::shared_ptr<WebContents> contents_;
  std::string token_;
  SpawnedChild child_;
  transport::Channel channel_;
  FdWatch exit_watch_;
  bool hello_done_ = false;
  bool exited_ = false;
  std::shared_ptr<ChildHost*> self_ = std::make_shared<ChildHost*>(this);
};

}  // namespace valence::ipc
