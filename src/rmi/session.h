// Session: the remote module on one renderer connection: its documents
// (RemoteContext markers say which is current), the operations they send,
// and what main sends them (replies, callback calls, promise settlements,
// releases). A connection that ends takes all of it along.
//
// Thread safety: loop-affine.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ipc/common/message.h"
#include "rmi/document.h"

namespace valence::ipc {
class ChildHost;
class MainProcessImpl;
}  // namespace valence::ipc

namespace valence::remote {

class Session {
 public:
  Session(Registry::Impl& registry, ipc::ChildHost& host);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // A remote message from the page. An error: a bad message.
  Result<void> on_message(ipc::RawMessage& m);

  const Quotas& quotas() const noexcept;
  std::shared_ptr<detail::DocumentHandle> current() const { return current_; }
  // The connection went while an operation of it was still running (a
  // member ran a nested loop): nothing is sent any more, and the documents
  // are released; the session itself goes when the operation returns.
  void detach_host();
  bool attached() const noexcept { return host_ != nullptr; }
  int busy = 0;  // operations running (Registry::Impl counts them)
  Registry::Impl& registry() noexcept { return registry_; }
  void add_stats(Stats& stats) const;

  // Called by Callback and CallbackState.
  bool call(detail::DocumentHandle& doc, detail::CallbackState& fn, std::vector<Value> args);
  void release_import(detail::DocumentHandle& doc, std::uint64_t id);

 private:
  Result<void> on_context(const ipc::RawMessage& m);
  Result<void> on_sync(ipc::RawMessage& m);
  Result<void> on_async(ipc::RawMessage& m);
  Result<void> on_release(const ipc::RawMessage& m);
  Result<void> on_settle(ipc::RawMessage& m);
  void close_current();

  // The most ops one RemoteAsync batch may carry.
  static constexpr std::size_t kMaxBatch = ipc::kMaxRemoteBatch;
  struct ParsedOp {
    ipc::RemoteOp op = ipc::RemoteOp::kGet;
    Value target;
    int answer = -1;  // in a batch: the earlier op whose result is the target
    std::string name;
    std::vector<Value> args;
  };
  struct OpResult {
    Outcome outcome;
    std::string code;  // the error's `code` (ERR_REMOTE_DISABLED, MODULE_NOT_FOUND...)
  };
  Result<ParsedOp> parse_op(Value& op_value, std::size_t index, bool batch);
  Result<Value> decode_ops(detail::DocumentHandle& doc, const ipc::RawMessage& m);
  OpResult run_parsed(detail::DocumentHandle& doc, ParsedOp& op);
  void reply_batch(detail::DocumentHandle& doc, std::uint64_t request_id,
                   std::vector<OpResult> results);
  OpResult run_op(detail::DocumentHandle& doc, ipc::RemoteOp op, const Value& target,
                  const std::string& name, const std::vector<Value>& args);
  OpResult run_root(detail::DocumentHandle& doc, ipc::RemoteOp op, const std::string& name);
  OpResult run_on_object(detail::DocumentHandle& doc, ipc::RemoteOp op, detail::Export& e,
                         const std::string& name, const std::vector<Value>& args);
  OpResult run_on_function(detail::DocumentHandle& doc, ipc::RemoteOp op, detail::Export& e,
                           const std::string& name, const std::vector<Value>& args);
  // nullopt: `name` is not one of the events methods.
  std::optional<OpResult> events_op(detail::DocumentHandle& doc, Events& events,
                                    const std::string& name, const std::vector<Value>& args);

  // Encodes `body` (an array) with `doc`'s references and sends it.
  void send(detail::DocumentHandle& doc, ipc::MessageKind kind, std::uint64_t request_id,
            ipc::ReplyStatus status, std::vector<Value> body);
  void reply(detail::DocumentHandle& doc, std::uint64_t request_id, OpResult result);
  void settle_later(detail::DocumentHandle& doc, std::uint64_t request_id, Future<Value> later);
  void flush_releases(std::weak_ptr<detail::DocumentHandle> weak);

  Registry::Impl& registry_;
  ipc::ChildHost* host_;  // null once the connection went
  ipc::MainProcessImpl& main_;
  std::shared_ptr<WebContents> contents_;
  std::shared_ptr<detail::DocumentHandle> current_;
  unsigned last_ctx_ = 0;
  bool decoded_has_refs_ = true;  // the last decode_ops() saw a shared reference
  std::size_t operations_ = 0;
  std::size_t messages_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace valence::remote
