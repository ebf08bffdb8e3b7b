// ChildHost: the main process's end of one renderer connection: the channel,
// the process, the handshake, and dispatch into IpcMain.
//
// Two kinds of renderer connect:
//  - a native child main spawned (socketpair on fd 3): it proves itself with
//    the token main gave it and is bound to its WebContents from the start;
//  - a web page's connection, accepted on main's socket (ui layer): it proves
//    its process with a per-process token (kHello), then waits unbound until
//    WebKit itself, on the view's own channel, vouches for the page's nonce
//    (PageBinder decides). Messages that arrive before that wait, in order.
// Thread safety: loop-affine.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "ipc/common/message.h"
#include "ipc/main/ipc_main_impl.h"
#include "ipc/main/spawn.h"
#include "ipc/main/web_contents_impl.h"
#include "transport/channel.h"

namespace valence::ipc {

class ChildHost;
class MainProcessImpl;

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
  // A native child.
  ChildHost(MainProcessImpl& main, std::shared_ptr<WebContentsImpl> contents, UniqueFd socket,
            std::string token, SpawnedChild child, transport::ChannelOptions options);
  // A web page's connection from process `pid` (SO_PEERCRED); unbound.
  ChildHost(MainProcessImpl& main, UniqueFd socket, int pid, transport::ChannelOptions options);
  ~ChildHost();

  bool is_page() const noexcept { return !child_.has_value(); }
  bool is_bound() const noexcept { return contents_ != nullptr; }
  // The page's nonce and token from its kHello (empty before).
  const std::string& nonce() const noexcept { return nonce_; }
  const std::string& token() const noexcept { return token_; }
  bool said_hello() const noexcept { return hello_done_; }
  // Binds a page connection to its WebContents: Welcome, then what waited.
  // (PageBinder alone calls it.)
  void bind(std::shared_ptr<WebContentsImpl> contents);
  int pid() const noexcept { return pid_; }
  MainProcessImpl& main() noexcept { return main_; }
  // True the first time: the host is then on its way out (MainProcessImpl).
  bool mark_removed() noexcept { return !std::exchange(removed_, true); }
  void start();
  // Encodes and queues a message. Errors: kDisconnected, kCloneError (the
  // path of the value), kOverloaded (a limit of the channel).
  Result<void> send_message(const Message& m, std::vector<UniqueFd> fds = {});
  // send_message(), reporting a failure other than a lost connection
  // through IpcMain's error reporter (for sends that return a bool).
  bool send_or_report(const Message& m);
  // Sends a payload built with encode_raw() (the remote module encodes its
  // own bodies). Errors as send_message().
  Result<void> send_raw(MessageKind kind, transport::Buffer payload);
  Result<void> post_message(std::string_view channel, Value message,
                            const std::vector<std::shared_ptr<MessagePort>>& transfer);
  bool connected() const noexcept { return channel_.is_open(); }
  void kill();
  // Closes this connection without touching the process (a page whose newer
  // connection replaced this one).
  void disconnect(const std::string& reason);
  const std::shared_ptr<WebContentsImpl>& contents() const noexcept { return contents_; }

  void on_frame(transport::Frame frame) override;
  void on_channel_error(transport::ChannelError error, const std::string& detail) override;

 private:
  void handle_message(Message m);
  void handle_invoke(Message m);
  void handle_sync(Message m);
  void handle_post_message(Message m);
  void handle_remote(transport::Frame frame);
  void bad_message(const std::string& reason);
  void on_process_exit();
  void on_page_hello(Message m);
  void dispatch(Message m);
  std::string describe() const;

  MainProcessImpl& main_;
  std::shared_ptr<WebContentsImpl> contents_;
  std::string token_;
  std::optional<SpawnedChild> child_;  // none for web pages
  int pid_ = 0;
  std::string nonce_;
  std::size_t max_payload_;  // what the peer may send once it said Hello
  transport::Channel channel_;
  FdWatch exit_watch_;
  Timer deadline_;  // a page connection's Hello, then its binding
  bool hello_done_ = false;
  bool exited_ = false;
  bool removed_ = false;
  std::shared_ptr<ChildHost*> self_ = std::make_shared<ChildHost*>(this);
};

}  // namespace valence::ipc
