// CloudFormation templates -> normalized principals, managed policies and KMS keys (the keys in
// cloudformation_kms.cc, through internal::CloudFormationContext).
//
// A template is evaluated before deployment, so pseudo parameters and attributes of other
// resources are unknown, and parameters have only their defaults (or the values the caller gives,
// as `--parameter`). Intrinsic functions are resolved where their result is literal; a policy
// holding Fn::If is judged once per combination of its conditions, since every branch is literal
// and some deployment takes it; anything else becomes a `${...}` policy variable. Under Version
// 2012-10-17 the engine treats a variable as one specific value and never as a wildcard
// (docs/iam-semantics.md, rule 6), and under other versions the text is literal, which matches no
// key either: an unknown part of an ARN can narrow a grant, never widen it.
// `Fn::Sub "arn:aws:kms:${AWS::Region}:${AWS::AccountId}:key/*"` thus stays account-scoped,
// exactly as deployed. Where one specific value is not the safe reading (an unknown Action may be
// kms:Decrypt; a parameter may hold wildcards), the policy is not judged (FindUnknownPart). The
// one exception is AWS::Partition, which is "aws": a principal reaches only keys of its own
// partition, so the verdict does not depend on which partition the stack is deployed in.
#include "sdk/adapters/cloudformation.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sdk/adapters/adapter_support.h"
#include "sdk/adapters/cloudformation_kms.h"
#include "sdk/core/json_text.h"
#include "sdk/core/yaml_text.h"

namespace kmsguard::adapters {

namespace {

using internal::AddDiagnostic;
using internal::HoldsVariable;
using internal::PointerLocation;
using internal::PointerToken;
using internal::StringField;
using Json = nlohmann::json;
constexpr auto kError = core::DiagnosticSeverity::kError;
constexpr auto kWarning = core::DiagnosticSeverity::kWarning;

// --- YAML -> JSON -------------------------------------------------------------------------------

// Positions are kept for the first levels only: enough for /Resources/ID/Properties/Policies/N/...
constexpr int kPositionDepth = 6;
// Aliases can make a small YAML text expand exponentially; conversion stops past this many nodes.
constexpr std::size_t kMaxYamlNodes = 4'000'000;

class YamlConverter {
 public:
  YamlConverter(std::string_view file, TemplatePositions* positions, core::Diagnostics* diagnostics)
      : file_(file), positions_(positions), diagnostics_(diagnostics) {}

  bool lossy() const { return lossy_; }
  bool failed() const { return failed_; }

  Json Convert(const YAML::Node& node, const std::string& pointer, int depth) {
    if (failed_) return Json();
    if (++nodes_ > kMaxYamlNodes) {
      failed_ = true;
      AddDiagnostic(diagnostics_, kError, At(node),
                    absl::StrCat("the YAML expands to more than ", kMaxYamlNodes,
                                 " nodes (aliases?); not read"));
      return Json();
    }
    if (positions_ != nullptr && depth <= kPositionDepth) {
      const YAML::Mark mark = node.Mark();
      if (mark.line >= 0) positions_->emplace(pointer, std::pair{mark.line + 1, mark.column + 1});
    }
    if (depth > internal::kMaxNestingDepth && (node.IsMap() || node.IsSequence())) {
      if (!too_deep_reported_) {
        too_deep_reported_ = true;
        AddDiagnostic(diagnostics_, kError, At(node),
                      absl::StrCat("nesting deeper than ", internal::kMaxNestingDepth,
                                   " levels; that part is not read, and a policy document that "
                                   "held it is not evaluated"));
      }
      lossy_ = true;
      return absl::StrCat(internal::kReplacementChar, "(nested deeper than 128 levels)");
    }
    Json value;
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        value = Json();
        break;
      case YAML::NodeType::Scalar:
        value = Scalar(node);
        break;
      case YAML::NodeType::Sequence: {
        value = Json::array();
        std::size_t i = 0;
        for (const YAML::Node& item : node) {
          value.push_back(Convert(item, absl::StrCat(pointer, "/", i++), depth + 1));
        }
        break;
      }
      case YAML::NodeType::Map: {
        value = Json::object();
        std::set<std::string> repeated;
        for (const auto& entry : node) {
          const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : std::string();
          if (!entry.first.IsScalar()) {
            AddDiagnostic(diagnostics_, kWarning, At(entry.first),
                          "a mapping key that is not a scalar is ignored");
            continue;
          }
          const std::string child = absl::StrCat(pointer, "/", PointerToken(key));
          if (positions_ != nullptr && depth + 1 <= kPositionDepth) {
            // The key's position: where an editor should put the caret for this entry.
            const YAML::Mark mark = entry.first.Mark();
            positions_->emplace(child, std::pair{mark.line + 1, mark.column + 1});
          }
          // yaml-cpp keeps both entries of a repeated key; as in JSON inputs, neither is read.
          if (value.contains(key) && repeated.insert(key).second) {
            core::SourceLocation where = At(entry.first);
            where.json_pointer = child;
            AddDiagnostic(diagnostics_, kError, std::move(where),
                          absl::StrCat("the key \"", key,
                                       "\" comes twice in one mapping: which value counts is "
                                       "undefined, so neither is read (a policy document that "
                                       "held it is not evaluated)"));
            lossy_ = true;
          }
          value[key] = Convert(entry.second, child, depth + 1);
        }
        for (const std::string& key : repeated) value[key] = internal::kRepeatedKeyMarker;
        break;
      }
    }
    return WithTag(node, std::move(value));
  }

 private:
  core::SourceLocation At(const YAML::Node& node) const {
    core::SourceLocation loc;
    loc.file = std::string(file_);
    const YAML::Mark mark = node.Mark();
    loc.line = mark.line + 1;
    loc.column = mark.column + 1;
    return loc;
  }

  // Short-form intrinsic tags become the long form CloudFormation defines for them.
  static Json WithTag(const YAML::Node& node, Json value) {
    const std::string& tag = node.Tag();
    if (tag.size() < 2 || tag[0] != '!' || tag[1] == '!') return value;
    const std::string name = tag.substr(1);
    if (name == "Ref" || name == "Condition") return Json{{name, std::move(value)}};
    if (name == "GetAtt" && value.is_string()) {
      // "!GetAtt Resource.Attribute" (attribute names may hold dots: split at the first one).
      const std::string text = value.get<std::string>();
      const std::size_t dot = text.find('.');
      Json parts = dot == std::string::npos
                       ? Json::array({text})
                       : Json::array({text.substr(0, dot), text.substr(dot + 1)});
      return Json{{"Fn::GetAtt", std::move(parts)}};
    }
    return Json{{"Fn::" + name, std::move(value)}};
  }

  // Plain scalars are typed as the YAML 1.2 core schema does, except that integers with leading
  // zeros (account ids) stay text; quoted scalars are text.
  static Json Scalar(const YAML::Node& node) {
    const std::string& text = node.Scalar();
    const std::string& tag = node.Tag();
    if (tag != "?") return text;  // quoted ("!"), or tagged
    if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
      return Json();
    }
    if (text == "true" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "False" || text == "FALSE") return false;
    const char* begin = text.data();
    const char* end = text.data() + text.size();
    const std::size_t sign = text[0] == '-' || text[0] == '+' ? 1 : 0;
    const bool digits =
        text.size() > sign && text.find_first_not_of("0123456789", sign) == std::string::npos;
    if (digits) {
      if (text.size() > sign + 1 && text[sign] == '0') return text;  // leading zero
      std::int64_t n = 0;
      const auto [ptr, ec] = std::from_chars(begin + (text[0] == '+' ? 1 : 0), end, n);
      if (ec == std::errc() && ptr == end) return n;
      return text;
    }
    if (text.find_first_not_of("0123456789+-.eE", 0) == std::string::npos &&
        text.find_first_of("0123456789") != std::string::npos) {
      double d = 0;
      const auto [ptr, ec] = std::from_chars(begin + (text[0] == '+' ? 1 : 0), end, d);
      if (ec == std::errc() && ptr == end) return d;
    }
    return text;
  }

  std::string_view file_;
  TemplatePositions* positions_;
  core::Diagnostics* diagnostics_;
  std::size_t nodes_ = 0;
  bool lossy_ = false;
  bool failed_ = false;
  bool too_deep_reported_ = false;
};

// --- YAML text, before yaml-cpp -----------------------------------------------------------------

// YAML allows no raw control character (sdk/core/yaml_text.h), and yaml-cpp misreads them (a NUL
// in a plain scalar starts an "escape"). Bytes that are not UTF-8 never get here: the template is
// refused before (CloudFormationYamlToJson). Each one in `text` is replaced by U+FFFD into `*out`;
// the first is reported with its position (and how many there are), and reading goes on: a policy
// that held one is not evaluated (MarkUnreadablePolicies). False when there is none.
bool ReplaceForbiddenCharacters(std::string_view text, std::string_view file, std::string* out,
                                core::Diagnostics* diagnostics) {
  std::optional<core::ForbiddenYamlCharacter> bad = core::FindForbiddenYamlCharacter(text);
  if (!bad) return false;
  const core::ForbiddenYamlCharacter first = *bad;
  std::size_t count = 0;
  std::size_t copied = 0;
  out->clear();
  for (; bad; bad = core::FindForbiddenYamlCharacter(text, copied)) {
    out->append(text.substr(copied, bad->offset - copied));
    out->append(internal::kReplacementChar);
    copied = bad->offset + bad->length;
    ++count;
  }
  out->append(text.substr(copied));
  AddDiagnostic(diagnostics, kError, internal::LocationOfOffset(text, first.offset, file),
                absl::StrCat(core::ForbiddenYamlCharacterProblem(first, count - 1),
                             "; replaced by U+FFFD, and a policy document that held it is not "
                             "evaluated"));
  return true;
}

// The offset just past a quoted scalar that opens at `at` (`"` with backslash escapes, or `'`
// with '' for a quote), or npos when it does not end.
std::size_t SkipQuoted(std::string_view text, std::size_t at) {
  const char quote = text[at];
  for (std::size_t i = at + 1; i < text.size(); ++i) {
    if (quote == '"' && text[i] == '\\') {
      ++i;
    } else if (text[i] == quote) {
      if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;
      } else {
        return i + 1;
      }
    }
  }
  return std::string_view::npos;
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// The offset of the bracket that closes the flow collection opening at `at`, or npos.
std::size_t FlowEnd(std::string_view text, std::size_t at) {
  int depth = 0;
  bool node_start = true;
  for (std::size_t i = at; i < text.size(); ++i) {
    const char c = text[i];
    if (IsBlank(c)) continue;
    if (c == '#' && IsBlank(text[i - 1])) {
      i = text.find('\n', i);
      if (i == std::string_view::npos) return i;
      continue;
    }
    if (node_start && (c == '"' || c == '\'')) {
      const std::size_t end = SkipQuoted(text, i);
      if (end == std::string_view::npos) return end;
      i = end - 1;
      node_start = false;
    } else if (c == '[' || c == '{') {
      ++depth;
      node_start = true;
    } else if (c == ']' || c == '}') {
      if (--depth == 0) return i;
      node_start = false;
    } else {
      node_start = c == ',' || c == ':' || c == '?' ||
                   (node_start && (c == '!' || c == '&'));  // a tag or anchor: a node follows
      if (c == '!' || c == '&') {
        while (i + 1 < text.size() && !IsBlank(text[i + 1]) && text[i + 1] != ',' &&
               text[i + 1] != ']' && text[i + 1] != '}' && text[i + 1] != '[' &&
               text[i + 1] != '{') {
          ++i;
        }
      }
    }
  }
  return std::string_view::npos;
}

// yaml-cpp refuses a whole text nested deeper than 500 levels ("bad file"), where the converter
// would keep everything but the over-deep part. Flow collections ([...], {...}) at flow depth
// kMaxNestingDepth + 3 or more are cut out of `text` before yaml-cpp reads it, each replaced by
// the too-deep marker as a quoted scalar (the rest of its lines blanked, so lines and columns
// after it stay where they were). Their parent, at flow depth kMaxNestingDepth + 2, is at least
// kMaxNestingDepth + 1 levels below the root even when the root is itself a flow collection (the
// root is level 0), so the converter reports it with its position and replaces it as for any
// other over-deep container. Quoted scalars, comments and block scalars are skipped; the
// scan is a lexer's approximation, and a structure it misjudges is left for yaml-cpp to refuse.
// True when something was cut.
bool CutDeepFlowCollections(std::string* text) {
  constexpr int kCutDepth = internal::kMaxNestingDepth + 3;
  const std::string marker = absl::StrCat("\"", internal::kTooDeepMarker, "\"");
  std::string& t = *text;
  bool cut = false;
  int depth = 0;
  bool node_start = true;
  std::size_t line_start = 0;
  int block_scalar_indent = -1;  // >= 0: skipping a block scalar's lines indented more than this
  const auto indent_of = [&t](std::size_t start) {
    std::size_t i = start;
    while (i < t.size() && t[i] == ' ') ++i;
    return static_cast<int>(i - start);
  };
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (i == line_start && depth == 0 && block_scalar_indent >= 0) {
      const std::size_t end = std::min(t.find('\n', i), t.size());
      const bool blank =
          t.find_first_not_of(" \t\r", i) >= end;  // npos also counts as past the line
      if (blank || indent_of(i) > block_scalar_indent) {
        i = end;
        line_start = end + 1;
        continue;
      }
      block_scalar_indent = -1;
    }
    const char c = t[i];
    if (c == '\n') {
      line_start = i + 1;
      if (depth == 0) node_start = true;
      continue;
    }
    if (IsBlank(c)) continue;
    if (c == '#' && (i == line_start || IsBlank(t[i - 1]))) {
      i = std::min(t.find('\n', i), t.size()) - 1;
      continue;
    }
    const char next = i + 1 < t.size() ? t[i + 1] : '\n';
    if (node_start && (c == '"' || c == '\'')) {
      const std::size_t end = SkipQuoted(t, i);
      if (end == std::string::npos) return cut;
      i = end - 1;
      node_start = false;
    } else if (node_start && depth == 0 && (c == '|' || c == '>')) {
      block_scalar_indent = indent_of(line_start);
      i = std::min(t.find('\n', i), t.size()) - 1;
    } else if ((c == '[' || c == '{') && (depth > 0 || node_start)) {
      if (depth + 1 < kCutDepth) {
        ++depth;
        node_start = true;
        continue;
      }
      const std::size_t end = FlowEnd(t, i);
      if (end == std::string::npos) return cut;  // unbalanced: yaml-cpp reports it
      std::string replacement = marker;
      std::size_t absorb = marker.size();  // the marker takes the place of the first characters
      for (std::size_t k = i; k <= end; ++k) {
        if (t[k] == '\n' || t[k] == '\r') {
          absorb = 0;
          replacement += t[k];
        } else if (absorb > 0) {
          --absorb;
        } else {
          replacement += ' ';
        }
      }
      t.replace(i, end - i + 1, replacement);
      i += replacement.size() - 1;
      line_start = t.rfind('\n', i) == std::string::npos ? 0 : t.rfind('\n', i) + 1;
      node_start = false;
      cut = true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
      node_start = false;
    } else if (depth > 0) {
      node_start = c == ',' || c == ':' || c == '?' || (node_start && (c == '!' || c == '&'));
      if (c == '!' || c == '&') {
        while (i + 1 < t.size() && !IsBlank(t[i + 1]) && t[i + 1] != ',' && t[i + 1] != ']' &&
               t[i + 1] != '}' && t[i + 1] != '[' && t[i + 1] != '{') {
          ++i;
        }
      }
    } else if ((c == '-' || c == '?' || c == ':') && IsBlank(next)) {
      node_start = c == ':' || node_start;  // "key: [", "- [", "- - ["
    } else if (node_start && (c == '!' || c == '&')) {
      while (i + 1 < t.size() && !IsBlank(t[i + 1])) ++i;  // a tag or anchor: a node follows
    } else {
      node_start = false;
    }
  }
  return cut;
}

// --- Intrinsic functions ------------------------------------------------------------------------

std::string Variable(const std::string& name) { return absl::StrCat("${", name, "}"); }

bool IsIntrinsic(const Json& value) {
  if (!value.is_object() || value.size() != 1) return false;
  const std::string& key = value.begin().key();
  return key == "Ref" || key.rfind("Fn::", 0) == 0;
}

// A template parameter's value where policies use it: the --parameter value, else the Default.
// Neither, or a type whose Default is not the value (SSM parameter types): unknown.
struct ParameterValue {
  bool known = false;
  Json value;           // a string, or a list of strings (List<...>, CommaDelimitedList)
  std::string unknown;  // why it is unknown, for the warning
};
using ParameterValues = std::map<std::string, ParameterValue, std::less<>>;

// One way a value can resolve, given which branch each `Fn::If` condition it consults takes: the
// type the KMS reader takes its variants in (cloudformation_kms.h).
using Variant = internal::CloudFormationVariant;

// A policy is judged once per combination of the conditions its `Fn::If`s name, up to this many
// conditions (2^6 = 64 variants); a policy with more is not evaluated (an ERROR).
constexpr std::size_t kMaxPolicyConditions = 6;

class Resolver {
 public:
  Resolver(const Json& root, const ParameterValues& parameters)
      : root_(root), parameters_(parameters) {}

  // Parameters that policies or names used but that have no value (a variable stood in).
  const std::set<std::string>& unresolved() const { return unresolved_; }

  // Every distinct value `value` takes over the branches of the `Fn::If`s in it: each condition
  // is true in one deployment and false in another, and both branches are literal, so each is
  // evaluated (conditions are not evaluated from parameters: a deployment may choose either).
  // Conditions are taken as independent, which can only add combinations no deployment has. A
  // variant's label names the conditions its resolution consulted. Empty (and `*too_many` set)
  // past kMaxPolicyConditions conditions.
  std::vector<Variant> Variants(const Json& value, bool* too_many) const {
    std::vector<std::string> conditions;
    CollectConditions(value, &conditions);
    if (conditions.empty()) return {Variant{"", Resolve(value)}};
    if (conditions.size() > kMaxPolicyConditions) {
      *too_many = true;
      return {};
    }
    std::vector<Variant> out;
    for (std::uint32_t combination = 0; combination < (1u << conditions.size()); ++combination) {
      std::map<std::string, bool, std::less<>> branches;
      for (std::size_t i = 0; i < conditions.size(); ++i) {
        branches[conditions[i]] = ((combination >> i) & 1u) == 0;  // all true first
      }
      std::set<std::string> consulted;
      branches_ = &branches;
      consulted_ = &consulted;
      Json resolved = Resolve(value);
      branches_ = nullptr;
      consulted_ = nullptr;
      if (std::any_of(out.begin(), out.end(),
                      [&](const Variant& v) { return v.value == resolved; })) {
        continue;
      }
      std::vector<std::string> label;
      for (const std::string& condition : conditions) {
        if (consulted.contains(condition)) {
          label.push_back(branches[condition] ? condition : "not " + condition);
        }
      }
      out.push_back({absl::StrJoin(label, ", "), std::move(resolved)});
    }
    if (out.size() == 1) out[0].label.clear();
    return out;
  }

  // The value with every intrinsic function resolved or replaced by a `${...}` variable.
  // AWS::NoValue removes the member or element that holds it.
  Json Resolve(const Json& value) const {
    if (IsIntrinsic(value)) {
      const std::string& name = value.begin().key();
      const Json& arg = value.begin().value();
      Json out = Intrinsic(name, arg);
      // Content lost while reading (U+FFFD: invalid UTF-8, nesting too deep, a repeated key)
      // stays visible where a function resolves to a variable and drops its argument, so that
      // the policy is still made an ERROR (MarkUnreadablePolicies). A branch Variants did not
      // take is no part of the value.
      if (!(name == "Fn::If" && branches_ != nullptr) && !out.is_discarded() &&
          !internal::ContainsReplacementChar(out) && internal::ContainsReplacementChar(arg)) {
        return absl::StrCat(internal::kReplacementChar, "(lost while reading)");
      }
      return out;
    }
    if (value.is_object()) {
      Json out = Json::object();
      for (const auto& [key, member] : value.items()) {
        Json resolved = Resolve(member);
        if (!resolved.is_discarded()) out[key] = std::move(resolved);
      }
      return out;
    }
    if (value.is_array()) {
      Json out = Json::array();
      for (const Json& element : value) {
        Json resolved = Resolve(element);
        if (!resolved.is_discarded()) out.push_back(std::move(resolved));
      }
      return out;
    }
    return value;
  }

  // A resolved value as text, when it is a string without unknown parts.
  static bool Literal(const Json& value, std::string* out) {
    if (!value.is_string()) return false;
    *out = value.get<std::string>();
    return out->find("${") == std::string::npos;
  }

 private:
  Json Intrinsic(const std::string& name, const Json& arg) const {
    if (name == "Ref") {
      if (!arg.is_string()) return Variable("Ref");
      const std::string target = arg.get<std::string>();
      if (target == "AWS::NoValue") return Json(Json::value_t::discarded);
      if (target == "AWS::Partition") return "aws";
      if (target == "AWS::NotificationARNs") return Json::array({Variable(target)});
      if (const Json* value = Parameter(target)) return *value;
      return Variable(target);
    }
    if (name == "Fn::GetAtt") {
      Json parts = arg.is_string() ? Json::array({arg}) : Resolve(arg);
      std::vector<std::string> names;
      if (parts.is_array()) {
        for (const Json& p : parts) names.push_back(p.is_string() ? p.get<std::string>() : "?");
      }
      return Variable(names.empty() ? std::string("Fn::GetAtt") : absl::StrJoin(names, "."));
    }
    if (name == "Fn::Join") {
      const Json args = Resolve(arg);
      if (args.is_array() && args.size() == 2 && args[0].is_string() && args[1].is_array()) {
        std::vector<std::string> parts;
        for (const Json& p : args[1]) {
          if (!p.is_string()) return Variable("Fn::Join");
          parts.push_back(p.get<std::string>());
        }
        return absl::StrJoin(parts, args[0].get<std::string>());
      }
      return Variable("Fn::Join");
    }
    if (name == "Fn::Sub") return Sub(arg);
    if (name == "Fn::Select") {
      const Json args = Resolve(arg);
      if (args.is_array() && args.size() == 2 && args[1].is_array()) {
        std::size_t index = args[1].size();
        if (args[0].is_number_integer() && args[0].get<std::int64_t>() >= 0) {
          index = args[0].get<std::size_t>();
        } else if (std::string text; Literal(args[0], &text)) {
          std::from_chars(text.data(), text.data() + text.size(), index);
        }
        if (index < args[1].size()) return args[1][index];
      }
      return Variable("Fn::Select");
    }
    if (name == "Fn::Split") {
      const Json args = Resolve(arg);
      if (args.is_array() && args.size() == 2 && args[0].is_string() && args[1].is_string() &&
          !args[0].get<std::string>().empty()) {
        Json out = Json::array();
        for (absl::string_view piece :
             absl::StrSplit(args[1].get<std::string>(), args[0].get<std::string>())) {
          out.push_back(std::string(piece));
        }
        return out;
      }
      return Json::array({Variable("Fn::Split")});
    }
    if (name == "Fn::FindInMap") {
      const Json args = Resolve(arg);
      std::string map, first, second;
      if (args.is_array() && args.size() >= 3 && Literal(args[0], &map) &&
          Literal(args[1], &first) && Literal(args[2], &second)) {
        const Json* mappings = Member(root_, "Mappings");
        if (const Json* v = Member(Member(Member(mappings, map), first), second))
          return Resolve(*v);
      }
      return Variable("Fn::FindInMap");
    }
    if (name == "Fn::If") {
      const Json args = arg.is_array() ? arg : Json();
      if (args.size() == 3) {
        const std::string condition = args[0].is_string() ? args[0].get<std::string>() : "?";
        if (branches_ != nullptr) {
          if (const auto it = branches_->find(condition); it != branches_->end()) {
            consulted_->insert(condition);
            return Resolve(args[it->second ? 1 : 2]);
          }
        }
        // Outside Variants (names, targets, trust policies): one value only when the branches
        // are the same as written (resolving both at each level would be exponential in how
        // deep Fn::Ifs nest).
        if (args[1] == args[2]) return Resolve(args[1]);
        return Variable(absl::StrCat("Fn::If:", condition));
      }
      return Variable("Fn::If");
    }
    if (name == "Fn::ImportValue") {
      std::string export_name;
      return Literal(Resolve(arg), &export_name)
                 ? Variable(absl::StrCat("Fn::ImportValue:", export_name))
                 : Variable("Fn::ImportValue");
    }
    return Variable(name);  // Fn::Base64, Fn::GetAZs, Fn::Cidr, conditions, ...: not literal
  }

  // "${Name}" -> the value from the variable map when literal; "${!Literal}" -> "${Literal}";
  // AWS::Partition -> "aws"; anything else stays a `${...}` variable.
  Json Sub(const Json& arg) const {
    std::string text;
    Json variables = Json::object();
    if (arg.is_string()) {
      text = arg.get<std::string>();
    } else if (arg.is_array() && arg.size() == 2 && arg[0].is_string()) {
      text = arg[0].get<std::string>();
      variables = Resolve(arg[1]);
    } else {
      return Variable("Fn::Sub");
    }
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
      const std::size_t open = text.find("${", i);
      if (open == std::string::npos) {
        out.append(text, i, std::string::npos);
        break;
      }
      out.append(text, i, open - i);
      const std::size_t close = text.find('}', open + 2);
      if (close == std::string::npos) {
        out.append(text, open, std::string::npos);
        break;
      }
      const std::string name = text.substr(open + 2, close - open - 2);
      if (!name.empty() && name[0] == '!') {
        out += "${" + name.substr(1) + "}";  // escaped: the literal text, an IAM policy variable
      } else if (variables.is_object() && variables.contains(name) && variables[name].is_string()) {
        out += variables[name].get<std::string>();
      } else if (name == "AWS::Partition") {
        out += "aws";
      } else if (const Json* value = Parameter(name); value != nullptr && value->is_string()) {
        out += value->get<std::string>();
      } else {
        out += Variable(name);
      }
      i = close + 1;
    }
    return out;
  }

  static const Json* Member(const Json* object, const std::string& key) {
    if (object == nullptr || !object->is_object()) return nullptr;
    const auto it = object->find(key);
    return it == object->end() ? nullptr : &*it;
  }
  static const Json* Member(const Json& object, const std::string& key) {
    return Member(&object, key);
  }

  // The value of template parameter `name`; null when `name` is not a parameter, or is one
  // without a value (then it is recorded as unresolved, and a variable stands for it).
  const Json* Parameter(const std::string& name) const {
    const auto it = parameters_.find(name);
    if (it == parameters_.end()) return nullptr;
    if (it->second.known) return &it->second.value;
    unresolved_.insert(name);
    return nullptr;
  }

  // The names of the conditions of every Fn::If in `value`, each once, in the order met.
  static void CollectConditions(const Json& value, std::vector<std::string>* out) {
    if (value.is_object()) {
      if (const auto it = value.find("Fn::If"); it != value.end() && value.size() == 1 &&
                                                it->is_array() && it->size() == 3 &&
                                                (*it)[0].is_string()) {
        const std::string& name = (*it)[0].get_ref<const std::string&>();
        if (std::find(out->begin(), out->end(), name) == out->end()) out->push_back(name);
      }
      for (const auto& [key, member] : value.items()) CollectConditions(member, out);
    } else if (value.is_array()) {
      for (const Json& element : value) CollectConditions(element, out);
    }
  }

  const Json& root_;
  const ParameterValues& parameters_;
  // Set by Variants while it resolves one combination: the branch of each condition, and the
  // conditions consulted. Resolution is otherwise a pure function of the template.
  mutable const std::map<std::string, bool, std::less<>>* branches_ = nullptr;
  mutable std::set<std::string>* consulted_ = nullptr;
  mutable std::set<std::string> unresolved_;
};

// --- The template -------------------------------------------------------------------------------

struct PrincipalKind {
  const char* model_type;
  const char* resource;     // AWS::IAM::User
  const char* name_key;     // UserName
  const char* list_key;     // Users (AWS::IAM::Policy, ManagedPolicy)
  const char* policy_type;  // AWS::IAM::UserPolicy
  const char* kind;         // user
};

constexpr PrincipalKind kKinds[] = {
    {model::kIamUser, "AWS::IAM::User", "UserName", "Users", "AWS::IAM::UserPolicy", "user"},
    {model::kIamGroup, "AWS::IAM::Group", "GroupName", "Groups", "AWS::IAM::GroupPolicy", "group"},
    {model::kIamRole, "AWS::IAM::Role", "RoleName", "Roles", "AWS::IAM::RolePolicy", "role"},
};

// "NAME (if COND, not OTHER)": the inline or managed policy as one deployment has it.
std::string WithCondition(const std::string& name, const std::string& label) {
  return label.empty() ? name : absl::StrCat(name, " (if ", label, ")");
}

// A statement element whose value is not known before deployment and which cannot be judged by
// reading the unknown as one specific value (a policy variable).
struct UnknownPart {
  std::string element;      // "Action", "NotAction", "NotResource"
  std::string description;  // "statement 0 (Allow) has the Action \"${P}\", which is ..."
};

// Reading an unknown value as one specific value (docs/iam-semantics.md rule 6) is the safe side
// where it narrows what a policy reaches: an Allow's Resource (one resource is never every
// key), a Deny's Action or Resource (it cancels less). It is not where the unknown could be the
// very thing a rule looks for, or could hold wildcards:
//  - an Allow's Action and a Deny's NotAction: any unknown (one action can be kms:Decrypt);
//  - a Deny's NotResource: a value that can hold wildcards, i.e. a parameter without a value
//    (`unresolved`) or what a function left unknown (`${Fn::...}`, e.g. an import); a pseudo
//    parameter, an attribute or an IAM policy variable is one specific value there.
// The first such statement of `document`, if any.
std::optional<UnknownPart> FindUnknownPart(const Json& document,
                                           const std::set<std::string>& unresolved) {
  Json parsed;
  const Json* doc = &document;
  if (document.is_string()) {  // a document written as JSON text (e.g. with !Sub)
    parsed = Json::parse(document.get_ref<const std::string&>(), nullptr,
                         /*allow_exceptions=*/false);
    doc = &parsed;
  }
  if (!doc->is_object()) return std::nullopt;
  const auto statements = doc->find("Statement");
  if (statements == doc->end()) return std::nullopt;
  const Json list = statements->is_array() ? *statements : Json::array({*statements});
  const auto any = [](std::string_view) { return true; };
  const auto wildcard_able = [&unresolved](std::string_view name) {
    return name.rfind("Fn::", 0) == 0 || unresolved.contains(std::string(name));
  };
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string effect = StringField(list[i], "Effect");
    for (const char* element : {"Action", "NotAction", "NotResource"}) {
      const std::string_view key = element;
      const bool checked =
          effect == "Allow" ? key == "Action" : effect == "Deny" && key != "Action";
      const auto value = list[i].find(element);
      if (!checked || value == list[i].end()) continue;
      const Json values = value->is_array() ? *value : Json::array({*value});
      for (const Json& v : values) {
        if (!v.is_string()) continue;
        const std::string& text = v.get_ref<const std::string&>();
        if (key == "NotResource" ? HoldsVariable(text, wildcard_able) : HoldsVariable(text, any)) {
          return UnknownPart{
              element, absl::StrCat("statement ", i, " (", effect, ") has the ", element, " \"",
                                    text, "\", which is not known before deployment")};
        }
      }
    }
  }
  return std::nullopt;
}

class TemplateReader : public internal::CloudFormationContext {
 public:
  TemplateReader(const Json& root, std::string_view file, const TemplatePositions* positions,
                 const CloudFormationParameters& parameters)
      : root_(root),
        file_(file),
        positions_(positions),
        parameters_(parameters),
        resolver_(root, parameter_values_) {}

  AdapterResult Read() {
    if (!root_.is_object()) {
      AddDiagnostic(&result_.diagnostics, kError, PointerLocation(file_, ""),
                    absl::StrCat("expected a template object, got ", root_.type_name()));
      return std::move(result_);
    }
    ReadParameters();
    const auto resources = root_.find("Resources");
    if (resources == root_.end() || !resources->is_object()) {
      AddDiagnostic(
          &result_.diagnostics, kError, Location("/Resources"),
          resources == root_.end()
              ? std::string("not a CloudFormation template: no \"Resources\"")
              : absl::StrCat("\"Resources\" should be an object, got ", resources->type_name()));
      return std::move(result_);
    }
    if (root_.contains("Transform")) {
      AddDiagnostic(&result_.diagnostics, kWarning, Location("/Transform"),
                    "the template declares a Transform: resources a macro would add (e.g. "
                    "AWS::Serverless::*) are not read");
    }
    // Valid entries, by logical id (nlohmann keeps keys sorted; template order means nothing).
    for (const auto& [id, resource] : resources->items()) {
      const std::string pointer = "/Resources/" + PointerToken(id);
      if (!resource.is_object()) {
        AddDiagnostic(
            &result_.diagnostics, kError, Location(pointer, id),
            absl::StrCat("expected a resource object, got ", resource.type_name(), "; skipped"));
        continue;
      }
      const std::string type = StringField(resource, "Type");
      if (type.empty()) {
        AddDiagnostic(&result_.diagnostics, kError, Location(pointer, id),
                      "resource without a \"Type\" string; skipped");
        continue;
      }
      const auto properties = resource.find("Properties");
      if (properties != resource.end() && !properties->is_object() && !properties->is_null()) {
        AddDiagnostic(&result_.diagnostics, kError, Location(pointer + "/Properties", id),
                      absl::StrCat("\"Properties\" should be an object, got ",
                                   properties->type_name(), "; skipped"));
        continue;
      }
      entries_.push_back({id, type, pointer,
                          properties != resource.end() && properties->is_object()
                              ? &*properties
                              : &kEmptyObject()});
    }
    for (const Entry& e : entries_) {
      for (const PrincipalKind& kind : kKinds) {
        if (e.type == kind.resource) Principal(e, kind);
      }
    }
    for (const Entry& e : entries_) {
      if (e.type == "AWS::IAM::ManagedPolicy") ManagedPolicy(e);
    }
    for (const Entry& e : entries_) {
      for (const PrincipalKind& kind : kKinds) {
        if (e.type == kind.resource) PrincipalLinks(e, kind);
      }
    }
    for (const Entry& e : entries_) {
      if (e.type == model::kKmsKey) {
        for (model::Resource& key :
             internal::ReadCloudFormationKmsKey(*this, e.id, e.pointer, *e.properties)) {
          out_.push_back(std::move(key));
        }
      }
    }
    for (const Entry& e : entries_) {
      if (e.type == "AWS::IAM::Policy") PolicyResource(e);
      for (const PrincipalKind& kind : kKinds) {
        if (e.type == kind.policy_type) SinglePolicy(e, kind);
      }
    }
    for (auto& [key, copies] : managed_copies_) {
      for (const std::size_t index : copies) {
        out_[index].document["attachment_count"] = attachment_counts_[key];
        out_[index].document["permissions_boundary_usage_count"] = boundary_counts_[key];
      }
    }
    ReportUnresolvedParameters();
    for (model::Resource& r : out_) result_.resources.push_back(std::move(r));
    return std::move(result_);
  }

  // --- internal::CloudFormationContext, for the readers of other resource types ---------------

  Json Resolve(const Json& value) const override { return resolver_.Resolve(value); }

  std::vector<internal::CloudFormationVariant> PolicyVariants(
      const Json& value, const std::string& pointer, const std::string& logical_id) override {
    return Variants(value, pointer, logical_id);
  }

  std::optional<std::string> UnknownStatement(const Json& document) const override {
    std::optional<UnknownPart> unknown = FindUnknownPart(document, resolver_.unresolved());
    if (!unknown) return std::nullopt;
    return std::move(unknown->description);
  }

  bool MayHoldWildcards(std::string_view name) const override {
    return name.rfind("Fn::", 0) == 0 || resolver_.unresolved().contains(std::string(name));
  }

  core::Diagnostics* diagnostics() override { return &result_.diagnostics; }

 private:
  struct Entry {
    std::string id;
    std::string type;
    std::string pointer;
    const Json* properties;
  };

  static const Json& kEmptyObject() {
    static const Json* const kEmpty = new Json(Json::object());
    return *kEmpty;
  }

  core::SourceLocation Location(const std::string& pointer,
                                const std::string& logical_id = "") override {
    core::SourceLocation loc = PointerLocation(file_, pointer, positions_);
    loc.resource_id = logical_id;
    return loc;
  }

  static const Json& Property(const Entry& e, std::string_view key) {
    static const Json* const kNull = new Json();
    const auto it = e.properties->find(key);
    return it == e.properties->end() ? *kNull : *it;
  }

  std::string ResolvedString(const Json& value) const {
    const Json resolved = resolver_.Resolve(value);
    return resolved.is_string() ? resolved.get<std::string>() : std::string();
  }

  // The template's Parameters, each with its value where policies use it: the --parameter value,
  // else its Default. A list type (CommaDelimitedList, List<...>) is a list of the comma-separated
  // items, as Ref gives it.
  void ReadParameters() {
    std::set<std::string, std::less<>> declared;
    const auto parameters = root_.find("Parameters");
    if (parameters != root_.end() && !parameters->is_object() && !parameters->is_null()) {
      AddDiagnostic(&result_.diagnostics, kError, Location("/Parameters"),
                    absl::StrCat("\"Parameters\" should be an object, got ",
                                 parameters->type_name(), "; parameters have no values"));
    } else if (parameters != root_.end() && parameters->is_object()) {
      for (const auto& [name, spec] : parameters->items()) {
        declared.insert(name);
        const std::string type = StringField(spec, "Type");
        const bool list = type == "CommaDelimitedList" || type.rfind("List<", 0) == 0;
        ParameterValue value;
        const auto given = parameters_.find(name);
        const Json* fallback =
            spec.is_object() && spec.contains("Default") ? &spec["Default"] : nullptr;
        if (given != parameters_.end()) {
          value.known = true;
          value.value = ParameterValueOf(given->second, list);
        } else if (type.rfind("AWS::SSM::Parameter::", 0) == 0) {
          value.unknown =
              "has an SSM parameter type (its Default names a Systems Manager parameter whose "
              "value is read at deployment)";
        } else if (fallback != nullptr && fallback->is_array() && list) {
          value.known = true;
          value.value = Json::array();
          for (const Json& item : *fallback) value.value.push_back(ScalarText(item));
        } else if (fallback != nullptr && fallback->is_primitive() && !fallback->is_null()) {
          value.known = true;
          value.value = ParameterValueOf(ScalarText(*fallback), list);
        } else {
          value.unknown = "has no Default and no --parameter value";
        }
        parameter_values_.emplace(name, std::move(value));
      }
    }
    for (const auto& [name, text] : parameters_) {
      if (declared.contains(name)) continue;
      AddDiagnostic(&result_.diagnostics, kWarning, Location("/Parameters"),
                    absl::StrCat("--parameter ", name, ": this template declares no parameter ",
                                 name, "; ignored for it"));
    }
  }

  static std::string ScalarText(const Json& value) {
    return value.is_string() ? value.get<std::string>() : core::DumpJson(value);
  }

  static Json ParameterValueOf(const std::string& text, bool list) {
    if (!list) return text;
    Json items = Json::array();
    for (absl::string_view item : absl::StrSplit(text, ',')) items.push_back(std::string(item));
    return items;
  }

  // Parameters that a policy or name used without a value are variables there, never guessed;
  // each is reported once, where it is declared.
  void ReportUnresolvedParameters() {
    for (const std::string& name : resolver_.unresolved()) {
      const auto it = parameter_values_.find(name);
      AddDiagnostic(
          &result_.diagnostics, kWarning, Location("/Parameters/" + PointerToken(name)),
          absl::StrCat("parameter ", name, " ",
                       it == parameter_values_.end() ? "has no value" : it->second.unknown,
                       ": where the template uses it, it stays ${", name,
                       "}, one specific value not known before deployment (like an IAM policy "
                       "variable, never a wildcard); give --parameter ",
                       name, "=VALUE to judge a deployment's value"));
    }
  }

  // The variants of a policy (or of a Policies element) over its Fn::If conditions; past
  // kMaxPolicyConditions, one unreadable variant (an ERROR), reported.
  std::vector<Variant> Variants(const Json& value, const std::string& pointer,
                                const std::string& logical_id) {
    bool too_many = false;
    std::vector<Variant> variants = resolver_.Variants(value, &too_many);
    if (too_many) {
      const std::string why =
          absl::StrCat("its Fn::If functions name more than ", kMaxPolicyConditions,
                       " conditions, too many deployments to judge each");
      AddDiagnostic(&result_.diagnostics, kError, Location(pointer, logical_id),
                    absl::StrCat("this policy is not evaluated: ", why));
      variants.push_back({"", Json(absl::StrCat("<not evaluated: ", why, ">"))});
    }
    return variants;
  }

  // One inline policy {name, document, source} with its resolved document (null: none), into
  // `out`. When a statement cannot be judged before deployment (FindUnknownPart), an entry
  // follows that does not parse, so the principal is an ERROR unless something else FAILs (never
  // a PASS).
  void AddInlinePolicy(std::vector<Json>* out, const std::string& name, const Json* document,
                       const std::string& pointer, const std::string& logical_id) {
    const std::string source = Location(pointer, logical_id).ToString();
    Json entry = {{"name", name}, {"source", source}};
    // A document given as JSON text is kept as text: the engine parses it.
    if (document != nullptr && !document->is_null()) entry["document"] = *document;
    out->push_back(std::move(entry));
    if (document == nullptr) return;
    if (const std::optional<UnknownPart> unknown =
            FindUnknownPart(*document, resolver_.unresolved())) {
      AddDiagnostic(&result_.diagnostics, kWarning, Location(pointer, logical_id),
                    absl::StrCat("policy \"", name, "\": ", unknown->description,
                                 ", so it cannot be judged (an ERROR unless another grant FAILs); "
                                 "give the value with --parameter"));
      out->push_back({{"name", absl::StrCat(name, " (unknown ", unknown->element, ")")},
                      {"document", absl::StrCat("<not evaluated: ", unknown->description, ">")},
                      {"source", source}});
    }
  }

  // The inline policies one policy resource gives: one per variant of its raw document.
  std::vector<Json> PolicyEntries(const std::string& name, const Json* document,
                                  const std::string& pointer, const std::string& logical_id) {
    std::vector<Json> out;
    if (document == nullptr || document->is_null()) {
      AddInlinePolicy(&out, name, nullptr, pointer, logical_id);
      return out;
    }
    for (const Variant& v : Variants(*document, pointer, logical_id)) {
      AddInlinePolicy(&out, WithCondition(name, v.label),
                      v.value.is_discarded() ? nullptr : &v.value, pointer, logical_id);
    }
    return out;
  }

  void Principal(const Entry& e, const PrincipalKind& kind) {
    std::string name = ResolvedString(Property(e, kind.name_key));
    const bool named = !name.empty();
    if (!named) name = e.id;  // CloudFormation generates the name from the stack and logical id
    std::string path = ResolvedString(Property(e, "Path"));
    model::Resource resource;
    resource.id = "cloudformation:" + e.id;
    resource.type = std::string(kind.model_type);
    resource.name = name;
    resource.document =
        internal::EmptyPrincipalDocument(kind.model_type, name, "", path.empty() ? "/" : path);
    if (!named) {
      resource.document["notes"].push_back(absl::StrCat(
          "no ", kind.name_key, ": CloudFormation generates the name; logical id ", e.id, " used"));
    }
    resource.source = Location(e.pointer, e.id);
    const std::string key = "id:" + e.id;
    index_.emplace(key, out_.size());
    if (named) by_name_.emplace(absl::StrCat(kind.kind, ":", name), key);
    out_.push_back(std::move(resource));
  }

  // Policies, ManagedPolicyArns, Groups, the trust policy: after every resource is known.
  void PrincipalLinks(const Entry& e, const PrincipalKind& kind) {
    model::Resource& principal = out_[index_.at("id:" + e.id)];
    const Json& policies = Property(e, "Policies");
    const std::string policies_pointer = e.pointer + "/Properties/Policies";
    if (policies.is_array()) {
      std::vector<Json> entries;
      for (std::size_t i = 0; i < policies.size(); ++i) {
        const std::string pointer = absl::StrCat(policies_pointer, "/", i);
        // The whole element is resolved, so that an Fn::If in place of a policy (!If [Cond,
        // {...}, !Ref AWS::NoValue]) gives the policy in the deployments that have it; an
        // intrinsic that stays unknown leaves its `${...}` text as the document, an ERROR.
        for (const Variant& v : Variants(policies[i], pointer, e.id)) {
          const Json& p = v.value;
          if (p.is_discarded()) continue;
          if (p.is_string()) {
            AddInlinePolicy(&entries, WithCondition(absl::StrCat("Policies[", i, "]"), v.label), &p,
                            pointer, e.id);
          } else if (!p.is_object()) {
            entries.push_back(p);  // ERROR in the engine
          } else {
            const auto doc = p.find("PolicyDocument");
            const auto name = p.find("PolicyName");
            AddInlinePolicy(
                &entries,
                WithCondition(
                    name != p.end() && name->is_string() ? name->get<std::string>() : std::string(),
                    v.label),
                doc == p.end() ? nullptr : &*doc, pointer, e.id);
          }
        }
      }
      for (Json& entry : entries) principal.document["inline_policies"].push_back(std::move(entry));
    } else if (!policies.is_null()) {
      AddDiagnostic(&result_.diagnostics, kError, Location(policies_pointer, e.id),
                    absl::StrCat("\"Policies\" should be a list, got ", policies.type_name()));
      principal.document["inline_policies"] = resolver_.Resolve(policies);
    }
    const Json arns = resolver_.Resolve(Property(e, "ManagedPolicyArns"));
    const Json& raw_arns = Property(e, "ManagedPolicyArns");
    if (arns.is_array()) {
      for (std::size_t i = 0; i < arns.size(); ++i) {
        const Json* raw = raw_arns.is_array() && i < raw_arns.size() ? &raw_arns[i] : nullptr;
        AttachManaged(principal, raw, arns[i]);
      }
    }
    if (kind.model_type == model::kIamUser) {
      const Json& groups = Property(e, "Groups");
      if (groups.is_array()) {
        for (const Json& g : groups) {
          std::string name = NameOfRef(g, model::kIamGroup);
          if (name.empty()) name = ResolvedString(g);
          if (!name.empty()) principal.document["group_memberships"].push_back(name);
        }
      }
    }
    if (const Json& boundary = Property(e, "PermissionsBoundary");
        boundary.is_object() && boundary.contains("Ref") && boundary["Ref"].is_string()) {
      if (auto it = managed_index_.find("id:" + boundary["Ref"].get<std::string>());
          it != managed_index_.end()) {
        ++boundary_counts_[it->first];
      }
    }
    if (kind.model_type == model::kIamRole) {
      if (const Json& trust = Property(e, "AssumeRolePolicyDocument"); !trust.is_null()) {
        principal.document["trust_policy"] = resolver_.Resolve(trust);
      }
    }
  }

  // {"Ref": "LogicalId"} of a template principal of `type`: its name; "" otherwise.
  std::string NameOfRef(const Json& value, std::string_view type) const {
    if (!value.is_object() || value.size() != 1 || !value.contains("Ref") ||
        !value["Ref"].is_string()) {
      return "";
    }
    const auto it = index_.find("id:" + value["Ref"].get<std::string>());
    if (it == index_.end() || out_[it->second].type != type) return "";
    return out_[it->second].name;
  }

  void AttachManaged(model::Resource& principal, const Json* raw, const Json& resolved) {
    // Ref of an AWS::IAM::ManagedPolicy is its ARN.
    if (raw != nullptr && raw->is_object() && raw->contains("Ref") && (*raw)["Ref"].is_string()) {
      if (auto it = managed_index_.find("id:" + (*raw)["Ref"].get<std::string>());
          it != managed_index_.end()) {
        ++attachment_counts_[it->first];
        principal.document["attached_managed_policies"].push_back(
            {{"name", managed_names_[it->first]}, {"arn", ""}});
        return;
      }
    }
    if (!resolved.is_string()) return;
    const std::string arn = resolved.get<std::string>();
    principal.document["attached_managed_policies"].push_back(
        {{"name", arn.substr(arn.rfind('/') + 1)}, {"arn", arn}});
  }

  void ManagedPolicy(const Entry& e) {
    std::string name = ResolvedString(Property(e, "ManagedPolicyName"));
    if (name.empty()) name = e.id;
    const std::string path = ResolvedString(Property(e, "Path"));
    const std::string key = "id:" + e.id;
    managed_index_.emplace(key, out_.size());
    managed_names_.emplace(key, name);
    const Json& doc = Property(e, "PolicyDocument");
    // A managed policy has one document, so each variant of it (Fn::If) is a managed policy of
    // its own, judged on its own: "NAME (if COND)", id "cloudformation:ID (if COND)".
    const std::vector<Variant> variants =
        doc.is_null() ? std::vector<Variant>{Variant{"", Json()}} : Variants(doc, e.pointer, e.id);
    for (const Variant& v : variants) {
      model::Resource resource;
      resource.id = WithCondition("cloudformation:" + e.id, v.label);
      resource.type = model::kIamManagedPolicy;
      resource.name = WithCondition(name, v.label);
      resource.document = {{"name", resource.name},
                           {"arn", ""},
                           {"path", path.empty() ? "/" : path},
                           {"aws_managed", false},
                           {"default_version_id", ""}};
      if (!v.value.is_null() && !v.value.is_discarded()) {
        resource.document["document"] = v.value;
        if (const std::optional<UnknownPart> unknown =
                FindUnknownPart(v.value, resolver_.unresolved())) {
          resource.document["document"] =
              absl::StrCat("<not evaluated: ", unknown->description, ">");
          AddDiagnostic(
              &result_.diagnostics, kWarning, Location(e.pointer, e.id),
              absl::StrCat("managed policy \"", resource.name, "\": ", unknown->description,
                           ", so it cannot be judged (an ERROR); give the value with "
                           "--parameter"));
        }
      } else {
        resource.document["document_problem"] = "the template gives no PolicyDocument";
        AddDiagnostic(&result_.diagnostics, kError, Location(e.pointer, e.id),
                      "AWS::IAM::ManagedPolicy without a PolicyDocument: it cannot be evaluated");
      }
      resource.source = Location(e.pointer, e.id);
      managed_copies_[key].push_back(out_.size());
      out_.push_back(std::move(resource));
    }
    for (const PrincipalKind& kind : kKinds) {
      const Json& targets = Property(e, kind.list_key);
      if (!targets.is_array()) continue;
      for (std::size_t i = 0; i < targets.size(); ++i) {
        model::Resource& principal = Target(
            e, kind, targets[i], absl::StrCat(e.pointer, "/Properties/", kind.list_key, "/", i));
        ++attachment_counts_[key];
        principal.document["attached_managed_policies"].push_back({{"name", name}, {"arn", ""}});
      }
    }
  }

  // The principal a Users/Groups/Roles element or a RoleName/UserName/GroupName names.
  model::Resource& Target(const Entry& e, const PrincipalKind& kind, const Json& value,
                          const std::string& pointer) {
    if (value.is_object() && value.size() == 1 && value.contains("Ref") &&
        value["Ref"].is_string()) {
      if (auto it = index_.find("id:" + value["Ref"].get<std::string>());
          it != index_.end() && out_[it->second].type == kind.model_type) {
        return out_[it->second];
      }
    }
    const Json resolved = resolver_.Resolve(value);
    std::string name;
    if (Resolver::Literal(resolved, &name) && !name.empty()) {
      if (auto it = by_name_.find(absl::StrCat(kind.kind, ":", name)); it != by_name_.end()) {
        return out_[index_.at(it->second)];
      }
      const std::string key = absl::StrCat("name:", kind.kind, ":", name);
      if (auto it = index_.find(key); it != index_.end()) return out_[it->second];
      model::Resource resource;
      resource.id = absl::StrCat("cloudformation:", kind.kind, "/", name);
      resource.type = std::string(kind.model_type);
      resource.name = name;
      resource.document = internal::EmptyPrincipalDocument(kind.model_type, name, "", "/");
      resource.document["notes"].push_back(
          absl::StrCat("not defined in this template: named by ", e.id));
      resource.source = Location(pointer, e.id);
      index_.emplace(key, out_.size());
      out_.push_back(std::move(resource));
      return out_.back();
    }
    // A parameter, an import, an attribute: the same expression is the same principal.
    const std::string text =
        resolved.is_string() ? resolved.get<std::string>() : core::DumpJson(resolved);
    const std::string key = absl::StrCat("unknown:", kind.kind, ":", text);
    if (auto it = index_.find(key); it != index_.end()) return out_[it->second];
    model::Resource resource;
    resource.id = absl::StrCat("cloudformation:", e.id, "#", pointer);
    resource.type = std::string(kind.model_type);
    resource.name = absl::StrCat("<unknown: ", text, ">");
    resource.document = internal::EmptyPrincipalDocument(kind.model_type, resource.name, "", "");
    const std::string why = absl::StrCat(
        "the ", kind.kind, " ", e.id, " attaches to is not known before deployment (", text, ")");
    resource.document["notes"].push_back(why);
    resource.source = Location(pointer, e.id);
    AddDiagnostic(&result_.diagnostics, kWarning, Location(pointer, e.id),
                  absl::StrCat(why, "; its policies are evaluated for the principal \"",
                               resource.name, "\""));
    index_.emplace(key, out_.size());
    out_.push_back(std::move(resource));
    return out_.back();
  }

  // AWS::IAM::Policy: one inline policy on every principal it lists.
  void PolicyResource(const Entry& e) {
    const std::string name = ResolvedString(Property(e, "PolicyName"));
    const Json& doc = Property(e, "PolicyDocument");
    std::optional<std::vector<Json>> entries;  // computed once, for the first target
    bool any = false;
    for (const PrincipalKind& kind : kKinds) {
      const Json& targets = Property(e, kind.list_key);
      if (targets.is_null()) continue;
      const std::string list_pointer = absl::StrCat(e.pointer, "/Properties/", kind.list_key);
      if (!targets.is_array()) {
        AddDiagnostic(&result_.diagnostics, kError, Location(list_pointer, e.id),
                      absl::StrCat("\"", kind.list_key, "\" should be a list, got ",
                                   targets.type_name(), "; ignored"));
        continue;
      }
      for (std::size_t i = 0; i < targets.size(); ++i) {
        model::Resource& principal =
            Target(e, kind, targets[i], absl::StrCat(list_pointer, "/", i));
        if (!entries) entries = PolicyEntries(name, &doc, e.pointer, e.id);
        for (const Json& entry : *entries) principal.document["inline_policies"].push_back(entry);
        any = true;
      }
    }
    if (!any) {
      AddDiagnostic(&result_.diagnostics, kWarning, Location(e.pointer, e.id),
                    "AWS::IAM::Policy with no Users, Groups or Roles: attached to nothing, not "
                    "evaluated");
    }
  }

  // AWS::IAM::RolePolicy, UserPolicy, GroupPolicy.
  void SinglePolicy(const Entry& e, const PrincipalKind& kind) {
    const Json& target = Property(e, kind.name_key);
    if (target.is_null()) {
      AddDiagnostic(&result_.diagnostics, kError, Location(e.pointer, e.id),
                    absl::StrCat(e.type, " without ", kind.name_key, "; skipped"));
      return;
    }
    model::Resource& principal =
        Target(e, kind, target, absl::StrCat(e.pointer, "/Properties/", kind.name_key));
    const Json& doc = Property(e, "PolicyDocument");
    for (Json& entry :
         PolicyEntries(ResolvedString(Property(e, "PolicyName")), &doc, e.pointer, e.id)) {
      principal.document["inline_policies"].push_back(std::move(entry));
    }
  }

  const Json& root_;
  std::string_view file_;
  const TemplatePositions* positions_;
  const CloudFormationParameters& parameters_;  // --parameter values
  ParameterValues parameter_values_;            // filled by ReadParameters
  Resolver resolver_;
  AdapterResult result_;
  std::vector<Entry> entries_;
  std::deque<model::Resource> out_;                   // a deque: references stay valid
  std::map<std::string, std::size_t> index_;          // principal key -> out_ index
  std::map<std::string, std::string> by_name_;        // "kind:name" -> principal key
  std::map<std::string, std::size_t> managed_index_;  // "id:LogicalId" -> out_ index (first)
  std::map<std::string, std::vector<std::size_t>> managed_copies_;  // every variant's index
  std::map<std::string, std::string> managed_names_;                // the policy's own name
  std::map<std::string, int> attachment_counts_;
  std::map<std::string, int> boundary_counts_;
};

}  // namespace

bool CloudFormationYamlToJson(std::string_view text, std::string_view source_name,
                              nlohmann::json* out, TemplatePositions* positions,
                              core::Diagnostics* diagnostics, bool* lossy) {
  // yaml-cpp does not check UTF-8; invalid text would reach the JSON document and the engine.
  const internal::TextScan scan = internal::ScanJsonText(text, std::numeric_limits<int>::max());
  if (!scan.invalid_utf8.empty()) {
    AddDiagnostic(diagnostics, kError,
                  internal::LocationOfOffset(text, scan.invalid_utf8.front().offset, source_name),
                  "invalid UTF-8; the template is not read");
    return false;
  }
  std::string yaml(text);
  bool replaced = false;
  if (std::string clean; ReplaceForbiddenCharacters(text, source_name, &clean, diagnostics)) {
    yaml = std::move(clean);
    replaced = true;
  }
  CutDeepFlowCollections(&yaml);
  const auto at_mark = [source_name](const YAML::Mark& mark) {
    core::SourceLocation where;
    where.file = std::string(source_name);
    where.line = mark.line + 1;
    where.column = mark.column + 1;
    return where;
  };
  if (const std::optional<core::YamlTextError> stuck = core::CheckYamlDocuments(yaml)) {
    core::SourceLocation where;
    where.file = std::string(source_name);
    where.line = static_cast<int>(stuck->line);
    where.column = static_cast<int>(stuck->column);
    AddDiagnostic(diagnostics, kError, where, stuck->message);
    return false;
  }
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(yaml);
  } catch (const YAML::DeepRecursion& e) {
    AddDiagnostic(diagnostics, kError, at_mark(e.mark),
                  absl::StrCat("nesting deeper than ", e.depth() - 1,
                               " levels, the most the YAML reader allows (written as indentation; "
                               "deeper [ ] and { } are cut and reported instead); the template is "
                               "not read"));
    return false;
  } catch (const YAML::Exception& e) {
    AddDiagnostic(diagnostics, kError, at_mark(e.mark), absl::StrCat("not valid YAML: ", e.msg));
    return false;
  }
  // A template is one document. Any other is reported rather than dropped unseen: which of them
  // is the stack is not known, so only the first is read.
  YAML::Node root;
  bool first = true;
  for (const YAML::Node& document : documents) {
    if (document.IsNull()) continue;  // "---" alone, or a document of comments
    if (first) {
      root = document;
      first = false;
      continue;
    }
    AddDiagnostic(diagnostics, kError, at_mark(document.Mark()),
                  "a second YAML document: a CloudFormation template is one document, so this "
                  "one (and any after it) is not read; put each template in a file of its own");
    break;
  }
  YamlConverter converter(source_name, positions, diagnostics);
  try {
    *out = converter.Convert(root, "", 0);
    if (lossy != nullptr) *lossy = converter.lossy() || replaced;
  } catch (const std::exception& e) {
    AddDiagnostic(diagnostics, kError, PointerLocation(source_name, ""),
                  absl::StrCat("the YAML could not be read: ", e.what()));
    return false;
  }
  return !converter.failed();
}

AdapterResult ReadCloudFormationJson(const nlohmann::json& root, std::string_view source_name,
                                     const TemplatePositions* positions,
                                     const CloudFormationParameters& parameters) {
  return TemplateReader(root, source_name, positions, parameters).Read();
}

AdapterResult ReadCloudFormationTemplate(std::string_view text, std::string_view source_name,
                                         const CloudFormationParameters& parameters) {
  AdapterResult result;
  nlohmann::json root;
  TemplatePositions positions;
  bool lossy = false;
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && (text[first] == '{' || text[first] == '[')) {
    // JSON stays with the JSON reader every JSON input has (invalid UTF-8 is replaced and
    // reported, where the YAML reader refuses the template); its parser callback records the
    // positions the YAML reader takes from yaml-cpp's marks.
    if (!internal::ParseJsonText(text, internal::JsonOrigin{source_name, ""}, &root,
                                 &result.diagnostics, &lossy, {&positions, kPositionDepth, {}})) {
      return result;
    }
  } else if (!CloudFormationYamlToJson(text, source_name, &root, &positions, &result.diagnostics,
                                       &lossy)) {
    return result;
  }
  AdapterResult read = ReadCloudFormationJson(root, source_name, &positions, parameters);
  result.resources = std::move(read.resources);
  for (core::Diagnostic& d : read.diagnostics) result.diagnostics.push_back(std::move(d));
  if (lossy) internal::MarkUnreadablePolicies(&result.resources, &result.diagnostics);
  return result;
}

}  // namespace kmsguard::adapters
