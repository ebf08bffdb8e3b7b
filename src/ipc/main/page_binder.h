// PageBinder: which window a page connection belongs to. Every piece of that
// decision lives here; the ui layer only feeds it what WebKit says.
//
// A page connection is accepted on main's page socket (PageServer) from a
// process whose pid the kernel reported (SO_PEERCRED). It is bound to a
// window's WebContents when three things agree:
//  - token: its Hello carries a token main gave one web process
//    (add_token, from WebKit's initialize-web-extensions). The first process
//    to use a token owns it; another process's Hello with it is refused, and
//    the token dies with its owner.
//  - nonce: its Hello carries a fresh 32-digit nonce;
//  - the view: WebKit delivered the same nonce on that window's own view
//    channel (confirm). A page can only name its own view, so it cannot pose
//    as another window, whatever it says on the socket.
// Hello and confirm come in either order. A page has one connection: a newer
// one (a new web process after a crash, say) replaces the previous. Until it
// is bound, a connection is not read (ChildHost pauses it), for at most
// kBindDeadlineMs, and one web process has at most kMaxUnboundPerToken of
// them. Refusals before binding are reported at most once per 10 s for each
// kind of reason, with a count: whoever connects may repeat them.
//
// Thread safety: loop-affine (main's loop). WebKit's confirmation arrives on
// the same thread: GTK's loop is main's loop (ui layer).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>

#include "ipc/main/report_limiter.h"
#include "valence/base/result.h"
#include "valence/base/unique_fd.h"
#include "valence/event_loop.h"

namespace valence::ipc {

class ChildHost;
class MainProcessImpl;
class WebContentsImpl;

class PageBinder {
 public:
  explicit PageBinder(MainProcessImpl& main);
  // Closes the connections (none is bound to a window any more).
  ~PageBinder();
  PageBinder(const PageBinder&) = delete;
  PageBinder& operator=(const PageBinder&) = delete;

  // A token that identifies one web process main started.
  void add_token(std::string token);
  // A connection accepted from process `pid` (SO_PEERCRED): it must say
  // Hello within kHelloDeadlineMs.
  void adopt(UniqueFd socket, int pid);
  // WebKit confirmed, on the view's own channel, that the page with `nonce`
  // belongs to `contents`: the connection that said Hello with that nonce
  // (now or later) is bound to it. One nonce waits per page: a web process
  // that floods its view with nonces replaces its own.
  void confirm(const std::string& nonce, const std::shared_ptr<WebContentsImpl>& contents);

  // Connections open, and those of them that have not said Hello yet.
  std::size_t connections() const;
  std::size_t pending() const;

  // ---- from the page's ChildHost --------------------------------------------
  // Whether a Hello{token, nonce} from process `pid` may be admitted; binds
  // the token to `pid` on its first use. Errors (kBadMessage): the reason
  // to refuse the connection.
  Result<void> admit(const std::string& token, const std::string& nonce, int pid);
  // `host` was admitted and waits for its page: it is bound now when its
  // nonce was confirmed already. Errors (kBadMessage): too many of its web
  // process's connections wait.
  Result<void> wait_for_page(ChildHost& host);
  // A connection refused before it was bound (rate-limited report).
  void report_refusal(const std::string& reason, const std::string& text);
  // `host` is closed: it is deleted from the loop (not from inside its own
  // callback).
  void remove(ChildHost& host);

 private:
  struct Token {
    int pid = 0;  // the web process that said Hello with it first
    UniqueFd pidfd;
    FdWatch exit_watch;
  };
  void bind(ChildHost& host, const std::shared_ptr<WebContentsImpl>& contents);

  MainProcessImpl& main_;
  std::map<std::string, Token> tokens_;
  std::map<std::string, std::weak_ptr<WebContentsImpl>> confirmed_nonces_;  // before their Hello
  std::map<std::string, ReportLimiter> refusal_reports_;                    // by kind of reason
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);                   // for posted tasks
  // Last: destroyed first, while the rest is whole.
  std::map<ChildHost*, std::unique_ptr<ChildHost>> hosts_;
};

}  // namespace valence::ipc
