// Demo: a rich value goes from C++ to a real Node.js process over Node's own
// IPC channel ('advanced' serialization, i.e. V8's wire format), comes back,
// and Node sends a value of its own. Both sides print what they saw.
#include <arpa/inet.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "valence/codec.h"

extern char** environ;

namespace {

using valence::Value;

Value make_rich_value() {
  valence::Map map;
  map.set(Value("answer"), Value(42));
  map.set(Value::object({{"kind", "object key"}}), Value(true));
  valence::Set set;
  set.add(Value("a")).add(Value(1.5)).add(Value(nullptr));
  valence::Array sparse;
  sparse.push_back(Value("first"));
  sparse.set(9, Value("tenth"));
  valence::ErrorValue error(valence::ErrorPrototype::kTypeError, valence::String("bad input"));
  error.set_cause(Value::object({{"field", "age"}}));
  valence::Bytes floats(16);
  double f[2] = {1.5, -0.25};
  std::memcpy(floats.data(), f, sizeof f);

  valence::Object root;
  root.set("text", Value(valence::String::from_utf16(u"h\u00e9llo \u20ac \xD83D\xDE00")));
  root.set("lone", Value(valence::String::from_utf16(std::u16string(1, char16_t{0xD800}))));
  root.set("numbers", Value::array({1, -0.0, std::nan(""), 9007199254740991.0, 2147483648.0}));
  root.set("big", Value(*valence::BigInt::from_decimal("-123456789012345678901234567890")));
  root.set("when", Value(valence::Date{1763683200000.0}));
  root.set("pattern",
           Value(valence::RegExp{"^v(\\d+)$", valence::kRegExpGlobal | valence::kRegExpUnicode}));
  root.set("map", Value(std::move(map)));
  root.set("set", Value(std::move(set)));
  root.set("sparse", Value(std::move(sparse)));
  root.set("bytes", Value(valence::View(valence::ViewKind::kUint8Array, valence::Bytes{1, 2, 3})));
  root.set("floats", Value(valence::View(valence::ViewKind::kFloat64Array, std::move(floats))));
  root.set("error", Value(std::move(error)));
  root.set("self", Value(valence::Ref{0}));  // a cycle: the object itself
  return Value(std::move(root));
}

bool write_all(int fd, const std::uint8_t* p, std::size_t n) {
  while (n) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool read_all(int fd, std::uint8_t* p, std::size_t n) {
  while (n) {
    ssize_t r = ::read(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

bool read_frame(int fd, std::vector<std::uint8_t>& payload) {
  std::uint8_t len[4];
  if (!read_all(fd, len, 4)) return false;
  std::uint32_t n;
  std::memcpy(&n, len, 4);
  payload.resize(ntohl(n));
  return read_all(fd, payload.data(), payload.size());
}

}  // namespace

int main(int argc, char** argv) {
  const char* peer = argc > 1 ? argv[1] : VALENCE_EXAMPLE_PEER;
  Value value = make_rich_value();
  std::printf("C++ sends:\n%s\n\n", value.to_debug_string().c_str());

  // Node's IPC frame: 4-byte big-endian length, then V8 serialized data with
  // Node's IPC host-object form for typed arrays.
  std::vector<std::uint8_t> frame(4);
  valence::codec::EncodeOptions enc;
  enc.form = valence::codec::Form::kNodeIpc;
  if (auto r = valence::codec::encode_into(value, frame, enc); !r) {
    std::fprintf(stderr, "encode failed: %s\n", r.error().message.c_str());
    return 1;
  }
  std::uint32_t n = htonl(static_cast<std::uint32_t>(frame.size() - 4));
  std::memcpy(frame.data(), &n, 4);
  std::printf("encoded: %zu bytes\n\n", frame.size() - 4);
  std::fflush(stdout);

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return 1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, sv[1], 3);
  std::vector<std::string> env_strings{"NODE_CHANNEL_FD=3",
                                       "NODE_CHANNEL_SERIALIZATION_MODE=advanced"};
  std::vector<char*> env;
  for (auto& s : env_strings) env.push_back(s.data());
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "NODE_CHANNEL", 12) != 0) env.push_back(*e);
  env.push_back(nullptr);
  std::string node = "node";
  std::vector<char*> args{node.data(), const_cast<char*>(peer), nullptr};
  pid_t pid;
  int rc = posix_spawnp(&pid, "node", &actions, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  close(sv[1]);
  if (rc != 0) {
    std::fprintf(stderr, "could not start node: %s (install Debian's nodejs)\n", std::strerror(rc));
    return 1;
  }

  int status = 0;
  if (!write_all(sv[0], frame.data(), frame.size())) return 1;
  valence::codec::DecodeOptions dec;
  dec.form = valence::codec::Form::kNodeIpc;
  std::vector<std::uint8_t> payload;
  bool ok = read_frame(sv[0], payload);
  auto echoed = ok ? valence::codec::decode(payload, dec)
                   : valence::Result<Value>(valence::make_error(valence::ErrorCode::kDisconnected,
                                                                "node closed the channel"));
  if (!echoed) {
    std::fprintf(stderr, "echo failed: %s\n", echoed.error().message.c_str());
    return 1;
  }
  std::printf("C++ received the echo:\n%s\n\n", echoed->to_debug_string().c_str());
  // Equal to what was sent, apart from the note Node added.
  echoed->get_object().properties().erase("echoedBy");
  bool same = *echoed == value;
  std::printf("echo equals what C++ sent: %s\n\n", same ? "yes" : "NO");

  ok = read_frame(sv[0], payload);
  auto from_node = ok ? valence::codec::decode(payload, dec)
                      : valence::Result<Value>(valence::make_error(
                            valence::ErrorCode::kDisconnected, "node closed the channel"));
  if (!from_node) {
    std::fprintf(stderr, "decode failed: %s\n", from_node.error().message.c_str());
    return 1;
  }
  std::printf("C++ received a value built in JavaScript:\n%s\n",
              from_node->to_debug_string().c_str());
  close(sv[0]);
  waitpid(pid, &status, 0);
  return same && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
