#include "harness.h"

namespace valence::test {

IpcTest::IpcTest() {
  listen_for_heard();
}

void IpcTest::listen_for_heard() {
  ipc().on("heard", [this](IpcMainEvent&, std::string label, std::string channel, Value args,
                           bool sender_ok) {
    heard.push_back(Heard{std::move(label), std::move(channel), std::move(args), sender_ok});
  });
}

void IpcTest::install_report_listeners() {
  listen_for_results();
  listen_for_heard();
}

void IpcTest::command(const std::shared_ptr<WebContents>& wc, Value cmd) {
  EXPECT_TRUE(wc->send("puppet", std::move(cmd))) << "the puppet is not connected";
}

int IpcTest::invoke(const std::shared_ptr<WebContents>& wc, const std::string& mode,
                    const std::string& channel, std::vector<Value> args) {
  int tag = next_tag();
  command(wc, Value::object({{"op", "invoke"},
                             {"mode", mode},
                             {"channel", channel},
                             {"args", Value::array(std::move(args))},
                             {"tag", tag}}));
  return tag;
}

int IpcTest::send_sync(const std::shared_ptr<WebContents>& wc, const std::string& channel,
                       std::vector<Value> args, int timeout_ms) {
  int tag = next_tag();
  command(wc, Value::object({{"op", "sync"},
                             {"channel", channel},
                             {"args", Value::array(std::move(args))},
                             {"timeout", timeout_ms},
                             {"tag", tag}}));
  return tag;
}

void IpcTest::send(const std::shared_ptr<WebContents>& wc, const std::string& channel,
                   std::vector<Value> args) {
  command(wc, Value::object(
                  {{"op", "send"}, {"channel", channel}, {"args", Value::array(std::move(args))}}));
}

bool IpcTest::sync_point(const std::shared_ptr<WebContents>& wc) {
  int tag = next_tag();
  command(wc, Value::object({{"op", "echo"}, {"tag", tag}}));
  return !await_result(tag).is_undefined();
}

}  // namespace valence::test
