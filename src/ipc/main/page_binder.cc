#include "ipc/main/page_binder.h"

#include "ipc/common/protocol.h"
#include "ipc/main/child_host.h"
#include "ipc/main/main_process_impl.h"
#include "ipc/main/spawn.h"
#include "ipc/main/web_contents_impl.h"

namespace valence::ipc {

PageBinder::PageBinder(MainProcessImpl& main) : main_(main) {}
PageBinder::~PageBinder() = default;

void PageBinder::add_token(std::string token) {
  tokens_.try_emplace(std::move(token));
}

void PageBinder::adopt(UniqueFd socket, int pid) {
  transport::ChannelOptions options;
  auto host = std::make_unique<ChildHost>(main_, std::move(socket), pid, options);
  ChildHost* raw = host.get();
  hosts_.emplace(raw, std::move(host));
  raw->start();
}

std::size_t PageBinder::connections() const {
  std::size_t n = 0;
  for (const auto& [raw, host] : hosts_)
    if (host->connected()) ++n;
  return n;
}

std::size_t PageBinder::pending() const {
  std::size_t n = 0;
  for (const auto& [raw, host] : hosts_)
    if (!host->said_hello() && host->connected()) ++n;
  return n;
}

Result<void> PageBinder::admit(const std::string& token, const std::string& nonce, int pid) {
  if (nonce.size() != 32) return make_error(ErrorCode::kBadMessage, "Hello without a page nonce");
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return make_error(ErrorCode::kBadMessage, "Hello with a wrong token");
  Token& t = it->second;
  if (t.pid == pid) return {};
  if (t.pid != 0)
    return make_error(ErrorCode::kBadMessage, "Hello with the token of another process (pid " +
                                                  std::to_string(t.pid) + ")");
  // The first process to use it is the web process it was made for (only
  // that process was given it); it dies with that process.
  t.pidfd = open_pidfd(pid);
  if (!t.pidfd) return make_error(ErrorCode::kBadMessage, "Hello from a process that is gone");
  t.pid = pid;
  std::weak_ptr<int> alive = alive_;
  EventLoop& loop = main_.loop();
  t.exit_watch =
      loop.watch_fd(t.pidfd.get(), EventLoop::kReadable, [this, &loop, alive, token](auto) {
        if (!alive.lock()) return;
        // Not from inside the watch's own callback: it belongs to the token.
        loop.post([this, alive, token] {
          if (alive.lock()) tokens_.erase(token);
        });
      });
  return {};
}

Result<void> PageBinder::wait_for_page(ChildHost& host) {
  std::size_t unbound = 0;
  for (const auto& [raw, h] : hosts_)
    if (h->said_hello() && !h->is_bound() && h->connected() && h->token() == host.token())
      ++unbound;
  if (unbound > kMaxUnboundPerToken)
    return make_error(ErrorCode::kBadMessage,
                      "more than " + std::to_string(kMaxUnboundPerToken) +
                          " connections of one web process wait for their pages");
  auto it = confirmed_nonces_.find(host.nonce());
  if (it == confirmed_nonces_.end()) return {};  // confirm() comes later
  auto contents = it->second.lock();
  confirmed_nonces_.erase(it);
  if (contents) bind(host, contents);
  return {};
}

void PageBinder::confirm(const std::string& nonce,
                         const std::shared_ptr<WebContentsImpl>& contents) {
  for (auto& [raw, host] : hosts_) {
    if (!host->is_bound() && host->said_hello() && host->nonce() == nonce) {
      bind(*host, contents);
      return;
    }
  }
  std::erase_if(confirmed_nonces_, [&](const auto& e) {
    auto c = e.second.lock();
    return !c || c == contents;
  });
  confirmed_nonces_[nonce] = contents;
}

void PageBinder::bind(ChildHost& host, const std::shared_ptr<WebContentsImpl>& contents) {
  // A page has one connection: a new one (a new web process after a
  // navigation, say) replaces the previous.
  if (ChildHost* old = contents->host(); old && old != &host && old->is_page())
    old->disconnect("replaced by a newer connection of the same page");
  host.bind(contents);
}

void PageBinder::report_refusal(const std::string& reason, const std::string& text) {
  // The kind: the reason without its numbers and details (so a peer cannot
  // make up kinds), e.g. "Hello with the token of another process".
  std::string kind;
  for (char c : reason) {
    if (c == '(' || c == ':') break;
    if (c < '0' || c > '9') kind.push_back(c);
  }
  if (auto line = refusal_reports_[kind].take(text)) main_.ipc_main().report_error(*line);
}

void PageBinder::remove(ChildHost& host) {
  std::weak_ptr<int> alive = alive_;
  ChildHost* raw = &host;
  main_.loop().post([this, alive, raw] {
    if (alive.lock()) hosts_.erase(raw);
  });
}

}  // namespace valence::ipc
