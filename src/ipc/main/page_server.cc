#include "ipc/main/page_server.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "ipc/main/main_process_impl.h"
#include "transport/socket_posix.h"

namespace valence::ipc {
namespace {

constexpr const char* kDirPrefix = "valence-";
constexpr const char* kSocketName = "ipc";
// Connections accepted per wake-up: the loop's other work gets its turn.
constexpr int kAcceptsPerWake = 64;
constexpr std::chrono::milliseconds kRestWhileFull{100};
constexpr std::chrono::milliseconds kRestWhenExhausted{1000};

std::string default_base() {
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  if (runtime && *runtime && ::access(runtime, W_OK) == 0) return runtime;
  return "/tmp";
}

// "valence-<pid>-XXXXXX" -> pid; 0 for other names (an older valence's
// "valence-XXXXXX").
int pid_in_name(const std::string& name) {
  std::size_t start = std::strlen(kDirPrefix);
  std::size_t dash = name.find('-', start);
  if (dash == std::string::npos || dash == start) return 0;
  int pid = 0;
  for (std::size_t i = start; i < dash; ++i) {
    if (name[i] < '0' || name[i] > '9' || pid > 100000000) return 0;
    pid = pid * 10 + (name[i] - '0');
  }
  return pid;
}

bool process_exists(int pid) {
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

// True when nobody listens on the socket at `path` (or it is not there).
bool nobody_listens(const std::string& path) {
  auto fd = transport::connect_unix(path);
  return !fd && fd.error().code == ErrorCode::kDisconnected;
}

}  // namespace

std::size_t PageServer::remove_stale_directories(const std::string& base) {
  std::size_t removed = 0;
  DIR* dir = ::opendir(base.c_str());
  if (!dir) return 0;
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name.rfind(kDirPrefix, 0) != 0) continue;
    std::string path = base + "/" + name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::getuid())
      continue;
    int pid = pid_in_name(name);
    if (pid == static_cast<int>(::getpid())) continue;
    if (pid != 0 && process_exists(pid)) continue;
    // Gone, or named by an older valence: stale only if nobody listens (a
    // main process in another pid namespace may share this directory).
    std::string socket = path + "/" + kSocketName;
    struct stat sst {};
    bool has_socket = ::lstat(socket.c_str(), &sst) == 0;
    if (has_socket && !nobody_listens(socket)) continue;
    if (!has_socket && pid == 0) continue;  // not one of ours, or being set up
    if (has_socket) ::unlink(socket.c_str());
    if (::rmdir(path.c_str()) == 0) ++removed;
  }
  ::closedir(dir);
  return removed;
}

PageServer::PageServer(MainProcessImpl& main, Options options)
    : main_(main), options_(std::move(options)) {}

Result<std::unique_ptr<PageServer>> PageServer::start(MainProcess& main, Options options) {
  std::unique_ptr<PageServer> server(
      new PageServer(MainProcessImpl::from(main), std::move(options)));
  std::string base = server->options_.base_dir.empty() ? default_base() : server->options_.base_dir;
  remove_stale_directories(base);
  std::string templ =
      base + "/" + kDirPrefix + std::to_string(static_cast<int>(::getpid())) + "-XXXXXX";
  if (!::mkdtemp(templ.data()))  // mode 0700: only this user reaches the socket
    return make_error(ErrorCode::kFailed, "cannot create a directory for the page socket in " +
                                              base + ": " + std::strerror(errno));
  server->dir_ = templ;
  server->socket_path_ = server->dir_ + "/" + kSocketName;
  auto fd = transport::listen_unix(server->socket_path_);
  if (!fd) {
    ::rmdir(server->dir_.c_str());
    server->dir_.clear();
    return Unexpected{fd.error()};
  }
  server->listener_ = std::move(fd).value();
  server->reserve_ = UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  server->watch();
  return server;
}

PageServer::~PageServer() {
  watch_.reset();
  resume_.reset();
  listener_.reset();
  if (!socket_path_.empty()) ::unlink(socket_path_.c_str());
  if (!dir_.empty()) ::rmdir(dir_.c_str());
}

void PageServer::watch() {
  resume_.reset();
  watch_ = main_.loop().watch_fd(listener_.get(), EventLoop::kReadable,
                                 [this](std::uint32_t) { on_readable(); });
}

void PageServer::rest(std::chrono::milliseconds how_long) {
  watch_.reset();
  resume_ = main_.loop().add_timer(how_long, [this] {
    watch();
    on_readable();
  });
}

void PageServer::report(ReportLimiter& limiter, const std::string& text) {
  if (auto line = limiter.take(text)) main_.ipc_main().report_error(*line);
}

void PageServer::shed(const std::string& why) {
  // accept() fails with EMFILE before it looks at the queue: whether anyone
  // is waiting shows only once a descriptor is free.
  std::size_t closed = 0;
  if (reserve_.valid()) {
    reserve_.reset();
    for (;;) {
      auto fd = transport::accept_connection(listener_.get());
      if (!fd || !fd->valid()) break;
      ++closed;  // closed here: there is no room for it
    }
    reserve_ = UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    // Nobody was waiting, and the reserve is back: the (level-triggered)
    // watch stays quiet until someone connects.
    if (closed == 0 && reserve_.valid()) return;
  }
  refused_ += closed;
  report(exhausted_reports_, "the page socket: " + why + "; " + std::to_string(closed) +
                                 " waiting connections were closed");
  rest(kRestWhenExhausted);
}

void PageServer::on_readable() {
  ++wakeups_;
  for (int i = 0; i < kAcceptsPerWake; ++i) {
    if (main_.pages().pending() >= options_.max_pending) {
      // The rest wait in the backlog until earlier ones said Hello or
      // missed their deadline.
      rest(kRestWhileFull);
      return;
    }
    auto fd = transport::accept_connection(listener_.get());
    if (!fd && fd.error().code == ErrorCode::kOverloaded) {
      shed(fd.error().message);
      return;
    }
    if (!fd) {
      report(failure_reports_, "the page socket: " + fd.error().message);
      rest(kRestWhenExhausted);
      return;
    }
    if (!fd->valid()) return;  // none waiting
    auto peer = transport::peer_credentials(fd->get());
    if (!peer || peer->uid != ::getuid()) {
      ++refused_;
      report(other_user_reports_, "a connection to the page socket from another user was refused" +
                                      (peer ? " (uid " + std::to_string(peer->uid) + ", pid " +
                                                  std::to_string(peer->pid) + ")"
                                            : std::string()));
      continue;
    }
    main_.pages().adopt(std::move(fd).value(), peer->pid);
  }
}

}  // namespace valence::ipc
