#include "sdk/iam/policy_document.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "sdk/core/json_text.h"

namespace kmsguard::iam {
namespace {

using simdjson::dom::element;

absl::Status Invalid(std::string_view pointer, std::string_view message) {
  std::string text(pointer.empty() ? std::string_view("/") : pointer);
  text += ": ";
  text += message;
  return absl::InvalidArgumentError(text);
}

std::string TypeName(element v) { return std::string(core::TypeName(v)); }

// The members of an object in key order (nlohmann's order, which messages have always followed).
struct Member {
  std::string_view key;
  element value;
};
void SortedMembers(element object, std::vector<Member>* out) {
  out->clear();
  for (simdjson::dom::key_value_pair member : core::AsObject(object)) {
    out->push_back({member.key, member.value});
  }
  if (out->size() > 1) {
    std::sort(out->begin(), out->end(),
              [](const Member& a, const Member& b) { return a.key < b.key; });
  }
}

bool Has(const std::vector<Member>& members, std::string_view key) {
  for (const Member& m : members) {
    if (m.key == key) return true;
  }
  return false;
}

// Action, NotAction, Resource and NotResource take a string or an array of strings. Their arrays
// hold one or more values ("Grammar of the IAM JSON policy language": `[<action_string>,
// <action_string>, ...]`, "an array can take one or more values"): IAM refuses to store an empty
// one, and reading `"NotAction": []` either way (every action, or none) would be a guess, so it
// is an error naming the element (`require_values`). Condition values are read without it.
absl::Status ReadStringList(element value, std::string_view pointer,
                            std::vector<std::string>* out, bool require_values = false) {
  if (value.is_string()) {
    out->emplace_back(core::StringOf(value));
    return absl::OkStatus();
  }
  if (!value.is_array()) {
    return Invalid(pointer, "expected a string or an array of strings, got " + TypeName(value));
  }
  if (require_values && core::AsArray(value).size() == 0) {
    return Invalid(pointer, "an empty list (IAM's policy grammar takes one or more values here, "
                            "and IAM refuses to store the statement)");
  }
  std::size_t i = 0;
  for (element item : core::AsArray(value)) {
    if (!item.is_string()) {
      return Invalid(absl::StrCat(core::Sv(pointer), "/", i), "expected a string, got " + TypeName(item));
    }
    out->emplace_back(core::StringOf(item));
    ++i;
  }
  return absl::OkStatus();
}

absl::Status ReadConditions(element value, std::string_view pointer,
                            std::vector<ConditionKey>* out) {
  if (!value.is_object()) {
    return Invalid(pointer, "expected an object of condition operators, got " + TypeName(value));
  }
  std::vector<Member> operators, keys;
  SortedMembers(value, &operators);
  for (const Member& op : operators) {
    if (!op.value.is_object()) {
      return Invalid(absl::StrCat(core::Sv(pointer), "/", core::Sv(op.key)),
                     "expected an object of condition keys, got " + TypeName(op.value));
    }
    SortedMembers(op.value, &keys);
    for (const Member& key : keys) out->push_back({std::string(op.key), std::string(key.key)});
  }
  return absl::OkStatus();
}

// "IAM JSON policy elements: Principal": "*", or an object mapping a principal type to a string or
// an array of strings.
absl::Status ReadPrincipals(element value, std::string_view pointer,
                            std::vector<PrincipalEntry>* out) {
  if (value.is_string()) {
    if (core::StringOf(value) != "*") {
      return Invalid(pointer,
                     "a Principal string must be \"*\", got " + core::ElementText(value));
    }
    out->push_back({"*", "*"});
    return absl::OkStatus();
  }
  if (!value.is_object()) {
    return Invalid(pointer, "expected \"*\" or an object of principal types, got " + TypeName(value));
  }
  std::vector<Member> types;
  SortedMembers(value, &types);
  // IAM takes exactly these keys, in this case, each with at least one principal ("AWS JSON
  // policy elements: Principal"); anything else would be read as naming no one, so a policy
  // IAM would refuse could pass as "admits nobody".
  if (types.empty()) return Invalid(pointer, "names no principal ({})");
  for (const Member& type : types) {
    const std::string at = absl::StrCat(core::Sv(pointer), "/", core::Sv(type.key));
    if (type.key != "AWS" && type.key != "Service" && type.key != "Federated" &&
        type.key != "CanonicalUser") {
      return Invalid(at,
                     "unknown principal type (AWS, Service, Federated or CanonicalUser, "
                     "case-sensitive)");
    }
    std::vector<std::string> values;
    if (auto s = ReadStringList(type.value, at, &values); !s.ok()) return s;
    if (values.empty()) return Invalid(at, "names no principal (an empty list)");
    for (std::string& v : values) out->push_back({std::string(type.key), std::move(v)});
  }
  return absl::OkStatus();
}

absl::StatusOr<Statement> ReadStatement(element value, const std::string& pointer, int index) {
  if (!value.is_object()) {
    return Invalid(pointer, "a statement must be an object, got " + TypeName(value));
  }
  thread_local std::vector<Member> members;
  SortedMembers(value, &members);
  // Copied: ReadPrincipals and ReadConditions below reuse the per-thread scratch lists.
  const std::vector<Member> elements = members;
  Statement st;
  st.index = index;
  bool has_effect = false;
  for (const Member& m : elements) {
    const std::string_view key = m.key;
    const element element_value = m.value;
    const std::string at = absl::StrCat(pointer, "/", core::Sv(key));
    if (key == "Sid") {
      if (!element_value.is_string()) {
        return Invalid(at, "expected a string, got " + TypeName(element_value));
      }
      st.sid = std::string(core::StringOf(element_value));
    } else if (key == "Effect") {
      const std::string_view effect = core::StringOf(element_value);
      if (element_value.is_string() && effect == "Allow") {
        st.effect = Effect::kAllow;
      } else if (element_value.is_string() && effect == "Deny") {
        st.effect = Effect::kDeny;
      } else {
        return Invalid(at, "expected \"Allow\" or \"Deny\" (case-sensitive), got " +
                               core::ElementText(element_value));
      }
      has_effect = true;
    } else if (key == "Action" || key == "NotAction") {
      if (Has(elements, "Action") && Has(elements, "NotAction")) {
        return Invalid(pointer, "a statement cannot have both Action and NotAction");
      }
      st.not_action = key == "NotAction";
      if (auto s = ReadStringList(element_value, at, &st.actions, true); !s.ok()) return s;
    } else if (key == "Resource" || key == "NotResource") {
      if (Has(elements, "Resource") && Has(elements, "NotResource")) {
        return Invalid(pointer, "a statement cannot have both Resource and NotResource");
      }
      st.not_resource = key == "NotResource";
      st.has_resource_element = true;
      if (auto s = ReadStringList(element_value, at, &st.resources, true); !s.ok()) return s;
    } else if (key == "Principal" || key == "NotPrincipal") {
      if (Has(elements, "Principal") && Has(elements, "NotPrincipal")) {
        return Invalid(pointer, "a statement cannot have both Principal and NotPrincipal");
      }
      st.has_principal = true;
      st.not_principal = key == "NotPrincipal";
      if (auto s = ReadPrincipals(element_value, at, &st.principals); !s.ok()) return s;
    } else if (key == "Condition") {
      if (auto s = ReadConditions(element_value, at, &st.conditions); !s.ok()) return s;
    } else {
      // IAM rejects documents with unknown elements; guessing what one meant could turn a grant
      // into a pass, so the document is reported instead.
      return Invalid(at, absl::StrCat("unknown statement element \"", core::Sv(key),
                                      "\" (allowed: Sid, Effect, Principal, NotPrincipal, Action, "
                                      "NotAction, Resource, NotResource, Condition; names are "
                                      "case-sensitive)"));
    }
  }
  if (!has_effect) return Invalid(pointer, "the statement has no Effect");
  // Every statement names its actions (grammar: <action_block> is not optional); one without
  // Action or NotAction is refused by IAM, and read as "no action" it would be a PASS.
  if (!Has(elements, "Action") && !Has(elements, "NotAction")) {
    return Invalid(pointer, "the statement has no Action or NotAction");
  }
  // "Statements must include either a Resource or a NotResource element" (IAM JSON policy
  // elements: Resource); only a resource-based policy's statement, which names its Principal,
  // may leave it out (a role's trust policy does). Read as "no resource", the statement would
  // be a PASS of a document IAM refuses to store.
  if (!st.has_principal && !st.has_resource_element) {
    // Which of the two was forgotten depends on the policy's kind, which the document alone does
    // not say: name both (a trust policy's statement without Principal read "an identity
    // policy's statement needs one", pointing the author at the wrong element).
    return Invalid(pointer,
                   "the statement has no Resource or NotResource and no Principal or "
                   "NotPrincipal (an identity policy's statement needs Resource or NotResource; a "
                   "resource-based policy's, such as a trust or key policy, needs Principal or "
                   "NotPrincipal)");
  }
  return st;
}

// The reason nlohmann gives for text simdjson refused: its wording ("syntax error while parsing
// value - invalid literal; last read: 'tru'", with line and column) says where, simdjson's does not.
std::string NotJsonReason(std::string_view text, const core::JsonTreeResult& parsed) {
  try {
    const nlohmann::json unused = nlohmann::json::parse(text);
    static_cast<void>(unused);
  } catch (const nlohmann::json::exception& e) {
    return e.what();
  }
  return parsed.message;
}

absl::StatusOr<PolicyDocument> ParseJsonText(std::string_view text) {
  const core::JsonTreeResult parsed = core::ParseJsonTree(text);
  if (parsed.error == core::JsonTreeError::kRepeatedKey) {
    // JSON leaves a repeated key to the reader: one keeps the first "Action", another the last.
    // A document that says two things cannot be judged, so it is an error, never a PASS.
    return absl::InvalidArgumentError(
        absl::StrCat("policy document repeats the key \"", parsed.repeated_key,
                     "\" in one object: which value counts is undefined, so it is not judged"));
  }
  if (parsed.tree == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy document is not valid JSON: ", NotJsonReason(text, parsed)));
  }
  return ParsePolicyDocument(parsed.tree->root());
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

}  // namespace

absl::StatusOr<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];  // '+' stays a plus: RFC 3986, not form encoding
      continue;
    }
    if (i + 2 >= text.size() || !IsHex(text[i + 1]) || !IsHex(text[i + 2])) {
      return absl::InvalidArgumentError(
          absl::StrCat("malformed percent-encoding at character ", i + 1));
    }
    out += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
    i += 2;
  }
  return out;
}

absl::StatusOr<std::string_view> PolicyJsonText(std::string_view text, std::string* decoded) {
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return absl::InvalidArgumentError("policy document is empty");
  }
  // Plain JSON text is never percent-decoded (a literal '%' in it stays as written); anything
  // else is taken as URL-encoded JSON and decoded exactly once.
  if (text[first] == '{') return text;
  auto decoded_text = PercentDecode(text);
  if (!decoded_text.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy document is neither JSON nor URL-encoded JSON: ",
                     decoded_text.status().message()));
  }
  *decoded = *std::move(decoded_text);
  const std::size_t start = decoded->find_first_not_of(" \t\r\n");
  if (start == std::string::npos || (*decoded)[start] != '{') {
    return absl::InvalidArgumentError(
        "policy document is neither a JSON object nor a URL-encoded JSON object");
  }
  return std::string_view(*decoded);
}

absl::StatusOr<PolicyDocument> ParsePolicyText(std::string_view text) {
  std::string decoded;
  absl::StatusOr<std::string_view> json = PolicyJsonText(text, &decoded);
  if (!json.ok()) return json.status();
  return ParseJsonText(*json);
}

absl::StatusOr<PolicyDocument> ParsePolicyDocument(element value) {
  if (value.is_string()) return ParsePolicyText(core::StringOf(value));
  if (!value.is_object()) {
    return Invalid("", "a policy document must be an object or a string, got " + TypeName(value));
  }
  std::vector<Member> members;
  SortedMembers(value, &members);
  PolicyDocument doc;
  for (const Member& m : members) {
    if (m.key == "Version") {
      if (!m.value.is_string()) {
        return Invalid("/Version", "expected a string, got " + TypeName(m.value));
      }
      doc.version = std::string(core::StringOf(m.value));
    } else if (m.key == "Id") {
      // Informational only.
    } else if (m.key == "Statement") {
      if (m.value.is_object()) {
        auto st = ReadStatement(m.value, "/Statement", 0);
        if (!st.ok()) return st.status();
        doc.statements.push_back(*std::move(st));
      } else if (m.value.is_array()) {
        int i = 0;
        for (element item : core::AsArray(m.value)) {
          auto st = ReadStatement(item, absl::StrCat("/Statement/", i), i);
          if (!st.ok()) return st.status();
          doc.statements.push_back(*std::move(st));
          ++i;
        }
      } else {
        return Invalid("/Statement", "expected an object or an array, got " + TypeName(m.value));
      }
    } else {
      return Invalid(absl::StrCat("/", core::Sv(m.key)),
                     absl::StrCat("unknown policy element \"", core::Sv(m.key),
                                  "\" (allowed: Version, Id, Statement; names are case-sensitive)"));
    }
  }
  for (const Statement& st : doc.statements) doc.is_resource_policy |= st.has_principal;
  return doc;
}

absl::StatusOr<PolicyDocument> ParsePolicyDocument(const nlohmann::json& value) {
  if (value.is_string()) return ParsePolicyText(value.get_ref<const std::string&>());
  if (!value.is_object()) {
    return Invalid("", "a policy document must be an object or a string, got " +
                           std::string(value.type_name()));
  }
  return ParseJsonText(core::DumpJson(value));
}

}  // namespace kmsguard::iam
