// A rewritten policy document as a light tree: the parts kept from the original are its simdjson
// elements (not copied), the parts the rewrite makes are strings and string lists. It is written
// once as compact JSON and once as a Terraform (HCL) expression.
//
// Why not nlohmann: a scan rewrites every failing document, and building an ordered_json of each
// (then dumping it, and re-parsing each new statement) was about 40% of a full in-process scan
// (docs/performance.md). The bytes are the ones nlohmann's dump() wrote for the same document
// (tests/golden and tests/sdk/remediation hold them): object keys sorted at every level when the
// document came as an object (nlohmann's own map order), as written when it came as text.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

namespace kmsguard::remediation::internal {

struct PolicyMember;

struct PolicyValue {
  enum class Kind { kElement, kString, kStrings, kObject, kArray };

  static PolicyValue Element(simdjson::dom::element element, bool sorted_keys);
  static PolicyValue String(std::string text);
  static PolicyValue Strings(std::vector<std::string> texts);
  static PolicyValue Object(std::vector<PolicyMember> members);
  static PolicyValue Array(std::vector<PolicyValue> items);

  // The members of an object (kObject, or a kElement holding an object) in written order: for an
  // element, its members as elements of the same key order. Empty for anything else.
  std::vector<PolicyMember> Members() const;

  Kind kind = Kind::kString;
  simdjson::dom::element element;     // kElement
  bool sorted_keys = false;           // kElement: write its objects' keys sorted
  std::string text;                   // kString
  std::vector<std::string> texts;     // kStrings
  std::vector<PolicyMember> members;  // kObject
  std::vector<PolicyValue> items;     // kArray
};

struct PolicyMember {
  std::string_view key;  // a literal, or a key of the element the value came from
  PolicyValue value;
};

// The members of `object` (a simdjson object), sorted by key when `sorted_keys`, else as written.
std::vector<std::pair<std::string_view, simdjson::dom::element>> ObjectMembers(
    simdjson::dom::element object, bool sorted_keys);

// Appends `value` as compact JSON, as nlohmann's dump() writes it.
void AppendJson(const PolicyValue& value, std::string* out);

// Appends `value` as a Terraform expression for jsonencode(): objects as `key = value` lines
// (quoted keys where a key is not an identifier), strings escaped with "${" and "%{" doubled so
// that Terraform does not interpolate policy variables, a one-member object or a list of scalars
// on one line when it fits in 96 columns. `indent` is the column of the value's own line.
void AppendHcl(const PolicyValue& value, int indent, std::string* out);

}  // namespace kmsguard::remediation::internal
