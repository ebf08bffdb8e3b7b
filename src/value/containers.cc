#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "base/check.h"
#include "valence/value.h"

namespace valence {

// ---- PropertyList ----------------------------------------------------------

std::optional<std::uint32_t> PropertyList::parse_array_index(std::string_view key) noexcept {
  if (key.empty() || key.size() > 10) return std::nullopt;
  if (key.size() > 1 && key[0] == '0') return std::nullopt;
  std::uint64_t v = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > 4294967294ULL) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

const Value* PropertyList::find(std::string_view key) const noexcept {
  for (const auto& e : entries_)
    if (e.first.wtf8() == key) return &e.second;
  return nullptr;
}

Value* PropertyList::find(std::string_view key) noexcept {
  for (auto& e : entries_)
    if (e.first.wtf8() == key) return &e.second;
  return nullptr;
}

void PropertyList::set(String key, Value value) {
  if (Value* existing = find(key.wtf8())) {
    *existing = std::move(value);
    return;
  }
  if (auto index = array_index(key.wtf8())) {
    // Index keys come first, ascending.
    auto pos = entries_.begin();
    for (; pos != entries_.end(); ++pos) {
      auto other = array_index(pos->first.wtf8());
      if (!other || *other > *index) break;
    }
    entries_.emplace(pos, std::move(key), std::move(value));
    return;
  }
  entries_.emplace_back(std::move(key), std::move(value));
}

bool PropertyList::erase(std::string_view key) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->first.wtf8() == key) {
      entries_.erase(it);
      return true;
    }
  }
  return false;
}

PropertyList PropertyList::clone() const {
  PropertyList out;
  out.entries_.reserve(entries_.size());
  for (const auto& e : entries_) out.entries_.emplace_back(e.first, e.second.clone());
  return out;
}

// ---- Object ----------------------------------------------------------------

Object::Object(std::initializer_list<std::pair<std::string_view, Value>> props) {
  for (const auto& [k, v] : props) props_.set(String(k), v.clone());
}

Object Object::clone() const {
  Object o;
  o.props_ = props_.clone();
  return o;
}

// ---- Array -----------------------------------------------------------------

namespace {
// How many holes set()/append_at() may add to the vector to place one element
// before it goes to the side list instead. Bounds memory per input byte.
constexpr std::size_t kMaxHoleRun = 8;
}  // namespace

Array::Array(std::vector<Value> items) : items_(std::move(items)) {
  VALENCE_CHECK(items_.size() <= 4294967295ULL, "array too long");
  length_ = static_cast<std::uint32_t>(items_.size());
}

namespace {
using FarList = std::vector<std::pair<std::uint32_t, Value>>;
FarList::iterator far_lower_bound(FarList& far, std::uint32_t index) {
  return std::lower_bound(far.begin(), far.end(), index,
                          [](const auto& e, std::uint32_t i) { return e.first < i; });
}
}  // namespace

void Array::set_length(std::uint32_t length) {
  if (length < items_.size()) items_.resize(length);
  if (extra_)
    while (!extra_->far.empty() && extra_->far.back().first >= length) extra_->far.pop_back();
  length_ = length;
}

const Value* Array::get(std::uint32_t index) const noexcept {
  if (index >= length_) return nullptr;
  if (index < items_.size()) return items_[index].is_hole() ? nullptr : &items_[index];
  const FarList* far = far_if();
  if (!far) return nullptr;
  auto it = std::lower_bound(far->begin(), far->end(), index,
                             [](const auto& e, std::uint32_t i) { return e.first < i; });
  return it != far->end() && it->first == index ? &it->second : nullptr;
}

void Array::set(std::uint32_t index, Value value) {
  VALENCE_CHECK(index < 4294967295U, "array index out of range");
  if (value.is_hole()) {
    if (index < items_.size()) {
      items_[index] = Value(Hole{});
    } else if (extra_) {
      auto it = far_lower_bound(extra_->far, index);
      if (it != extra_->far.end() && it->first == index) extra_->far.erase(it);
    }
    if (index >= length_) length_ = index + 1;
    return;
  }
  if (index < items_.size()) {
    items_[index] = std::move(value);
  } else if (index - items_.size() <= kMaxHoleRun) {
    if (extra_ && !extra_->far.empty() && extra_->far.front().first == index)
      extra_->far.erase(extra_->far.begin());
    while (items_.size() < index) items_.emplace_back(Hole{});
    items_.push_back(std::move(value));
    // Pull side-list elements that now fall inside the vector.
    if (extra_) {
      FarList& far = extra_->far;
      while (!far.empty() && far.front().first < items_.size() + kMaxHoleRun) {
        VALENCE_CHECK(far.front().first >= items_.size(), "array side list out of order");
        while (items_.size() < far.front().first) items_.emplace_back(Hole{});
        items_.push_back(std::move(far.front().second));
        far.erase(far.begin());
      }
    }
  } else {
    FarList& list = far();
    auto it = far_lower_bound(list, index);
    if (it != list.end() && it->first == index) {
      it->second = std::move(value);
    } else {
      list.emplace(it, index, std::move(value));
    }
  }
  if (index >= length_) length_ = index + 1;
}

void Array::push_back(Value value) {
  set(length_, std::move(value));
}

std::size_t Array::element_count() const noexcept {
  std::size_t n = extra_ ? extra_->far.size() : 0;
  for (const auto& v : items_) n += v.is_hole() ? 0u : 1u;
  return n;
}

bool Array::append_at(std::uint32_t index, Value&& value) {
  if (index == 4294967295U) return false;
  if (has_far_elements()) {
    FarList& list = far();
    if (index <= list.back().first) return false;
    list.emplace_back(index, std::move(value));
  } else {
    // The last present index is the last non-hole item.
    std::size_t end = items_.size();
    while (end > 0 && items_[end - 1].is_hole()) --end;
    if (end > 0 && index < end) return false;
    if (index < items_.size()) {
      items_[index] = std::move(value);
    } else if (index - items_.size() <= kMaxHoleRun) {
      while (items_.size() < index) items_.emplace_back(Hole{});
      items_.push_back(std::move(value));
    } else {
      far().emplace_back(index, std::move(value));
    }
  }
  if (index >= length_) length_ = index + 1;
  return true;
}

Array Array::clone() const {
  Array a;
  a.items_.reserve(items_.size());
  for (const auto& v : items_) a.items_.push_back(v.clone());
  if (extra_) {
    a.extra_ = std::make_unique<detail::ArrayExtra>();
    a.extra_->far.reserve(extra_->far.size());
    for (const auto& [i, v] : extra_->far) a.extra_->far.emplace_back(i, v.clone());
    a.extra_->props = extra_->props.clone();
  }
  a.length_ = length_;
  a.prefer_sparse_ = prefer_sparse_;
  return a;
}

// ---- Map and Set -----------------------------------------------------------

namespace {
// SameValueZero on primitives; objects are never equal here (identity).
bool same_primitive_key(const Value& a, const Value& b) {
  if (a.is_object_like() || b.is_object_like() || a.is_ref() || b.is_ref()) return false;
  if (a.type() != b.type()) return false;
  if (a.is_number()) {
    double x = a.get_number(), y = b.get_number();
    return x == y || (std::isnan(x) && std::isnan(y));
  }
  return a == b;
}
}  // namespace

Map& Map::set(Value key, Value value) {
  for (auto& e : entries_) {
    if (same_primitive_key(e.first, key)) {
      e.second = std::move(value);
      return *this;
    }
  }
  entries_.emplace_back(std::move(key), std::move(value));
  return *this;
}

Map Map::clone() const {
  Map m;
  m.entries_.reserve(entries_.size());
  for (const auto& [k, v] : entries_) m.entries_.emplace_back(k.clone(), v.clone());
  return m;
}

Set& Set::add(Value value) {
  for (const auto& v : values_)
    if (same_primitive_key(v, value)) return *this;
  values_.push_back(std::move(value));
  return *this;
}

Set Set::clone() const {
  Set s;
  s.values_.reserve(values_.size());
  for (const auto& v : values_) s.values_.push_back(v.clone());
  return s;
}

// ---- Bytes, ArrayBuffer, View ----------------------------------------------

Bytes::Bytes(std::size_t size)
    : data_(size ? std::make_unique_for_overwrite<std::uint8_t[]>(size) : nullptr), size_(size) {}

Bytes::Bytes(const void* data, std::size_t size) : Bytes(size) {
  if (size) std::memcpy(data_.get(), data, size);
}

Bytes::Bytes(std::initializer_list<std::uint8_t> bytes) : Bytes(bytes.size()) {
  std::size_t i = 0;
  for (auto b : bytes) data_[i++] = b;
}

ArrayBuffer ArrayBuffer::resizable(Bytes bytes, std::size_t max_byte_length) {
  VALENCE_CHECK(max_byte_length >= bytes.size(), "max_byte_length below byte length");
  ArrayBuffer b(std::move(bytes));
  b.resizable_ = true;
  b.max_byte_length_ = max_byte_length;
  return b;
}

ArrayBuffer ArrayBuffer::clone() const {
  ArrayBuffer b(bytes_.clone());
  b.resizable_ = resizable_;
  b.max_byte_length_ = max_byte_length_;
  return b;
}

const char* view_kind_name(ViewKind kind) noexcept {
  switch (kind) {
    case ViewKind::kInt8Array: return "Int8Array";
    case ViewKind::kUint8Array: return "Uint8Array";
    case ViewKind::kUint8ClampedArray: return "Uint8ClampedArray";
    case ViewKind::kInt16Array: return "Int16Array";
    case ViewKind::kUint16Array: return "Uint16Array";
    case ViewKind::kInt32Array: return "Int32Array";
    case ViewKind::kUint32Array: return "Uint32Array";
    case ViewKind::kFloat32Array: return "Float32Array";
    case ViewKind::kFloat64Array: return "Float64Array";
    case ViewKind::kDataView: return "DataView";
    case ViewKind::kBuffer: return "Buffer";
    case ViewKind::kBigInt64Array: return "BigInt64Array";
    case ViewKind::kBigUint64Array: return "BigUint64Array";
  }
  return "unknown";
}

std::optional<ViewKind> view_kind_from_name(std::string_view name) noexcept {
  for (int i = 0; i < kViewKindCount; ++i) {
    auto k = static_cast<ViewKind>(i);
    if (name == view_kind_name(k)) return k;
  }
  return std::nullopt;
}

std::size_t view_element_size(ViewKind kind) noexcept {
  switch (kind) {
    case ViewKind::kInt16Array:
    case ViewKind::kUint16Array: return 2;
    case ViewKind::kInt32Array:
    case ViewKind::kUint32Array:
    case ViewKind::kFloat32Array: return 4;
    case ViewKind::kFloat64Array:
    case ViewKind::kBigInt64Array:
    case ViewKind::kBigUint64Array: return 8;
    default: return 1;
  }
}

View::View(ViewKind kind, Bytes bytes) : kind_(kind), byte_offset_(0), byte_length_(bytes.size()) {
  buffer_ = Value(ArrayBuffer(std::move(bytes)));
}

View::View(ViewKind kind, Value buffer, std::size_t byte_offset, std::size_t byte_length,
           bool length_tracking)
    : kind_(kind),
      buffer_(std::move(buffer)),
      byte_offset_(byte_offset),
      byte_length_(byte_length),
      length_tracking_(length_tracking) {
  VALENCE_CHECK(buffer_.is_array_buffer() || buffer_.is_ref(),
                "a View's buffer is an ArrayBuffer or a Ref to one");
  if (const ArrayBuffer* b = buffer_.get_if_array_buffer()) {
    VALENCE_CHECK(byte_offset <= b->byte_length() && byte_length <= b->byte_length() - byte_offset,
                  "View range outside its buffer");
  }
}

std::span<const std::uint8_t> View::own_bytes() const noexcept {
  const ArrayBuffer* b = buffer_.get_if_array_buffer();
  if (!b) return {};
  return b->bytes().span().subspan(byte_offset_, byte_length_);
}

View View::clone() const {
  View v;
  v.kind_ = kind_;
  v.buffer_ = buffer_.clone();
  v.byte_offset_ = byte_offset_;
  v.byte_length_ = byte_length_;
  v.length_tracking_ = length_tracking_;
  return v;
}

// ---- Errors and RegExp -----------------------------------------------------

const char* error_prototype_name(ErrorPrototype p) noexcept {
  switch (p) {
    case ErrorPrototype::kError: return "Error";
    case ErrorPrototype::kEvalError: return "EvalError";
    case ErrorPrototype::kRangeError: return "RangeError";
    case ErrorPrototype::kReferenceError: return "ReferenceError";
    case ErrorPrototype::kSyntaxError: return "SyntaxError";
    case ErrorPrototype::kTypeError: return "TypeError";
    case ErrorPrototype::kUriError: return "URIError";
  }
  return "Error";
}

std::optional<ErrorPrototype> error_prototype_from_name(std::string_view name) noexcept {
  for (int i = 0; i <= static_cast<int>(ErrorPrototype::kUriError); ++i) {
    auto p = static_cast<ErrorPrototype>(i);
    if (name == error_prototype_name(p)) return p;
  }
  return std::nullopt;
}

ErrorValue ErrorValue::clone() const {
  ErrorValue e(prototype, message);
  e.stack = stack;
  e.has_cause = has_cause;
  e.cause = cause.clone();
  return e;
}

namespace {
struct FlagLetter {
  char letter;
  std::uint32_t bit;
};
// JS's canonical order for RegExp.prototype.flags.
constexpr FlagLetter kFlagLetters[] = {
    {'d', kRegExpHasIndices}, {'g', kRegExpGlobal},      {'i', kRegExpIgnoreCase},
    {'l', kRegExpLinear},     {'m', kRegExpMultiline},   {'s', kRegExpDotAll},
    {'u', kRegExpUnicode},    {'v', kRegExpUnicodeSets}, {'y', kRegExpSticky},
};
}  // namespace

std::string RegExp::flag_letters() const {
  std::string out;
  for (const auto& f : kFlagLetters)
    if (flags & f.bit) out.push_back(f.letter);
  return out;
}

std::optional<std::uint32_t> RegExp::parse_flags(std::string_view letters) {
  std::uint32_t bits = 0;
  for (char c : letters) {
    const FlagLetter* found = nullptr;
    for (const auto& f : kFlagLetters)
      if (f.letter == c) found = &f;
    if (!found || (bits & found->bit)) return std::nullopt;
    bits |= found->bit;
  }
  return bits;
}

// ---- RefIndex --------------------------------------------------------------

namespace {
void index_nodes(const Value& v, std::vector<const Value*>& nodes) {
  if (!v.is_object_like()) return;
  nodes.push_back(&v);
  switch (v.type()) {
    case Type::kObject:
      for (const auto& [k, child] : v.get_object()) index_nodes(child, nodes);
      break;
    case Type::kArray: {
      const Array& a = v.get_array();
      a.for_each_element([&](std::uint32_t, const Value& child) { index_nodes(child, nodes); });
      for (const auto& [k, child] : a.properties()) index_nodes(child, nodes);
      break;
    }
    case Type::kMap:
      for (const auto& [k, child] : v.get_map().entries()) {
        index_nodes(k, nodes);
        index_nodes(child, nodes);
      }
      break;
    case Type::kSet:
      for (const auto& child : v.get_set().values()) index_nodes(child, nodes);
      break;
    case Type::kView: index_nodes(v.get_view().buffer(), nodes); break;
    case Type::kError:
      if (v.get_error().has_cause) index_nodes(v.get_error().cause, nodes);
      break;
    default: break;
  }
}
}  // namespace

RefIndex::RefIndex(const Value& root) {
  index_nodes(root, nodes_);
}

const Value& RefIndex::deref(const Value& v) const noexcept {
  if (!v.is_ref()) return v;
  const Value* target = find(v.get_ref().id);
  return target ? *target : v;
}

namespace {

// Copies in the same pre-order the ids follow (index_nodes), giving each
// object node its new id as it is entered.
class Detacher {
 public:
  explicit Detacher(const RefIndex& index) : index_(index) {}

  // Trees here come from the decoder, whose depth limit bounds the recursion.
  Value copy(const Value& v, std::size_t depth) {
    if (v.is_ref()) {
      const Value* target = index_.find(v.get_ref().id);
      if (!target) return v.clone();
      auto it = new_ids_.find(target);
      if (it != new_ids_.end()) return Value(Ref{it->second});
      return copy(*target, depth + 1);  // outside the subtree: a copy takes its place
    }
    if (!v.is_object_like()) return v.clone();
    new_ids_.emplace(&v, next_++);
    switch (v.type()) {
      case Type::kObject: {
        Object out;
        for (const auto& [k, child] : v.get_object())
          out.properties().append_unchecked(k, copy(child, depth + 1));
        return Value(std::move(out));
      }
      case Type::kArray: {
        const Array& a = v.get_array();
        Array out;
        out.set_prefer_sparse(a.prefer_sparse());
        a.for_each_element(
            [&](std::uint32_t i, const Value& child) { out.set(i, copy(child, depth + 1)); });
        out.set_length(a.length());
        for (const auto& [k, child] : a.properties())
          out.properties().append_unchecked(k, copy(child, depth + 1));
        return Value(std::move(out));
      }
      case Type::kMap: {
        Map out;
        for (const auto& [k, child] : v.get_map().entries()) {
          Value key = copy(k, depth + 1);
          out.entries().emplace_back(std::move(key), copy(child, depth + 1));
        }
        return Value(std::move(out));
      }
      case Type::kSet: {
        Set out;
        for (const auto& child : v.get_set().values())
          out.values().push_back(copy(child, depth + 1));
        return Value(std::move(out));
      }
      case Type::kView: {
        View out = v.get_view().clone();
        out.buffer() = copy(v.get_view().buffer(), depth + 1);
        return Value(std::move(out));
      }
      case Type::kError: {
        ErrorValue out = v.get_error().clone();
        if (out.has_cause) out.cause = copy(v.get_error().cause, depth + 1);
        return Value(std::move(out));
      }
      default: return v.clone();
    }
  }

 private:
  const RefIndex& index_;
  std::unordered_map<const Value*, std::uint32_t> new_ids_;
  std::uint32_t next_ = 0;
};

}  // namespace

Value detach_subtree(const Value& node, const RefIndex& index) {
  return Detacher(index).copy(node, 0);
}

}  // namespace valence
