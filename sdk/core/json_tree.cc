#include "sdk/core/json_tree.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace kmsguard::core {

namespace {

JsonTreeError ErrorKind(simdjson::error_code code) {
  switch (code) {
    case simdjson::UTF8_ERROR:
      return JsonTreeError::kUtf8;
    case simdjson::DEPTH_ERROR:
      return JsonTreeError::kTooDeep;
    case simdjson::CAPACITY:
      return JsonTreeError::kTooLarge;
    default:
      return JsonTreeError::kSyntax;
  }
}

// A lone surrogate escape (\ud800) passes simdjson 3.0.1's string check in some kernels; it is not
// a character, and UTF-8 cannot hold it, so it is refused as nlohmann refuses it.
bool HasLoneSurrogateEscape(std::string_view text) {
  for (std::size_t at = text.find("\\u"); at != std::string_view::npos;
       at = text.find("\\u", at + 2)) {
    // An escaped backslash before "u" is not an escape: count the backslashes.
    std::size_t slashes = 0;
    while (at >= slashes + 1 && text[at - slashes - 1] == '\\') ++slashes;
    if (slashes % 2 == 1 || at + 6 > text.size()) continue;
    const std::string_view hex = text.substr(at + 2, 4);
    const auto lower = [](char c) { return static_cast<char>(c | 0x20); };
    if (lower(hex[0]) != 'd' || std::string_view("89ab").find(lower(hex[1])) == std::string_view::npos) {
      continue;
    }
    const bool high = std::string_view("89ab").find(lower(hex[1])) < 2;
    const bool low_follows = at + 12 <= text.size() && text[at + 6] == '\\' &&
                             text[at + 7] == 'u' && lower(text[at + 8]) == 'd' &&
                             std::string_view("cdef").find(lower(text[at + 9])) !=
                                 std::string_view::npos;
    if (!high || !low_follows) return true;
    at += 6;  // the pair's low half
  }
  return false;
}

}  // namespace

JsonTreeResult ParseJsonTree(std::string_view text, std::size_t max_depth) {
  JsonTreeResult result;
  if (text.size() > simdjson::SIMDJSON_MAXSIZE_BYTES) {
    result.error = JsonTreeError::kTooLarge;
    result.message = "larger than 4 GiB";
    return result;
  }
  thread_local simdjson::dom::parser parser;
  thread_local std::size_t parser_depth = 0;
  if (parser_depth != max_depth || parser.capacity() < text.size()) {
    const std::size_t capacity = std::max(text.size(), parser.capacity());
    if (parser.allocate(std::max<std::size_t>(capacity, 4096), max_depth) != simdjson::SUCCESS) {
      result.error = JsonTreeError::kTooLarge;
      result.message = "out of memory";
      return result;
    }
    parser_depth = max_depth;
  }
  auto tree = std::make_shared<JsonTree>();
  simdjson::error_code code = parser.parse_into_document(tree->document_, text.data(), text.size())
                                  .get(tree->root_);
  if (code == simdjson::SUCCESS && HasLoneSurrogateEscape(text)) code = simdjson::UTF8_ERROR;
  if (code != simdjson::SUCCESS) {
    result.error = ErrorKind(code);
    result.message = simdjson::error_message(code);
    return result;
  }
  if (std::optional<std::string> key = FirstRepeatedKey(tree->root_)) {
    result.error = JsonTreeError::kRepeatedKey;
    result.message = "an object repeats the key \"" + *key + "\"";
    result.repeated_key = *std::move(key);
    return result;
  }
  result.tree = std::move(tree);
  return result;
}

std::optional<std::string> FirstRepeatedKey(simdjson::dom::element element) {
  // Iterative, so that a deep document cannot exhaust the stack.
  std::vector<simdjson::dom::element> pending = {element};
  std::vector<std::string_view> keys;
  while (!pending.empty()) {
    const simdjson::dom::element current = pending.back();
    pending.pop_back();
    if (current.is_array()) {
      for (simdjson::dom::element item : AsArray(current)) {
        if (item.is_array() || item.is_object()) pending.push_back(item);
      }
      continue;
    }
    if (!current.is_object()) continue;
    const simdjson::dom::object object = AsObject(current);
    keys.clear();
    for (simdjson::dom::key_value_pair member : object) {
      keys.push_back(member.key);
      if (member.value.is_array() || member.value.is_object()) pending.push_back(member.value);
    }
    if (keys.size() <= 16) {
      for (std::size_t i = 1; i < keys.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
          if (keys[i] == keys[j]) return std::string(keys[i]);
        }
      }
      continue;
    }
    // Many keys: the first repeated one in document order, found by sorting positions.
    std::vector<std::size_t> order(keys.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&keys](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
    std::size_t first = keys.size();
    for (std::size_t i = 1; i < order.size(); ++i) {
      if (keys[order[i]] == keys[order[i - 1]]) first = std::min(first, order[i]);
    }
    if (first < keys.size()) return std::string(keys[first]);
  }
  return std::nullopt;
}

namespace {

void AppendLength(std::size_t n, std::string* out) {
  const auto value = static_cast<std::uint64_t>(n);
  out->append(reinterpret_cast<const char*>(&value), sizeof(value));
}

void AppendText(std::string_view text, std::string* out) {
  AppendLength(text.size(), out);
  out->append(text);
}

}  // namespace

void AppendCanonicalKey(simdjson::dom::element element, std::string* out) {
  switch (element.type()) {
    case simdjson::dom::element_type::ARRAY: {
      const simdjson::dom::array items = AsArray(element);
      out->push_back('[');
      AppendLength(items.size(), out);
      for (simdjson::dom::element item : items) AppendCanonicalKey(item, out);
      return;
    }
    case simdjson::dom::element_type::OBJECT: {
      const simdjson::dom::object members = AsObject(element);
      out->push_back('{');
      AppendLength(members.size(), out);
      for (simdjson::dom::key_value_pair member : members) {
        AppendText(member.key, out);
        AppendCanonicalKey(member.value, out);
      }
      return;
    }
    case simdjson::dom::element_type::STRING:
      out->push_back('"');
      AppendText(StringOf(element), out);
      return;
    case simdjson::dom::element_type::INT64: {
      out->push_back('i');
      const std::int64_t value = element.get_int64().value();
      out->append(reinterpret_cast<const char*>(&value), sizeof(value));
      return;
    }
    case simdjson::dom::element_type::UINT64: {
      out->push_back('u');
      const std::uint64_t value = element.get_uint64().value();
      out->append(reinterpret_cast<const char*>(&value), sizeof(value));
      return;
    }
    case simdjson::dom::element_type::DOUBLE: {
      out->push_back('d');
      const double value = element.get_double().value();
      out->append(reinterpret_cast<const char*>(&value), sizeof(value));
      return;
    }
    case simdjson::dom::element_type::BOOL:
      out->push_back(element.get_bool().value() ? 't' : 'f');
      return;
    case simdjson::dom::element_type::NULL_VALUE:
      out->push_back('n');
      return;
  }
}

std::string_view TypeName(simdjson::dom::element element) {
  switch (element.type()) {
    case simdjson::dom::element_type::ARRAY:
      return "array";
    case simdjson::dom::element_type::OBJECT:
      return "object";
    case simdjson::dom::element_type::STRING:
      return "string";
    case simdjson::dom::element_type::BOOL:
      return "boolean";
    case simdjson::dom::element_type::NULL_VALUE:
      return "null";
    default:
      return "number";
  }
}

std::string PointerToken(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (const char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace kmsguard::core
