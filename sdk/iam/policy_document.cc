#include "sdk/iam/policy_document.h"

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace kmsguard::iam {
namespace {

using nlohmann::json;

absl::Status Invalid(std::string_view pointer, std::string_view message) {
  std::string text(pointer.empty() ? std::string_view("/") : pointer);
  text += ": ";
  text += message;
  return absl::InvalidArgumentError(text);
}

std::string TypeName(const json& v) { return std::string(v.type_name()); }

// Action, NotAction, Resource and NotResource take a string or an array of strings.
absl::Status ReadStringList(const json& value, const std::string& pointer,
                            std::vector<std::string>* out) {
  if (value.is_string()) {
    out->push_back(value.get<std::string>());
    return absl::OkStatus();
  }
  if (!value.is_array()) {
    return Invalid(pointer, "expected a string or an array of strings, got " + TypeName(value));
  }
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string()) {
      return Invalid(absl::StrCat(pointer, "/", i), "expected a string, got " + TypeName(value[i]));
    }
    out->push_back(value[i].get<std::string>());
  }
  return absl::OkStatus();
}

absl::Status ReadConditions(const json& value, const std::string& pointer,
                            std::vector<ConditionKey>* out) {
  if (!value.is_object()) {
    return Invalid(pointer, "expected an object of condition operators, got " + TypeName(value));
  }
  for (const auto& [op, keys] : value.items()) {
    if (!keys.is_object()) {
      return Invalid(pointer + "/" + op, "expected an object of condition keys, got " + TypeName(keys));
    }
    for (const auto& [key, unused] : keys.items()) out->push_back({op, key});
  }
  return absl::OkStatus();
}

// "IAM JSON policy elements: Principal": "*", or an object mapping a principal type to a string or
// an array of strings.
absl::Status ReadPrincipals(const json& value, const std::string& pointer,
                            std::vector<PrincipalEntry>* out) {
  if (value.is_string()) {
    if (value != "*") return Invalid(pointer, "a Principal string must be \"*\", got " + value.dump());
    out->push_back({"*", "*"});
    return absl::OkStatus();
  }
  if (!value.is_object()) {
    return Invalid(pointer, "expected \"*\" or an object of principal types, got " + TypeName(value));
  }
  for (const auto& [type, ids] : value.items()) {
    std::vector<std::string> values;
    if (auto s = ReadStringList(ids, pointer + "/" + type, &values); !s.ok()) return s;
    for (std::string& v : values) out->push_back({type, std::move(v)});
  }
  return absl::OkStatus();
}

absl::StatusOr<Statement> ReadStatement(const json& value, const std::string& pointer, int index) {
  if (!value.is_object()) {
    return Invalid(pointer, "a statement must be an object, got " + TypeName(value));
  }
  Statement st;
  st.index = index;
  bool has_effect = false;
  for (const auto& [key, element] : value.items()) {
    const std::string at = pointer + "/" + key;
    if (key == "Sid") {
      if (!element.is_string()) return Invalid(at, "expected a string, got " + TypeName(element));
      st.sid = element.get<std::string>();
    } else if (key == "Effect") {
      if (element == "Allow") {
        st.effect = Effect::kAllow;
      } else if (element == "Deny") {
        st.effect = Effect::kDeny;
      } else {
        return Invalid(at, "expected \"Allow\" or \"Deny\" (case-sensitive), got " + element.dump());
      }
      has_effect = true;
    } else if (key == "Action" || key == "NotAction") {
      if (value.contains("Action") && value.contains("NotAction")) {
        return Invalid(pointer, "a statement cannot have both Action and NotAction");
      }
      st.not_action = key == "NotAction";
      if (auto s = ReadStringList(element, at, &st.actions); !s.ok()) return s;
    } else if (key == "Resource" || key == "NotResource") {
      if (value.contains("Resource") && value.contains("NotResource")) {
        return Invalid(pointer, "a statement cannot have both Resource and NotResource");
      }
      st.not_resource = key == "NotResource";
      st.has_resource_element = true;
      if (auto s = ReadStringList(element, at, &st.resources); !s.ok()) return s;
    } else if (key == "Principal" || key == "NotPrincipal") {
      if (value.contains("Principal") && value.contains("NotPrincipal")) {
        return Invalid(pointer, "a statement cannot have both Principal and NotPrincipal");
      }
      st.has_principal = true;
      st.not_principal = key == "NotPrincipal";
      if (auto s = ReadPrincipals(element, at, &st.principals); !s.ok()) return s;
    } else if (key == "Condition") {
      if (auto s = ReadConditions(element, at, &st.conditions); !s.ok()) return s;
    } else {
      // IAM rejects documents with unknown elements; guessing what one meant could turn a grant
      // into a pass, so the document is reported instead.
      return Invalid(at, "unknown statement element \"" + key +
                             "\" (allowed: Sid, Effect, Principal, NotPrincipal, Action, "
                             "NotAction, Resource, NotResource, Condition; names are case-sensitive)");
    }
  }
  if (!has_effect) return Invalid(pointer, "the statement has no Effect");
  return st;
}

absl::StatusOr<json> ParseJsonText(std::string_view text) {
  // JSON leaves a repeated key to the reader: one keeps the first "Action", another the last.
  // A document that says two things cannot be judged, so it is an error, never a PASS.
  std::vector<std::set<std::string>> keys;  // per open object
  std::string duplicate;
  const json::parser_callback_t track = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        keys.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case json::parse_event_t::key:
        if (!keys.empty() && parsed.is_string() &&
            !keys.back().insert(parsed.get<std::string>()).second && duplicate.empty()) {
          duplicate = parsed.get<std::string>();
        }
        break;
      default:
        break;
    }
    return true;
  };
  try {
    json document = json::parse(text, track);
    if (!duplicate.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("policy document repeats the key \"", duplicate,
                       "\" in one object: which value counts is undefined, so it is not judged"));
    }
    return document;
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("policy document is not valid JSON: ", e.what()));
  }
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

absl::StatusOr<PolicyDocument> ParsePolicyText(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return absl::InvalidArgumentError("policy document is empty");
  }
  // Plain JSON text is never percent-decoded (a literal '%' in it stays as written); anything
  // else is taken as URL-encoded JSON and decoded exactly once.
  if (text[first] == '{') {
    auto parsed = ParseJsonText(text);
    if (!parsed.ok()) return parsed.status();
    return ParsePolicyDocument(*parsed);
  }
  auto decoded = PercentDecode(text);
  if (!decoded.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy document is neither JSON nor URL-encoded JSON: ",
                     decoded.status().message()));
  }
  const std::size_t start = decoded->find_first_not_of(" \t\r\n");
  if (start == std::string::npos || (*decoded)[start] != '{') {
    return absl::InvalidArgumentError(
        "policy document is neither a JSON object nor a URL-encoded JSON object");
  }
  auto parsed = ParseJsonText(*decoded);
  if (!parsed.ok()) return parsed.status();
  return ParsePolicyDocument(*parsed);
}

absl::StatusOr<PolicyDocument> ParsePolicyDocument(const json& value) {
  if (value.is_string()) return ParsePolicyText(value.get_ref<const std::string&>());
  if (!value.is_object()) {
    return Invalid("", "a policy document must be an object or a string, got " + TypeName(value));
  }
  PolicyDocument doc;
  for (const auto& [key, element] : value.items()) {
    if (key == "Version") {
      if (!element.is_string()) return Invalid("/Version", "expected a string, got " + TypeName(element));
      doc.version = element.get<std::string>();
    } else if (key == "Id") {
      // Informational only.
    } else if (key == "Statement") {
      if (element.is_object()) {
        auto st = ReadStatement(element, "/Statement", 0);
        if (!st.ok()) return st.status();
        doc.statements.push_back(*std::move(st));
      } else if (element.is_array()) {
        for (std::size_t i = 0; i < element.size(); ++i) {
          auto st = ReadStatement(element[i], absl::StrCat("/Statement/", i), static_cast<int>(i));
          if (!st.ok()) return st.status();
          doc.statements.push_back(*std::move(st));
        }
      } else {
        return Invalid("/Statement", "expected an object or an array, got " + TypeName(element));
      }
    } else {
      return Invalid("/" + key, "unknown policy element \"" + key +
                                    "\" (allowed: Version, Id, Statement; names are case-sensitive)");
    }
  }
  for (const Statement& st : doc.statements) doc.is_resource_policy |= st.has_principal;
  return doc;
}

}  // namespace kmsguard::iam
