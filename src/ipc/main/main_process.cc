#include "valence/main/main_process.h"

#include "ipc/main/child_host.h"
#include "ipc/main/spawn.h"
#include "transport/socket_posix.h"

namespace valence {

MainProcess::MainProcess(EventLoop& loop) : loop_(loop) {}

MainProcess::~MainProcess() {
  // Hosts kill and reap their processes; WebContents kept by callers stay
  // valid and report is_connected() == false.
  hosts_.clear();
  page_hosts_.clear();
}

Result<std::shared_ptr<WebContents>> MainProcess::spawn_child(const ChildOptions& options) {
  auto pair = transport::make_socket_pair();
  if (!pair) return Unexpected{pair.error()};
  auto& [ours, theirs] = *pair;
  std::string token = ipc::random_token();
  std::vector<std::string> env = options.env;
  env.push_back(std::string(ipc::kEnvIpcFd) + "=" + std::to_string(ipc::kChildIpcFd));
  env.push_back(std::string(ipc::kEnvIpcToken) + "=" + token);
  auto child = ipc::spawn_with_socket(options.path, options.args, env, theirs.get());
  if (!child) return Unexpected{child.error()};
  theirs.reset();
  int id = next_id_++;
  auto contents = std::make_shared<WebContents>(id);
  transport::ChannelOptions channel_options;
  channel_options.limits.max_payload = options.max_message_bytes;
  channel_options.max_queued_bytes = options.max_queued_bytes;
  auto host = std::make_unique<ipc::ChildHost>(*this, contents, std::move(ours), std::move(token),
                                               std::move(child).value(), channel_options);
  host->start();
  hosts_.emplace(id, std::move(host));
  return contents;
}

std::vector<std::shared_ptr<WebContents>> MainProcess::all_web_contents() const {
  std::map<int, std::shared_ptr<WebContents>> all;
  for (const auto& [id, host] : hosts_) all.emplace(id, host->contents());
  for (const auto& [id, page] : pages_)
    if (auto p = page.lock()) all.emplace(id, std::move(p));
  std::vector<std::shared_ptr<WebContents>> out;
  for (auto& [id, c] : all) out.push_back(std::move(c));
  return out;
}

std::shared_ptr<WebContents> MainProcess::from_id(int id) const {
  auto it = hosts_.find(id);
  if (it != hosts_.end()) return it->second->contents();
  auto p = pages_.find(id);
  return p == pages_.end() ? nullptr : p->second.lock();
}

std::shared_ptr<WebContents> MainProcess::create_page_contents() {
  int id = next_id_++;
  auto contents = std::make_shared<WebContents>(id);
  std::erase_if(pages_, [](const auto& e) { return e.second.expired(); });
  pages_.emplace(id, contents);
  return contents;
}

void MainProcess::add_page_token(std::string token) {
  page_tokens_.try_emplace(std::move(token));
}

void MainProcess::report_page_refusal(const std::string& reason, const std::string& text) {
  // The kind: the reason without its numbers and details (so a peer cannot
  // make up kinds), e.g. "Hello with the token of another process".
  std::string kind;
  for (char c : reason) {
    if (c == '(' || c == ':') break;
    if (c < '0' || c > '9') kind.push_back(c);
  }
  auto now = std::chrono::steady_clock::now();
  auto [it, fresh] = refusal_reports_.try_emplace(kind);
  RefusalReports& r = it->second;
  if (!fresh && now - r.last < std::chrono::seconds(10)) {
    ++r.left_out;
    return;
  }
  std::string line = text;
  if (r.left_out > 0)
    line += " (and " + std::to_string(r.left_out) + " more like it since the last report)";
  r.last = now;
  r.left_out = 0;
  ipc_main_.report_error(line);
}

Result<void> MainProcess::claim_page_token(const std::string& token, int pid) {
  auto it = page_tokens_.find(token);
  if (it == page_tokens_.end())
    return make_error(ErrorCode::kBadMessage, "Hello with a wrong token");
  PageToken& t = it->second;
  if (t.pid == pid) return {};
  if (t.pid != 0)
    return make_error(ErrorCode::kBadMessage, "Hello with the token of another process (pid " +
                                                  std::to_string(t.pid) + ")");
  // The first process to use it is the web process it was made for (only
  // that process was given it); it dies with that process.
  t.pidfd = ipc::open_pidfd(pid);
  if (!t.pidfd) return make_error(ErrorCode::kBadMessage, "Hello from a process that is gone");
  t.pid = pid;
  std::weak_ptr<int> alive = alive_;
  t.exit_watch = loop_.watch_fd(t.pidfd.get(), EventLoop::kReadable, [this, alive, token](auto) {
    if (!alive.lock()) return;
    // Not from inside the watch's own callback: it belongs to the token.
    loop_.post([this, alive, token] {
      if (alive.lock()) page_tokens_.erase(token);
    });
  });
  return {};
}

void MainProcess::adopt_page_connection(UniqueFd socket, int pid) {
  transport::ChannelOptions options;
  auto host = std::make_unique<ipc::ChildHost>(*this, std::move(socket), pid, options);
  ipc::ChildHost* raw = host.get();
  page_hosts_.emplace(raw, std::move(host));
  raw->start();
}

std::size_t MainProcess::page_connections() const {
  std::size_t n = 0;
  for (const auto& [raw, host] : page_hosts_)
    if (host->connected()) ++n;
  return n;
}

std::size_t MainProcess::pending_page_connections() const {
  std::size_t n = 0;
  for (const auto& [raw, host] : page_hosts_)
    if (!host->said_hello() && host->connected()) ++n;
  return n;
}

void MainProcess::bind_page(const std::string& nonce,
                            const std::shared_ptr<WebContents>& contents) {
  for (auto& [raw, host] : page_hosts_) {
    if (!host->is_bound() && host->said_hello() && host->nonce() == nonce) {
      // A page has one connection: a new one (a new web process after a
      // navigation, say) replaces the previous.
      if (ipc::ChildHost* old = contents->host(); old && old != raw && old->is_page())
        old->disconnect("replaced by a newer connection of the same page");
      host->bind(contents);
      return;
    }
  }
  // Confirmed before its Hello arrived: one waiting nonce per page (a web
  // process that floods its view with nonces replaces its own).
  std::erase_if(confirmed_nonces_, [&](const auto& e) {
    auto c = e.second.lock();
    return !c || c == contents;
  });
  confirmed_nonces_[nonce] = contents;
}

Result<void> MainProcess::page_hello(ipc::ChildHost* host) {
  std::size_t unbound = 0;
  for (const auto& [raw, h] : page_hosts_)
    if (h->said_hello() && !h->is_bound() && h->connected() && h->token() == host->token())
      ++unbound;
  if (unbound > ipc::kMaxUnboundPerToken)
    return make_error(ErrorCode::kBadMessage,
                      "more than " + std::to_string(ipc::kMaxUnboundPerToken) +
                          " connections of one web process wait for their pages");
  auto it = confirmed_nonces_.find(host->nonce());
  if (it == confirmed_nonces_.end()) return {};  // bind_page() comes later
  auto contents = it->second.lock();
  confirmed_nonces_.erase(it);
  if (contents) {
    if (ipc::ChildHost* old = contents->host(); old && old != host && old->is_page())
      old->disconnect("replaced by a newer connection of the same page");
    host->bind(contents);
  }
  return {};
}

void MainProcess::remove_host(ipc::ChildHost* host) {
  if (!host->mark_removed()) return;
  // Deleted from the loop, not from inside the host's own callback.
  std::weak_ptr<int> alive = alive_;
  if (host->is_page()) {
    loop_.post([this, alive, host] {
      if (alive.lock()) page_hosts_.erase(host);
    });
    return;
  }
  int id = host->contents()->id();
  loop_.post([this, alive, id] {
    if (alive.lock()) hosts_.erase(id);
  });
}

}  // namespace valence
