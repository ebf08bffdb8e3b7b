#include "ipc/main/child_host.h"

#include "ipc/main/main_process_impl.h"
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
  auto sent = (*host)->send_message(m);
  if (!sent && sent.error().code != ErrorCode::kDisconnected) {
    // The value could not be cloned or is too large: the renderer still
    // gets an answer, saying why.
    (*host)->main().ipc_main().report_error("event.returnValue for '" + channel_ +
                                            "': " + sent.error().message);
    Message e;
    e.kind = MessageKind::kSyncReply;
    e.request_id = request_id_;
    e.channel = channel_;
    e.status = ReplyStatus::kError;
    e.body = error_body("event.returnValue for '" + channel_ +
                        "' could not be sent: " + sent.error().message);
    (void)(*host)->send_message(e);
  }
}

// ---- ChildHost --------------------------------------------------------------

ChildHost::ChildHost(MainProcessImpl& main, std::shared_ptr<WebContentsImpl> contents,
                     UniqueFd socket, std::string token, SpawnedChild child,
                     transport::ChannelOptions options)
    : main_(main),
      contents_(std::move(contents)),
      token_(std::move(token)),
      child_(std::move(child)),
      pid_(child_->pid),
      max_payload_(options.limits.max_payload),
      channel_(main.loop(), std::move(socket), *this, options) {
  contents_->attach(*this, pid_);
  channel_.set_read_limit(kMaxHelloPayload);
}

ChildHost::ChildHost(MainProcessImpl& main, UniqueFd socket, int pid,
                     transport::ChannelOptions options)
    : main_(main),
      pid_(pid),
      max_payload_(options.limits.max_payload),
      channel_(main.loop(), std::move(socket), *this, options) {
  channel_.set_read_limit(kMaxHelloPayload);
}

ChildHost::~ChildHost() {
  *self_ = nullptr;
  if (RemoteDispatcher* remote = main_.remote()) remote->on_host_gone(*this);
  if (contents_) contents_->detach(*this);
  if (child_ && !exited_) {
    ::kill(child_->pid, SIGKILL);
    int status;
    ::waitpid(child_->pid, &status, 0);
  }
}

void ChildHost::start() {
  channel_.start();
  if (child_) {
    exit_watch_ = main_.loop().watch_fd(child_->pidfd.get(), EventLoop::kReadable,
                                        [this](std::uint32_t) { on_process_exit(); });
    return;
  }
  // Whoever connected to the page socket must prove itself at once.
  deadline_ = main_.loop().add_timer(std::chrono::milliseconds(kHelloDeadlineMs), [this] {
    if (!hello_done_)
      bad_message("no Hello within " + std::to_string(kHelloDeadlineMs) + " ms of connecting");
  });
}

std::string ChildHost::describe() const {
  if (!contents_) return "an unbound page connection (pid " + std::to_string(pid_) + ")";
  return std::string(child_ ? "renderer " : "page ") + std::to_string(contents_->id()) + " (pid " +
         std::to_string(pid_) + ")";
}

void ChildHost::bind(std::shared_ptr<WebContentsImpl> contents) {
  deadline_.reset();
  contents_ = std::move(contents);
  contents_->attach(*this, pid_);
  Message welcome;
  welcome.kind = MessageKind::kWelcome;
  welcome.body = Value::object({{"id", contents_->id()}, {"pid", pid_}});
  (void)send_message(welcome);
  contents_->send_queued();
  // What the page sent meanwhile waited in its socket.
  channel_.resume_reading();
}

Result<void> ChildHost::send_message(const Message& m, std::vector<UniqueFd> fds) {
  if (!channel_.is_open())
    return make_error(ErrorCode::kDisconnected, describe() + " is not connected");
  if (trace_enabled()) trace(describe(), false, m);
  auto payload = encode_message(m);
  if (!payload) return Unexpected{payload.error()};
  auto sent =
      channel_.send(static_cast<std::uint8_t>(m.kind), std::move(payload).value(), std::move(fds));
  if (!sent) return make_error(sent.error().code, "to " + describe() + ": " + sent.error().message);
  return {};
}

bool ChildHost::send_or_report(const Message& m) {
  auto sent = send_message(m);
  if (sent) return true;
  if (sent.error().code != ErrorCode::kDisconnected)
    main_.ipc_main().report_error(std::string(message_kind_name(m.kind)) + " '" + m.channel +
                                  "': " + sent.error().message);
  return false;
}

Result<void> ChildHost::send_raw(MessageKind kind, transport::Buffer payload) {
  if (!channel_.is_open())
    return make_error(ErrorCode::kDisconnected, describe() + " is not connected");
  if (trace_enabled())
    std::fprintf(stderr, "[ipc] %s <- %s (%zu bytes)\n", describe().c_str(),
                 message_kind_name(kind), payload.size());
  auto sent = channel_.send(static_cast<std::uint8_t>(kind), std::move(payload));
  if (!sent) return make_error(sent.error().code, "to " + describe() + ": " + sent.error().message);
  return {};
}

Result<void> ChildHost::post_message(std::string_view channel, Value message,
                                     const std::vector<std::shared_ptr<MessagePort>>& transfer) {
  auto packed = ports::pack(nullptr, std::move(message), transfer);
  if (!packed) return Unexpected{packed.error()};
  Message m;
  m.kind = MessageKind::kPostMessage;
  m.channel = std::string(channel);
  m.body = std::move(packed->body);
  auto sent = send_message(m, std::move(packed->fds));
  if (!sent)
    return make_error(sent.error().code,
                      "postMessage '" + m.channel + "': " + sent.error().message);
  return {};
}

void ChildHost::kill() {
  if (child_) {
    if (!exited_) ::kill(child_->pid, SIGKILL);
  } else if (contents_ && contents_->page()) {
    contents_->page()->terminate();
  } else {
    channel_.close();
    main_.remove_host(*this);
  }
}

void ChildHost::disconnect(const std::string& reason) {
  if (trace_enabled())
    std::fprintf(stderr, "[ipc] %s closed: %s\n", describe().c_str(), reason.c_str());
  channel_.close();
  if (contents_) contents_->detach(*this);
  if (!child_) main_.remove_host(*this);
}

void ChildHost::bad_message(const std::string& reason) {
  // Before binding nobody vouches for the peer yet: it is refused.
  std::string text = describe() + (contents_ ? " sent a bad message: " : " was refused: ") + reason;
  channel_.close();
  auto contents = contents_;  // the callbacks may drop other references
  kill();
  if (!child_) main_.remove_host(*this);
  if (!contents) {
    main_.pages().report_refusal(reason, text);
    return;
  }
  contents->emit_bad_message(text);
}

void ChildHost::on_channel_error(transport::ChannelError error, const std::string& detail) {
  if (error == transport::ChannelError::kDisconnected) {
    // A native child's exit event follows. A page's connection ends with its
    // page (the window closed) or its process; the ui layer reports the
    // latter from WebKit's web-process-terminated.
    if (!child_) main_.remove_host(*this);
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
  if (hello_done_ && contents_ &&
      frame.kind >= static_cast<std::uint8_t>(MessageKind::kRemoteSync) &&
      frame.kind <= static_cast<std::uint8_t>(MessageKind::kRemoteContext)) {
    handle_remote(std::move(frame));
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
    channel_.set_read_limit(max_payload_);
    Message welcome;
    welcome.kind = MessageKind::kWelcome;
    welcome.body = Value::object({{"id", contents_->id()}, {"pid", pid_}});
    (void)send_message(welcome);
    contents_->emit_did_finish_load();
    return;
  }
  if (!contents_) {
    // Reading pauses until binding; a frame parsed before the pause took
    // effect would be the only way here.
    bad_message(std::string(message_kind_name(m.kind)) + " before its page was bound");
    return;
  }
  dispatch(std::move(m));
}

void ChildHost::on_page_hello(Message m) {
  const Value* nonce = m.body.is_object() ? m.body.get_object().find("nonce") : nullptr;
  std::string nonce_text = nonce && nonce->is_string() ? nonce->get_string() : std::string();
  if (auto admitted = main_.pages().admit(m.channel, nonce_text, pid_); !admitted) {
    bad_message(admitted.error().message);
    return;
  }
  hello_done_ = true;
  token_ = m.channel;
  nonce_ = std::move(nonce_text);
  channel_.set_read_limit(max_payload_);
  // Not read until WebKit vouches for the page (PageBinder::confirm): its
  // messages wait in its own socket and process, not in main.
  channel_.pause_reading();
  deadline_ = main_.loop().add_timer(std::chrono::milliseconds(kBindDeadlineMs), [this] {
    if (!contents_)
      bad_message("its page was not confirmed by a window within " +
                  std::to_string(kBindDeadlineMs) + " ms");
  });
  std::weak_ptr<ChildHost*> alive = self_;
  if (auto waiting = main_.pages().wait_for_page(*this); !waiting && !alive.expired())
    bad_message(waiting.error().message);
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
      auto sent = (*h)->send_message(reply);
      if (sent || sent.error().code == ErrorCode::kDisconnected) return;
      // The result could not be cloned or is too large: the invoke fails
      // with that reason.
      r = Unexpected{sent.error()};
    }
    reply.status =
        r.error().code == ErrorCode::kNoHandler ? ReplyStatus::kNoHandler : ReplyStatus::kError;
    const auto& remote = r.error().remote;
    reply.body = remote && remote->is_error() ? remote->clone() : error_body(r.error().message);
    (void)(*h)->send_message(reply);
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
    SyncMessageEvent event(slot);
    event.process_id = pid_;
    event.sender = contents_;
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

void ChildHost::handle_remote(transport::Frame frame) {
  auto raw = parse_message(std::move(frame));
  if (!raw) {
    bad_message(raw.error().message);
    return;
  }
  RemoteDispatcher* remote = main_.remote();
  if (!remote) {
    switch (raw->kind) {
      case MessageKind::kRemoteContext: return;  // every page says when its documents change
      case MessageKind::kRemoteSync: {
        // No remote module in this app: an answer, not a disconnect.
        Message reply;
        reply.kind = MessageKind::kRemoteReply;
        reply.request_id = raw->request_id;
        reply.status = ReplyStatus::kError;
        reply.channel = "0";
        reply.body = Value::array(
            {error_body("remote is disabled for this WebContents"), Value("ERR_REMOTE_DISABLED")});
        (void)send_message(reply);
        return;
      }
      default:
        bad_message(std::string("unexpected ") + message_kind_name(raw->kind) +
                    " (this app has no remote module)");
        return;
    }
  }
  if (trace_enabled())
    std::fprintf(stderr, "[ipc] %s -> %s #%llu (%zu bytes)\n", describe().c_str(),
                 message_kind_name(raw->kind), static_cast<unsigned long long>(raw->request_id),
                 raw->body().size());
  std::weak_ptr<ChildHost*> alive = self_;
  auto handled = remote->on_remote_message(*this, *raw);
  if (!handled && !alive.expired() && *alive.lock()) bad_message(handled.error().message);
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
  contents->emit_render_process_gone(details);
  main_.remove_host(*this);
}

}  // namespace valence::ipc
