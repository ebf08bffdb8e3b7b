// ipcMain's listener API against a real child: on / once / off /
// remove_listener / add_listener / remove_all_listeners, registration order,
// typed arguments and their errors, the event's fields, event.reply and
// event.sender.send, and webContents.send to the child's listeners.
#include <optional>
#include <string>
#include <vector>

#include "harness.h"
#include "valence/convert.h"

struct TestUser {
  std::string name;
  int age = 0;
};
VALENCE_STRUCT(TestUser, name, age);

namespace valence::test {
namespace {

using Strings = std::vector<std::string>;

TEST_F(IpcTest, ListenersRunInRegistrationOrderAndOnceRunsOnce) {
  Strings log;
  ipc().on("ch", [&](IpcMainEvent&, int n) { log.push_back("on" + std::to_string(n)); });
  ipc().once("ch", [&](IpcMainEvent&, int n) { log.push_back("once" + std::to_string(n)); });
  ipc().add_listener("ch", [&](IpcMainEvent&, int n) { log.push_back("add" + std::to_string(n)); });
  EXPECT_EQ(ipc().listener_count("ch"), 3u);
  auto wc = spawn_puppet();
  send(wc, "ch", vals(1));
  send(wc, "ch", vals(2));
  ASSERT_TRUE(sync_point(wc));
  EXPECT_EQ(log, (Strings{"on1", "once1", "add1", "on2", "add2"}));
  EXPECT_EQ(ipc().listener_count("ch"), 2u);
}

TEST_F(IpcTest, OffAndRemoveListener) {
  Strings log;
  ListenerId a = ipc().on("ch", [&](IpcMainEvent&) { log.push_back("a"); });
  ListenerId b = ipc().add_listener("ch", [&](IpcMainEvent&) { log.push_back("b"); });
  ListenerId c = ipc().on("ch", [&](IpcMainEvent&) { log.push_back("c"); });
  EXPECT_NE(a, b);
  EXPECT_TRUE(ipc().off("ch", a));
  EXPECT_FALSE(ipc().off("ch", a)) << "already removed";
  EXPECT_FALSE(ipc().remove_listener("other", b)) << "wrong channel";
  EXPECT_TRUE(ipc().remove_listener("ch", b));
  auto wc = spawn_puppet();
  send(wc, "ch");
  ASSERT_TRUE(sync_point(wc));
  EXPECT_EQ(log, (Strings{"c"}));
  EXPECT_TRUE(ipc().off("ch", c));
  EXPECT_EQ(ipc().listener_count("ch"), 0u);
  send(wc, "ch");
  ASSERT_TRUE(sync_point(wc));
  EXPECT_EQ(log, (Strings{"c"}));
}

TEST_F(IpcTest, RemoveAllListenersOfOneChannelThenOfAll) {
  Strings log;
  ipc().on("a", [&](IpcMainEvent&) { log.push_back("a1"); });
  ipc().on("a", [&](IpcMainEvent&) { log.push_back("a2"); });
  ipc().on("b", [&](IpcMainEvent&) { log.push_back("b"); });
  auto wc = spawn_puppet();
  ipc().remove_all_listeners("a");
  EXPECT_EQ(ipc().listener_count("a"), 0u);
  EXPECT_EQ(ipc().listener_count("b"), 1u);
  send(wc, "a");
  send(wc, "b");
  ASSERT_TRUE(sync_point(wc));
  EXPECT_EQ(log, (Strings{"b"}));
  ipc().remove_all_listeners();
  EXPECT_EQ(ipc().listener_count("b"), 0u);
  EXPECT_EQ(ipc().listener_count("result"), 0u) << "all channels, the harness's too";
  install_report_listeners();
  send(wc, "a");
  send(wc, "b");
  ASSERT_TRUE(sync_point(wc));
  EXPECT_EQ(log, (Strings{"b"}));
}

TEST_F(IpcTest, AListenerAddedOrRemovedWhileDispatchingTakesEffectForTheNextMessage) {
  Strings log;
  ListenerId second = 0;
  ipc().on("ch", [&](IpcMainEvent&) {
    log.push_back("first");
    ipc().off("ch", second);  // still runs for this message
    ipc().on("ch", [&](IpcMainEvent&) { log.push_back("late"); });
  });
  second = ipc().on("ch", [&](IpcMainEvent&) { log.push_back("second"); });
  auto wc = spawn_puppet();
  send(wc, "ch");
  ASSERT_TRUE(sync_point(wc));
  EXPECT_EQ(log, (Strings{"first", "second"}));
}

TEST_F(IpcTest, AThrowingListenerIsReportedAndTheOthersStillRun) {
  Strings log, errors;
  ipc().set_error_reporter([&](const std::string& e) { errors.push_back(e); });
  ipc().on("ch", [&](IpcMainEvent&) -> void { throw std::runtime_error("boom"); });
  ipc().on("ch", [&](IpcMainEvent&) { log.push_back("after"); });
  auto wc = spawn_puppet();
  send(wc, "ch");
  ASSERT_TRUE(sync_point(wc));
  EXPECT_EQ(log, (Strings{"after"}));
  EXPECT_EQ(errors, (Strings{"a listener of 'ch' threw: boom"}));
}

TEST_F(IpcTest, HandlersRegisterOnceEach) {
  EXPECT_FALSE(ipc().has_handler("ch"));
  ASSERT_TRUE(ipc().handle("ch", [](IpcMainInvokeEvent&) { return 1; }).has_value());
  EXPECT_TRUE(ipc().has_handler("ch"));
  auto second = ipc().handle("ch", [](IpcMainInvokeEvent&) { return 2; });
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().message, "Attempted to register a second handler for 'ch'");
  auto once = ipc().handle_once("ch", [](IpcMainInvokeEvent&) { return 3; });
  ASSERT_FALSE(once.has_value());
  EXPECT_EQ(once.error().message, "Attempted to register a second handler for 'ch'");

  auto wc = spawn_puppet();
  Value r = await_result(invoke(wc, "then", "ch"));
  ASSERT_TRUE(report_ok(r)) << report_message(r);
  EXPECT_EQ(report_value(r), Value(1)) << "the first handler stays";

  ipc().remove_handler("ch");
  EXPECT_FALSE(ipc().has_handler("ch"));
  r = await_result(invoke(wc, "then", "ch"));
  EXPECT_EQ(report_code(r), "no_handler");
  EXPECT_EQ(report_message(r),
            "Error invoking remote method 'ch': Error: No handler registered for 'ch'");

  // handle_once: answers one invoke, then the channel has no handler.
  ASSERT_TRUE(ipc().handle_once("ch", [](IpcMainInvokeEvent&) { return "once"; }).has_value());
  r = await_result(invoke(wc, "then", "ch"));
  EXPECT_EQ(report_value(r), Value("once"));
  EXPECT_FALSE(ipc().has_handler("ch"));
  r = await_result(invoke(wc, "then", "ch"));
  EXPECT_EQ(report_code(r), "no_handler");
  // After handle_once ran, a new handler may register.
  EXPECT_TRUE(ipc().handle("ch", [](IpcMainInvokeEvent&) { return 4; }).has_value());
}

TEST_F(IpcTest, TypedArgumentsConvertAndMismatchesAreReported) {
  Strings errors, log;
  ipc().set_error_reporter([&](const std::string& e) { errors.push_back(e); });
  ipc().on("user",
           [&](IpcMainEvent&, TestUser u, std::vector<int> v, std::optional<std::string> o) {
             log.push_back(u.name + ":" + std::to_string(u.age) + ":" + std::to_string(v.size()) +
                           ":" + o.value_or("none"));
           });
  ipc().on("user", [&](IpcMainEvent&, const std::vector<Value>& raw) {
    log.push_back("raw:" + std::to_string(raw.size()));
  });
  ipc().on("byte",
           [&](IpcMainEvent&, std::uint8_t b) { log.push_back("byte:" + std::to_string(b)); });
  ipc().on("two", [&](IpcMainEvent&, std::string, int) { log.push_back("two"); });
  auto wc = spawn_puppet();
  send(wc, "user", vals(Value::object({{"name", "ada"}, {"age", 36}}), Value::array({1, 2, 3})));
  send(wc, "user",
       vals(Value::object({{"name", "bob"}, {"age", 7}}), Value::array(std::vector<Value>()), "x"));
  send(wc, "user",
       vals(Value::object({{"name", "eve"}, {"age", "old"}}), Value::array(std::vector<Value>())));
  send(wc, "user", vals(Value::object({{"name", "joe"}, {"age", 1}}), Value::array({1, "2"})));
  send(wc, "byte", vals(200));
  send(wc, "byte", vals(300));
  send(wc, "two", vals("only one"));
  ASSERT_TRUE(sync_point(wc));
  EXPECT_EQ(
      log, (Strings{"ada:36:3:none", "raw:2", "bob:7:0:x", "raw:3", "raw:2", "raw:2", "byte:200"}));
  EXPECT_EQ(errors, (Strings{"args[0].age: expected number, got string",
                             "args[1][1]: expected number, got string",
                             "args[0]: expected an integer that fits uint8, got 300",
                             "args[1]: expected number, got undefined"}));
}

TEST_F(IpcTest, TheEventNamesItsSender) {
  std::vector<int> pids, ids, frames;
  std::vector<bool> syncs;
  std::shared_ptr<WebContents> sender;
  ipc().on("who", [&](IpcMainEvent& e) {
    pids.push_back(e.process_id);
    ids.push_back(e.sender ? e.sender->id() : -1);
    frames.push_back(e.frame_id);
    syncs.push_back(e.is_sync());
    sender = e.sender;
  });
  auto first = spawn_puppet();
  auto wc = spawn_puppet();
  ASSERT_NE(first->id(), wc->id());
  send(wc, "who");
  const int whoami = next_tag();
  command(wc, Value::object({{"op", "whoami"}, {"tag", whoami}}));
  Value me = await_result(whoami);
  ASSERT_TRUE(report_ok(me));
  int child_pid = report_value(me).find("pid")->get_int32();
  EXPECT_EQ(report_value(me).find("id")->get_int32(), wc->id()) << "ipc_renderer.id()";
  EXPECT_EQ(wc->process_id(), child_pid);
  EXPECT_EQ(pids, (std::vector<int>{child_pid}));
  EXPECT_EQ(ids, (std::vector<int>{wc->id()}));
  EXPECT_EQ(frames, (std::vector<int>{0}));
  EXPECT_EQ(syncs, (std::vector<bool>{false}));
  EXPECT_EQ(sender, wc) << "event.sender is the child's WebContents";
  EXPECT_EQ(main_process->from_id(wc->id()), wc);
  EXPECT_EQ(main_process->all_web_contents().size(), 2u);

  IpcMainInvokeEvent seen;
  ASSERT_TRUE(ipc()
                  .handle("who",
                          [&](IpcMainInvokeEvent& e) {
                            seen.process_id = e.process_id;
                            seen.sender = e.sender;
                          })
                  .has_value());
  ASSERT_TRUE(report_ok(await_result(invoke(wc, "then", "who"))));
  EXPECT_EQ(seen.process_id, child_pid);
  EXPECT_EQ(seen.sender, wc);
}

TEST_F(IpcTest, ReplyAndSenderSendReachTheChild) {
  ipc().on("ask", [&](IpcMainEvent& e, std::string q) {
    EXPECT_TRUE(e.reply("answer", q + " via reply", 1));
    EXPECT_TRUE(e.sender->send("answer", q + " via sender", 2));
  });
  auto wc = spawn_puppet();
  int tag = next_tag();
  command(
      wc,
      Value::object(
          {{"op", "listen"}, {"how", "on"}, {"channel", "answer"}, {"label", "L"}, {"tag", tag}}));
  ASSERT_TRUE(report_ok(await_result(tag)));
  send(wc, "ask", vals("q"));
  ASSERT_TRUE(run_until([&] { return heard.size() == 2; }));
  EXPECT_EQ(heard[0].args, Value::array({"q via reply", 1}));
  EXPECT_EQ(heard[1].args, Value::array({"q via sender", 2}));
  EXPECT_TRUE(heard[0].sender_ok) << "the child's event.sender is its ipcRenderer";
}

TEST_F(IpcTest, WebContentsSendReachesTheChildsListeners) {
  auto wc = spawn_puppet();
  auto listen = [&](const char* how, const char* channel, const char* label) {
    int tag = next_tag();
    command(wc, Value::object({{"op", "listen"},
                               {"how", how},
                               {"channel", channel},
                               {"label", label},
                               {"tag", tag}}));
    return tag;
  };
  auto off = [&](const char* channel, const char* label) {
    int tag = next_tag();
    command(wc,
            Value::object({{"op", "off"}, {"channel", channel}, {"label", label}, {"tag", tag}}));
    return report_value(await_result(tag)).clone();
  };
  auto labels = [&] {
    Strings out;
    for (const auto& h : heard) {
      const Value* first = h.args.get_array().get(0);
      out.push_back(h.label + ":" + (first ? first->to_debug_string() : "-"));
    }
    return out;
  };
  listen("on", "x", "on");
  listen("once", "x", "once");
  listen("add_listener", "x", "add");
  EXPECT_TRUE(wc->send("x", 1));
  EXPECT_TRUE(wc->send("x", 2));
  EXPECT_EQ(off("x", "on"), Value(true));
  EXPECT_EQ(off("x", "on"), Value(false));
  EXPECT_TRUE(wc->send("x", 3));
  ASSERT_TRUE(sync_point(wc));
  EXPECT_EQ(labels(), (Strings{"on:1", "once:1", "add:1", "on:2", "add:2", "add:3"}));
  for (const auto& h : heard) EXPECT_TRUE(h.sender_ok);

  heard.clear();
  int tag = next_tag();
  command(wc, Value::object({{"op", "remove_all"}, {"channel", "x"}, {"tag", tag}}));
  listen("on", "y", "y");
  EXPECT_TRUE(wc->send("x", 4));
  EXPECT_TRUE(wc->send("y", 5));
  ASSERT_TRUE(sync_point(wc));
  EXPECT_EQ(labels(), (Strings{"y:5"}));

  heard.clear();
  tag = next_tag();
  command(wc, Value::object({{"op", "remove_all"}, {"tag", tag}}));
  EXPECT_TRUE(wc->send("y", 6));
  ASSERT_TRUE(sync_point(wc));
  EXPECT_EQ(labels(), Strings{});
}

TEST_F(IpcTest, TheChildsTypedListenersReportMismatches) {
  Strings child_errors;
  ipc().on("child-error", [&](IpcMainEvent&, std::string e) { child_errors.push_back(e); });
  auto wc = spawn_puppet();
  int tag = next_tag();
  command(
      wc,
      Value::object(
          {{"op", "listen"}, {"how", "typed"}, {"channel", "t"}, {"label", "T"}, {"tag", tag}}));
  ASSERT_TRUE(report_ok(await_result(tag)));
  EXPECT_TRUE(wc->send("t", "text", 5));
  EXPECT_TRUE(wc->send("t", 5, "text"));
  ASSERT_TRUE(sync_point(wc));
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_EQ(heard[0].args, Value::array({"text", 5}));
  EXPECT_EQ(child_errors, (Strings{"args[0]: expected string, got number"}));
}

}  // namespace
}  // namespace valence::test
