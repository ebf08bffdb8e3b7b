// Hostile pages against the remote module (docs/remote.md), without GTK:
// a native child plays the page's connection with raw frames (the kinds
// RemoteContext 18, RemoteSync 11 and RemoteRelease 14, their bodies V8
// serialized with '\' host objects written byte by byte). Everything a page
// sends that breaks the remote protocol must be reported as a bad message
// naming the problem, end that renderer's connection (render-process-gone
// "killed"), drop its remote tables, and cost nobody else: a second,
// well-behaved child still gets its answer afterwards. What the protocol
// allows (a close of an unknown document, an op with remote disabled) is
// answered, and the connection stays.
//
// The child ("remote_raw") is driven by main: it writes the bytes main sends
// it on "raw-write" onto its own socket, and relays every other frame main
// sends it (RemoteReply, RemoteRelease...) back on "raw-frame" [kind, hex],
// so the test sees exactly what a page would have received.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <initializer_list>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ipc/common/message.h"
#include "ipc/common/protocol.h"
#include "support/multiprocess.h"
#include "transport/frame.h"
#include "transport/socket_posix.h"
#include "valence/codec.h"
#include "valence/remote.h"

namespace valence::test {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;
using ipc::MessageKind;
using ipc::RemoteOp;
using ipc::RemoteRef;

std::uint8_t kind_byte(MessageKind k) {
  return static_cast<std::uint8_t>(k);
}
int op(RemoteOp o) {
  return static_cast<int>(o);
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

Bytes from_hex(const std::string& hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  Bytes out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return {};
    out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
  }
  return out;
}

// ---- the child: a page connection that writes what main tells it --------------------

void read_exactly_or_wait(int fd, std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r <= 0) {
      // Main ended the connection: it kills this process next (a child
      // that exited by itself would say "clean-exit", not "killed"). Never
      // outlive a main that died, though.
      ::alarm(60);
      wait_to_be_killed();
    }
    p += r;
    n -= static_cast<std::size_t>(r);
  }
}

VALENCE_CHILD_SCENARIO(remote_raw) {
  const int fd = child_ipc_fd();
  (void)transport::set_nonblocking(fd, false);
  write_or_exit(fd, hello_frame(child_ipc_token()));
  for (;;) {
    std::uint8_t header[transport::kFrameHeaderSize];
    read_exactly_or_wait(fd, header, sizeof header);
    std::size_t size = std::size_t{header[0]} | std::size_t{header[1]} << 8 |
                       std::size_t{header[2]} << 16 | std::size_t{header[3]} << 24;
    Bytes payload(size);
    read_exactly_or_wait(fd, payload.data(), size);
    const std::uint8_t kind = header[4];
    if (kind == kind_byte(MessageKind::kWelcome)) continue;
    if (kind == kind_byte(MessageKind::kRendererMessage)) {
      auto m = ipc::decode_message(kind, payload);
      if (!m) ::_exit(91);
      if (m->channel != "raw-write") continue;
      if (const Array* a = m->body.get_if_array())
        a->for_each_element([&](std::uint32_t, const Value& v) {
          if (v.is_string()) write_or_exit(fd, from_hex(v.get_string()));
        });
      continue;
    }
    // Anything else (the remote kinds main sends a page): back to main, whole.
    write_or_exit(
        fd, message_frame(kind_byte(MessageKind::kMessage), 0, "raw-frame",
                          Value::array({Value(static_cast<int>(kind)), Value(to_hex(payload))})));
  }
}

// ---- bodies with raw host objects ---------------------------------------------------

// Host object payloads (what follows '\'), written as given.
Bytes ref(RemoteRef kind, std::uint64_t id) {
  Bytes out{static_cast<std::uint8_t>(kind)};
  codec::write_varint(out, id);
  return out;
}
Bytes page_function(std::uint64_t id, std::size_t location_bytes) {
  Bytes out = ref(RemoteRef::kPageFunction, id);
  codec::write_varint(out, location_bytes);
  out.insert(out.end(), location_bytes, 'a');
  return out;
}

// Encodes a body whose HostObject{"raw", i} values are written as refs[i].
class RawBody final : public codec::EncodeDelegate {
 public:
  Value host(Bytes payload) {
    refs_.push_back(std::move(payload));
    return Value(HostObject{"raw", refs_.size() - 1});
  }
  Bytes encode(const Value& v) {
    codec::EncodeOptions options;
    options.form = codec::Form::kValence;
    options.delegate = this;
    auto bytes = codec::encode(v, options);
    if (!bytes) {
      ADD_FAILURE() << "encode: " << bytes.error().message;
      return {};
    }
    return std::move(bytes).value();
  }
  Result<void> write_host_object(const HostObject& object, Bytes& out) override {
    const Bytes& r = refs_.at(object.handle);
    out.insert(out.end(), r.begin(), r.end());
    return {};
  }

 private:
  std::vector<Bytes> refs_;
};

// A whole frame of `kind`: the protocol header (channel empty), then `body`.
Bytes remote_frame(MessageKind kind, std::uint64_t request_id, const Bytes& body) {
  Bytes payload;
  ipc::write_header(payload, request_id, "", ipc::ReplyStatus::kOk);
  payload.insert(payload.end(), body.begin(), body.end());
  return frame(kind_byte(kind), payload);
}
Bytes plain_body(const Value& v) {
  return RawBody().encode(v);
}
Bytes context_frame(int what, double gen) {
  return remote_frame(MessageKind::kRemoteContext, 0, plain_body(Value::array({what, gen})));
}
Bytes open_frame(double gen) {
  return context_frame(ipc::kRemoteContextOpen, gen);
}
Bytes close_frame(double gen) {
  return context_frame(ipc::kRemoteContextClose, gen);
}
Bytes release_frame(std::vector<Value> list) {
  return remote_frame(MessageKind::kRemoteRelease, 0, plain_body(Value::array(std::move(list))));
}
Bytes release_frame(std::initializer_list<Value> list) {
  return remote_frame(MessageKind::kRemoteRelease, 0, plain_body(Value::array(list)));
}
std::vector<Value> list_of(Value v) {
  std::vector<Value> out;
  out.push_back(std::move(v));
  return out;
}
// RemoteSync [op, target, name, args].
Bytes sync_frame(std::uint64_t request_id, int code, Value target, Value name,
                 std::vector<Value> args, RawBody& refs) {
  Value body = Value::array(
      {Value(code), std::move(target), std::move(name), Value::array(std::move(args))});
  return remote_frame(MessageKind::kRemoteSync, request_id, refs.encode(body));
}
Bytes require_frame(std::uint64_t request_id, const std::string& module,
                    std::vector<Value> args = {}) {
  RawBody none;
  return sync_frame(request_id, op(RemoteOp::kRequire), Value(), Value(module), std::move(args),
                    none);
}
// target[name] on remote object `id`.
Bytes get_frame(std::uint64_t request_id, std::uint64_t id, const std::string& name) {
  RawBody refs;
  Value target = refs.host(ref(RemoteRef::kObject, id));
  return sync_frame(request_id, op(RemoteOp::kGet), std::move(target), Value(name), {}, refs);
}

// Reads main's references back: HostObject{"ref<kind>", id}.
class RefReader final : public codec::DecodeDelegate {
 public:
  Result<Value> read_host_object(codec::ByteReader& reader) override {
    std::uint8_t kind = 0;
    std::uint64_t id = 0;
    if (!reader.read_byte(kind) || !reader.read_varint64(id))
      return make_error(ErrorCode::kBadMessage, "a truncated reference from main");
    if (kind == static_cast<std::uint8_t>(RemoteRef::kObject) ||
        kind == static_cast<std::uint8_t>(RemoteRef::kFunction)) {
      std::uint64_t cls = 0, n = 0;
      std::span<const std::uint8_t> descriptors;
      if (!reader.read_varint64(cls) || !reader.read_varint64(n) ||
          !reader.read_bytes(static_cast<std::size_t>(n), descriptors))
        return make_error(ErrorCode::kBadMessage, "a truncated object reference from main");
    }
    return Value(HostObject{"ref" + std::to_string(kind), id});
  }
};

// A frame main sent the child.
struct Received {
  MessageKind kind{};
  std::uint64_t request_id = 0;
  std::string channel;
  int status = 0;
  Bytes body;   // the V8 bytes
  Value value;  // decoded (references as HostObject{"ref<kind>", id})
};

// ---- the fixture ----------------------------------------------------------------------

class RemoteHostile : public MultiprocessTest {
 protected:
  RemoteHostile() : registry(*main_process) {
    registry.module("m", [](remote::Module& m) { m.value("answer", Value(42)); });
    ipc().on("raw-frame", [this](IpcMainEvent& e, int kind, std::string hex) {
      Received r;
      r.kind = static_cast<MessageKind>(kind);
      Bytes payload = from_hex(hex);
      auto header = ipc::parse_header(static_cast<std::uint8_t>(kind), payload);
      if (!header) {
        ADD_FAILURE() << "main sent a frame whose header does not parse: "
                      << header.error().message;
        return;
      }
      r.request_id = header->request_id;
      r.channel = header->channel;
      r.status = static_cast<int>(header->status);
      r.body.assign(payload.begin() + static_cast<std::ptrdiff_t>(header->body_offset),
                    payload.end());
      RefReader refs;
      codec::DecodeOptions options;
      options.form = codec::Form::kValence;
      options.delegate = &refs;
      auto v = codec::decode(r.body, options);
      if (!v) {
        ADD_FAILURE() << "main sent a body that does not decode: " << v.error().message;
        return;
      }
      r.value = std::move(v).value();
      received[e.sender->id()].push_back(std::move(r));
    });
  }

  std::shared_ptr<WebContents> spawn_page(bool enable = true) {
    auto wc = spawn("remote_raw");
    if (wc && enable) registry.enable(*wc);
    return wc;
  }
  void write(const std::shared_ptr<WebContents>& wc, const Bytes& bytes) {
    ASSERT_TRUE(wc->send("raw-write", to_hex(bytes)));
  }
  // The next frame of `kind` main sent `wc` (earlier frames of other kinds
  // are skipped); kind 0 with status -1 when none came.
  Received next(const std::shared_ptr<WebContents>& wc, MessageKind kind) {
    auto& q = received[wc->id()];
    auto find = [&] {
      while (!q.empty() && q.front().kind != kind) q.pop_front();
      return !q.empty();
    };
    if (!run_until(find)) {
      ADD_FAILURE() << "no " << ipc::message_kind_name(kind) << " for renderer " << wc->id();
      Received none;
      none.status = -1;
      return none;
    }
    Received r = std::move(q.front());
    q.pop_front();
    return r;
  }
  Received reply(const std::shared_ptr<WebContents>& wc) {
    return next(wc, MessageKind::kRemoteReply);
  }
  // Opens document `gen` and requires "m": the module object's reference.
  std::uint64_t open_and_require(const std::shared_ptr<WebContents>& wc, double gen = 1) {
    write(wc, open_frame(gen));
    write(wc, require_frame(++request_, "m"));
    Received r = reply(wc);
    EXPECT_EQ(r.request_id, request_);
    EXPECT_EQ(r.status, 0) << r.value.to_debug_string();
    const Value* result = r.value.is_array() ? r.value.get_array().get(0) : nullptr;
    const HostObject* h = result ? result->get_if_host_object() : nullptr;
    if (!h || h->kind != "ref1") {
      ADD_FAILURE() << "require('m') did not answer a remote object: " << r.value.to_debug_string();
      return 0;
    }
    return h->handle;
  }
  std::uint64_t next_request() { return ++request_; }

  // The bad child was reported once, with `reason` (after the "renderer N
  // (pid P) sent a bad message: " prefix; exact, or contained), then killed.
  void expect_bad_message_and_killed(const std::shared_ptr<WebContents>& bad,
                                     const std::string& reason, bool exact) {
    ASSERT_TRUE(run_until([&] { return !events(bad).bad_messages.empty(); }))
        << "no bad message; render-process-gone: "
        << (events(bad).gone ? events(bad).gone->reason : "(not yet)")
        << "; is_connected(): " << bad->is_connected();
    ASSERT_TRUE(wait_gone(bad));
    const std::string prefix = "renderer " + std::to_string(bad->id()) + " (pid " +
                               std::to_string(bad->process_id()) + ") sent a bad message: ";
    ASSERT_EQ(events(bad).bad_messages.size(), 1u);
    const std::string& got = events(bad).bad_messages[0];
    if (exact) {
      EXPECT_EQ(got, prefix + reason);
    } else {
      EXPECT_EQ(got.rfind(prefix, 0), 0u) << got;
      EXPECT_NE(got.find(reason), std::string::npos) << got;
    }
    EXPECT_EQ(events(bad).gone->reason, "killed");
    EXPECT_EQ(events(bad).gone->signal, SIGKILL);
    EXPECT_EQ(events(bad).log, (std::vector<std::string>{"bad-message", "gone"}));
    // Its remote tables went with it.
    remote::Stats s = registry.stats(*bad);
    EXPECT_EQ(s.documents, 0u);
    EXPECT_EQ(s.exports, 0u);
    EXPECT_EQ(s.imports, 0u);
  }

  // A well-behaved page still gets its answer.
  void expect_served(const std::shared_ptr<WebContents>& good, double gen) {
    std::uint64_t id = open_and_require(good, gen);
    EXPECT_NE(id, 0u);
    write(good, get_frame(next_request(), id, "answer"));
    Received r = reply(good);
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.value.to_debug_string(), Value::array({42}).to_debug_string());
    EXPECT_TRUE(events(good).bad_messages.empty());
    EXPECT_FALSE(events(good).gone.has_value());
  }

  remote::Registry registry;
  std::map<int, std::deque<Received>> received;

 private:
  std::uint64_t request_ = 0;
};

// ---- the valid path ---------------------------------------------------------------------

TEST_F(RemoteHostile, RequireAnswersAReferenceAndReleaseDropsIt) {
  auto page = spawn_page();
  ASSERT_TRUE(page);
  write(page, open_frame(1));
  // [1 (require), undefined, "m", []]
  write(page, require_frame(next_request(), "m"));
  Received r = reply(page);
  EXPECT_EQ(r.request_id, 1u);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.channel, "1");  // the document
  // The body holds a host object of kind 1 (an object reference).
  const Bytes host{0x5c, static_cast<std::uint8_t>(RemoteRef::kObject)};
  EXPECT_NE(std::search(r.body.begin(), r.body.end(), host.begin(), host.end()), r.body.end())
      << to_hex(r.body);
  ASSERT_TRUE(r.value.is_array() && r.value.get_array().length() == 1) << r.value.to_debug_string();
  const HostObject* h = r.value.get_array().get(0)->get_if_host_object();
  ASSERT_TRUE(h && h->kind == "ref1") << r.value.to_debug_string();
  const std::uint64_t id = h->handle;
  remote::Stats s = registry.stats();
  EXPECT_EQ(s.documents, 1u);
  EXPECT_EQ(s.exports, 1u);
  EXPECT_EQ(s.references, 1u);

  // A member read through it.
  write(page, get_frame(next_request(), id, "answer"));
  r = reply(page);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.value.to_debug_string(), Value::array({42}).to_debug_string());

  // RemoteRelease [id, 1]: the page gave its one reference back. The next
  // op's answer says main has handled it (frames are handled in order).
  write(page, release_frame({Value(static_cast<double>(id)), Value(1)}));
  write(page, remote_frame(MessageKind::kRemoteSync, next_request(),
                           plain_body(Value::array(
                               {op(RemoteOp::kProcess), Value(), Value(), Value::array({})}))));
  r = reply(page);
  EXPECT_EQ(r.status, 0);
  s = registry.stats();
  EXPECT_EQ(s.exports, 0u);
  EXPECT_EQ(s.references, 0u);
  EXPECT_TRUE(events(page).bad_messages.empty());

  // R-A: an op on the released reference breaks the protocol.
  write(page, get_frame(next_request(), id, "answer"));
  expect_bad_message_and_killed(
      page, "remote object " + std::to_string(id) + " is not held by this document", false);
}

TEST_F(RemoteHostile, APageFunctionWithA256ByteLocationIsAcceptedAndGivenBack) {
  auto page = spawn_page();
  ASSERT_TRUE(page);
  write(page, open_frame(1));
  RawBody refs;
  Value fn = refs.host(page_function(5, ipc::kMaxRemoteLocation));
  write(page, sync_frame(next_request(), op(RemoteOp::kRequire), Value(), Value("m"),
                         list_of(std::move(fn)), refs));
  Received r = reply(page);
  EXPECT_EQ(r.status, 0) << r.value.to_debug_string();
  // Nothing kept the function: main gives it back, [5, 1].
  Received back = next(page, MessageKind::kRemoteRelease);
  EXPECT_EQ(back.value.to_debug_string(), Value::array({5, 1}).to_debug_string());
  EXPECT_EQ(registry.stats().imports, 0u);
  EXPECT_TRUE(events(page).bad_messages.empty());
  EXPECT_FALSE(events(page).gone.has_value());
}

// ---- H8: documents ------------------------------------------------------------------------

TEST_F(RemoteHostile, ACloseOfAnUnknownDocumentIsIgnored) {
  auto page = spawn_page();
  ASSERT_TRUE(page);
  write(page, open_frame(3));
  write(page, close_frame(9));  // never opened
  write(page, close_frame(2));  // never opened either (and older)
  write(page, require_frame(next_request(), "m"));
  Received r = reply(page);
  EXPECT_EQ(r.status, 0) << r.value.to_debug_string();
  EXPECT_EQ(r.channel, "3");
  EXPECT_EQ(registry.stats().exports, 1u);
  // The current one's close drops its tables; a newer document works.
  write(page, close_frame(3));
  write(page, open_frame(4));
  EXPECT_EQ(open_and_require(page, 5), 1u);  // ids start again in a new document
  EXPECT_EQ(registry.stats().exports, 1u);
  EXPECT_TRUE(events(page).bad_messages.empty());
  EXPECT_FALSE(events(page).gone.has_value());
}

// ---- H9: remote not enabled ---------------------------------------------------------------

TEST_F(RemoteHostile, RemoteDisabledAnswersErrRemoteDisabledAndHoldsNothing) {
  auto page = spawn_page(/*enable=*/false);
  ASSERT_TRUE(page);
  write(page, open_frame(1));
  write(page, require_frame(next_request(), "m"));
  Received r = reply(page);
  EXPECT_EQ(r.request_id, 1u);
  EXPECT_EQ(r.status, 1);
  ASSERT_TRUE(r.value.is_array() && r.value.get_array().length() == 2) << r.value.to_debug_string();
  const Value& error = *r.value.get_array().get(0);
  ASSERT_TRUE(error.is_error()) << r.value.to_debug_string();
  ASSERT_TRUE(error.get_error().message.has_value());
  EXPECT_EQ(error.get_error().message->utf8(), "remote is disabled for this WebContents");
  EXPECT_EQ(r.value.get_array().get(1)->to_debug_string(),
            Value("ERR_REMOTE_DISABLED").to_debug_string());
  // A page function in the args is not kept either.
  RawBody refs;
  Value fn = refs.host(page_function(7, 10));
  write(page, sync_frame(next_request(), op(RemoteOp::kRequire), Value(), Value("m"),
                         list_of(std::move(fn)), refs));
  r = reply(page);
  EXPECT_EQ(r.status, 1);
  remote::Stats s = registry.stats();
  EXPECT_EQ(s.documents, 0u);
  EXPECT_EQ(s.exports, 0u);
  EXPECT_EQ(s.references, 0u);
  EXPECT_EQ(s.imports, 0u);
  EXPECT_EQ(s.promises, 0u);
  EXPECT_TRUE(events(page).bad_messages.empty());
  EXPECT_FALSE(events(page).gone.has_value());
  EXPECT_TRUE(page->is_connected());
}

// ---- a page function where a remote object belongs -------------------------------------

// The page's own function as an op's target is no remote object: main must
// not take it for one (a page function's handle is its index among the op's
// decoded page functions, which could name a remote object of that id). A
// page's runtime never sends it: a bad message. The body is a sparse array
// whose elements come out of order (V8 allows it): args [pageFn 5] first,
// then the target, pageFn 7, the second page function decoded in this op.
TEST_F(RemoteHostile, APageFunctionAsTargetIsNotARemoteObject) {
  auto page = spawn_page();
  ASSERT_TRUE(page);
  ASSERT_EQ(open_and_require(page, 1), 1u);  // remote object 1: the module
  Bytes body{0xFF, 0x0F, 'a', 4};
  auto key = [&](std::uint8_t i) {
    body.insert(body.end(), {'I', static_cast<std::uint8_t>(i * 2)});
  };
  auto host = [&](const Bytes& h) {
    body.push_back(0x5c);
    body.insert(body.end(), h.begin(), h.end());
  };
  key(3);
  body.insert(body.end(), {'A', 1});
  host(page_function(5, 3));
  body.insert(body.end(), {'$', 0, 1});
  key(0);
  body.insert(body.end(), {'I', static_cast<std::uint8_t>(op(RemoteOp::kGet) * 2)});
  key(2);
  body.insert(body.end(), {'"', 6, 'a', 'n', 's', 'w', 'e', 'r'});
  key(1);
  host(page_function(7, 3));
  body.insert(body.end(), {'@', 4, 4});
  write(page, remote_frame(MessageKind::kRemoteSync, next_request(), body));
  expect_bad_message_and_killed(page, "RemoteSync: the target is not a remote object", true);
}

// The same with the target first (the op's first page function).
TEST_F(RemoteHostile, APageFunctionAsTheFirstTargetIsNotARemoteObject) {
  auto page = spawn_page();
  ASSERT_TRUE(page);
  ASSERT_EQ(open_and_require(page, 1), 1u);
  RawBody refs;
  Value target = refs.host(page_function(5, 3));
  write(page, sync_frame(next_request(), op(RemoteOp::kGet), std::move(target), Value("answer"), {},
                         refs));
  expect_bad_message_and_killed(page, "RemoteSync: the target is not a remote object", true);
}

// ---- quotas: too much is an error reply, not a disconnect ---------------------------------

struct Widget {
  int size = 3;
};

TEST_F(RemoteHostile, TooManyPageFunctionsIsAnErrorReplyAndNothingIsKept) {
  registry.set_quotas({.max_exports = 100, .max_imports = 1});
  auto page = spawn_page();
  ASSERT_TRUE(page);
  write(page, open_frame(1));
  RawBody refs;
  std::vector<Value> args;
  args.push_back(refs.host(page_function(5, 3)));
  args.push_back(refs.host(page_function(6, 3)));
  args.push_back(refs.host(page_function(7, 3)));
  write(page, sync_frame(next_request(), op(RemoteOp::kRequire), Value(), Value("m"),
                         std::move(args), refs));
  Received r = reply(page);
  EXPECT_EQ(r.status, 1);
  ASSERT_TRUE(r.value.is_array() && r.value.get_array().length() == 2) << r.value.to_debug_string();
  EXPECT_EQ(r.value.get_array().get(1)->to_debug_string(),
            Value("ERR_REMOTE_QUOTA").to_debug_string());
  // The one function main took is given back; nothing stays.
  Received back = next(page, MessageKind::kRemoteRelease);
  EXPECT_EQ(back.value.to_debug_string(), Value::array({5, 1}).to_debug_string());
  remote::Stats s = registry.stats();
  EXPECT_EQ(s.imports, 0u);
  EXPECT_EQ(s.exports, 0u);
  // And the page goes on.
  write(page, require_frame(next_request(), "m"));
  EXPECT_EQ(reply(page).status, 0);
  EXPECT_TRUE(events(page).bad_messages.empty());
  EXPECT_FALSE(events(page).gone.has_value());
}

TEST_F(RemoteHostile, TooManyObjectsIsAnErrorReplyAndTheConnectionStays) {
  registry.define<Widget>("Widget").property("size", &Widget::size);
  auto widget = std::make_shared<Widget>();
  registry.module("w", [&](remote::Module& m) { m.object("obj", widget); });
  registry.set_quotas({.max_exports = 1, .max_imports = 100});
  auto page = spawn_page();
  ASSERT_TRUE(page);
  write(page, open_frame(1));
  write(page, require_frame(next_request(), "w"));
  Received r = reply(page);
  ASSERT_EQ(r.status, 0) << r.value.to_debug_string();
  const HostObject* module = r.value.get_array().get(0)->get_if_host_object();
  ASSERT_TRUE(module);
  const std::uint64_t module_id = module->handle;  // r is reused below
  // A second object would go over the quota.
  write(page, get_frame(next_request(), module_id, "obj"));
  r = reply(page);
  EXPECT_EQ(r.status, 1);
  ASSERT_TRUE(r.value.is_array() && r.value.get_array().length() == 2) << r.value.to_debug_string();
  EXPECT_EQ(r.value.get_array().get(1)->to_debug_string(),
            Value("ERR_REMOTE_QUOTA").to_debug_string());
  EXPECT_EQ(registry.stats().exports, 1u);
  // Ours and the module's: the document did not keep the one it could not send.
  EXPECT_EQ(widget.use_count(), 2);
  // Once the page gives the module back, the object fits.
  write(page, release_frame({Value(static_cast<double>(module_id)), Value(1)}));
  write(page, require_frame(next_request(), "w"));
  r = reply(page);
  ASSERT_EQ(r.status, 0) << "bad messages: " << events(page).bad_messages.size()
                         << (events(page).bad_messages.empty() ? "" : events(page).bad_messages[0]);
  EXPECT_EQ(registry.stats().exports, 1u);
  EXPECT_TRUE(events(page).bad_messages.empty());
  EXPECT_FALSE(events(page).gone.has_value());
}

// ---- the protocol broken: H1, H2, H3, H8 ---------------------------------------------------

enum Setup {
  kNothing,     // the fatal frames only
  kOpen,        // document 5 opened first
  kOpenRequire  // document 5 opened and require('m') answered (object 1, one reference)
};

struct BadCase {
  const char* name;
  Setup setup;
  std::vector<Bytes> (*frames)();  // the last one breaks the protocol
  const char* reason;
  bool exact;
};

void PrintTo(const BadCase& c, std::ostream* os) {
  *os << c.name;
}

Bytes sync_on(std::uint64_t id) {
  return get_frame(100, id, "answer");
}
Bytes sync_with_ref(Bytes host) {
  RawBody refs;
  Value arg = refs.host(std::move(host));
  return sync_frame(100, op(RemoteOp::kRequire), Value(), Value("m"), list_of(std::move(arg)),
                    refs);
}
Bytes release_of(std::initializer_list<Value> list) {
  return release_frame(list);
}

const BadCase kBadCases[] = {
    // H1: a reference the document never got.
    {"sync_on_unknown_object", kOpen, [] { return std::vector<Bytes>{sync_on(42)}; },
     "remote object 42 is not held by this document", false},
    {"sync_on_object_id_0", kOpenRequire, [] { return std::vector<Bytes>{sync_on(0)}; },
     "remote object 0 is not held by this document", false},
    // ... nor of the document before (a reload): references are per document.
    {"sync_on_previous_documents_object", kOpenRequire,
     [] {
       return std::vector<Bytes>{open_frame(6), sync_on(1)};
     },
     "remote object 1 is not held by this document", false},
    // An object reference as a function, and the other way round.
    {"object_as_function", kOpenRequire,
     [] {
       RawBody refs;
       Value target = refs.host(ref(RemoteRef::kFunction, 1));
       return std::vector<Bytes>{
           sync_frame(100, op(RemoteOp::kCall), std::move(target), Value(), {}, refs)};
     },
     "remote reference 1 has the wrong kind", false},
    // H2: releases.
    {"release_above_count", kOpenRequire,
     [] {
       return std::vector<Bytes>{release_of({Value(1), Value(2)})};
     },
     "RemoteRelease of 2 references to remote object 1, which has 1", true},
    {"release_twice", kOpenRequire,
     [] {
       return std::vector<Bytes>{release_of({Value(1), Value(1)}),
                                 release_of({Value(1), Value(1)})};
     },
     "RemoteRelease of remote object 1, which this document does not hold", true},
    {"release_unknown_id", kOpenRequire,
     [] {
       return std::vector<Bytes>{release_of({Value(99), Value(1)})};
     },
     "RemoteRelease of remote object 99, which this document does not hold", true},
    {"release_odd_length", kOpenRequire,
     [] {
       return std::vector<Bytes>{release_of({Value(1), Value(1), Value(1)})};
     },
     "RemoteRelease: not a list of (id, count) pairs", true},
    {"release_negative_count", kOpenRequire,
     [] {
       return std::vector<Bytes>{release_of({Value(1), Value(-1)})};
     },
     "RemoteRelease: a bad id or count", true},
    {"release_fractional_count", kOpenRequire,
     [] {
       return std::vector<Bytes>{release_of({Value(1), Value(0.5)})};
     },
     "RemoteRelease: a bad id or count", true},
    {"release_string_count", kOpenRequire,
     [] {
       return std::vector<Bytes>{release_of({Value(1), Value("1")})};
     },
     "RemoteRelease: a bad id or count", true},
    {"release_zero_count", kOpenRequire,
     [] {
       return std::vector<Bytes>{release_of({Value(1), Value(0)})};
     },
     "RemoteRelease: a bad id or count", true},
    {"release_nan_id", kOpenRequire,
     [] {
       return std::vector<Bytes>{
           release_of({Value(std::numeric_limits<double>::quiet_NaN()), Value(1)})};
     },
     "RemoteRelease: a bad id or count", true},
    // A valid pair first: nothing of the list is applied past the bad one,
    // but the connection ends anyway.
    {"release_valid_then_bad", kOpenRequire,
     [] {
       return std::vector<Bytes>{release_of({Value(1), Value(1), Value(1), Value(1)})};
     },
     "RemoteRelease of remote object 1, which this document does not hold", true},
    {"release_not_an_array", kOpenRequire,
     [] {
       return std::vector<Bytes>{
           remote_frame(MessageKind::kRemoteRelease, 0, plain_body(Value::object({{"1", 1}})))};
     },
     "RemoteRelease: not a list of (id, count) pairs", true},
    {"release_too_many_pairs", kOpenRequire,
     [] {
       std::vector<Value> list;
       for (std::size_t i = 0; i <= ipc::kMaxRemoteReleasePairs; ++i) {
         list.emplace_back(1);
         list.emplace_back(1);
       }
       return std::vector<Bytes>{release_frame(std::move(list))};
     },
     "RemoteRelease: not a list of (id, count) pairs", true},
    // A host object where plain numbers belong.
    {"release_with_a_host_object", kOpenRequire,
     [] {
       RawBody refs;
       Value h = refs.host(ref(RemoteRef::kObject, 1));
       return std::vector<Bytes>{remote_frame(MessageKind::kRemoteRelease, 0,
                                              refs.encode(Value::array({std::move(h), Value(1)})))};
     },
     "RemoteRelease: ", false},
    {"release_before_open", kNothing,
     [] {
       return std::vector<Bytes>{release_of({Value(1), Value(1)})};
     },
     "RemoteRelease before a document opened", true},
    // H3: malformed host objects.
    {"host_object_kind_9", kOpen,
     [] {
       Bytes h{9};
       codec::write_varint(h, 1);
       return std::vector<Bytes>{sync_with_ref(std::move(h))};
     },
     "unknown remote reference kind 9", false},
    {"host_object_truncated_varint", kOpen,
     [] {
       // The body ends inside the reference's id: FF 0F '\' 01 80.
       Bytes body{0xFF, 0x0F, 0x5c, static_cast<std::uint8_t>(RemoteRef::kObject), 0x80};
       return std::vector<Bytes>{remote_frame(MessageKind::kRemoteSync, 100, body)};
     },
     "a truncated remote reference", false},
    {"host_object_no_kind", kOpen,
     [] {
       Bytes body{0xFF, 0x0F, 0x5c};
       return std::vector<Bytes>{remote_frame(MessageKind::kRemoteSync, 100, body)};
     },
     "a truncated remote reference", false},
    {"promise_from_a_page", kOpen,
     [] { return std::vector<Bytes>{sync_with_ref(ref(RemoteRef::kPromise, 1))}; },
     "unknown remote reference kind 5", false},
    {"page_function_location_257_bytes", kOpen,
     [] {
       return std::vector<Bytes>{sync_with_ref(page_function(5, ipc::kMaxRemoteLocation + 1))};
     },
     "a malformed page function reference", false},
    {"page_function_location_past_the_end", kOpen,
     [] {
       Bytes h = ref(RemoteRef::kPageFunction, 5);
       codec::write_varint(h, 200);  // and 3 bytes follow
       h.insert(h.end(), {'a', 'b', 'c'});
       Bytes body{0xFF, 0x0F, 0x5c};
       body.insert(body.end(), h.begin(), h.end());
       return std::vector<Bytes>{remote_frame(MessageKind::kRemoteSync, 100, body)};
     },
     "a malformed page function reference", false},
    {"page_function_id_0", kOpen,
     [] { return std::vector<Bytes>{sync_with_ref(page_function(0, 4))}; },
     "a malformed page function reference", false},
    {"constant_longer_than_the_body", kOpen,
     [] {
       Bytes h = ref(RemoteRef::kConstant, 0);
       codec::write_varint(h, 1000);
       Bytes body{0xFF, 0x0F, 0x5c};
       body.insert(body.end(), h.begin(), h.end());
       return std::vector<Bytes>{remote_frame(MessageKind::kRemoteSync, 100, body)};
     },
     "a malformed constant function", false},
    {"constant_holding_a_host_object", kOpen,
     [] {
       // remote.createFunctionWithReturnValue(v) whose v is itself a reference.
       Bytes inner{0xFF, 0x0F, 0x5c, static_cast<std::uint8_t>(RemoteRef::kObject), 1};
       Bytes h = ref(RemoteRef::kConstant, 0);
       codec::write_varint(h, inner.size());
       h.insert(h.end(), inner.begin(), inner.end());
       return std::vector<Bytes>{sync_with_ref(std::move(h))};
     },
     "a constant function's value: ", false},
    // RemoteSync shapes.
    {"sync_unknown_op", kOpen,
     [] {
       return std::vector<Bytes>{remote_frame(
           MessageKind::kRemoteSync, 100,
           plain_body(Value::array({Value(99), Value(), Value("m"), Value::array({})})))};
     },
     "RemoteSync: unknown operation", true},
    {"sync_not_four_parts", kOpen,
     [] {
       return std::vector<Bytes>{remote_frame(MessageKind::kRemoteSync, 100,
                                              plain_body(Value::array({Value(1), Value()})))};
     },
     "RemoteSync: not [op, target, name, args]", true},
    // H8: documents.
    {"sync_before_open", kNothing, [] { return std::vector<Bytes>{require_frame(100, "m")}; },
     "RemoteSync before a document opened", true},
    {"sync_after_the_documents_close", kOpen,
     [] {
       return std::vector<Bytes>{close_frame(5), require_frame(100, "m")};
     },
     "RemoteSync before a document opened", true},
    {"open_same_generation", kOpen, [] { return std::vector<Bytes>{open_frame(5)}; },
     "RemoteContext: document 5 opened after 5", true},
    {"open_older_generation", kOpen, [] { return std::vector<Bytes>{open_frame(3)}; },
     "RemoteContext: document 3 opened after 5", true},
    {"open_generation_0", kNothing, [] { return std::vector<Bytes>{open_frame(0)}; },
     "RemoteContext: malformed", true},
    {"open_generation_above_32_bits", kNothing,
     [] { return std::vector<Bytes>{open_frame(4294967296.0)}; }, "RemoteContext: malformed", true},
    {"context_unknown_marker", kNothing, [] { return std::vector<Bytes>{context_frame(3, 1)}; },
     "RemoteContext: unknown marker 3", true},
    // A number between the remote kinds that is no kind.
    {"kind_16", kOpen,
     [] {
       return std::vector<Bytes>{
           remote_frame(static_cast<MessageKind>(16), 100, plain_body(Value::array({1})))};
     },
     "unknown message kind 16", false},
    // A page promise main never got, settled.
    {"settle_unknown_page_promise", kOpen,
     [] {
       return std::vector<Bytes>{
           remote_frame(MessageKind::kRemoteSettle, 0, plain_body(Value::array({7, 0, 1})))};
     },
     "RemoteSettle of page promise 7, which main does not wait for", false},
    // RemoteAsync: an answer that is not an earlier op's, and too many ops.
    {"async_answer_forward", kOpen,
     [] {
       return std::vector<Bytes>{remote_frame(
           MessageKind::kRemoteAsync, 100,
           plain_body(Value::array({Value::array(
               {Value(12), Value::object({{"answer", 0}}), Value(), Value::array({})})})))};
     },
     "RemoteAsync op 0: the target is not a remote object or an earlier op's answer", false},
    {"async_65_ops", kOpen,
     [] {
       std::vector<Value> ops;
       for (int i = 0; i < 65; ++i)
         ops.push_back(Value::array({Value(1), Value(), Value("m"), Value::array({})}));
       return std::vector<Bytes>{
           remote_frame(MessageKind::kRemoteAsync, 100, plain_body(Value::array(std::move(ops))))};
     },
     "RemoteAsync: not a list of 1 to 64 ops", false},
    // The remote kinds main sends, from a page.
    {"reply_from_a_page", kOpen,
     [] {
       return std::vector<Bytes>{
           remote_frame(MessageKind::kRemoteReply, 1, plain_body(Value::array({1})))};
     },
     "unexpected RemoteReply from a page", true},
};

class RemoteHostileCase : public RemoteHostile, public ::testing::WithParamInterface<BadCase> {};

TEST_P(RemoteHostileCase, IsReportedAndKilledAndCostsOnlyItself) {
  const BadCase& c = GetParam();
  const int fds_before = count_open_fds();
  auto good = spawn_page();
  auto bad = spawn_page();
  ASSERT_TRUE(good && bad);
  if (c.setup == kOpen) write(bad, open_frame(5));
  if (c.setup == kOpenRequire) {
    ASSERT_EQ(open_and_require(bad, 5), 1u);
    ASSERT_EQ(registry.stats(*bad).exports, 1u);
  }
  for (const Bytes& f : c.frames()) write(bad, f);
  expect_bad_message_and_killed(bad, c.reason, c.exact);
  EXPECT_TRUE(received[bad->id()].empty() || received[bad->id()].back().request_id != 100)
      << "the bad op was answered";
  // The other page keeps working.
  expect_served(good, 1);
  EXPECT_EQ(registry.stats().exports, 1u);  // the good page's module object only
  good->kill();
  ASSERT_TRUE(wait_gone(good));
  ASSERT_TRUE(wait_all_hosts_removed());
  EXPECT_EQ(registry.stats().documents, 0u);
  EXPECT_EQ(count_open_fds(), fds_before);
}

INSTANTIATE_TEST_SUITE_P(Cases, RemoteHostileCase, ::testing::ValuesIn(kBadCases),
                         [](const auto& tp) { return std::string(tp.param.name); });

}  // namespace
}  // namespace valence::test
