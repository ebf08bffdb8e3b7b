// invoke / handle with a real child, through each way the child can wait:
// then(), a blocking get(), and co_await in a valence::Task. Values, Result
// errors, thrown exceptions, no handler, handlers that answer later through
// a Future, and many invokes outstanding at once.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness.h"
#include "valence/base/future.h"

namespace valence::test {
namespace {

class InvokeTest : public IpcTest, public ::testing::WithParamInterface<const char*> {
 protected:
  InvokeTest() {
    (void)ipc().handle("add", [](IpcMainInvokeEvent&, int a, int b) { return a + b; });
    (void)ipc().handle("obj", [](IpcMainInvokeEvent&) {
      return Value::object({{"x", 1}, {"list", Value::array({"a", nullptr})}});
    });
    (void)ipc().handle("void", [](IpcMainInvokeEvent&) {});
    (void)ipc().handle("result-ok",
                       [](IpcMainInvokeEvent&) { return Result<std::string>("fine"); });
    (void)ipc().handle("result-err", [](IpcMainInvokeEvent&) -> Result<int> {
      return make_error(ErrorCode::kFailed, "bad input");
    });
    (void)ipc().handle("throws",
                       [](IpcMainInvokeEvent&) -> int { throw std::runtime_error("boom"); });
    (void)ipc().handle("typed", [](IpcMainInvokeEvent&, int n) { return n; });
    // Handlers that answer later, from a timer.
    (void)ipc().handle("later", [this](IpcMainInvokeEvent&, int x) {
      auto p = std::make_shared<Promise<Value>>();
      timers.push_back(loop().add_timer(100ms, [p, x] { p->set(Value(x * 2)); }));
      return p->future();
    });
    (void)ipc().handle("later-int", [this](IpcMainInvokeEvent&) {
      auto p = std::make_shared<Promise<int>>();
      timers.push_back(loop().add_timer(50ms, [p] { p->set(42); }));
      return p->future();
    });
    (void)ipc().handle("later-fail", [this](IpcMainInvokeEvent&) {
      auto p = std::make_shared<Promise<Value>>();
      timers.push_back(
          loop().add_timer(50ms, [p] { p->set(make_error(ErrorCode::kFailed, "too late")); }));
      return p->future();
    });
    (void)ipc().handle("dropped", [this](IpcMainInvokeEvent&) {
      auto p = std::make_shared<Promise<Value>>();
      timers.push_back(loop().add_timer(50ms, [p]() mutable { p.reset(); }));
      return p->future();
    });
  }
  std::string mode() const { return GetParam(); }
  Value call(const std::shared_ptr<WebContents>& wc, const std::string& channel,
             std::vector<Value> args = {}) {
    return await_result(invoke(wc, mode(), channel, std::move(args)));
  }
  std::vector<Timer> timers;
};

TEST_P(InvokeTest, Values) {
  auto wc = spawn_puppet();
  Value r = call(wc, "add", vals(2, 3));
  ASSERT_TRUE(report_ok(r)) << report_message(r);
  EXPECT_EQ(report_value(r), Value(5));
  r = call(wc, "obj");
  EXPECT_EQ(report_value(r), Value::object({{"x", 1}, {"list", Value::array({"a", nullptr})}}));
  r = call(wc, "void");
  EXPECT_TRUE(report_ok(r));
  EXPECT_TRUE(report_value(r).is_undefined());
  r = call(wc, "result-ok");
  EXPECT_EQ(report_value(r), Value("fine"));
}

TEST_P(InvokeTest, Errors) {
  auto wc = spawn_puppet();
  Value r = call(wc, "result-err");
  EXPECT_FALSE(report_ok(r));
  EXPECT_EQ(report_code(r), "handler_rejected");
  EXPECT_EQ(report_message(r), "Error invoking remote method 'result-err': Error: bad input");
  r = call(wc, "throws");
  EXPECT_EQ(report_code(r), "handler_rejected");
  EXPECT_EQ(report_message(r), "Error invoking remote method 'throws': Error: boom");
  r = call(wc, "nope");
  EXPECT_EQ(report_code(r), "no_handler");
  EXPECT_EQ(report_message(r),
            "Error invoking remote method 'nope': Error: No handler registered for 'nope'");
  r = call(wc, "typed", vals("x"));
  EXPECT_EQ(report_code(r), "handler_rejected");
  EXPECT_EQ(report_message(r),
            "Error invoking remote method 'typed': Error: args[0]: expected number, got string");
  // The channel keeps working after errors.
  r = call(wc, "add", vals(1, 1));
  EXPECT_EQ(report_value(r), Value(2));
}

TEST_P(InvokeTest, HandlersAnsweringLaterThroughAFuture) {
  auto wc = spawn_puppet();
  Value r = call(wc, "later", vals(21));
  ASSERT_TRUE(report_ok(r)) << report_message(r);
  EXPECT_EQ(report_value(r), Value(42));
  r = call(wc, "later-int");
  EXPECT_EQ(report_value(r), Value(42));
  r = call(wc, "later-fail");
  EXPECT_EQ(report_code(r), "handler_rejected");
  EXPECT_EQ(report_message(r), "Error invoking remote method 'later-fail': Error: too late");
  r = call(wc, "dropped");
  EXPECT_EQ(report_code(r), "handler_rejected");
  EXPECT_EQ(
      report_message(r),
      "Error invoking remote method 'dropped': Error: the promise was dropped without a result");
}

INSTANTIATE_TEST_SUITE_P(Modes, InvokeTest, ::testing::Values("then", "get", "co"),
                         [](const auto& tp) { return std::string(tp.param); });

TEST_F(IpcTest, ManyInvokesOutstandingAreAnsweredOutOfOrder) {
  std::vector<std::pair<int, std::shared_ptr<Promise<Value>>>> pending;
  (void)ipc().handle("slow", [&](IpcMainInvokeEvent&, int n) {
    auto p = std::make_shared<Promise<Value>>();
    pending.emplace_back(n, p);
    return p->future();
  });
  auto wc = spawn_puppet();
  constexpr int kCount = 200;
  std::vector<int> tags;
  for (int i = 0; i < kCount; ++i)
    tags.push_back(invoke(wc, i % 2 ? "then" : "co", "slow", vals(i)));
  ASSERT_TRUE(run_until([&] { return pending.size() == kCount; }));
  for (auto it = pending.rbegin(); it != pending.rend(); ++it)
    it->second->set(Value(it->first * 10));
  for (int i = 0; i < kCount; ++i) {
    Value r = await_result(tags[static_cast<std::size_t>(i)]);
    ASSERT_EQ(report_value(r), Value(i * 10)) << "invoke " << i;
  }
}

TEST_F(IpcTest, RawInvokeErrorsKeepTheHandlersMessageAsIs) {
  (void)ipc().handle("throws",
                     [](IpcMainInvokeEvent&) -> int { throw std::runtime_error("boom"); });
  auto wc = spawn("puppet", {"raw"});
  Value r = await_result(invoke(wc, "then", "throws"));
  EXPECT_EQ(report_code(r), "handler_rejected");
  EXPECT_EQ(report_message(r), "boom");
  r = await_result(invoke(wc, "get", "nope"));
  EXPECT_EQ(report_code(r), "no_handler");
  EXPECT_EQ(report_message(r), "No handler registered for 'nope'");
}

TEST_F(IpcTest, AHandlersFullErrorCrossesIntact) {
  // Beyond Electron: prototype, message, stack and cause reach the renderer.
  (void)ipc().handle("strict", [](IpcMainInvokeEvent&, int n) -> int {
    ErrorValue cause(ErrorPrototype::kTypeError, String("not a positive number"));
    ErrorValue e(ErrorPrototype::kRangeError, String("n out of range: " + std::to_string(n)));
    e.stack = String("RangeError: n out of range\n    at strict (main.cc:1)");
    e.set_cause(Value(std::move(cause)));
    throw HandlerError(std::move(e));
  });
  auto wc = spawn_puppet();
  Value r = await_result(invoke(wc, "get", "strict", vals(-1)));
  EXPECT_EQ(report_code(r), "handler_rejected");
  EXPECT_EQ(report_message(r),
            "Error invoking remote method 'strict': RangeError: n out of range: -1");
  const Value* remote = r.find("remote");
  ASSERT_NE(remote, nullptr);
  ASSERT_TRUE(remote->is_error());
  const ErrorValue& e = remote->get_error();
  EXPECT_EQ(e.prototype, ErrorPrototype::kRangeError);
  EXPECT_EQ(e.message->utf8(), "n out of range: -1");
  EXPECT_EQ(e.stack->utf8(), "RangeError: n out of range\n    at strict (main.cc:1)");
  ASSERT_TRUE(e.has_cause);
  EXPECT_EQ(e.cause.get_error().prototype, ErrorPrototype::kTypeError);
  // A plain exception still arrives as an Error with its message.
  (void)ipc().handle("plain", [](IpcMainInvokeEvent&) -> int { throw std::runtime_error("boom"); });
  r = await_result(invoke(wc, "then", "plain"));
  ASSERT_NE(r.find("remote"), nullptr);
  EXPECT_EQ(r.find("remote")->get_error().message->utf8(), "boom");
}

TEST_F(IpcTest, TwoChildrenInvokeTheSameHandler) {
  (void)ipc().handle("whoami", [](IpcMainInvokeEvent& e) { return e.sender->id(); });
  auto a = spawn_puppet();
  auto b = spawn_puppet();
  int ta = invoke(a, "then", "whoami");
  int tb = invoke(b, "get", "whoami");
  EXPECT_EQ(report_value(await_result(tb)), Value(b->id()));
  EXPECT_EQ(report_value(await_result(ta)), Value(a->id()));
}

}  // namespace
}  // namespace valence::test
