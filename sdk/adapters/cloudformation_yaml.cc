// CloudFormation templates written as YAML -> the JSON document the template reader takes
// (ReadCloudFormationJson, cloudformation.cc), with the line and column of the values near the
// root. The stage holds everything that is about YAML and yaml-cpp: the template's short-form
// tags (`!Sub`, `!GetAtt`) and scalar types, and the text yaml-cpp would misread or refuse whole
// (raw control characters, flow collections nested past its depth limit), mended before it reads
// the text. It is a file of its own because none of it is about what a template means: the
// template reader starts from JSON, and a template written as JSON never comes here.
#include "sdk/adapters/cloudformation_yaml.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sdk/adapters/adapter_support.h"
#include "sdk/adapters/cloudformation.h"
#include "sdk/core/yaml_text.h"

namespace kmsguard::adapters {

namespace {

using internal::AddDiagnostic;
using internal::PointerLocation;
using internal::PointerToken;
using Json = nlohmann::json;
constexpr auto kError = core::DiagnosticSeverity::kError;
constexpr auto kWarning = core::DiagnosticSeverity::kWarning;

// --- YAML -> JSON -------------------------------------------------------------------------------

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
    if (positions_ != nullptr && depth <= internal::kCloudFormationPositionDepth) {
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
          if (positions_ != nullptr && depth + 1 <= internal::kCloudFormationPositionDepth) {
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

}  // namespace kmsguard::adapters
