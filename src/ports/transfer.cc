#include "ports/transfer.h"

#include "ports/pending_port.h"
#include "transport/socket_posix.h"
#include "valence/codec.h"

namespace valence::ports {
Result<PackedTransfer> pack(const MessagePort* source, Value message,
                            const std::vector<std::shared_ptr<MessagePort>>& transfer) {
  PackedTransfer out;
  if (!transfer.empty()) {
    VALENCE_RETURN_IF_ERROR(PortTransfer::check(source, transfer));
    // Nothing may change when the message cannot be cloned.
    codec::EncodeOptions options;
    options.form = codec::Form::kValence;
    options.root_name = "message";
    auto probe = codec::encode(message, options);
    if (!probe) return Unexpected{probe.error()};
    for (std::size_t i = 0; i < transfer.size(); ++i) {
      auto ready = PortTransfer::prepare(*transfer[i]);
      if (!ready)
        return make_error(ErrorCode::kCloneError,
                          "DataCloneError: port at index " + std::to_string(i) +
                              " cannot be transferred now: " + ready.error().message);
    }
  }
  std::vector<Value> records;
  for (const auto& port : transfer) {
    PendingPort taken = PortTransfer::take(*port);
    records.push_back(
        Value::array({Value(ArrayBuffer(Bytes(taken.unread.data(), taken.unread.size()))),
                      Value(ArrayBuffer(Bytes(taken.unsent.data(), taken.unsent.size()))),
                      Value(String(std::move(taken.entangle_id)))}));
    out.fds.push_back(std::move(taken.socket));
  }
  out.body = Value::array({});
  out.body.get_array().push_back(std::move(message));
  out.body.get_array().push_back(Value::array(std::move(records)));
  return out;
}

Result<UnpackedTransfer> unpack(EventLoop& loop, Value body, std::vector<UniqueFd> fds) {
  Array* parts = body.get_if_array();
  if (!parts || parts->length() != 2 || parts->items().size() != 2 || !parts->items()[1].is_array())
    return make_error(ErrorCode::kBadMessage, "a posted message must be [message, [port...]]");
  const Array& records = parts->items()[1].get_array();
  if (records.length() != fds.size() || records.items().size() != fds.size())
    return make_error(ErrorCode::kBadMessage, std::to_string(fds.size()) +
                                                  " port descriptors for " +
                                                  std::to_string(records.length()) + " ports");
  for (std::size_t i = 0; i < fds.size(); ++i) {
    const Array* r = records.items()[i].get_if_array();
    if (!r || r->length() != 3 || r->items().size() != 3 || !r->items()[0].is_array_buffer() ||
        !r->items()[1].is_array_buffer() || !r->items()[2].is_string())
      return make_error(ErrorCode::kBadMessage,
                        "port " + std::to_string(i) + " is not [prefix, unsent, entangle id]");
    if (!transport::is_connected_unix_stream(fds[i].get()))
      return make_error(ErrorCode::kBadMessage,
                        "port " + std::to_string(i) + " is not a connected AF_UNIX stream socket");
  }
  UnpackedTransfer out;
  for (std::size_t i = 0; i < fds.size(); ++i) {
    const auto& r = records.items()[i].get_array().items();
    PendingPort pending{std::move(fds[i]), {}, {}, r[2].get_js_string().utf8()};
    auto unread = r[0].get_array_buffer().bytes().span();
    auto unsent = r[1].get_array_buffer().bytes().span();
    pending.unread.append(unread.data(), unread.size());
    pending.unsent.append(unsent.data(), unsent.size());
    out.ports.push_back(PortTransfer::adopt(loop, std::move(pending)));
  }
  out.data = std::move(parts->mutable_items()[0]);
  return out;
}

}  // namespace valence::ports
