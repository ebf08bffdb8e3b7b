#include "ipc/main/child_host.h"

#include "ports/transfer.h"

#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace valence::ipc {
namespace {

// VALENCE_IPC_TRACE=1: every message main receives from or sends to a
// renderer, on stderr (an IPC inspector for the terminal).
bool trace_enabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("VALENCE_IPC_TRACE");
    return v && *v && std::string(v) != "0";
  }();
  return enabled;
}

void trace(const std::string& who, bool incoming, const Message& m) {
  std::string body = m.body.to_debug_string();
  if (body.size() > 200) body = body.substr(0, 197) + "...";
  std::fprintf(stderr, "[ipc] %s %s %s '%s'%s %s\n", who.c_str(), incoming ? "->" : "<-",
               message_kind_name(m.kind), m.channel.c_str(),
               m.request_id ? (" #" + std::to_string(m.request_id)).c_str() : "", body.c_str());
}

// A page sends at most this many messages before WebKit confirms it (which
// takes milliseconds); more is a renderer flooding main's memory.
constexpr std::size_t kMaxUnboundMessages = 4096;

Value error_body(const std::string& message) {
  return Value(ErrorValue(ErrorPrototype::kError, String(message)));
}

}  // namespace

// ---- SyncReplySlot ----------------------------------------------------------

SyncReplySlot::~SyncReplySlot() {
  if (!done_)
    fail("event.returnValue for '" + channel_ +
         "' was never set (the deferred return was dropped)");
}

void SyncReplySlot::set(Value v) {
  if (done_) return;
  reply(ReplyStatus::kOk, std::move(v));
}

void SyncReplySlot::fail(const std::string& message, ReplyStatus status) {
  if (done_) return;
  reply(status, error_body(message));
}

void SyncReplySlot::reply(ReplyStatus status, Value body) {
  done_ = true;
  auto host = host_.lock();
  if (!host || !*host) return;
  Message m;
  m.kind = MessageKind::kSyncReply;
  m.request_id = request_id_;
  m.channel = channel_;
  m.status = status;
  m.body = std::move(body);
  if (!(*host)->send_message(m) && status == ReplyStatus::kOk) {
    // The value could not be cloned: the renderer still gets an answer.
    Message e;
    e.kind = MessageKind::kSyncReply;
    e.request_id = request_id_;
    e.channel = channel_;
    e.status = ReplyStatus::kError;
    e.body = error_body("event.returnValue for '" + channel_ + "' could not be cloned");
    (*host)->send_message(e);
  }
}

// ---- ChildHost --------------------------------------------------------------

ChildHost::ChildHost(MainProcess& main, std::shared_ptr<WebContents> contents, UniqueFd socket,
                     std::string token, SpawnedChild child, transport::ChannelOptions options)
    : main_(main),
      contents_(std::move(contents)),
      token_(std::move(token)),
      child_(std::move(child)),
      pid_(child_->pid),
      channel_(main.loop(), std::move(socket), *this, options) {
  contents_->pid_ = pid_;
  contents_->host_ = this;
}

ChildHost::ChildHost(MainProcess& main, UniqueFd socket, int pid, transport::ChannelOptions options)
    : main_(main), pid_(pid), channel_(main.loop(), std::move(socket), *this, options) {}

ChildHost::~ChildHost() {
  *self_ = nullptr;
  if (contents_ && contents_->host_ == this) contents_->host_ = nullptr;
  if (child_ && !exited_) {
    ::kill(child_->pid, SIGKILL);
    int status;
    ::waitpid(child_->pid, &status, 0);
  }
}

void ChildHost::start() {
  channel_.start();
  if (child_)
    exit_watch_ = main_.loop().watch_fd(child_->pidfd.get(), EventLoop::kReadable,
                                        [this](std::uint32_t) { on_process_exit(); });
}

std::string ChildHost::describe() const {
  if (!contents_) return "web process (pid " + std::to_string(pid_) + ")";
  return std::string(child_ ? "renderer " : "page ") + std::to_string(contents_->id()) + " (pid " +
         std::to_string(pid_) + ")";
}

void ChildHost::bind(std::shared_ptr<WebContents> contents) {
  contents_ = std::move(contents);
  contents_->pid_ = pid_;
  contents_->host_ = this;
  contents_->gone_ = false;
  Message welcome;
  welcome.kind = MessageKind::kWelcome;
  welcome.body = Value::object({{"id", contents_->id()}, {"pid", pid_}});
  send_message(welcome);
  auto queued = std::move(contents_->queued_sends_);
  contents_->queued_sends_.clear();
  for (auto& [channel, args] : queued) contents_->send_values(channel, std::move(args));
  std::weak_ptr<ChildHost*> alive = self_;
  while (!unbound_.empty() && !alive.expired() && channel_.is_open()) {
    Message m = std::move(unbound_.front());
    unbound_.pop_front();
    dispatch(std::move(m));
  }
}

bool ChildHost::send_message(const Message& m, std::vector<UniqueFd> fds) {
  if (!channel_.is_open()) return false;
  if (trace_enabled()) trace(describe(), false, m);
  auto payload = encode_message(m);
  if (!payload) {
    main_.ipc_main().report_error(std::string(message_kind_name(m.kind)) + " '" + m.channel +
                                  "' to " + describe() + ": " + payload.error().message);
    return false;
  }
  return channel_.send(static_cast<std::uint8_t>(m.kind), std::move(payload).value(),
                       std::move(fds));
}

Result<void> ChildHost::post_message(std::string_view channel, Value message,
                                     const std::vector<std::shared_ptr<MessagePort>>& transfer) {
  auto packed = ports::pack(nullptr, std::move(message), transfer);
  if (!packed) return Unexpected{packed.error()};
  Message m;
  m.kind = MessageKind::kPostMessage;
  m.channel = std::string(channel);
  m.body = std::move(packed->body);
  if (!send_message(m, std::move(packed->fds)))
    return make_error(ErrorCode::kDisconnected, "the renderer is gone");
  return {};
}

void ChildHost::kill() {
  if (child_) {
    if (!exited_) ::kill(child_->pid, SIGKILL);
  } else if (contents_ && contents_->page_) {
    contents_->page_->terminate();
  } else {
    channel_.close();
    main_.remove_host(this);
  }
}

void ChildHost::bad_message(const std::string& reason) {
  std::string text = describe() + " sent a bad message: " + reason;
  channel_.close();
  auto contents = contents_;  // the callbacks may drop other references
  kill();
  if (!child_) main_.remove_host(this);
  if (!contents) {
    main_.ipc_main().report_error(text);
    return;
  }
  for (auto& cb : contents->on_bad_message_) cb(text);
}

void ChildHost::on_channel_error(transport::ChannelError error, const std::string& detail) {
  if (error == transport::ChannelError::kDisconnected) {
    // A native child's exit event follows. A page's connection ends with its
    // page (the window closed) or its process; the ui layer reports the
    // latter from WebKit's web-process-terminated.
    if (!child_) main_.remove_host(this);
    return;
  }
  bad_message(std::string(transport::channel_error_name(error)) + ": " + detail);
}

void ChildHost::on_frame(transport::Frame frame) {
  if (!frame.fds.empty() && frame.kind != static_cast<std::uint8_t>(MessageKind::kPostMessage)) {
    // Only postMessage carries descriptors (ports); these are closed here.
    bad_message(std::to_string(frame.fds.size()) + " unexpected descriptors with a frame of kind " +
                std::to_string(frame.kind));
    return;
  }
  auto message = decode_message(frame.kind, frame.payload.span());
  if (!message) {
    bad_message(message.error().message);
    return;
  }
  Message m = std::move(message).value();
  m.fds = std::move(frame.fds);
  if (trace_enabled() && m.kind != MessageKind::kHello) trace(describe(), true, m);
  if (!hello_done_) {
    if (m.kind != MessageKind::kHello) {
      bad_message(std::string(message_kind_name(m.kind)) + " before Hello");
      return;
    }
    if (!child_) {
      on_page_hello(std::move(m));
      return;
    }
    if (m.channel != token_) {
      bad_message("Hello with a wrong token");
      return;
    }
    // SO_PEERCRED cannot vouch here: a socketpair reports its creator (this
    // process). The socket went to this child alone; the token proves the
    // peer is the program main started. (Sockets that renderers connect to
    // by address check SO_PEERCRED.)
    hello_done_ = true;
    Message welcome;
    welcome.kind = MessageKind::kWelcome;
    welcome.body = Value::object({{"id", contents_->id()}, {"pid", pid_}});
    send_message(welcome);
    auto contents = contents_;
    for (auto& cb : contents->on_did_finish_load_) cb();
    return;
  }
  if (!contents_) {
    if (unbound_.size() >= kMaxUnboundMessages) {
      bad_message(std::to_string(unbound_.size()) + " messages before its page was confirmed");
      return;
    }
    unbound_.push_back(std::move(m));
    return;
  }
  dispatch(std::move(m));
}

void ChildHost::on_page_hello(Message m) {
  if (!main_.is_page_token(m.channel)) {
    bad_message("Hello with a wrong token");
    return;
  }
  const Value* nonce = m.body.is_object() ? m.body.get_object().find("nonce") : nullptr;
  if (!nonce || !nonce->is_string() || nonce->get_string().size() != 32) {
    bad_message("Hello without a page nonce");
    return;
  }
  hello_done_ = true;
  nonce_ = nonce->get_string();
  main_.page_hello(this);
}

void ChildHost::dispatch(Message m) {
  switch (m.kind) {
    case MessageKind::kMessage: handle_message(std::move(m)); return;
    case MessageKind::kInvoke: handle_invoke(std::move(m)); return;
    case MessageKind::kMessageSync: handle_sync(std::move(m)); return;
    case MessageKind::kPostMessage: handle_post_message(std::move(m)); return;
    default:
      bad_message(std::string("unexpected ") + message_kind_name(m.kind) + " from a renderer");
      return;
  }
}

void ChildHost::handle_message(Message m) {
  auto args = take_args(m.body, m.body_has_refs);
  if (!args) {
    bad_message("'" + m.channel + "': " + args.error().message);
    return;
  }
  IpcMainEvent event;
  event.process_id = pid_;
  event.sender = contents_;
  main_.ipc_main().dispatch_message(event, m.channel, *args);
}

void ChildHost::handle_invoke(Message m) {
  auto args = take_args(m.body, m.body_has_refs);
  if (!args) {
    bad_message("'" + m.channel + "': " + args.error().message);
    return;
  }
  IpcMainInvokeEvent event;
  event.process_id = pid_;
  event.sender = contents_;
  auto future = main_.ipc_main().dispatch_invoke(event, m.channel, *args);
  std::weak_ptr<ChildHost*> host = self_;
  std::uint64_t id = m.request_id;
  std::string channel = m.channel;
  future.then([host, id, channel](Result<Value> r) {
    auto h = host.lock();
    if (!h || !*h) return;  // the renderer is gone: nobody to answer
    Message reply;
    reply.kind = MessageKind::kInvokeReply;
    reply.request_id = id;
    reply.channel = channel;
    if (r) {
      reply.body = std::move(r).value();
      if ((*h)->send_message(reply)) return;
      r = make_error(ErrorCode::kCloneError, "the result could not be cloned");
      if (!(*h)->connected()) return;
    }
    reply.status =
        r.error().code == ErrorCode::kNoHandler ? ReplyStatus::kNoHandler : ReplyStatus::kError;
    const auto& remote = r.error().remote;
    reply.body = remote && remote->is_error() ? remote->clone() : error_body(r.error().message);
    (*h)->send_message(reply);
  });
}

void ChildHost::handle_sync(Message m) {
  auto args = take_args(m.body, m.body_has_refs);
  if (!args) {
    bad_message("'" + m.channel + "': " + args.error().message);
    return;
  }
  auto slot = std::make_shared<SyncReplySlot>(self_, m.request_id, m.channel);
  std::size_t ran;
  {
    IpcMainEvent event;
    event.process_id = pid_;
    event.sender = contents_;
    event.sync_ = slot;
    ran = main_.ipc_main().dispatch_message(event, m.channel, *args);
  }
  if (slot->done() || slot->deferred) return;
  if (ran == 0) {
    slot->fail("no listener for the synchronous message '" + m.channel + "' in the main process",
               ReplyStatus::kNoHandler);
  } else {
    slot->fail("the listeners of synchronous message '" + m.channel +
                   "' returned without setting event.returnValue",
               ReplyStatus::kNoReturnValue);
  }
}

void ChildHost::handle_post_message(Message m) {
  auto unpacked = ports::unpack(main_.loop(), std::move(m.body), std::move(m.fds));
  if (!unpacked) {
    bad_message("postMessage '" + m.channel + "': " + unpacked.error().message);
    return;
  }
  IpcMainEvent event;
  event.process_id = pid_;
  event.sender = contents_;
  event.ports = std::move(unpacked->ports);
  std::vector<Value> args;
  args.push_back(std::move(unpacked->data));
  main_.ipc_main().dispatch_message(event, m.channel, args);
}

void ChildHost::on_process_exit() {
  if (exited_ || !child_) return;
  int status = 0;
  if (::waitpid(child_->pid, &status, WNOHANG) != child_->pid) return;
  exited_ = true;
  exit_watch_.reset();
  // What the child sent before it ended is still delivered.
  std::weak_ptr<ChildHost*> alive = self_;
  channel_.drain();
  if (alive.expired()) return;
  channel_.close();
  RenderProcessGoneDetails details;
  if (WIFEXITED(status)) {
    details.exit_code = WEXITSTATUS(status);
    details.reason = details.exit_code == 0 ? "clean-exit" : "abnormal-exit";
  } else if (WIFSIGNALED(status)) {
    details.signal = WTERMSIG(status);
    details.exit_code = details.signal;
    details.reason =
        (details.signal == SIGKILL || details.signal == SIGTERM || details.signal == SIGINT)
            ? "killed"
            : "crashed";
  }
  auto contents = contents_;
  contents->gone_ = true;
  for (auto& cb : contents->on_gone_) cb(details);
  main_.remove_host(this);
}

}  // namespace valence::ipc
