// One page document's remote tables (docs/remote.md, "Lifetime"): the main
// objects it holds references to (counted per reference sent, as Cap'n
// Proto counts exports), the page functions main holds, the main promises
// it waits for, and the classes it was told of. Everything here is released
// when the document closes, whatever the page's GC did.
//
// Thread safety: loop-affine.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "valence/codec.h"
#include "valence/remote.h"

namespace valence::remote {
class Session;
}

namespace valence::remote::detail {

// Host object kinds in Values (what the codec delegates read and write).
inline constexpr const char* kObjectRef = "RemoteObject";
inline constexpr const char* kFunctionRef = "RemoteFunction";
inline constexpr const char* kPromiseRef = "RemotePromise";
inline constexpr const char* kPageFunctionRef = "PageFunction";
inline constexpr const char* kPagePromiseRef = "PagePromise";
// A Value made by export_object() outside any remote operation.
inline constexpr const char* kUnexported = "remote reference outside a remote operation";

struct Export {
  Self strong;  // empty when held weakly
  std::weak_ptr<void> weak;
  const ClassInfo* cls = nullptr;
  std::shared_ptr<const ClassInfo> keep;  // a function class only this export holds
  bool function = false;                  // a constructor or remote::function
  std::uint64_t count = 0;                // references sent and not given back
};

struct CallbackState {
  std::weak_ptr<DocumentHandle> document;
  std::uint64_t id = 0;  // the page's id; 0 for a constant function
  std::string location;
  int contents_id = 0;
  bool has_constant = false;
  Value constant;
  bool released = false;                    // its document ended
  bool reported = false;                    // the dead-call line was reported
  std::weak_ptr<Registry::Impl*> reporter;  // where that line goes
  std::vector<UniqueFunction<void()>> on_released;
  ~CallbackState();
  void release();  // runs on_released once
};

struct DocumentHandle : std::enable_shared_from_this<DocumentHandle> {
  Session* session = nullptr;  // null once the document closed
  unsigned ctx = 0;
  std::string ctx_text;  // the channel of what main sends this document
  int contents_id = 0;
  std::map<std::uint64_t, Export> exports;
  std::map<std::weak_ptr<void>, std::uint64_t, std::owner_less<>> ids;  // object -> export id
  std::map<const ClassInfo*, std::uint64_t> function_ids;               // constructor -> export id
  std::uint64_t next_export = 1;
  std::vector<std::uint64_t> fresh;  // exports made during this operation (swept if unsent)
  std::set<std::uint32_t> classes_sent;
  struct Import {
    std::weak_ptr<CallbackState> state;
    std::uint64_t count = 0;
  };
  std::map<std::uint64_t, Import> imports;
  // Callbacks decoded for the running operation (kept alive while it runs).
  std::vector<std::shared_ptr<CallbackState>> op_callbacks;
  std::set<std::uint64_t> promises;  // main promises the page waits for
  // Page promises main waits for (passed as arguments), by the page's id.
  std::map<std::uint64_t, std::shared_ptr<Promise<Value>>> page_promises;
  std::vector<Future<Value>> op_futures;  // decoded for the running operation
  std::uint64_t last_page_promise = 0;    // the highest page promise id seen
  std::uint64_t next_promise = 1;
  std::vector<std::uint64_t> release_queue;  // (id, n) pairs of page functions main dropped
  bool quota_hit = false;                    // the running operation went over a quota

  bool alive() const noexcept { return session != nullptr; }
  // The export id for an object (made with count 0 when new).
  Result<std::uint64_t> export_object(Self object, const ClassInfo& cls);
  std::uint64_t export_function(const ClassInfo& cls, std::shared_ptr<const ClassInfo> keep);
  // Exports made during the operation that no message carried.
  void sweep_fresh();
  // Drops everything (the document ended).
  void close();
};

// Encodes and decodes a document's references (the '\' host objects).
// A class travels with its first reference in a document: the reference's
// payload then carries its descriptor (and its bases'), so the page builds
// the proxy as it decodes.
class RefCodec final : public codec::EncodeDelegate, public codec::DecodeDelegate {
 public:
  RefCodec(DocumentHandle& doc, const Quotas& quotas) : doc_(doc), quotas_(quotas) {}
  Result<void> write_host_object(const HostObject& object, std::vector<std::uint8_t>& out) override;
  Result<Value> read_host_object(codec::ByteReader& reader) override;
  // The message was not sent after all: the page got neither these
  // references nor these classes.
  void undo();

 private:
  Result<void> write_descriptors(const ClassInfo& cls, const SharedObject* shared,
                                 std::vector<std::uint8_t>& out);
  DocumentHandle& doc_;
  const Quotas& quotas_;
  std::vector<std::uint32_t> described_;
  std::vector<std::uint64_t> counted_;
};

Value describe_class(const ClassInfo& cls, const SharedObject* shared);
ErrorValue make_error_value(ErrorPrototype proto, const std::string& message);

}  // namespace valence::remote::detail
