// Node.js as a live oracle for the codec (property-based).
//
// A seeded generator builds random Value trees of every kind (shared
// references and cycles included). Each tree is encoded, handed to a real Node
// process, which reads it with V8's deserializer and writes it back with V8's
// serializer, and the answer is decoded and compared with the original.
//
//   RoundTripThroughV8Serialize: one long-lived `node node_peer.js`, frames on
//     stdin/stdout, v8.deserialize + v8.serialize (Form::kNode).
//   RoundTripThroughAdvancedIpc: echo-child.js on a real advanced-mode IPC
//     channel (socketpair, NODE_CHANNEL_FD), Form::kNodeIpc; every value is
//     wrapped as {v: value} because send() refuses top-level undefined/BigInt.
//
// Environment: VALENCE_ORACLE_SEED (default: random, printed),
// VALENCE_ORACLE_CASES (default 3000; the IPC test runs a tenth of it),
// VALENCE_ORACLE_CASE=N (run only case N: every case has its own seed
// derived from the run seed and N, so a failure reproduces on its own),
// VALENCE_ORACLE_VERBOSE=1 (print every value and its encoding).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "valence/codec.h"
#include "valence/value.h"

extern char** environ;

namespace valence {
namespace {

namespace codec = valence::codec;
using Bytes8 = std::vector<std::uint8_t>;

constexpr std::uint8_t kNodeErrorMarker = 0x21;  // node_peer.js: '!' + error text
constexpr int kReadTimeoutMs = 20000;
constexpr int kMaxReportedFailures = 10;

// ---------------------------------------------------------------------------
// Configuration and PRNG.

struct OracleConfig {
  std::uint64_t seed = 0;
  std::uint32_t cases = 3000;
  std::optional<std::uint32_t> only_case;
  bool verbose = false;  // print every value
};

std::optional<std::uint64_t> env_u64(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return std::nullopt;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text, &end, 0);
  if (end == text || *end != '\0') {
    ADD_FAILURE() << name << "=" << text << " is not a number";
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(v);
}

OracleConfig read_config() {
  OracleConfig c;
  if (auto s = env_u64("VALENCE_ORACLE_SEED")) {
    c.seed = *s;
  } else {
    std::random_device rd;
    c.seed = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  }
  if (auto n = env_u64("VALENCE_ORACLE_CASES")) c.cases = static_cast<std::uint32_t>(*n);
  if (auto k = env_u64("VALENCE_ORACLE_CASE")) c.only_case = static_cast<std::uint32_t>(*k);
  c.verbose = env_u64("VALENCE_ORACLE_VERBOSE").value_or(0) != 0;
  return c;
}

std::string hex_seed(std::uint64_t seed) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(seed));
  return buf;
}

// splitmix64: tiny, fast, and good enough to drive a generator.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>(next() % n); }
  bool one_in(std::uint32_t n) { return below(n) == 0; }
  bool coin() { return (next() & 1) != 0; }
  template <class T, std::size_t N>
  const T& pick(const T (&items)[N]) {
    return items[below(static_cast<std::uint32_t>(N))];
  }

 private:
  std::uint64_t state_;
};

std::uint64_t case_seed(std::uint64_t run_seed, std::uint32_t index) {
  Rng r(run_seed ^ (0xd1b54a32d192ed03ULL * (index + 1ULL)));
  return r.next();
}

// ---------------------------------------------------------------------------
// The generator. Object ids are tracked exactly as the Value model numbers
// them (pre-order over object nodes; a View's owned buffer is view id + 1), so
// that Refs can name earlier objects, enclosing ones included (cycles).

// Node 20's V8 (11.3) reads the RegExp `v` flag and resizable ArrayBuffers;
// Node 18's (Debian's own nodejs) does not, so the generator leaves them out
// there.
bool node_is_at_least_20() {
  static const bool modern = [] {
    std::string cmd = std::string(VALENCE_NODE) + " -p process.versions.node 2>/dev/null";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return false;
    char buf[32] = {};
    bool ok = std::fgets(buf, sizeof buf, p) != nullptr;
    ::pclose(p);
    return ok && std::atoi(buf) >= 20;
  }();
  return modern;
}

class Generator {
 public:
  static constexpr int kMaxDepth = 6;

  explicit Generator(std::uint64_t seed) : rng_(seed) {}

  // Registers an enclosing object the caller builds itself (the IPC wrapper).
  void reserve_root_object() { take_id(Type::kObject, true); }
  Value generate() { return value(0); }
  const std::vector<Type>& id_types() const { return id_types_; }

 private:
  std::uint32_t take_id(Type type, bool refable) {
    const auto id = static_cast<std::uint32_t>(id_types_.size());
    id_types_.push_back(type);
    if (refable) targets_.push_back(id);
    return id;
  }

  std::optional<Ref> random_ref() {
    for (int attempt = 0; attempt < 4 && !targets_.empty(); ++attempt) {
      const std::uint32_t id = targets_[rng_.below(static_cast<std::uint32_t>(targets_.size()))];
      if (std::find(blocked_.begin(), blocked_.end(), id) == blocked_.end()) return Ref{id};
    }
    return std::nullopt;
  }

  Value value(int depth) {
    const std::uint32_t roll = rng_.below(100);
    if (roll < 7) {
      if (auto r = random_ref()) return Value(*r);
    }
    const std::uint32_t containers =
        depth >= kMaxDepth ? 0 : static_cast<std::uint32_t>(45 - 6 * depth);
    if (roll < 7 + containers) return container(depth);
    if (roll < 65) return leaf_object();
    return primitive();
  }

  Value container(int depth) {
    switch (rng_.below(6)) {
      case 0:
      case 1: return object(depth);
      case 2: return array(depth);
      case 3: return map(depth);
      case 4: return set(depth);
      default: return error(depth);
    }
  }

  // Now and then wide enough for multi-byte counts and object ids.
  std::uint32_t child_count() {
    if (rng_.one_in(80)) return 128 + rng_.below(64);
    return rng_.one_in(8) ? rng_.below(10) : rng_.below(4);
  }

  // -- primitives -----------------------------------------------------------

  Value primitive() {
    switch (rng_.below(10)) {
      case 0: return Value();
      case 1: return Value(nullptr);
      case 2: return Value(rng_.coin());
      case 3:
      case 4:
      case 5: return Value(number());
      case 6: return Value(bigint());
      default: return Value(string());
    }
  }

  Number number() {
    constexpr double kInf = std::numeric_limits<double>::infinity();
    switch (rng_.below(13)) {
      case 0:
        return {static_cast<double>(static_cast<int>(rng_.below(201)) - 100), NumberRep::kInt32};
      case 1: {
        static constexpr double kEdges[] = {-2147483648.0, 2147483647.0, -1,           0,
                                            1073741824.0,  1073741823.0, -1073741825.0};
        return {rng_.pick(kEdges), NumberRep::kAuto};
      }
      case 2:
        return {static_cast<double>(static_cast<std::int32_t>(rng_.next())), NumberRep::kAuto};
      case 3: return {-0.0, NumberRep::kAuto};
      case 4: return {std::numeric_limits<double>::quiet_NaN(), NumberRep::kAuto};
      case 5: return {rng_.coin() ? kInf : -kInf, NumberRep::kAuto};
      case 6: {  // subnormal
        std::uint64_t bits = (rng_.next() & 0x000fffffffffffffULL) | 1;
        if (rng_.coin()) bits |= 0x8000000000000000ULL;
        return {std::bit_cast<double>(bits), NumberRep::kAuto};
      }
      case 7:
        return {static_cast<double>(static_cast<std::int32_t>(rng_.next())) / 1000.0,
                NumberRep::kAuto};
      case 8: {
        static constexpr double kBig[] = {2147483648.0, -2147483649.0, 9007199254740992.0,
                                          4294967295.0, 1e21,          -1e300};
        return {rng_.pick(kBig), NumberRep::kAuto};
      }
      case 9: return {static_cast<double>(rng_.below(1000)), NumberRep::kDouble};  // heap number
      case 10: {
        static constexpr double kOdd[] = {std::numeric_limits<double>::max(),
                                          std::numeric_limits<double>::min(),
                                          std::numeric_limits<double>::epsilon(), 0.1, -0.5};
        return {rng_.pick(kOdd), NumberRep::kAuto};
      }
      default: return {std::bit_cast<double>(rng_.next()), NumberRep::kAuto};
    }
  }

  BigInt bigint() {
    switch (rng_.below(6)) {
      case 0: return BigInt();
      case 1: return BigInt::from_int64(static_cast<std::int64_t>(rng_.below(2001)) - 1000);
      case 2: return BigInt::from_int64(static_cast<std::int64_t>(rng_.next()));
      case 3: return BigInt::from_uint64(rng_.next());
      case 4: {
        std::vector<std::uint8_t> mag(9 + rng_.below(40));
        for (auto& b : mag) b = static_cast<std::uint8_t>(rng_.next());
        return BigInt::from_magnitude(rng_.coin(), mag);
      }
      default: {
        const std::uint8_t two64[] = {0, 0, 0, 0, 0, 0, 0, 0, 1};
        return BigInt::from_magnitude(rng_.coin(), two64);
      }
    }
  }

  char16_t code_unit(std::uint32_t category) {
    switch (category) {
      case 0: return static_cast<char16_t>(0x20 + rng_.below(0x5f));      // printable ASCII
      case 1: return static_cast<char16_t>(rng_.below(0x100));            // Latin-1, NUL included
      case 2: return static_cast<char16_t>(0x100 + rng_.below(0xd700));   // BMP below surrogates
      case 3: return static_cast<char16_t>(0xe000 + rng_.below(0x2000));  // BMP above
      default: return static_cast<char16_t>(0xd800 + rng_.below(0x800));  // a lone surrogate
    }
  }

  String string() {
    static constexpr const char* kWords[] = {
        "hello", "id", "name", "a", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "x y\tz\n"};
    switch (rng_.below(9)) {
      case 0: return String("");
      case 1: return String(rng_.pick(kWords));
      case 2: {  // ASCII, sometimes long enough for a two-byte length varint
        std::string s(rng_.one_in(4) ? 120 + rng_.below(200) : 1 + rng_.below(12), 'a');
        for (auto& c : s) c = static_cast<char>(0x20 + rng_.below(0x5f));
        return String(std::move(s));
      }
      case 3: {
        std::string s(1 + rng_.below(10), '\0');
        for (auto& c : s) c = static_cast<char>(rng_.below(0x100));
        return String::from_latin1(s);
      }
      case 4: {  // Latin-1 text that V8 held as a two-byte string (a hint only)
        String s = String::from_latin1("na\xefve \xe9t\xe9");
        s.set_two_byte(true);
        return s;
      }
      default: {
        std::u16string units;
        const std::uint32_t n = 1 + rng_.below(rng_.one_in(6) ? 150 : 10);
        for (std::uint32_t i = 0; i < n; ++i) {
          const std::uint32_t category = rng_.below(6);
          if (category == 5) {  // an astral character as a surrogate pair
            const std::uint32_t cp = 0x10000 + rng_.below(0x100000);
            units.push_back(static_cast<char16_t>(0xd800 + ((cp - 0x10000) >> 10)));
            units.push_back(static_cast<char16_t>(0xdc00 + ((cp - 0x10000) & 0x3ff)));
          } else {
            units.push_back(code_unit(category));
          }
        }
        return String::from_utf16(units);
      }
    }
  }

  // A property key; array-index keys only when allowed.
  String key(bool allow_index) {
    static constexpr const char* kIndex[] = {"0",  "1",  "2",          "3",          "7",
                                             "10", "42", "2147483647", "2147483648", "4294967294"};
    static constexpr const char* kNotIndex[] = {"01",  "-1", "1.5",   "4294967295", "-0",
                                                "1e3", " 1", "",      "a",          "b",
                                                "id",  "x",  "value", "__v"};
    const std::uint32_t r = rng_.below(10);
    if (allow_index && r < 3) return String(rng_.pick(kIndex));
    if (r < 7) return String(rng_.pick(kNotIndex));
    String s = string();
    if (PropertyList::array_index(s.wtf8()) && !allow_index) return String("k" + s.wtf8());
    return s;
  }

  // -- leaf objects ---------------------------------------------------------

  Value leaf_object() {
    switch (rng_.below(8)) {
      case 0: return date();
      case 1: return regexp();
      case 2: return boxed();
      case 3: return array_buffer();
      default: return view();
    }
  }

  Value date() {
    take_id(Type::kDate, true);
    static constexpr double kTimes[] = {0, 8.64e15, -8.64e15, 1709210096789.0, -1};
    double t = 0;
    switch (rng_.below(3)) {
      case 0: t = std::numeric_limits<double>::quiet_NaN(); break;
      case 1: t = rng_.pick(kTimes); break;
      default:
        t = static_cast<double>(static_cast<std::int64_t>(rng_.next() % 17280000000000000ULL) -
                                8640000000000000LL);
    }
    return Value(Date{t});
  }

  Value regexp() {
    take_id(Type::kRegExp, true);
    static constexpr const char* kSources[] = {
        "a+b",         "[x-z]\\d",      "(?:)",
        "^foo$",       "x|y",           "\\w+@\\w+\\.com",
        "a{2,3}?",     "(?<n>b)\\k<n>", "\xe6\x97\xa5\xe6\x9c\xac+",
        "caf\xc3\xa9", "\\t\\s*"};
    static constexpr std::uint32_t kFlags[] = {
        kRegExpGlobal,  kRegExpIgnoreCase, kRegExpMultiline, kRegExpDotAll,
        kRegExpUnicode, kRegExpSticky,     kRegExpHasIndices};
    RegExp re;
    re.source = String(rng_.pick(kSources));
    for (std::uint32_t flag : kFlags)
      if (rng_.one_in(3)) re.flags |= flag;
    if ((re.flags & kRegExpUnicode) == 0 && rng_.one_in(4) && node_is_at_least_20())
      re.flags |= kRegExpUnicodeSets;
    return Value(std::move(re));
  }

  Value boxed() {
    switch (rng_.below(4)) {
      case 0: take_id(Type::kBooleanObject, true); return Value(BooleanObject{rng_.coin()});
      case 1: take_id(Type::kNumberObject, true); return Value(NumberObject{number().value});
      case 2: take_id(Type::kBigIntObject, true); return Value(BigIntObject{bigint()});
      default: take_id(Type::kStringObject, true); return Value(StringObject{string()});
    }
  }

  Bytes random_bytes(std::size_t n) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b.data()[i] = static_cast<std::uint8_t>(rng_.next());
    return b;
  }

  Value array_buffer() {
    take_id(Type::kArrayBuffer, true);
    Bytes bytes = random_bytes(rng_.below(17));
    if (rng_.one_in(3) && node_is_at_least_20()) {
      const std::size_t max = bytes.size() + rng_.below(32);
      return Value(ArrayBuffer::resizable(std::move(bytes), max));
    }
    return Value(ArrayBuffer(std::move(bytes)));
  }

  float float32() {
    static constexpr float kOdd[] = {-0.0f,
                                     std::numeric_limits<float>::infinity(),
                                     std::numeric_limits<float>::quiet_NaN(),
                                     std::numeric_limits<float>::max(),
                                     std::numeric_limits<float>::denorm_min(),
                                     1e-40f};
    if (rng_.one_in(5)) return rng_.pick(kOdd);
    return static_cast<float>(static_cast<int>(rng_.below(2001)) - 1000) / 8.0f;
  }

  Value view() {
    take_id(Type::kView, true);
    take_id(Type::kArrayBuffer, false);  // the view's own buffer: never a Ref target
    const auto kind = static_cast<ViewKind>(rng_.below(kViewKindCount));
    const std::size_t element = view_element_size(kind);
    const std::size_t count = rng_.below(9);
    Bytes bytes(count * element);
    for (std::size_t i = 0; i < count; ++i) {
      std::uint8_t* at = bytes.data() + i * element;
      if (kind == ViewKind::kFloat32Array) {
        const float f = float32();
        std::memcpy(at, &f, sizeof f);
      } else if (kind == ViewKind::kFloat64Array) {
        const double d =
            rng_.one_in(5) ? number().value : static_cast<double>(rng_.below(1000)) / 8.0;
        std::memcpy(at, &d, sizeof d);
      } else {
        for (std::size_t j = 0; j < element; ++j) at[j] = static_cast<std::uint8_t>(rng_.next());
      }
    }
    return Value(View(kind, std::move(bytes)));
  }

  // -- containers -----------------------------------------------------------

  // Keys deduplicated and put in JS order (indices ascending first), so that
  // values are generated, and take ids, in the order they will have.
  std::vector<String> ordered_keys(std::uint32_t n, bool allow_index) {
    std::vector<String> keys;
    for (std::uint32_t i = 0; i < n; ++i) {
      String k = key(allow_index);
      bool dup = false;
      for (const auto& other : keys) dup = dup || other.wtf8() == k.wtf8();
      if (!dup) keys.push_back(std::move(k));
    }
    std::stable_sort(keys.begin(), keys.end(), [](const String& a, const String& b) {
      const auto ia = PropertyList::array_index(a.wtf8());
      const auto ib = PropertyList::array_index(b.wtf8());
      if (ia && ib) return *ia < *ib;
      return ia.has_value() && !ib.has_value();
    });
    return keys;
  }

  Value object(int depth) {
    take_id(Type::kObject, true);
    Object obj;
    for (String& k : ordered_keys(child_count(), true)) obj.set(std::move(k), value(depth + 1));
    return Value(std::move(obj));
  }

  Value array(int depth) {
    take_id(Type::kArray, true);
    Array arr;
    switch (rng_.below(4)) {
      case 0:
      case 1: {  // dense
        const std::uint32_t n = child_count();
        for (std::uint32_t i = 0; i < n; ++i) arr.push_back(value(depth + 1));
        if (rng_.one_in(4)) arr.set_prefer_sparse(true);
        break;
      }
      case 2: {  // holey
        const std::uint32_t length = 1 + rng_.below(12);
        arr.set_length(length);
        for (std::uint32_t i = 0; i < length; ++i)
          if (rng_.one_in(3)) arr.set(i, value(depth + 1));
        break;
      }
      default: {  // very sparse
        static constexpr std::uint32_t kLengths[] = {1000, 100001, 2147483649U, 4294967295U};
        const std::uint32_t length = rng_.pick(kLengths);
        std::vector<std::uint32_t> indices;
        for (std::uint32_t n = rng_.below(4); n > 0; --n)
          indices.push_back(rng_.coin() ? length - 1 - rng_.below(3) : rng_.below(length));
        std::sort(indices.begin(), indices.end());
        indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
        arr.set_length(length);
        for (std::uint32_t i : indices) arr.set(i, value(depth + 1));
        break;
      }
    }
    if (rng_.one_in(4)) {
      for (String& k : ordered_keys(1 + rng_.below(2), false))
        if (k.wtf8() != "length") arr.properties().set(std::move(k), value(depth + 1));
    }
    return Value(std::move(arr));
  }

  // Map keys and Set members must stay distinct under SameValueZero, or Node
  // merges them: -0 becomes +0, equal primitives and repeated objects are dropped.
  struct Distinct {
    std::vector<Value> primitives;
    std::vector<std::uint32_t> ids;
  };
  std::optional<Value> distinct_member(int depth, Distinct& seen) {
    const auto id_before = static_cast<std::uint32_t>(id_types_.size());
    Value v = value(depth);
    if (v.is_object_like()) {
      seen.ids.push_back(id_before);  // a fresh object: distinct by identity
      return v;
    }
    if (v.is_ref()) {
      const std::uint32_t id = v.get_ref().id;
      if (std::find(seen.ids.begin(), seen.ids.end(), id) != seen.ids.end()) return std::nullopt;
      seen.ids.push_back(id);
      return v;
    }
    if (v.is_number() && v.get_number() == 0) v = Value(0);
    for (const auto& p : seen.primitives)
      if (p == v) return std::nullopt;
    seen.primitives.push_back(v.clone());
    return v;
  }

  Value map(int depth) {
    take_id(Type::kMap, true);
    Map m;
    Distinct seen;
    for (std::uint32_t n = child_count(); n > 0; --n) {
      auto k = distinct_member(depth + 1, seen);
      if (!k) continue;  // a duplicate primitive or Ref: took no id
      m.entries().emplace_back(std::move(*k), value(depth + 1));
    }
    return Value(std::move(m));
  }

  Value set(int depth) {
    take_id(Type::kSet, true);
    Set s;
    Distinct seen;
    for (std::uint32_t n = child_count(); n > 0; --n)
      if (auto v = distinct_member(depth + 1, seen)) s.values().push_back(std::move(*v));
    return Value(std::move(s));
  }

  Value error(int depth) {
    const std::uint32_t id = take_id(Type::kError, true);
    ErrorValue e(static_cast<ErrorPrototype>(rng_.below(7)));
    if (rng_.below(4) != 0) e.message = string();
    if (rng_.coin()) {
      e.stack = rng_.coin() ? String("Error: boom\n    at main (file:///x.js:1:2)") : string();
    }
    if (rng_.one_in(3)) {
      blocked_.push_back(id);  // V8 cannot resolve a Ref to an error inside its cause
      e.set_cause(value(depth + 1));
      blocked_.pop_back();
    }
    return Value(std::move(e));
  }

  Rng rng_;
  std::vector<Type> id_types_;          // by id
  std::vector<std::uint32_t> targets_;  // ids a Ref may name
  std::vector<std::uint32_t> blocked_;  // errors whose cause is being generated
};

// Checks the generator's id bookkeeping against RefIndex (a disagreement is a
// bug in one of them, not in the codec).
std::string check_ids(const Value& root, const std::vector<Type>& expected) {
  RefIndex index(root);
  std::ostringstream out;
  if (index.object_count() != expected.size())
    out << "RefIndex counts " << index.object_count() << " objects, generator " << expected.size()
        << "; ";
  for (std::uint32_t id = 0; id < expected.size(); ++id) {
    const Value* node = index.find(id);
    if (node == nullptr || node->type() != expected[id]) {
      out << "id " << id << ": generator " << type_name(expected[id]) << ", RefIndex "
          << (node ? node->type_name() : "none") << "; ";
    }
  }
  return out.str();
}

// ---------------------------------------------------------------------------
// Child processes.

std::string hex(std::span<const std::uint8_t> bytes, std::size_t limit = 4096) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  const std::size_t n = std::min(bytes.size(), limit);
  out.reserve(n * 3);
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += ' ';
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  if (n < bytes.size()) out += " ... (" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

// Moves fd to a number >= 10 (close-on-exec), so that dup2 onto 0, 1 or 3 in
// the child never meets an fd that already has that number.
int move_high(int fd) {
  const int moved = fcntl(fd, F_DUPFD_CLOEXEC, 10);
  close(fd);
  return moved;
}

// A spawned process we talk to in frames: 4-byte big-endian length + payload.
class FramedChild {
 public:
  // `dups` are (parent fd, child fd) pairs; write_fd/read_fd stay in the parent.
  static std::unique_ptr<FramedChild> spawn(std::vector<std::string> argv,
                                            std::vector<std::string> extra_env,
                                            std::vector<std::pair<int, int>> dups, int write_fd,
                                            int read_fd, std::string& error) {
    ::signal(SIGPIPE, SIG_IGN);
    std::vector<std::string> env_storage;
    for (char** e = environ; *e != nullptr; ++e)
      if (std::strncmp(*e, "NODE_CHANNEL_", 13) != 0) env_storage.emplace_back(*e);
    for (auto& e : extra_env) env_storage.push_back(std::move(e));
    std::vector<char*> args, envp;
    for (auto& a : argv) args.push_back(a.data());
    for (auto& e : env_storage) envp.push_back(e.data());
    args.push_back(nullptr);
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    for (auto [from, to] : dups) posix_spawn_file_actions_adddup2(&actions, from, to);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    for (auto [from, to] : dups) close(from);
    auto child = std::unique_ptr<FramedChild>(new FramedChild(pid, write_fd, read_fd));
    if (rc != 0) {
      child->pid_ = -1;
      error = "posix_spawn " + argv[0] + ": " + std::strerror(rc);
      return nullptr;
    }
    return child;
  }

  ~FramedChild() {
    close(write_fd_);
    if (read_fd_ != write_fd_) close(read_fd_);
    if (pid_ <= 0) return;
    int status = 0;
    for (int i = 0; i < 300; ++i) {  // closing its input ends it; give it 3 s
      if (waitpid(pid_, &status, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
  }

  FramedChild(const FramedChild&) = delete;
  FramedChild& operator=(const FramedChild&) = delete;

  bool write_all(std::span<const std::uint8_t> bytes, std::string& error) {
    while (!bytes.empty()) {
      const ssize_t n = ::write(write_fd_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error = std::string("write to node: ") + std::strerror(errno);
        return false;
      }
      bytes = bytes.subspan(static_cast<std::size_t>(n));
    }
    return true;
  }

  bool write_frame(std::span<const std::uint8_t> payload, std::string& error) {
    Bytes8 framed = frame_header(payload.size());
    framed.insert(framed.end(), payload.begin(), payload.end());
    return write_all(framed, error);
  }

  bool read_frame(Bytes8& payload, std::string& error) {
    std::uint8_t head[4];
    if (!read_exact(head, 4, error)) return false;
    const std::uint32_t length = (std::uint32_t{head[0]} << 24) | (std::uint32_t{head[1]} << 16) |
                                 (std::uint32_t{head[2]} << 8) | std::uint32_t{head[3]};
    if (length > (64U << 20)) {
      error = "node sent a frame of " + std::to_string(length) + " bytes";
      return false;
    }
    payload.resize(length);
    return read_exact(payload.data(), length, error);
  }

  static Bytes8 frame_header(std::size_t length) {
    const auto n = static_cast<std::uint32_t>(length);
    return {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
            static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  }

 private:
  FramedChild(pid_t pid, int write_fd, int read_fd)
      : pid_(pid), write_fd_(write_fd), read_fd_(read_fd) {}

  bool read_exact(std::uint8_t* out, std::size_t n, std::string& error) {
    std::size_t got = 0;
    while (got < n) {
      pollfd p{read_fd_, POLLIN, 0};
      const int ready = poll(&p, 1, kReadTimeoutMs);
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) {
        error = "no answer from node within " + std::to_string(kReadTimeoutMs) + " ms";
        return false;
      }
      const ssize_t r = ::read(read_fd_, out + got, n - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        error = r == 0 ? "node closed its end (did it die? see stderr)"
                       : std::string("read from node: ") + std::strerror(errno);
        return false;
      }
      got += static_cast<std::size_t>(r);
    }
    return true;
  }

  pid_t pid_;
  int write_fd_;
  int read_fd_;
};

std::unique_ptr<FramedChild> spawn_pipe_peer(std::string& error) {
  int to_child[2], from_child[2];
  if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) {
    error = std::string("pipe2: ") + std::strerror(errno);
    return nullptr;
  }
  for (int* fd : {&to_child[0], &to_child[1], &from_child[0], &from_child[1]}) *fd = move_high(*fd);
  return FramedChild::spawn({VALENCE_NODE, VALENCE_SOURCE_DIR "/tests/codec/node_peer.js"}, {},
                            {{to_child[0], 0}, {from_child[1], 1}}, to_child[1], from_child[0],
                            error);
}

std::unique_ptr<FramedChild> spawn_ipc_peer(std::string& error) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    error = std::string("socketpair: ") + std::strerror(errno);
    return nullptr;
  }
  sv[0] = move_high(sv[0]);
  sv[1] = move_high(sv[1]);
  return FramedChild::spawn({VALENCE_NODE, VALENCE_CONFORMANCE_DIR "/echo-child.js"},
                            {"NODE_CHANNEL_FD=3", "NODE_CHANNEL_SERIALIZATION_MODE=advanced"},
                            {{sv[1], 3}}, sv[0], sv[0], error);
}

// ---------------------------------------------------------------------------
// The property test loop.

struct CaseInput {
  std::uint32_t index = 0;
  std::uint64_t seed = 0;
  Value value;
};

struct Reporter {
  const OracleConfig& config;
  int failures = 0;

  void fail(const CaseInput& c, const std::string& what, std::span<const std::uint8_t> ours,
            std::span<const std::uint8_t> theirs, const std::string& decoded) {
    if (++failures > kMaxReportedFailures) return;
    ADD_FAILURE() << what << "\n  run seed " << hex_seed(config.seed) << ", case " << c.index
                  << " (reproduce: VALENCE_ORACLE_SEED=" << hex_seed(config.seed)
                  << " VALENCE_ORACLE_CASE=" << c.index << ")"
                  << "\n  value:   " << c.value.to_debug_string() << "\n  valence: " << hex(ours)
                  << "\n  node:    " << hex(theirs) << "\n  decoded: " << decoded;
  }
};

template <class Body>
void run_cases(const char* test, const OracleConfig& config, std::uint32_t cases, Body&& body) {
  std::printf(
      "[ oracle   ] %s: seed %s, %u cases (env VALENCE_ORACLE_SEED, VALENCE_ORACLE_CASES, "
      "VALENCE_ORACLE_CASE)\n",
      test, hex_seed(config.seed).c_str(), cases);
  std::fflush(stdout);
  testing::Test::RecordProperty("seed", hex_seed(config.seed));
  const std::uint32_t first = config.only_case.value_or(0);
  const std::uint32_t end = config.only_case ? first + 1 : cases;
  for (std::uint32_t i = first; i < end; ++i) {
    if (!body(i, case_seed(config.seed, i))) return;
  }
}

void trace(const OracleConfig& config, const CaseInput& c, std::span<const std::uint8_t> bytes) {
  if (!config.verbose) return;
  std::printf("case %u: %s\n  %s\n", c.index, c.value.to_debug_string().c_str(),
              hex(bytes, 256).c_str());
}

std::string describe_decode(const Result<Value>& decoded) {
  if (!decoded) return "error: " + decoded.error().message;
  return decoded->to_debug_string();
}

TEST(NodeOracle, RoundTripThroughV8Serialize) {
  if (std::string_view(VALENCE_NODE).empty())
    GTEST_SKIP() << "node was not found when configuring (VALENCE_NODE is empty)";
  const OracleConfig config = read_config();
  std::string error;
  auto peer = spawn_pipe_peer(error);
  ASSERT_TRUE(peer) << error;
  Reporter report{config};
  std::size_t total_bytes = 0;

  run_cases("v8.serialize", config, config.cases, [&](std::uint32_t index, std::uint64_t seed) {
    Generator gen(seed);
    CaseInput c{index, seed, gen.generate()};
    if (auto bad = check_ids(c.value, gen.id_types()); !bad.empty()) {
      report.fail(c, "generator/RefIndex disagree: " + bad, {}, {}, "-");
      return true;
    }
    auto encoded = codec::encode(c.value, codec::EncodeOptions{});
    if (!encoded) {
      report.fail(c, "encode failed: " + encoded.error().message, {}, {}, "-");
      return true;
    }
    total_bytes += encoded->size();
    trace(config, c, *encoded);
    Bytes8 reply;
    if (!peer->write_frame(*encoded, error) || !peer->read_frame(reply, error)) {
      report.fail(c, "node peer: " + error, *encoded, {}, "-");
      return false;
    }
    if (!reply.empty() && reply[0] == kNodeErrorMarker) {
      const std::string text(reply.begin() + 1, reply.end());
      report.fail(c, "v8.deserialize/serialize threw: " + text, *encoded, {}, "-");
      return true;
    }
    auto decoded = codec::decode(reply);
    if (!decoded || !(*decoded == c.value))
      report.fail(c, decoded ? "value changed in the round trip" : "cannot decode node's bytes",
                  *encoded, reply, describe_decode(decoded));
    return true;
  });
  std::printf("[ oracle   ] %zu bytes encoded\n", total_bytes);
  EXPECT_EQ(report.failures, 0) << "failing cases (first " << kMaxReportedFailures
                                << " reported above)";
}

TEST(NodeOracle, RoundTripThroughAdvancedIpc) {
  if (std::string_view(VALENCE_NODE).empty())
    GTEST_SKIP() << "node was not found when configuring (VALENCE_NODE is empty)";
  const OracleConfig config = read_config();
  std::string error;
  auto peer = spawn_ipc_peer(error);
  ASSERT_TRUE(peer) << error;
  Reporter report{config};
  codec::EncodeOptions encode_options;
  encode_options.form = codec::Form::kNodeIpc;
  codec::DecodeOptions decode_options;
  decode_options.form = codec::Form::kNodeIpc;

  const std::uint32_t cases = std::max<std::uint32_t>(1, config.cases / 10);
  run_cases("advanced IPC", config, cases, [&](std::uint32_t index, std::uint64_t seed) {
    Generator gen(seed);
    gen.reserve_root_object();  // the {v: ...} wrapper is object 0
    Object wrapper;
    wrapper.set("v", gen.generate());
    CaseInput c{index, seed, Value(std::move(wrapper))};
    if (auto bad = check_ids(c.value, gen.id_types()); !bad.empty()) {
      report.fail(c, "generator/RefIndex disagree: " + bad, {}, {}, "-");
      return true;
    }
    Bytes8 frame = FramedChild::frame_header(0);
    auto encoded = codec::encode_into(c.value, frame, encode_options, 0);
    if (!encoded) {
      report.fail(c, "encode_into failed: " + encoded.error().message, {}, {}, "-");
      return true;
    }
    const Bytes8 length = FramedChild::frame_header(frame.size() - 4);
    std::copy(length.begin(), length.end(), frame.begin());
    const std::span<const std::uint8_t> payload(frame.data() + 4, frame.size() - 4);
    trace(config, c, payload);
    Bytes8 reply;
    if (!peer->write_all(frame, error) || !peer->read_frame(reply, error)) {
      report.fail(c, "echo-child: " + error, payload, {}, "-");
      return false;
    }
    auto decoded = codec::decode(reply, decode_options);
    if (!decoded || !(*decoded == c.value))
      report.fail(c, decoded ? "value changed in the IPC echo" : "cannot decode the echo", payload,
                  reply, describe_decode(decoded));
    return true;
  });
  EXPECT_EQ(report.failures, 0) << "failing cases (first " << kMaxReportedFailures
                                << " reported above)";
}

}  // namespace
}  // namespace valence
