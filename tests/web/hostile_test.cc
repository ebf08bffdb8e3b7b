// Hostile web processes: whatever connects to main's page socket and
// whatever it sends costs at most that connection; windows keep working.
// Also: WebKit's sandbox is on by default.
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "harness.h"
#include "ipc/common/message.h"
#include "support/fds.h"
#include "transport/frame.h"
#include "transport/socket_posix.h"
#include "ui/app_impl.h"
#include "valence/codec.h"

namespace valence::test {
namespace {

const char* kPreload = R"JS(
const { contextBridge, ipcRenderer } = require('electron')
contextBridge.exposeInMainWorld('api', { send: (ch, ...a) => ipcRenderer.send(ch, ...a) })
)JS";
const char* kPage = "<!DOCTYPE html><html><body>hostile</body></html>";

std::vector<std::uint8_t> frame(ipc::MessageKind kind, const std::string& channel, Value body) {
  ipc::Message m;
  m.kind = kind;
  m.channel = channel;
  m.body = std::move(body);
  auto payload = ipc::encode_message(m);
  EXPECT_TRUE(payload);
  auto n = static_cast<std::uint32_t>(payload->size());
  std::vector<std::uint8_t> out(8 + n);
  transport::write_frame_header(out.data(), n, static_cast<std::uint8_t>(kind), 0);
  std::copy(payload->span().begin(), payload->span().end(), out.begin() + 8);
  return out;
}

class HostileTest : public WebTest {
 protected:
  UniqueFd connect_to_main() {
    auto fd = transport::connect_unix(app().impl().page_server->socket_path());
    EXPECT_TRUE(fd) << (fd ? "" : fd.error().message);
    return fd ? std::move(fd).value() : UniqueFd();
  }
  void write_all(int fd, const std::vector<std::uint8_t>& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;  // main hung up: fine
      done += static_cast<std::size_t>(n);
    }
  }
  // True when main closed the connection (EOF) within the timeout.
  bool closed_by_main(int fd) {
    return wait_for([&] {
      std::uint8_t buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
    });
  }
  // A window whose page still reaches main.
  void expect_window_works(const std::shared_ptr<BrowserWindow>& win) {
    std::string got;
    ipc().on("alive", [&](IpcMainEvent&, std::string s) { got = s; });
    eval(win, "api.send('alive', 'yes'); 1");
    EXPECT_TRUE(wait_for([&] { return got == "yes"; })) << "the window stopped working";
  }
};

TEST_F(HostileTest, AWrongTokenCostsOnlyThatConnection) {
  auto win = open(kPreload, kPage);
  std::vector<std::string> errors;
  ipc().set_error_reporter([&](const std::string& e) { errors.push_back(e); });
  UniqueFd fd = connect_to_main();
  write_all(fd.get(), frame(ipc::MessageKind::kHello, "not-a-token",
                            Value::object({{"nonce", std::string(32, 'a')}})));
  EXPECT_TRUE(closed_by_main(fd.get()));
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors.back().find("Hello with a wrong token"), std::string::npos) << errors.back();
  expect_window_works(win);
}

TEST_F(HostileTest, GarbageAndLiesCostOnlyThatConnection) {
  auto win = open(kPreload, kPage);
  ipc().set_error_reporter([](const std::string&) {});
  std::vector<std::vector<std::uint8_t>> attacks = {
      std::vector<std::uint8_t>(64, 0xff),                                  // not a frame
      {0xff, 0xff, 0xff, 0x7f, 1, 1, 0, 0},                                 // a 2 GiB frame
      frame(ipc::MessageKind::kMessage, "before-hello", Value::array({})),  // no Hello first
  };
  for (auto& bytes : attacks) {
    UniqueFd fd = connect_to_main();
    write_all(fd.get(), bytes);
    EXPECT_TRUE(closed_by_main(fd.get()));
  }
  expect_window_works(win);
}

TEST_F(HostileTest, AnUnconfirmedPageReachesNoListenerAndIsNotRead) {
  auto win = open(kPreload, kPage);
  ipc().set_error_reporter([](const std::string&) {});
  ipc::MainProcessImpl::from(app().main_process()).pages().add_token("hostile-token");
  bool reached = false;
  ipc().on("steal", [&](IpcMainEvent&) { reached = true; });
  UniqueFd fd = connect_to_main();
  // A valid token, but a nonce no view confirmed: it names no window.
  write_all(fd.get(), frame(ipc::MessageKind::kHello, "hostile-token",
                            Value::object({{"nonce", std::string(32, 'b')}})));
  long before = rss_kib();
  // Main does not read it: what it sends waits in its own socket, which
  // soon takes no more.
  auto one = frame(ipc::MessageKind::kMessage, "steal", Value::array({std::string(60000, 's')}));
  std::size_t taken = 0;
  for (int i = 0; i < 2000; ++i) {
    ssize_t n = ::send(fd.get(), one.data(), one.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n <= 0) {
      pump(std::chrono::milliseconds(5));
      n = ::send(fd.get(), one.data(), one.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n <= 0) break;
    }
    taken += static_cast<std::size_t>(n);
  }
  EXPECT_LT(taken, std::size_t{16} << 20) << "main read an unbound page's messages";
  EXPECT_LT(rss_kib() - before, 16 * 1024);
  EXPECT_FALSE(reached);
  expect_window_works(win);
}

TEST_F(HostileTest, BeforeItsHelloAPeerCanMakeMainHoldNothing) {
  auto win = open(kPreload, kPage);
  ipc().set_error_reporter([](const std::string&) {});
  long rss_before = rss_kib();
  int fds_before = count_open_fds();
  // Four connections announce a 1 GiB first frame and stream 256 MiB each;
  // 200 more connect and say nothing.
  std::vector<UniqueFd> streams, silent;
  for (int i = 0; i < 4; ++i) {
    streams.push_back(connect_to_main());
    std::vector<std::uint8_t> header(transport::kFrameHeaderSize);
    transport::write_frame_header(header.data(), 1u << 30,
                                  static_cast<std::uint8_t>(ipc::MessageKind::kHello), 0);
    write_all(streams.back().get(), header);
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = app().impl().page_server->socket_path();
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  for (int i = 0; i < 200; ++i) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      pump(std::chrono::milliseconds(2));  // the backlog is full: main is not accepting now
      continue;
    }
    silent.push_back(std::move(fd));
  }
  std::vector<std::uint8_t> chunk(64 * 1024, 0x41);
  std::size_t taken = 0;
  for (int round = 0; round < 4096; ++round) {
    bool any = false;
    for (auto& fd : streams) {
      ssize_t n = ::send(fd.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        taken += static_cast<std::size_t>(n);
        any = true;
      }
    }
    pump(std::chrono::milliseconds(1));
    if (!any) break;
  }
  // The window answers meanwhile; main holds neither the bytes nor a
  // descriptor per silent connection.
  expect_window_works(win);
  EXPECT_LT(taken, std::size_t{32} << 20);
  EXPECT_LT(rss_kib() - rss_before, 32 * 1024);
  EXPECT_LE(count_open_fds(), fds_before + 4 + static_cast<int>(silent.size()) + 64 + 8)
      << "main accepted every silent connection";
  for (auto& fd : streams) EXPECT_TRUE(closed_by_main(fd.get()));
  EXPECT_LE(ipc::MainProcessImpl::from(app().main_process()).pages().pending(), 64u);
}

TEST_F(HostileTest, AnotherUserCannotConnect) {
  open(kPreload, kPage);
  std::string path = app().impl().page_server->socket_path();
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);  // nobody
    auto fd = transport::connect_unix(path);
    ::_exit(fd ? 1 : 0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 3) GTEST_SKIP() << "cannot switch to user nobody here";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "another user reached main's page socket";
}

TEST_F(HostileTest, WebProcessesRunInWebKitsSandbox) {
  auto win = open(kPreload, kPage);
  int pid = 0;
  ipc().on("pid", [&](IpcMainEvent& e) { pid = e.process_id; });
  eval(win, "api.send('pid'); 1");
  ASSERT_TRUE(wait_for([&] { return pid != 0; }));
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line, nspid;
  while (std::getline(status, line))
    if (line.rfind("NSpid:", 0) == 0) nspid = line;
  // bubblewrap puts the web process in its own pid namespace: two pids.
  std::istringstream fields(nspid.substr(6));
  std::vector<std::string> ids;
  for (std::string id; fields >> id;) ids.push_back(id);
  EXPECT_EQ(ids.size(), 2u) << "not in a pid namespace (no sandbox?): " << nspid;
}

}  // namespace
}  // namespace valence::test
