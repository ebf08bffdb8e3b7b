#include "ipc/main/spawn.h"

#include "base/random.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace valence::ipc {
namespace {

int pidfd_open(int pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

[[noreturn]] void child_fail(int error_pipe, int err) {
  ssize_t n = ::write(error_pipe, &err, sizeof err);
  (void)n;
  ::_exit(127);
}

}  // namespace

UniqueFd open_pidfd(int pid) {
  return UniqueFd(pidfd_open(pid));
}

std::string random_token() {
  return random_hex_id();
}

Result<SpawnedChild> spawn_with_socket(const std::string& path,
                                       const std::vector<std::string>& args,
                                       const std::vector<std::string>& extra_env, int socket) {
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls.
  std::vector<std::string> argv_strings;
  argv_strings.push_back(path);
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings = extra_env;
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "VALENCE_IPC_", 12) == 0) continue;
    envp.push_back(*e);
  }
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  int error_pipe[2];
  if (::pipe2(error_pipe, O_CLOEXEC) != 0)
    return make_error(ErrorCode::kFailed, std::string("pipe2: ") + std::strerror(errno));
  // Keep the error pipe clear of fd 3, which the child's dup2 takes.
  for (int& fd : error_pipe) {
    if (fd <= kChildIpcFd) {
      int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
      ::close(fd);
      fd = moved;
    }
  }
  int parent_pid = ::getpid();
  int pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(error_pipe[0]);
    ::close(error_pipe[1]);
    return make_error(ErrorCode::kFailed, std::string("fork: ") + std::strerror(err));
  }
  if (pid == 0) {
    ::close(error_pipe[0]);
    if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) child_fail(error_pipe[1], errno);
    if (::getppid() != parent_pid) ::_exit(1);  // the parent died before prctl
    if (socket == kChildIpcFd) {
      int flags = ::fcntl(socket, F_GETFD);
      ::fcntl(socket, F_SETFD, flags & ~FD_CLOEXEC);
    } else if (::dup2(socket, kChildIpcFd) < 0) {
      child_fail(error_pipe[1], errno);
    }
    // The socket is non-blocking in the parent; the child's runtime sets what it needs.
    int fl = ::fcntl(kChildIpcFd, F_GETFL);
    ::fcntl(kChildIpcFd, F_SETFL, fl & ~O_NONBLOCK);
    // No other descriptor is inherited: mark all above fd 3 close-on-exec
    // (the error pipe must stay open until exec).
    if (::syscall(SYS_close_range, kChildIpcFd + 1, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
      for (int fd = kChildIpcFd + 1; fd < 4096; ++fd)
        if (fd != error_pipe[1]) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    ::signal(SIGPIPE, SIG_DFL);
    ::execve(path.c_str(), argv.data(), envp.data());
    child_fail(error_pipe[1], errno);
  }
  ::close(error_pipe[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(error_pipe[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  ::close(error_pipe[0]);
  if (n > 0) {
    int status;
    ::waitpid(pid, &status, 0);
    return make_error(ErrorCode::kFailed,
                      "could not start " + path + ": " + std::strerror(child_errno));
  }
  SpawnedChild child;
  child.pid = pid;
  child.pidfd = UniqueFd(pidfd_open(pid));
  if (!child.pidfd) {
    ::kill(pid, SIGKILL);
    int status;
    ::waitpid(pid, &status, 0);
    return make_error(ErrorCode::kFailed, std::string("pidfd_open: ") + std::strerror(errno));
  }
  return child;
}

}  // namespace valence::ipc
