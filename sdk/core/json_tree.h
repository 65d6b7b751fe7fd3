// JSON read once, with simdjson's DOM API: the reader of the scan's hot path (export entries,
// resource documents that arrive over gRPC, policy documents). nlohmann_json stays where JSON is
// small and cold (rule files, output objects, the adapters of IaC formats).
//
// simdjson (https://simdjson.github.io/simdjson/) validates the whole text (UTF-8, grammar,
// numbers) in one pass and keeps object members in document order; unlike nlohmann it keeps a
// repeated key twice, which ParseJsonTree turns into an error, since JSON does not say which
// value counts (RFC 8259 section 4).
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace kmsguard::core {

// Debian's Abseil is built with its own absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0), so
// absl::StrCat does not take a std::string_view; this passes one through without a copy.
inline absl::string_view Sv(std::string_view text) { return {text.data(), text.size()}; }

// A parsed JSON text. Owns simdjson's tape and string buffer, so the root element and every
// element, key and string view reached from it live as long as the tree. Immutable.
class JsonTree {
 public:
  simdjson::dom::element root() const { return root_; }

 private:
  friend struct JsonTreeResult ParseJsonTree(std::string_view text, std::size_t max_depth);
  simdjson::dom::document document_;
  simdjson::dom::element root_;
};

// Why a text did not become a tree.
enum class JsonTreeError {
  kNone,
  kSyntax,       // not JSON (grammar, a bad number or literal, an unterminated string, ...)
  kUtf8,         // a byte sequence that is not UTF-8, or an escape that is not a character
  kTooDeep,      // containers nested deeper than max_depth
  kRepeatedKey,  // an object names one key twice; `repeated_key` says which
  kTooLarge,     // larger than simdjson can index (4 GiB)
};

struct JsonTreeResult {
  std::shared_ptr<const JsonTree> tree;  // null on error
  JsonTreeError error = JsonTreeError::kNone;
  std::string message;       // simdjson's description, or the repeated key's
  std::string repeated_key;  // kRepeatedKey: the first key found twice in one object
};

// Parses `text`, at most `max_depth` containers deep (the root container is level 1). Uses a
// parser kept per thread, so repeated calls allocate only the tree. Never throws.
JsonTreeResult ParseJsonTree(std::string_view text, std::size_t max_depth = 1024);

// The first key that some object inside `element` names twice, or nullopt when none does.
// Objects are few-keyed in practice; a many-keyed object is checked by sorting its keys.
std::optional<std::string> FirstRepeatedKey(simdjson::dom::element element);

// The array or object `element` is; the caller has checked its type (is_array, is_object).
inline simdjson::dom::array AsArray(simdjson::dom::element element) {
  simdjson::dom::array out;
  if (element.get_array().get(out) != simdjson::SUCCESS) return {};
  return out;
}
inline simdjson::dom::object AsObject(simdjson::dom::element element) {
  simdjson::dom::object out;
  if (element.get_object().get(out) != simdjson::SUCCESS) return {};
  return out;
}

// A JSON string's value, or "" for any other element.
inline std::string_view StringOf(simdjson::dom::element element) {
  std::string_view out;
  if (element.get_string().get(out) != simdjson::SUCCESS) return {};
  return out;
}

// The member `key` of an object, or false (and `*out` untouched) when `object` is not an object
// or has no such member.
inline bool Member(simdjson::dom::element object, std::string_view key,
                   simdjson::dom::element* out) {
  simdjson::dom::object members;
  if (object.get_object().get(members) != simdjson::SUCCESS) return false;
  for (simdjson::dom::key_value_pair member : members) {
    if (member.key == key) {
      *out = member.value;
      return true;
    }
  }
  return false;
}

// The JSON text of an element, compact (simdjson's serialization): a policy document as given, for
// the remediation, messages and memo keys.
inline std::string ElementText(simdjson::dom::element element) { return simdjson::minify(element); }

// Appends to `out` an encoding of `element` that is equal for two elements exactly when they are
// equal as JSON values with members in the same order (strings and keys by their decoded bytes,
// numbers by value): a memo key for a document, cheaper to build than its JSON text (no escaping,
// lengths instead of quotes).
void AppendCanonicalKey(simdjson::dom::element element, std::string* out);

// The JSON type name nlohmann uses in messages ("object", "array", "string", "number",
// "boolean", "null"), so both readers describe a wrong shape in the same words.
std::string_view TypeName(simdjson::dom::element element);

// RFC 6901 escaping of one JSON pointer reference token ("~" -> "~0", "/" -> "~1"): what follows
// a "/" in "/roles/roles~1owner".
std::string PointerToken(std::string_view token);

}  // namespace kmsguard::core
