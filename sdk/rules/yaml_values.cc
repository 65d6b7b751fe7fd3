// YAML nodes read as typed values, names checked, documents measured before they are read.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/rules/rule_reader.h"
#include "sdk/rules/yaml_json.h"

namespace kmsguard::rules::internal {

const char* NodeKind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

std::string Quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

// Debian's abseil has its own string_view, distinct from std::string_view; StrCat needs it.
absl::string_view AV(std::string_view text) { return absl::string_view(text.data(), text.size()); }

// Rule ids and parameter names are identifiers that end up in finding ids and in templates.
bool IsRuleId(std::string_view id) {
  if (id.empty() || !absl::ascii_isalnum(id.front()) || !absl::ascii_isalnum(id.back())) {
    return false;
  }
  return std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_isdigit(c) || absl::ascii_islower(c) || c == '-' || c == '.' || c == '_';
  });
}

bool IsParamName(std::string_view name) {
  if (name.empty() || absl::ascii_isdigit(name.front())) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_';
  });
}

// "MAJOR.MINOR.PATCH", digits only.
bool IsVersion(std::string_view version) {
  int parts = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = version.find('.', start);
    const std::string_view part = version.substr(start, dot - start);
    if (part.empty() || !std::all_of(part.begin(), part.end(), absl::ascii_isdigit)) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts == 3;
}

// YAML -> JSON as written: scalars stay strings; a parameter's type decides their meaning later.
nlohmann::json ToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return node.Scalar();
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const YAML::Node& item : node) out.push_back(ToJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& kv : node) out[kv.first.Scalar()] = ToJson(kv.second);
      return out;
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return nullptr;
}

// A YAML scalar as the JSON value its author meant: quoted scalars are strings; plain ones that
// read as true/false, null or a number are those.
nlohmann::json TypedScalar(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() != "!") {
    if (text == "true" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "False" || text == "FALSE") return false;
    if (text == "null" || text == "~") return nullptr;
    if (!text.empty() && (absl::ascii_isdigit(text[0]) || text[0] == '-' || text[0] == '+')) {
      long long i = 0;
      double d = 0;
      if (YAML::convert<long long>::decode(node, i)) return i;
      if (YAML::convert<double>::decode(node, d)) return d;
    }
  }
  return text;
}

// True for a quoted scalar ('x' or "x"): text, whatever it spells.
bool IsQuoted(const YAML::Node& node) { return node.IsScalar() && node.Tag() == "!"; }

// What a plain scalar reads as when it is not text ("the number 42", "the boolean true"); empty
// for text. Keys documented as strings take text only: a scalar YAML reads as another type is a
// value of the wrong type, reported rather than coerced (docs/rule-authoring.md, "Keys").
std::string NotText(const YAML::Node& node) {
  if (!node.IsScalar() || node.Tag() != "?") return "";  // quoted, or tagged (!!str) on purpose
  const nlohmann::json typed = TypedScalar(node);
  if (typed.is_string()) return "";
  if (typed.is_boolean()) return absl::StrCat("the boolean ", node.Scalar());
  if (typed.is_null()) return absl::StrCat("null (", node.Scalar(), ")");
  return absl::StrCat("the number ", node.Scalar());
}

std::string QuoteItHint(const YAML::Node& node) {
  return absl::StrCat("; quote it (\"", node.Scalar(), "\") if it is meant as text");
}

nlohmann::json TypedJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return TypedScalar(node);
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const YAML::Node& item : node) out.push_back(TypedJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& kv : node) out[kv.first.Scalar()] = TypedJson(kv.second);
      return out;
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return nullptr;
}

// Line and column (1-based) of the byte `offset` of `text`.
core::SourceLocation LocationOfOffset(std::string_view text, std::size_t offset,
                                      std::string_view file) {
  core::SourceLocation loc;
  loc.file = std::string(file);
  loc.line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++loc.line;
      line_start = i + 1;
    }
  }
  loc.column = static_cast<int>(offset - line_start) + 1;
  return loc;
}

// Counts the nodes a walk of `node` visits, aliases once per use, into `*count`, stopping once it
// passes `limit`. True when the document stays within it.
bool WithinNodeLimit(const YAML::Node& node, std::size_t limit, std::size_t* count) {
  if (++*count > limit) return false;
  if (node.IsSequence()) {
    for (const YAML::Node& item : node) {
      if (!WithinNodeLimit(item, limit, count)) return false;
    }
  } else if (node.IsMap()) {
    for (const auto& kv : node) {
      if (!WithinNodeLimit(kv.first, limit, count) || !WithinNodeLimit(kv.second, limit, count)) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace kmsguard::rules::internal

namespace kmsguard::rules {

nlohmann::json YamlToJson(const YAML::Node& node) { return internal::TypedJson(node); }

}  // namespace kmsguard::rules
