// MessagePort in one process: two (or more) channels from
// MessageChannelMain::create on one EventLoop. Order, queueing until
// start(), close after every earlier message, transfer through a port and
// onward again, the DataCloneError rules (and that a failed post_message
// changes nothing), listeners that close or drop their port, and a transfer
// while a large message is half-read. Run under ASan+UBSan too.
#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <linux/sockios.h>

#include <memory>
#include <string>
#include <vector>

#include "ipc/common/message.h"
#include "port_test_util.h"
#include "transport/socket_posix.h"
#include "valence/message_port.h"

namespace valence::ports_test {
namespace {

using PortPtr = std::shared_ptr<MessagePort>;
using Strings = std::vector<std::string>;

class PortTest : public ::testing::Test {
 protected:
  MessageChannelMain channel() {
    auto c = MessageChannelMain::create(*loop);
    EXPECT_TRUE(c.has_value());
    return std::move(c).value();
  }
  // A new channel's two ends.
  void entangle(PortPtr& a, PortPtr& b) {
    auto c = channel();
    a = std::move(c.port1);
    b = std::move(c.port2);
  }
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = kPatience) {
    return ::valence::test::run_until(*loop, done, timeout);
  }
  void run_for(std::chrono::milliseconds how_long = 150ms) {
    ::valence::test::run_for(*loop, how_long);
  }

  // Records "i" of every message and "close" on `log`.
  static void record(const PortPtr& port, Strings& log) {
    port->on_message([&log](MessageEvent& e) {
      log.push_back(e.data.is_int32() ? std::to_string(e.data.get_int32())
                                      : e.data.to_debug_string());
    });
    port->on_close([&log] { log.push_back("close"); });
  }

  // A round trip of `a` <-> `b` (already started and recording into the logs).
  void expect_talk(const PortPtr& a, Strings& a_log, const PortPtr& b, Strings& b_log, int tag) {
    std::size_t a0 = a_log.size(), b0 = b_log.size();
    ASSERT_TRUE(a->post_message(Value(tag)));
    ASSERT_TRUE(b->post_message(Value(tag + 1)));
    ASSERT_TRUE(run_until([&] { return a_log.size() > a0 && b_log.size() > b0; }))
        << "the ports no longer talk";
    EXPECT_EQ(b_log.back(), std::to_string(tag));
    EXPECT_EQ(a_log.back(), std::to_string(tag + 1));
  }

  std::unique_ptr<EventLoop> loop = EventLoop::create();
};

Strings numbers(int from, int to) {
  Strings out;
  for (int i = from; i < to; ++i) out.push_back(std::to_string(i));
  return out;
}

// ---- order, start, close ----------------------------------------------------------

TEST_F(PortTest, MessagesArriveInOrderBothWays) {
  PortPtr p1, p2;
  entangle(p1, p2);
  Strings log1, log2;
  record(p1, log1);
  record(p2, log2);
  p1->start();
  p2->start();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(p1->post_message(Value(i)));
    ASSERT_TRUE(p2->post_message(Value(i)));
    if (i % 100 == 0) loop->run_once(std::chrono::nanoseconds(0));
  }
  ASSERT_TRUE(run_until([&] { return log1.size() == 1000 && log2.size() == 1000; }));
  EXPECT_EQ(log1, numbers(0, 1000));
  EXPECT_EQ(log2, numbers(0, 1000));
}

TEST_F(PortTest, StructuredValuesAndBuffersArriveIntact) {
  PortPtr p1, p2;
  entangle(p1, p2);
  Value got;
  int n = 0;
  p2->on_message([&](MessageEvent& e) {
    got = std::move(e.data);
    ++n;
  });
  p2->start();
  auto bytes = pattern(7, 100000);
  Value v = Value::object({{"name", "x"}, {"list", Value::array({1, 2.5, "three"})}});
  v.get_if_object()->set(String("buf"), array_buffer_of(bytes));
  ASSERT_TRUE(p1->post_message(v.clone()));
  ASSERT_TRUE(run_until([&] { return n == 1; }));
  EXPECT_EQ(got, v);
}

TEST_F(PortTest, MessagesQueueUntilStartThenAllArriveInOrder) {
  PortPtr p1, p2;
  entangle(p1, p2);
  Strings log2;
  record(p2, log2);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(p1->post_message(Value(i)));
  run_for(300ms);
  EXPECT_TRUE(log2.empty()) << "delivered before start()";
  EXPECT_FALSE(p2->is_started());
  // A listener added late, still before start(), hears everything too.
  Strings late;
  p2->on_message([&](MessageEvent& e) { late.push_back(std::to_string(e.data.get_int32())); });
  for (int i = 50; i < 60; ++i) ASSERT_TRUE(p1->post_message(Value(i)));
  run_for(100ms);
  EXPECT_TRUE(log2.empty());
  p2->start();
  EXPECT_TRUE(p2->is_started());
  ASSERT_TRUE(run_until([&] { return log2.size() == 60; }));
  EXPECT_EQ(log2, numbers(0, 60));
  EXPECT_EQ(late, numbers(0, 60));
  p2->start();  // a second start() is harmless
  ASSERT_TRUE(p1->post_message(Value(60)));
  ASSERT_TRUE(run_until([&] { return log2.size() == 61; }));
  EXPECT_EQ(log2.back(), "60");
}

TEST_F(PortTest, CloseGivesTheOtherEndCloseAfterEveryEarlierMessage) {
  PortPtr p1, p2;
  entangle(p1, p2);
  Strings log1, log2;
  record(p1, log1);
  record(p2, log2);
  p1->start();
  p2->start();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(p1->post_message(Value(i)));
  run_for(50ms);  // the messages have left p1
  p1->close();
  EXPECT_TRUE(p1->is_closed());
  ASSERT_TRUE(run_until([&] { return !log2.empty() && log2.back() == "close"; }));
  Strings expected = numbers(0, 20);
  expected.push_back("close");
  EXPECT_EQ(log2, expected);
  EXPECT_TRUE(p2->is_closed());
  EXPECT_TRUE(log1.empty()) << "the port that closed itself got an event";
  auto r = p1->post_message(Value(1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDisconnected);
  EXPECT_EQ(r.error().message, "the port is closed");
}

// Posting and closing in the same turn of the loop: the messages were sent
// before the close, so they come first (nothing is lost).
TEST_F(PortTest, MessagesPostedJustBeforeCloseAreDeliveredBeforeTheCloseEvent) {
  PortPtr p1, p2;
  entangle(p1, p2);
  Strings log2;
  record(p2, log2);
  p2->start();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(p1->post_message(Value(i)));
  p1->close();
  ASSERT_TRUE(run_until([&] { return !log2.empty() && log2.back() == "close"; }));
  Strings expected = numbers(0, 20);
  expected.push_back("close");
  EXPECT_EQ(log2, expected);
}

TEST_F(PortTest, ACloseThatArrivesBeforeStartComesAfterTheQueuedMessages) {
  PortPtr p1, p2;
  entangle(p1, p2);
  Strings log2;
  record(p2, log2);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(p1->post_message(Value(i)));
  run_for(50ms);
  p1->close();
  run_for(100ms);
  EXPECT_TRUE(log2.empty()) << "events before start()";
  p2->start();
  ASSERT_TRUE(run_until([&] { return log2.size() == 6; }));
  EXPECT_EQ(log2, (Strings{"0", "1", "2", "3", "4", "close"}));
}

TEST_F(PortTest, DroppingTheLastReferenceClosesThePort) {
  PortPtr p1, p2;
  entangle(p1, p2);
  Strings log2;
  record(p2, log2);
  p2->start();
  ASSERT_TRUE(p1->post_message(Value(1)));
  run_for(50ms);
  p1.reset();
  ASSERT_TRUE(run_until([&] { return log2.size() == 2; }));
  EXPECT_EQ(log2, (Strings{"1", "close"}));
}

TEST_F(PortTest, CloseIsReportedOnceAndNothingAfterIt) {
  PortPtr p1, p2;
  entangle(p1, p2);
  int closes = 0, messages = 0;
  p2->on_close([&] { ++closes; });
  p2->on_close([&] { ++closes; });  // two listeners: each once
  p2->on_message([&](MessageEvent&) { ++messages; });
  p2->start();
  p1->close();
  p1->close();
  ASSERT_TRUE(run_until([&] { return closes == 2; }));
  run_for(100ms);
  EXPECT_EQ(closes, 2);
  EXPECT_EQ(messages, 0);
  p2->close();  // closing a port whose peer is gone is harmless
  EXPECT_FALSE(p2->post_message(Value(1)));
}

// ---- transfer -----------------------------------------------------------------------

// The sending side of a transfer: a started channel a <-> b; b records the
// ports it receives.
struct Carrier {
  PortPtr a, b;
  std::vector<PortPtr> received;
  Strings data;
};

class TransferTest : public PortTest {
 protected:
  Carrier carrier() {
    PortPtr a, b;
    entangle(a, b);
    Carrier c{a, b, {}, {}};
    return c;
  }
  void listen(Carrier& c) {
    c.b->on_message([&c](MessageEvent& e) {
      c.data.push_back(e.data.is_string() ? e.data.get_string() : e.data.to_debug_string());
      for (auto& p : e.ports) c.received.push_back(p);
    });
    c.b->start();
  }
};

TEST_F(TransferTest, APortSentThroughAPortWorksAtTheOtherEndAndItsPartnerTalksToIt) {
  Carrier c = carrier();
  listen(c);
  PortPtr x, y;
  entangle(x, y);
  Strings y_log;
  record(y, y_log);
  y->start();
  ASSERT_TRUE(c.a->post_message(Value("here is x"), {x}));
  EXPECT_TRUE(x->is_transferred());
  EXPECT_TRUE(x->is_closed());
  ASSERT_TRUE(run_until([&] { return c.received.size() == 1; }));
  EXPECT_EQ(c.data, Strings{"here is x"});
  PortPtr x2 = c.received[0];
  ASSERT_TRUE(x2);
  EXPECT_FALSE(x2->is_started());
  EXPECT_FALSE(x2->is_closed());
  Strings x2_log;
  record(x2, x2_log);
  x2->start();
  expect_talk(x2, x2_log, y, y_log, 100);
  // The old handle is dead.
  auto r = x->post_message(Value(1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDisconnected);
  EXPECT_EQ(r.error().message, "the port was transferred");
  // Closing the received port reaches the partner.
  x2->close();
  ASSERT_TRUE(run_until([&] { return !y_log.empty() && y_log.back() == "close"; }));
}

TEST_F(TransferTest, MessagesWaitingForTheTransferredPortArriveAtItsNewOwnerInOrder) {
  Carrier c = carrier();
  listen(c);
  PortPtr x, y;
  entangle(x, y);
  // y -> x: queued in x's socket (x never started).
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(y->post_message(Value(i)));
  run_for(50ms);
  // x -> y: still in x's write queue when x leaves (same turn).
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(x->post_message(Value(i)));
  Strings y_log;
  record(y, y_log);
  y->start();
  ASSERT_TRUE(c.a->post_message(Value("x"), {x}));
  ASSERT_TRUE(run_until([&] { return c.received.size() == 1; }));
  Strings x2_log;
  record(c.received[0], x2_log);
  c.received[0]->start();
  for (int i = 10; i < 15; ++i) ASSERT_TRUE(y->post_message(Value(i)));
  ASSERT_TRUE(run_until([&] { return x2_log.size() == 15 && y_log.size() == 10; }));
  EXPECT_EQ(x2_log, numbers(0, 15));
  EXPECT_EQ(y_log, numbers(0, 10));
}

TEST_F(TransferTest, SeveralPortsInOneMessageKeepTheirOrder) {
  Carrier c = carrier();
  listen(c);
  std::vector<PortPtr> far;
  std::vector<PortPtr> sent;
  for (int i = 0; i < 5; ++i) {
    auto ch = channel();
    sent.push_back(ch.port1);
    far.push_back(ch.port2);
  }
  ASSERT_TRUE(c.a->post_message(Value("five"), sent));
  ASSERT_TRUE(run_until([&] { return c.received.size() == 5; }));
  std::vector<Strings> logs(5);
  for (std::size_t i = 0; i < 5; ++i) {
    c.received[i]->on_message(
        [&logs, i](MessageEvent& e) { logs[i].push_back(std::to_string(e.data.get_int32())); });
    c.received[i]->start();
  }
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(far[static_cast<std::size_t>(i)]->post_message(Value(i)));
  ASSERT_TRUE(run_until([&] {
    for (const auto& l : logs)
      if (l.empty()) return false;
    return true;
  }));
  for (std::size_t i = 0; i < 5; ++i)
    EXPECT_EQ(logs[i], Strings{std::to_string(i)})
        << "port " << i << " is not the one sent at index " << i;
}

TEST_F(TransferTest, AReceivedPortCanBeTransferredOnwardAgainAndAgain) {
  PortPtr x, y;
  entangle(x, y);
  Strings y_log;
  record(y, y_log);
  y->start();
  PortPtr current = x;
  for (int hop = 0; hop < 5; ++hop) {
    Carrier c = carrier();
    listen(c);
    ASSERT_TRUE(c.a->post_message(Value("hop " + std::to_string(hop)), {current}));
    EXPECT_TRUE(current->is_transferred());
    ASSERT_TRUE(run_until([&] { return c.received.size() == 1; })) << "hop " << hop;
    current = c.received[0];
    // The carrier goes away; the port it carried lives on.
  }
  Strings log;
  record(current, log);
  current->start();
  expect_talk(current, log, y, y_log, 7);
}

TEST_F(TransferTest, AReceivedPortCanBeSentBackThroughThePortThatCarriedIt) {
  Carrier c = carrier();
  listen(c);
  PortPtr x, y;
  entangle(x, y);
  ASSERT_TRUE(c.a->post_message(Value("x"), {x}));
  ASSERT_TRUE(run_until([&] { return c.received.size() == 1; }));
  // b sends it back to a.
  std::vector<PortPtr> back;
  c.a->on_message([&](MessageEvent& e) {
    for (auto& p : e.ports) back.push_back(p);
  });
  c.a->start();
  ASSERT_TRUE(c.b->post_message(Value("back"), {c.received[0]}));
  ASSERT_TRUE(run_until([&] { return back.size() == 1; }));
  Strings log, y_log;
  record(back[0], log);
  record(y, y_log);
  back[0]->start();
  y->start();
  expect_talk(back[0], log, y, y_log, 40);
}

// ---- DataCloneError and "a failed post_message changes nothing" ----------------------

class CloneErrorTest : public TransferTest {
 protected:
  void SetUp() override {
    c = carrier();
    listen(c);
    auto ch = channel();
    x = ch.port1;
    y = ch.port2;
    record(x, x_log);
    record(y, y_log);
    x->start();
    y->start();
  }
  void expect_clone_error(const Result<void>& r, const std::string& message) {
    ASSERT_FALSE(r) << "post_message succeeded; expected: " << message;
    EXPECT_EQ(r.error().code, ErrorCode::kCloneError) << r.error().message;
    EXPECT_EQ(r.error().message, message);
  }
  // Nothing changed: no port moved, every port still works.
  void expect_unchanged() {
    EXPECT_FALSE(x->is_transferred());
    EXPECT_FALSE(x->is_closed());
    EXPECT_FALSE(c.a->is_transferred());
    EXPECT_FALSE(c.b->is_transferred());
    run_for(50ms);
    EXPECT_TRUE(c.received.empty()) << "a port arrived after a failed post_message";
    EXPECT_TRUE(c.data.empty()) << "a message arrived after a failed post_message";
    std::size_t before = c.data.size();
    ASSERT_TRUE(c.a->post_message(Value("still works")));
    ASSERT_TRUE(run_until([&] { return c.data.size() == before + 1; }));
    EXPECT_EQ(c.data.back(), "still works");
    expect_talk(x, x_log, y, y_log, 1000 + static_cast<int>(x_log.size()));
    c.data.clear();
  }

  Carrier c;
  PortPtr x, y;
  Strings x_log, y_log;
};

TEST_F(CloneErrorTest, TheSourcePortItself) {
  expect_clone_error(c.a->post_message(Value("m"), {c.a}),
                     "DataCloneError: Port at index 0 contains the source port.");
  expect_unchanged();
  expect_clone_error(c.a->post_message(Value("m"), {x, c.a}),
                     "DataCloneError: Port at index 1 contains the source port.");
  expect_unchanged();
}

TEST_F(CloneErrorTest, TheSourcesOwnPartner) {
  expect_clone_error(c.a->post_message(Value("m"), {c.b}),
                     "DataCloneError: Port at index 0 is the source port's own partner.");
  expect_unchanged();
  expect_clone_error(c.a->post_message(Value("m"), {x, c.b}),
                     "DataCloneError: Port at index 1 is the source port's own partner.");
  expect_unchanged();
  // And from the other side.
  expect_clone_error(c.b->post_message(Value("m"), {c.a}),
                     "DataCloneError: Port at index 0 is the source port's own partner.");
  expect_unchanged();
}

TEST_F(CloneErrorTest, AClosedPort) {
  PortPtr z, w;
  entangle(z, w);
  z->close();
  expect_clone_error(c.a->post_message(Value("m"), {z}),
                     "DataCloneError: Port at index 0 is closed.");
  expect_clone_error(c.a->post_message(Value("m"), {x, z}),
                     "DataCloneError: Port at index 1 is closed.");
  expect_unchanged();
}

TEST_F(CloneErrorTest, APortWhosePartnerClosed) {
  PortPtr z, w;
  entangle(z, w);
  bool closed = false;
  w->on_close([&] { closed = true; });
  w->start();
  z->close();
  ASSERT_TRUE(run_until([&] { return closed; }));
  expect_clone_error(c.a->post_message(Value("m"), {w}),
                     "DataCloneError: Port at index 0 is closed.");
  expect_unchanged();
}

TEST_F(CloneErrorTest, AnAlreadyTransferredPort) {
  PortPtr z, w;
  entangle(z, w);
  ASSERT_TRUE(c.a->post_message(Value("z"), {z}));
  ASSERT_TRUE(run_until([&] { return c.received.size() == 1; }));
  c.received.clear();
  c.data.clear();
  expect_clone_error(c.a->post_message(Value("m"), {z}),
                     "DataCloneError: Port at index 0 is already neutered.");
  expect_clone_error(c.a->post_message(Value("m"), {x, z}),
                     "DataCloneError: Port at index 1 is already neutered.");
  expect_unchanged();
}

TEST_F(CloneErrorTest, ADuplicate) {
  expect_clone_error(c.a->post_message(Value("m"), {x, x}),
                     "DataCloneError: Port at index 1 is a duplicate of an earlier port.");
  expect_unchanged();
  PortPtr z, w;
  entangle(z, w);
  expect_clone_error(c.a->post_message(Value("m"), {z, x, z}),
                     "DataCloneError: Port at index 2 is a duplicate of an earlier port.");
  EXPECT_FALSE(z->is_transferred());
  expect_unchanged();
}

TEST_F(CloneErrorTest, ANullPort) {
  expect_clone_error(c.a->post_message(Value("m"), {x, nullptr}),
                     "DataCloneError: Port at index 1 is not a MessagePort.");
  expect_unchanged();
}

TEST_F(CloneErrorTest, AnUncloneableMessageFailsAndChangesNothing) {
  auto r = c.a->post_message(Value(HostObject{"x", 1}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCloneError);
  EXPECT_NE(r.error().message.find("host object 'x' could not be cloned"), std::string::npos)
      << r.error().message;
  expect_unchanged();
  // With ports to transfer: they stay here.
  auto r2 =
      c.a->post_message(Value::object({{"deep", Value::array({1, HostObject{"x", 1}})}}), {x});
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, ErrorCode::kCloneError);
  EXPECT_NE(r2.error().message.find("host object 'x' could not be cloned"), std::string::npos)
      << r2.error().message;
  expect_unchanged();
}

TEST_F(CloneErrorTest, AClosedSourceCannotPost) {
  PortPtr z, w;
  entangle(z, w);
  z->close();
  auto r = z->post_message(Value("m"), {x});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDisconnected);
  expect_unchanged();
}

// Browsers: a port entangled with the source cannot travel through it. Here
// the partner is a port that arrived by transfer (a different object than
// the one created with it).
TEST_F(CloneErrorTest, TheSourcesOwnPartnerAfterItWasTransferredIsRefusedToo) {
  // y's partner x travels a -> b and arrives as x2, still entangled with y.
  ASSERT_TRUE(c.a->post_message(Value("x"), {x}));
  ASSERT_TRUE(run_until([&] { return c.received.size() == 1; }));
  PortPtr x2 = c.received[0];
  c.received.clear();
  c.data.clear();
  Strings x2_log;
  record(x2, x2_log);
  x2->start();
  y_log.clear();
  expect_talk(x2, x2_log, y, y_log, 1);
  auto r = y->post_message(Value("m"), {x2});
  ASSERT_FALSE(r) << "y sent its own partner x2 through itself; x2 is now lost (is_transferred="
                  << x2->is_transferred() << ")";
  EXPECT_EQ(r.error().code, ErrorCode::kCloneError);
  EXPECT_EQ(r.error().message, "DataCloneError: Port at index 0 is the source port's own partner.");
  expect_talk(x2, x2_log, y, y_log, 3);
}

// ---- listeners that close or drop their port ---------------------------------------

TEST_F(PortTest, AListenerThatClosesItsPortStopsDeliveryAndDoesNotCrash) {
  PortPtr p1, p2;
  entangle(p1, p2);
  Strings log1, log2;
  record(p1, log1);
  p2->on_message([&](MessageEvent& e) {
    log2.push_back(std::to_string(e.data.get_int32()));
    if (e.data.get_int32() == 3) p2->close();
  });
  int second_listener = 0;
  p2->on_message([&](MessageEvent&) { ++second_listener; });
  p1->start();
  p2->start();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(p1->post_message(Value(i)));
  ASSERT_TRUE(run_until([&] { return !log1.empty(); }));
  run_for(100ms);
  EXPECT_EQ(log2, numbers(0, 4));
  EXPECT_EQ(second_listener, 3) << "the second listener ran after the first closed the port";
  EXPECT_EQ(log1, Strings{"close"});
}

TEST_F(PortTest, AListenerThatDropsTheLastReferenceDoesNotCrash) {
  auto ch = channel();
  PortPtr p1 = ch.port1;
  PortPtr holder = ch.port2;
  std::weak_ptr<MessagePort> weak = holder;
  ch.port2.reset();
  Strings log1;
  record(p1, log1);
  p1->start();
  int heard = 0;
  holder->on_message([&](MessageEvent& e) {
    ++heard;
    if (e.data.get_int32() == 2) holder.reset();  // the last reference
  });
  holder->start();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(p1->post_message(Value(i)));
  ASSERT_TRUE(run_until([&] { return !log1.empty(); }));
  run_for(100ms);
  EXPECT_TRUE(weak.expired());
  EXPECT_EQ(heard, 3);
  EXPECT_EQ(log1, Strings{"close"});
}

TEST_F(PortTest, ACloseListenerThatDropsTheLastReferenceDoesNotCrash) {
  auto ch = channel();
  PortPtr holder = ch.port2;
  std::weak_ptr<MessagePort> weak = holder;
  ch.port2.reset();
  bool closed = false;
  holder->on_close([&] {
    closed = true;
    holder.reset();
  });
  holder->start();
  ch.port1->close();
  ASSERT_TRUE(run_until([&] { return closed; }));
  EXPECT_TRUE(weak.expired());
}

TEST_F(PortTest, AListenerThatClosesThePartnerInTheSameProcessDoesNotCrash) {
  PortPtr p1, p2;
  entangle(p1, p2);
  Strings log2;
  int heard1 = 0;
  p1->on_message([&](MessageEvent&) { ++heard1; });
  p2->on_message([&](MessageEvent& e) {
    log2.push_back(std::to_string(e.data.get_int32()));
    if (!p1) return;
    p1->close();
    p1.reset();
  });
  bool closed2 = false;
  p2->on_close([&] { closed2 = true; });
  p2->start();
  ASSERT_TRUE(p1->post_message(Value(0)));
  ASSERT_TRUE(p1->post_message(Value(1)));
  ASSERT_TRUE(run_until([&] { return closed2; }));
  EXPECT_EQ(log2, (Strings{"0", "1"}));
}

TEST_F(TransferTest, AListenerThatDropsAReceivedPortUnstartedClosesIt) {
  Carrier c = carrier();
  c.b->on_message([](MessageEvent&) {});  // ignores e.ports: they are dropped
  c.b->start();
  PortPtr x, y;
  entangle(x, y);
  bool closed = false;
  y->on_close([&] { closed = true; });
  y->start();
  ASSERT_TRUE(y->post_message(Value(1)));
  ASSERT_TRUE(c.a->post_message(Value("x"), {x}));
  ASSERT_TRUE(run_until([&] { return closed; }));
}

// A listener moves its own port away in the middle of a batch of messages
// read in one go: the rest of the batch goes with the port, in order.
TEST_F(TransferTest, AListenerThatTransfersItsOwnPortMidBatchSendsTheRestAlong) {
  Carrier c = carrier();
  listen(c);
  PortPtr x, y;
  entangle(x, y);
  Strings x_log;
  x->on_message([&](MessageEvent& e) {
    x_log.push_back(std::to_string(e.data.get_int32()));
    if (e.data.get_int32() == 3) {
      ASSERT_TRUE(c.a->post_message(Value("x"), {x}));
    }
  });
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(y->post_message(Value(i)));
  run_for(50ms);  // all 50 wait in x's socket
  x->start();
  ASSERT_TRUE(run_until([&] { return c.received.size() == 1; }));
  EXPECT_EQ(x_log, numbers(0, 4));
  Strings x2_log;
  record(c.received[0], x2_log);
  c.received[0]->start();
  ASSERT_TRUE(run_until([&] { return x2_log.size() == 46; }));
  EXPECT_EQ(x2_log, numbers(4, 50));
}

// At most 64 descriptors travel in one frame. 64 ports work; more must fail
// like any other bad transfer (nothing changes), not break the carrier.
TEST_F(TransferTest, SixtyFourPortsInOneMessageArrive) {
  Carrier c = carrier();
  listen(c);
  std::vector<PortPtr> sent, far;
  for (int i = 0; i < 64; ++i) {
    auto ch = channel();
    sent.push_back(ch.port1);
    far.push_back(ch.port2);
  }
  ASSERT_TRUE(c.a->post_message(Value("64"), sent));
  ASSERT_TRUE(run_until([&] { return c.received.size() == 64; }));
}

TEST_F(TransferTest, MoreThanSixtyFourPortsFailCleanlyAndTheCarrierStillWorks) {
  Carrier c = carrier();
  listen(c);
  bool carrier_closed = false;
  c.a->on_close([&] { carrier_closed = true; });
  std::vector<PortPtr> sent, far;
  for (int i = 0; i < 65; ++i) {
    auto ch = channel();
    sent.push_back(ch.port1);
    far.push_back(ch.port2);
  }
  auto r = c.a->post_message(Value("65"), sent);
  if (r) {
    // Allowed if all 65 arrive.
    ASSERT_TRUE(run_until([&] { return c.received.size() == 65; }))
        << "post_message of 65 ports succeeded but they did not arrive";
    return;
  }
  EXPECT_EQ(r.error().code, ErrorCode::kCloneError) << r.error().message;
  std::size_t neutered = 0;
  for (auto& p : sent)
    if (p->is_transferred()) ++neutered;
  EXPECT_EQ(neutered, 0u) << "a failed post_message took the ports";
  run_for(50ms);
  EXPECT_FALSE(carrier_closed) << "the carrier port was closed: " << r.error().message;
  EXPECT_FALSE(c.a->is_closed()) << "the carrier port was closed: " << r.error().message;
  ASSERT_TRUE(c.a->post_message(Value("after")));
  ASSERT_TRUE(run_until([&] { return !c.data.empty(); })) << "the carrier no longer works";
}

// The peer does not read, and the port to transfer has more queued for it
// than the socket holds: those bytes must leave first. Main's loop must not
// stall on it (architecture: main never blocks on a renderer), and on
// failure nothing changes.
//
// No clock: y is on this thread and not started, so nothing can read the
// 4 MiB while post_message runs. An implementation that waited for the
// bytes to drain could only return by giving up; a successful return with
// y still unread, and the whole message arriving once y reads, shows that
// the unsent part travelled with the port instead.
TEST_F(TransferTest, TransferringAPortWhosePeerIsNotReadingDoesNotStallTheLoop) {
  Carrier c = carrier();
  listen(c);
  auto [x, y] = channel();  // y never reads until the end
  const auto big = pattern(5, std::size_t{4} << 20);
  ASSERT_TRUE(x->post_message(array_buffer_of(big)));
  run_for(50ms);
  std::vector<Value> got;
  y->on_message([&](MessageEvent& e) { got.push_back(std::move(e.data)); });
  auto r = c.a->post_message(Value("x"), {x});
  EXPECT_TRUE(got.empty()) << "y read during post_message";
  if (!r) {
    EXPECT_EQ(r.error().code, ErrorCode::kCloneError) << r.error().message;
    EXPECT_FALSE(x->is_transferred());
  } else {
    EXPECT_TRUE(x->is_transferred());
  }
  // Whatever happened, the big message reaches y intact once y reads.
  y->start();
  if (r) {
    ASSERT_TRUE(run_until([&] { return c.received.size() == 1; }));
    c.received[0]->start();
  }
  ASSERT_TRUE(run_until([&] { return got.size() == 1; }));
  EXPECT_TRUE(same_bytes(got[0], big));
}

// ---- transfer while a large message is half-read ------------------------------------

// x is started and has read part of a large frame when it is transferred;
// the bytes it already read go with it and the message arrives whole at the
// new owner. The sender is a raw socket, so "half-read" is exact.
TEST_F(TransferTest, AStartedPortHalfwayThroughALargeMessageTakesTheReadBytesAlong) {
  Carrier c = carrier();
  listen(c);
  auto pair = transport::make_socket_pair();
  ASSERT_TRUE(pair);
  UniqueFd raw = std::move(pair->first);
  PortPtr x = MessagePort::adopt(*loop, std::move(pair->second));
  int x_heard = 0;
  x->on_message([&](MessageEvent&) { ++x_heard; });
  x->start();

  const auto big = pattern(42, std::size_t{6} << 20);
  ipc::Message m;
  m.kind = ipc::MessageKind::kPortMessage;
  m.body = post_body(array_buffer_of(big), 0);
  auto bytes = message_frame(m);
  const std::size_t half = bytes.size() / 2;
  ASSERT_TRUE(write_all(raw.get(), std::span(bytes).first(half), loop.get()));
  // Until x has read every byte sent so far.
  ASSERT_TRUE(run_until([&] {
    int unread = -1;
    ::ioctl(raw.get(), SIOCOUTQ, &unread);
    return unread == 0;
  }));
  run_for(20ms);
  ASSERT_EQ(x_heard, 0);

  // Move x; the new owner starts it at once.
  PortPtr x2;
  Value x2_data;
  int x2_heard = 0;
  c.b->on_message([&](MessageEvent& e) {
    x2 = e.ports.at(0);
    x2->on_message([&](MessageEvent& e2) {
      x2_data = std::move(e2.data);
      ++x2_heard;
    });
    x2->start();
  });
  ASSERT_TRUE(c.a->post_message(Value("x"), {x}));
  ASSERT_TRUE(run_until([&] { return x2 != nullptr; }));
  ASSERT_TRUE(write_all(raw.get(), std::span(bytes).subspan(half), loop.get()));
  ASSERT_TRUE(run_until([&] { return x2_heard == 1; }));
  EXPECT_TRUE(same_bytes(x2_data, big)) << "the large message arrived damaged";
  EXPECT_EQ(x_heard, 0);
  // And the port keeps working.
  std::vector<std::uint8_t> small = message_frame([] {
    ipc::Message s;
    s.kind = ipc::MessageKind::kPortMessage;
    s.body = post_body(Value(5), 0);
    return s;
  }());
  ASSERT_TRUE(write_all(raw.get(), small, loop.get()));
  ASSERT_TRUE(run_until([&] { return x2_heard == 2; }));
  EXPECT_EQ(x2_data, Value(5));
}

// The same with a real MessagePort as the sender, the transfer made after
// 1, 2, 4, ... turns of the loop (wherever the reading stands then).
TEST_F(TransferTest, TransferWhileALargeMessageIsArrivingFromAPortAtManyPoints) {
  const auto big = pattern(9, std::size_t{5} << 20);
  for (int turns : {0, 1, 2, 4, 8, 16, 32}) {
    SCOPED_TRACE("turns " + std::to_string(turns));
    Carrier c = carrier();
    PortPtr x, y;
    entangle(x, y);
    int x_heard = 0;
    x->on_message([&](MessageEvent&) { ++x_heard; });
    x->start();
    ASSERT_TRUE(y->post_message(array_buffer_of(big)));
    ASSERT_TRUE(y->post_message(Value(1)));
    for (int t = 0; t < turns; ++t) loop->run_once(std::chrono::nanoseconds(0));
    if (x_heard > 0) break;  // the whole message was read already; later points add nothing
    PortPtr x2;
    std::vector<Value> got;
    c.b->on_message([&](MessageEvent& e) {
      x2 = e.ports.at(0);
      x2->on_message([&](MessageEvent& e2) { got.push_back(std::move(e2.data)); });
      x2->start();
    });
    c.b->start();
    ASSERT_TRUE(c.a->post_message(Value("x"), {x}));
    ASSERT_TRUE(run_until([&] { return got.size() == 2; }));
    EXPECT_TRUE(same_bytes(got[0], big));
    EXPECT_EQ(got[1], Value(1));
  }
}

// A frame that carries a port is partly read: its descriptor has arrived,
// and a descriptor cannot travel as bytes, so the transfer fails cleanly;
// once the frame is whole the port delivers it.
TEST_F(TransferTest, TransferFailsCleanlyWhileAFrameCarryingAPortIsHalfRead) {
  Carrier c = carrier();
  listen(c);
  auto pair = transport::make_socket_pair();
  ASSERT_TRUE(pair);
  UniqueFd raw = std::move(pair->first);
  PortPtr x = MessagePort::adopt(*loop, std::move(pair->second));
  std::vector<Value> x_got;
  std::vector<PortPtr> x_ports;
  x->on_message([&](MessageEvent& e) {
    x_got.push_back(std::move(e.data));
    for (auto& p : e.ports) x_ports.push_back(p);
  });
  x->start();
  auto carried = transport::make_socket_pair();
  ASSERT_TRUE(carried);
  ipc::Message m;
  m.kind = ipc::MessageKind::kPortMessage;
  m.body = post_body(array_buffer_of(pattern(3, 1 << 20)), 1);
  auto bytes = message_frame(m, 1);
  const std::size_t first = 100000;
  iovec iov{bytes.data(), first};
  int fd = carried->second.get();
  auto sent = transport::send_some(raw.get(), std::span<const iovec>(&iov, 1), std::span(&fd, 1));
  ASSERT_TRUE(sent);
  ASSERT_GT(sent->bytes, 0u);
  carried->second.reset();
  ASSERT_TRUE(run_until([&] {
    int unread = -1;
    ::ioctl(raw.get(), SIOCOUTQ, &unread);
    return unread == 0;
  }));
  run_for(20ms);
  auto r = c.a->post_message(Value("x"), {x});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCloneError);
  EXPECT_EQ(r.error().message,
            "DataCloneError: port at index 0 cannot be transferred now: a message carrying ports "
            "is arriving on it");
  EXPECT_FALSE(x->is_transferred());
  ASSERT_TRUE(write_all(raw.get(), std::span(bytes).subspan(sent->bytes), loop.get()));
  ASSERT_TRUE(run_until([&] { return x_got.size() == 1; }));
  ASSERT_EQ(x_ports.size(), 1u);
  // The carried port is the other end of `carried->first`.
  Strings log;
  record(x_ports[0], log);
  x_ports[0]->start();
  ipc::Message s;
  s.kind = ipc::MessageKind::kPortMessage;
  s.body = post_body(Value(77), 0);
  ASSERT_TRUE(write_all(carried->first.get(), message_frame(s), loop.get()));
  ASSERT_TRUE(run_until([&] { return log.size() == 1; }));
  EXPECT_EQ(log[0], "77");
}

// ---- descriptors ---------------------------------------------------------------------

TEST_F(TransferTest, ThousandsOfInProcessCyclesLeaveNoDescriptorBehind) {
  Carrier c = carrier();
  std::vector<PortPtr> got;
  c.b->on_message([&](MessageEvent& e) {
    for (auto& p : e.ports) got.push_back(p);
  });
  c.b->start();
  auto cycle = [&] {
    PortPtr x, y;
    entangle(x, y);
    Strings log;
    record(y, log);
    y->start();
    ASSERT_TRUE(c.a->post_message(Value("x"), {x}));
    ASSERT_TRUE(run_until([&] { return got.size() == 1; }));
    got[0]->on_message(
        [p = got[0].get()](MessageEvent& e) { (void)p->post_message(std::move(e.data)); });
    got[0]->start();
    ASSERT_TRUE(y->post_message(Value(1)));
    ASSERT_TRUE(run_until([&] { return log.size() == 1; }));
    got[0]->close();
    got.clear();
    ASSERT_TRUE(run_until([&] { return log.size() == 2; }));
  };
  for (int i = 0; i < 100; ++i) cycle();
  const int fds = count_open_fds();
  for (int i = 0; i < 2000; ++i) {
    cycle();
    if (HasFatalFailure()) return;
  }
  EXPECT_EQ(count_open_fds(), fds);
}

}  // namespace
}  // namespace valence::ports_test
