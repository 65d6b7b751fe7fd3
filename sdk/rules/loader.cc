// Rule loader: YAML text -> Rule, every problem reported with its position.
//
// yaml-cpp is called only from LoadRuleText (directly or through RuleReader, which it owns), and
// its exceptions are caught there. Reading goes on after a problem so that one pass reports all
// of a file's problems.
#include <re2/re2.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <initializer_list>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/core/yaml_text.h"
#include "sdk/model/resource.h"
#include "sdk/rules/builtin_rule_files.h"
#include "sdk/rules/builtins.h"
#include "sdk/rules/expr.h"
#include "sdk/rules/rule.h"
#include "sdk/rules/template.h"
#include "sdk/rules/yaml_json.h"

namespace kmsguard::rules {

namespace {

// Stable diagnostic codes (docs/errors/<code>.md).
constexpr char kParseError[] = "rule_parse_error";        // not YAML
constexpr char kSchemaError[] = "rule_schema_error";      // YAML, but not a valid rule
constexpr char kTemplateError[] = "rule_template_error";  // a message/remediation template
constexpr char kLinkError[] = "rule_link_error";  // a name that refers to nothing (operator,
                                                  // parameter) or a duplicate rule id
constexpr char kPathError[] = "rule_path_error";  // a path outside the subset
constexpr char kQuantifierError[] = "rule_quantifier_error";  // a test on a list without one
constexpr char kRegexError[] = "rule_regex_error";            // invalid or over the cost limit
constexpr char kMacroCycle[] = "rule_macro_cycle";            // a macro that uses itself
constexpr char kOverrideError[] = "rule_override_error";      // an override that cannot apply
constexpr char kTooLarge[] = "rule_too_large";  // expands past a limit (macros, YAML aliases)
// Warnings (kmsguard check): the rule loads, but something is likely a mistake.
constexpr char kMissingRemediation[] = "rule_missing_remediation";
constexpr char kUnknownResourceType[] = "rule_unknown_resource_type";
constexpr char kUnused[] = "rule_unused_definition";
constexpr char kExpired[] = "rule_exception_expired";

constexpr std::string_view kParamTypes[] = {"string", "list", "bool", "number"};
constexpr std::string_view kProviders[] = {"aws"};

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

template <typename Range>
std::string Join(const Range& items) {
  return absl::StrJoin(items, ", ", [](std::string* out, const auto& item) {
    out->append(item.data(), item.size());
  });
}

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

// Shared definitions from `kind: Library` documents, visible to every rule of a load.
struct ListDef {
  nlohmann::json value;
  core::SourceLocation location;
  bool used = false;
};
struct MacroDef {
  YAML::Node body;
  std::string file;
  std::string_view text;
  core::SourceLocation location;
  bool used = false;
  enum class State { kNew, kBusy, kDone } state = State::kNew;
  ExprPtr expr;  // after kDone; null when the body had errors
};
struct Library {
  std::map<std::string, ListDef, std::less<>> lists;
  std::map<std::string, MacroDef, std::less<>> macros;
  // The expanded size of each macro body read (MacroDef::expr), by address: a use of a macro
  // counts its whole body, without walking it again.
  std::map<const Expr*, std::uint64_t> macro_sizes;
};

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

// YAML aliases let a short document stand for an exponentially large tree (each alias of an
// alias doubles it), which the reader would walk node by node. Documents are counted first, an
// alias once per use, and one past this many nodes is not read.
constexpr std::size_t kMaxDocumentNodes = 100'000;

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

struct KeySpec {
  std::string_view name;
  bool required;
};

class RuleReader {
 public:
  RuleReader(std::string_view text, std::string_view file, core::Diagnostics* diagnostics,
             Library* library = nullptr, bool lint = false, std::string today = TodayUtc())
      : text_(text),
        file_(file),
        diagnostics_(diagnostics),
        library_(library),
        lint_(lint),
        today_(std::move(today)) {}

  // Reads one YAML document into `rule`. Returns false when the document had errors.
  bool Read(const YAML::Node& root, Rule* rule);
  // Reads a `kind: Library` document into the library.
  void ReadLibrary(const YAML::Node& root);
  // Reads a `kind: Override` document. Returns false when it had errors.
  // `standalone`: a document of its own (api_version and kind required); otherwise an entry of a
  // configuration file's override list.
  bool ReadOverride(const YAML::Node& root, Override* out, bool standalone = true);

  // A lint warning: reported only when linting (kmsguard check).
  void Warn(std::string_view code, const core::SourceLocation& location, std::string message) {
    if (!lint_) return;
    diagnostics_->push_back(core::Diagnostic{core::DiagnosticSeverity::kWarning, std::string(code),
                                             std::move(message), location});
  }

  core::SourceLocation LocationOf(const YAML::Mark& mark) const {
    core::SourceLocation loc;
    loc.file = file_;
    if (!mark.is_null()) {
      loc.line = mark.line + 1;  // yaml-cpp counts from 0
      loc.column = mark.column + 1;
    }
    return loc;
  }

  void Report(std::string_view code, const core::SourceLocation& location, std::string message) {
    ++errors_;
    diagnostics_->push_back(core::Diagnostic{core::DiagnosticSeverity::kError, std::string(code),
                                             std::move(message), location});
  }

 private:
  core::SourceLocation LocationOf(const YAML::Node& node) const {
    return LocationOf(node.IsDefined() ? node.Mark() : YAML::Mark::null_mark());
  }
  core::SourceLocation LocationAtOffset(std::size_t offset) const;
  // Position of `piece`, found inside the scalar `node` at `offset` of its value, in the source
  // text: exact for plain, quoted and block scalars alike, because it searches the raw text from
  // the scalar's start for the same occurrence of the same characters.
  core::SourceLocation LocationInScalar(const YAML::Node& node, std::size_t offset,
                                        std::size_t length) const;

  void Report(std::string_view code, const YAML::Node& at, std::string message) {
    Report(code, LocationOf(at), std::move(message));
  }

  // Checks `node` is a map whose keys are among `keys`, each at most once, with every required
  // key present. `what` names the map in messages. Returns false when `node` is not a map.
  bool CheckMap(const YAML::Node& node, const std::string& what,
                std::initializer_list<KeySpec> keys);
  // Reports keys that occur twice in a map (yaml-cpp keeps both and `[]` returns the first).
  void CheckDuplicateKeys(const YAML::Node& node, const std::string& what);

  // Typed reads of `map[key]`. Absent keys are left alone (CheckMap reports missing required
  // ones); a present value of the wrong type is reported.
  bool GetString(const YAML::Node& map, std::string_view key, std::string* out);
  bool GetStringList(const YAML::Node& map, std::string_view key, std::vector<std::string>* out,
                     bool non_empty);

  // Generic conditions. `rule` gives the parameters a value may refer to.
  ExprPtr ReadExpr(const YAML::Node& node, const Rule& rule);
  ExprPtr ReadGroup(const std::string& op, const YAML::Node& name, const YAML::Node& value,
                    const Rule& rule);
  ExprPtr ReadTest(const std::string& op, const YAML::Node& name, const YAML::Node& value,
                   const Rule& rule);
  ExprPtr ReadMeasure(const std::string& op, const YAML::Node& name, const YAML::Node& value,
                      const Rule& rule);
  ExprPtr ReadMacroRef(const YAML::Node& name, const YAML::Node& value, const Rule& rule);
  bool ReadPath(const YAML::Node& node, Path* out);
  bool ReadOperand(const YAML::Node& node, const Rule& rule, Operand* out, std::string* type);
  bool ReadCall(const YAML::Node& name_node, const YAML::Node& args, Rule* rule, BuiltinCall* out);
  void ReadForEach(const YAML::Node& node, Rule* rule);
  void ReadExceptions(const YAML::Node& node, const Rule& rule, std::vector<Exception>* out);

  void ReadParams(const YAML::Node& node, Rule* rule);
  void ReadParam(const YAML::Node& key, const YAML::Node& node, Param* param);
  void ReadViolation(const YAML::Node& node, Rule* rule);
  void CheckArg(std::string_view builtin, const ArgSpec& spec, const YAML::Node& value,
                const Rule& rule);
  // The number of conditions `expr` stands for once every macro use counts its whole body
  // (saturating): what evaluating it costs per resource.
  std::uint64_t ExpandedSize(const Expr& expr) const;
  // Reports `what` (a rule's conditions, an exception's match) at `where` when it expands past
  // kMaxExpandedConditions. True when it stays within.
  bool WithinExpansionLimit(std::uint64_t size, const core::SourceLocation& where,
                            const std::string& what);
  void CheckResourceTypesByValue(const BuiltinSpec& spec, const YAML::Node& args, const Rule& rule);
  void ReadTemplate(const YAML::Node& map, std::string_view key, const Rule& rule,
                    std::string* out);

  std::string_view text_;
  std::string file_;
  core::Diagnostics* diagnostics_;
  Library* library_;
  bool lint_;
  std::string today_;
  std::vector<std::string> macro_stack_;  // macros being read, for cycle detection
  // What the built-in arguments of the rule being read take its parameters for (by name).
  struct ParamUse {
    std::string used_by;
    bool needs_items = false;
    std::vector<std::string> argument_values;
    bool has_argument_values = false;
    bool pattern = false;       // a `matches` pattern
    bool action_names = false;  // the actions of `covers_action`
  };
  std::map<std::string, ParamUse> param_uses_;
  int errors_ = 0;
};

// The actions of a `covers_action` value: an IAM action ("service:Action") or a list of them,
// without `*` or `?` (the data holds the patterns). Returns what is wrong, or "".
std::string CheckActionNames(const nlohmann::json& value) {
  const nlohmann::json list = value.is_array() ? value : nlohmann::json::array({value});
  for (const nlohmann::json& item : list) {
    if (!item.is_string()) return absl::StrCat("IAM actions, not ", item.dump());
    const std::string& action = item.get_ref<const std::string&>();
    const std::size_t colon = action.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == action.size() ||
        action.find(':', colon + 1) != std::string::npos ||
        std::any_of(action.begin(), action.end(), [](char c) {
          return c == '*' || c == '?' || absl::ascii_isspace(static_cast<unsigned char>(c));
        })) {
      return absl::StrCat("IAM actions such as sts:AssumeRole, not ", Quoted(action),
                          ": the patterns are the data's (to put a pattern in the rule, use "
                          "glob with ignore_case)");
    }
  }
  return "";
}

// The RE2 programs of a `matches` value: one pattern or a list of them. `problem` receives the
// first problem (not a string, invalid, over kMaxRegexProgramSize), and then nothing is returned.
std::vector<std::shared_ptr<const RE2>> CompilePatterns(const nlohmann::json& value,
                                                        std::string* problem) {
  std::vector<std::shared_ptr<const RE2>> out;
  const nlohmann::json list = value.is_array() ? value : nlohmann::json::array({value});
  for (const nlohmann::json& item : list) {
    if (!item.is_string()) {
      *problem = absl::StrCat("a pattern must be a string, got ", item.dump());
      return {};
    }
    RE2::Options options;
    options.set_log_errors(false);
    auto regex = std::make_shared<const RE2>(item.get<std::string>(), options);
    if (!regex->ok()) {
      *problem = absl::StrCat("invalid regular expression: ", regex->error());
      return {};
    }
    if (regex->ProgramSize() > kMaxRegexProgramSize) {
      *problem = absl::StrCat("regular expression too costly: its RE2 program size is ",
                              regex->ProgramSize(), ", the limit is ", kMaxRegexProgramSize,
                              "; simplify it (fewer repetitions, smaller counted ranges)");
      return {};
    }
    out.push_back(std::move(regex));
  }
  return out;
}

core::SourceLocation RuleReader::LocationAtOffset(std::size_t offset) const {
  return LocationOfOffset(text_, offset, file_);
}

core::SourceLocation RuleReader::LocationInScalar(const YAML::Node& node, std::size_t offset,
                                                  std::size_t length) const {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.pos < 0) return LocationOf(mark);
  const std::string& value = node.Scalar();
  const std::string_view piece = std::string_view(value).substr(offset, length);
  // Which occurrence of `piece` in the value this is, so the same one is found in the source.
  int occurrence = 0;
  for (std::size_t at = value.find(piece); at < offset; at = value.find(piece, at + 1)) {
    ++occurrence;
  }
  std::size_t at = text_.find(piece, static_cast<std::size_t>(mark.pos));
  for (; at != std::string_view::npos && occurrence > 0; --occurrence) {
    at = text_.find(piece, at + 1);
  }
  return at == std::string_view::npos ? LocationOf(mark) : LocationAtOffset(at);
}

void RuleReader::CheckDuplicateKeys(const YAML::Node& node, const std::string& what) {
  std::set<std::string, std::less<>> seen;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) continue;
    if (!seen.insert(kv.first.Scalar()).second) {
      Report(kSchemaError, kv.first,
             absl::StrCat("duplicate key ", Quoted(kv.first.Scalar()), " in ", what));
    }
  }
}

bool RuleReader::CheckMap(const YAML::Node& node, const std::string& what,
                          std::initializer_list<KeySpec> keys) {
  if (!node.IsMap()) {
    Report(kSchemaError, node, absl::StrCat(what, " must be a map, got ", NodeKind(node)));
    return false;
  }
  CheckDuplicateKeys(node, what);
  std::vector<std::string_view> allowed;
  for (const KeySpec& key : keys) allowed.push_back(key.name);
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) {
      Report(kSchemaError, kv.first, absl::StrCat("keys of ", what, " must be scalars"));
      continue;
    }
    const std::string& name = kv.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      Report(kSchemaError, kv.first,
             absl::StrCat("unknown key ", Quoted(name), " in ", what,
                          "; allowed keys: ", Join(allowed)));
    }
  }
  for (const KeySpec& key : keys) {
    if (key.required && !node[std::string(key.name)].IsDefined()) {
      Report(kSchemaError, node, absl::StrCat(what, " is missing required key ", Quoted(key.name)));
    }
  }
  return true;
}

bool RuleReader::GetString(const YAML::Node& map, std::string_view key, std::string* out) {
  const YAML::Node node = map[std::string(key)];
  if (!node.IsDefined()) return false;
  if (!node.IsScalar()) {
    Report(kSchemaError, node,
           absl::StrCat(Quoted(key), " must be a string, got ", NodeKind(node)));
    return false;
  }
  if (const std::string other = NotText(node); !other.empty()) {
    Report(kSchemaError, node,
           absl::StrCat(Quoted(key), " must be a string, got ", other, QuoteItHint(node)));
    return false;
  }
  *out = node.Scalar();
  if (absl::StripAsciiWhitespace(*out).empty()) {
    Report(kSchemaError, node, absl::StrCat(Quoted(key), " must not be empty"));
    return false;
  }
  return true;
}

bool RuleReader::GetStringList(const YAML::Node& map, std::string_view key,
                               std::vector<std::string>* out, bool non_empty) {
  const YAML::Node node = map[std::string(key)];
  if (!node.IsDefined()) return false;
  if (!node.IsSequence()) {
    Report(kSchemaError, node, absl::StrCat(Quoted(key), " must be a list, got ", NodeKind(node)));
    return false;
  }
  bool ok = true;
  for (const YAML::Node& item : node) {
    if (!item.IsScalar()) {
      Report(kSchemaError, item,
             absl::StrCat("items of ", Quoted(key), " must be strings, got ", NodeKind(item)));
      ok = false;
      continue;
    }
    if (const std::string other = NotText(item); !other.empty()) {
      Report(kSchemaError, item,
             absl::StrCat("items of ", Quoted(key), " must be strings, got ", other,
                          QuoteItHint(item)));
      ok = false;
      continue;
    }
    out->push_back(item.Scalar());
  }
  if (non_empty && node.size() == 0) {
    Report(kSchemaError, node, absl::StrCat(Quoted(key), " must not be empty"));
    ok = false;
  }
  return ok;
}

// The document's `kind`, or "" when it has none (or is not a map). yaml-cpp's lookup of a missing
// key in a const node gives a node whose type queries throw, so it is tested with IsDefined first.
std::string KindOf(const YAML::Node& document) {
  if (!document.IsMap()) return "";
  const YAML::Node kind = document["kind"];
  return kind.IsDefined() && kind.IsScalar() ? kind.Scalar() : "";
}

bool RuleReader::Read(const YAML::Node& root, Rule* rule) {
  const int errors_before = errors_;
  param_uses_.clear();
  rule->location = LocationOf(root);
  // A document of another kind is not a rule with missing keys: one error, not ten.
  if (const std::string kind = KindOf(root); !kind.empty() && kind != "Rule") {
    Report(kSchemaError, root["kind"],
           absl::StrCat("unknown kind ", Quoted(kind), "; expected Rule, Library or Override"));
    return false;
  }
  if (!CheckMap(root, "a rule",
                {{"api_version", true},
                 {"kind", true},
                 {"id", true},
                 {"version", true},
                 {"title", true},
                 {"description", true},
                 {"severity", true},
                 {"provider", false},
                 {"resource_types", true},
                 {"compliance", false},
                 {"references", false},
                 {"tags", false},
                 {"params", false},
                 {"when", false},
                 {"for_each", false},
                 {"violation", true},
                 {"message", true},
                 {"remediation", false},
                 {"exceptions", false}})) {
    return false;
  }

  if (std::string api; GetString(root, "api_version", &api) && api != kApiVersion) {
    Report(kSchemaError, root["api_version"],
           absl::StrCat("unsupported api_version ", Quoted(api), "; expected ", kApiVersion));
  }
  if (std::string kind; GetString(root, "kind", &kind) && kind != "Rule") {
    Report(kSchemaError, root["kind"],
           absl::StrCat("unknown kind ", Quoted(kind), "; expected Rule, Library or Override"));
  }
  if (GetString(root, "id", &rule->id) && !IsRuleId(rule->id)) {
    Report(kSchemaError, root["id"],
           absl::StrCat("invalid id ", Quoted(rule->id),
                        ": use lowercase letters, digits, '-', '.' and '_'"));
  }
  if (GetString(root, "version", &rule->version) && !IsVersion(rule->version)) {
    Report(kSchemaError, root["version"],
           absl::StrCat("invalid version ", Quoted(rule->version), ": expected MAJOR.MINOR.PATCH"));
  }
  GetString(root, "title", &rule->title);
  GetString(root, "description", &rule->description);
  if (std::string severity;
      GetString(root, "severity", &severity) && !model::ParseSeverity(severity, &rule->severity)) {
    Report(kSchemaError, root["severity"],
           absl::StrCat("invalid severity ", Quoted(severity),
                        "; allowed: informational, low, medium, high, critical"));
  }
  if (GetString(root, "provider", &rule->provider) &&
      std::find(std::begin(kProviders), std::end(kProviders), rule->provider) ==
          std::end(kProviders)) {
    Report(
        kSchemaError, root["provider"],
        absl::StrCat("unknown provider ", Quoted(rule->provider), "; allowed: ", Join(kProviders)));
  }
  GetStringList(root, "resource_types", &rule->resource_types, /*non_empty=*/true);
  // Not an error: a host may send its own resource types over gRPC. But a typo here
  // ("AWS::IAM::role") silently makes a rule that never runs on the snapshots kmsguard reads.
  static constexpr std::string_view kAdapterTypes[] = {model::kIamUser, model::kIamGroup,
                                                       model::kIamRole, model::kIamManagedPolicy};
  for (const std::string& type : rule->resource_types) {
    if (std::find(std::begin(kAdapterTypes), std::end(kAdapterTypes), type) ==
        std::end(kAdapterTypes)) {
      Warn(kUnknownResourceType, LocationOf(root["resource_types"].Mark()),
           absl::StrCat("resource type ", Quoted(type),
                        " is not one the input adapters produce (", Join(kAdapterTypes),
                        "): the rule only sees it if a host sends such resources over gRPC"));
    }
  }
  GetStringList(root, "references", &rule->references, /*non_empty=*/false);
  GetStringList(root, "tags", &rule->tags, /*non_empty=*/false);

  if (const YAML::Node compliance = root["compliance"]; compliance.IsDefined()) {
    if (!compliance.IsSequence()) {
      Report(kSchemaError, compliance,
             absl::StrCat("\"compliance\" must be a list, got ", NodeKind(compliance)));
    } else {
      for (const YAML::Node& item : compliance) {
        if (!CheckMap(item, "a compliance entry", {{"standard", true}, {"control", true}})) {
          continue;
        }
        model::ComplianceRef ref;
        if (GetString(item, "standard", &ref.standard) &&
            GetString(item, "control", &ref.control)) {
          rule->compliance.push_back(std::move(ref));
        }
      }
    }
  }

  // Parameters first: the violation and the templates refer to them.
  if (const YAML::Node params = root["params"]; params.IsDefined()) ReadParams(params, rule);
  for (const Param& param : rule->params) rule->param_values[param.name] = param.default_value;

  if (const YAML::Node when = root["when"]; when.IsDefined()) {
    rule->when = ReadExpr(when, *rule);
  }
  if (const YAML::Node for_each = root["for_each"]; for_each.IsDefined()) {
    ReadForEach(for_each, rule);
  }
  if (const YAML::Node violation = root["violation"]; violation.IsDefined()) {
    ReadViolation(violation, rule);
  }
  if (const YAML::Node exceptions = root["exceptions"]; exceptions.IsDefined()) {
    ReadExceptions(exceptions, *rule, &rule->exceptions);
  }
  // Each is evaluated for every resource the rule applies to: together they must stay within
  // the limit, as each macro does on its own.
  std::uint64_t conditions = 0;
  const auto add = [&](std::uint64_t n) {
    conditions = n > std::numeric_limits<std::uint64_t>::max() - conditions
                     ? std::numeric_limits<std::uint64_t>::max()
                     : conditions + n;
  };
  if (rule->when != nullptr) add(ExpandedSize(*rule->when));
  if (rule->condition != nullptr) add(ExpandedSize(*rule->condition));
  for (const Exception& exception : rule->exceptions) {
    if (exception.match != nullptr) add(ExpandedSize(*exception.match));
  }
  WithinExpansionLimit(conditions, rule->violation.location,
                       absl::StrCat("the conditions of rule ", Quoted(rule->id),
                                    " (when, violation and exceptions)"));
  for (Param& param : rule->params) {
    const auto use = param_uses_.find(param.name);
    if (use == param_uses_.end()) continue;
    param.used_by = use->second.used_by;
    param.needs_items = use->second.needs_items;
    if (use->second.has_argument_values) param.argument_values = use->second.argument_values;
    param.pattern = use->second.pattern;
    param.action_names = use->second.action_names;
    if (param.pattern) {
      // The default was checked where the parameter is used (ReadTest).
      std::string problem;
      rule->param_patterns[param.name] = CompilePatterns(param.default_value, &problem);
    }
  }

  ReadTemplate(root, "message", *rule, &rule->message);
  if (const YAML::Node remediation = root["remediation"]; remediation.IsDefined()) {
    if (CheckMap(remediation, "remediation",
                 {{"summary", false}, {"console", false}, {"cli", false}, {"terraform", false}})) {
      ReadTemplate(remediation, "summary", *rule, &rule->remediation.summary);
      ReadTemplate(remediation, "console", *rule, &rule->remediation.console);
      ReadTemplate(remediation, "cli", *rule, &rule->remediation.cli);
      ReadTemplate(remediation, "terraform", *rule, &rule->remediation.terraform);
    }
  } else {
    Warn(kMissingRemediation, rule->location,
         absl::StrCat("rule ", Quoted(rule->id),
                      " has no remediation: findings will not say how to fix them"));
  }
  return errors_ == errors_before;
}

void RuleReader::ReadParams(const YAML::Node& node, Rule* rule) {
  if (!node.IsMap()) {
    Report(kSchemaError, node,
           absl::StrCat("\"params\" must be a map of name to parameter, got ", NodeKind(node)));
    return;
  }
  CheckDuplicateKeys(node, "params");
  std::set<std::string, std::less<>> seen;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) {
      Report(kSchemaError, kv.first, "parameter names must be scalars");
      continue;
    }
    Param param;
    param.name = kv.first.Scalar();
    if (!seen.insert(param.name).second) continue;  // reported by CheckDuplicateKeys
    if (!IsParamName(param.name)) {
      Report(kSchemaError, kv.first,
             absl::StrCat("invalid parameter name ", Quoted(param.name),
                          ": use lowercase letters, digits and '_'"));
    }
    ReadParam(kv.first, kv.second, &param);
    rule->params.push_back(std::move(param));
  }
}

void RuleReader::ReadParam(const YAML::Node& key, const YAML::Node& node, Param* param) {
  const std::string what = absl::StrCat("parameter ", Quoted(param->name));
  if (node.IsNull()) {
    Report(kSchemaError, key, absl::StrCat(what, " needs a map with \"type\" and \"default\""));
    return;
  }
  if (!CheckMap(node, what,
                {{"type", true}, {"default", true}, {"description", false}, {"allowed", false}})) {
    return;
  }
  GetString(node, "description", &param->description);
  const bool has_type = GetString(node, "type", &param->type);
  if (has_type && std::find(std::begin(kParamTypes), std::end(kParamTypes), param->type) ==
                      std::end(kParamTypes)) {
    Report(kSchemaError, node["type"],
           absl::StrCat("unknown type ", Quoted(param->type), " for ", what,
                        "; allowed: ", Join(kParamTypes)));
    return;
  }
  if (node["allowed"].IsDefined()) {
    if (param->type != "string" && param->type != "list") {
      Report(kSchemaError, node["allowed"],
             absl::StrCat("\"allowed\" applies only to string and list parameters (", what, ")"));
    }
    GetStringList(node, "allowed", &param->allowed, /*non_empty=*/true);
  }
  const YAML::Node value = node["default"];
  if (!has_type || !value.IsDefined()) return;

  // The default must have the declared type, and its strings must be allowed.
  std::vector<std::string> strings;
  if (param->type == "string") {
    if (!value.IsScalar()) {
      Report(kSchemaError, value,
             absl::StrCat("default of ", what, " must be a string, got ", NodeKind(value)));
      return;
    }
    if (const std::string other = NotText(value); !other.empty()) {
      Report(
          kSchemaError, value,
          absl::StrCat("default of ", what, " must be a string, got ", other, QuoteItHint(value)));
      return;
    }
    param->default_value = value.Scalar();
    strings.push_back(value.Scalar());
  } else if (param->type == "list") {
    if (!value.IsSequence()) {
      Report(kSchemaError, value,
             absl::StrCat("default of ", what, " must be a list, got ", NodeKind(value)));
      return;
    }
    param->default_value = nlohmann::json::array();
    for (const YAML::Node& item : value) {
      if (!item.IsScalar() || !NotText(item).empty()) {
        Report(kSchemaError, item,
               absl::StrCat("items of the default of ", what, " must be strings, got ",
                            item.IsScalar() ? NotText(item) : NodeKind(item),
                            item.IsScalar() ? QuoteItHint(item) : ""));
        continue;
      }
      param->default_value.push_back(item.Scalar());
      strings.push_back(item.Scalar());
    }
  } else if (param->type == "bool") {
    bool b = false;
    if (!value.IsScalar() || IsQuoted(value) || !YAML::convert<bool>::decode(value, b)) {
      Report(kSchemaError, value,
             absl::StrCat("default of ", what, " must be true or false",
                          IsQuoted(value) ? ", not a quoted string" : ""));
      return;
    }
    param->default_value = b;
  } else {
    double d = 0;
    if (!value.IsScalar() || IsQuoted(value) || !YAML::convert<double>::decode(value, d)) {
      Report(kSchemaError, value,
             absl::StrCat("default of ", what, " must be a number",
                          IsQuoted(value) ? ", not a quoted string" : ""));
      return;
    }
    param->default_value = d;
  }
  if (param->allowed.empty()) return;
  for (const std::string& s : strings) {
    if (std::find(param->allowed.begin(), param->allowed.end(), s) == param->allowed.end()) {
      Report(kSchemaError, value,
             absl::StrCat("default ", Quoted(s), " of ", what,
                          " is not allowed; allowed: ", Join(param->allowed)));
    }
  }
}

void RuleReader::ReadViolation(const YAML::Node& node, Rule* rule) {
  // A lone built-in call (and no for_each) keeps the built-in's own verdict: status, evidence,
  // message values. Anything else is a generic condition, which may call built-ins inside.
  if (node.IsMap() && node.size() == 1 && !rule->for_each) {
    const auto call = *node.begin();
    if (call.first.IsScalar() && FindBuiltin(call.first.Scalar()) != nullptr) {
      rule->violation.location = LocationOf(call.first);
      BuiltinCall parsed;
      ReadCall(call.first, call.second, rule, &parsed);
      rule->violation.builtin = parsed.name;
      rule->violation.args = std::move(parsed.args);
      return;
    }
  }
  rule->violation.location = LocationOf(node);
  rule->condition = ReadExpr(node, *rule);
}

bool RuleReader::ReadCall(const YAML::Node& name_node, const YAML::Node& args, Rule* rule,
                          BuiltinCall* out) {
  const int errors_before = errors_;
  const BuiltinSpec* spec = FindBuiltin(name_node.Scalar());
  out->name = std::string(spec->name);
  const std::string what = absl::StrCat("the arguments of ", AV(spec->name));
  if (!args.IsMap()) {
    Report(kSchemaError, args.IsNull() ? name_node : args,
           absl::StrCat(what, " must be a map, got ", NodeKind(args)));
    return false;
  }
  CheckDuplicateKeys(args, what);
  std::vector<std::string_view> arg_names;
  for (const ArgSpec& arg : spec->args) arg_names.push_back(arg.name);
  for (const auto& kv : args) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
    if (std::find(arg_names.begin(), arg_names.end(), key) == arg_names.end()) {
      Report(kSchemaError, kv.first,
             absl::StrCat("unknown argument ", Quoted(key), " of ", AV(spec->name),
                          "; allowed: ", Join(arg_names)));
    }
  }
  for (const ArgSpec& arg : spec->args) {
    const YAML::Node value = args[std::string(arg.name)];
    if (!value.IsDefined()) {
      if (arg.required) {
        Report(kSchemaError, name_node,
               absl::StrCat(AV(spec->name), " is missing required argument ", Quoted(arg.name)));
      }
      continue;
    }
    CheckArg(spec->name, arg, value, *rule);
  }
  out->args = ToJson(args);
  // Literal booleans are kept as JSON booleans (ToJson gives every scalar as a string).
  for (const ArgSpec& arg : spec->args) {
    const YAML::Node value = args[std::string(arg.name)];
    bool b = false;
    if (arg.kind == ArgKind::kBool && value.IsDefined() && value.IsScalar() &&
        YAML::convert<bool>::decode(value, b)) {
      out->args[std::string(arg.name)] = b;
    }
  }
  CheckResourceTypesByValue(*spec, args, *rule);

  for (const std::string& type : rule->resource_types) {
    if (std::find(spec->resource_types.begin(), spec->resource_types.end(), type) ==
        spec->resource_types.end()) {
      Report(kLinkError, name_node,
             absl::StrCat(AV(spec->name), " cannot read resource type ", Quoted(type),
                          "; it reads: ", Join(spec->resource_types)));
    }
  }
  return errors_ == errors_before;
}

bool RuleReader::ReadPath(const YAML::Node& node, Path* out) {
  if (!node.IsScalar()) {
    Report(kPathError, node, absl::StrCat("a path must be a string, got ", NodeKind(node)));
    return false;
  }
  std::string error;
  std::size_t offset = 0;
  if (!ParsePath(node.Scalar(), out, &error, &offset)) {
    const std::size_t length = node.Scalar().empty() ? 0 : 1;
    Report(kPathError, LocationInScalar(node, std::min(offset, node.Scalar().size()), length),
           absl::StrCat("bad path ", Quoted(node.Scalar()), ": ", error,
                        " (docs/rule-authoring.md#paths)"));
    return false;
  }
  return true;
}

// `type` receives "string", "number", "bool", "list" or "any" (a literal null or map).
bool RuleReader::ReadOperand(const YAML::Node& node, const Rule& rule, Operand* out,
                             std::string* type) {
  constexpr std::string_view kListPrefix = "${lists.";
  if (node.IsScalar()) {
    const std::string& text = node.Scalar();
    if (std::string param; ParseParamRef(text, &param)) {
      const auto it = std::find_if(rule.params.begin(), rule.params.end(),
                                   [&](const Param& p) { return p.name == param; });
      if (it == rule.params.end()) {
        Report(kLinkError, node, absl::StrCat("refers to undeclared parameter ", Quoted(param)));
        return false;
      }
      out->param = param;
      *type = it->type;
      return true;
    }
    if (text.size() > kListPrefix.size() + 1 &&
        text.compare(0, kListPrefix.size(), kListPrefix) == 0 && text.back() == '}') {
      const std::string name =
          text.substr(kListPrefix.size(), text.size() - kListPrefix.size() - 1);
      auto it = library_ ? library_->lists.find(name) : decltype(library_->lists.end())();
      if (library_ == nullptr || it == library_->lists.end()) {
        std::vector<std::string> names;
        if (library_) {
          for (const auto& [n, def] : library_->lists) names.push_back(n);
        }
        Report(kLinkError, node,
               absl::StrCat("refers to undefined list ", Quoted(name),
                            "; lists: ", names.empty() ? "(none)" : Join(names)));
        return false;
      }
      it->second.used = true;
      out->literal = it->second.value;
      *type = "list";
      return true;
    }
  }
  if (node.IsMap()) {
    Report(kSchemaError, node, "a value must be a scalar, a list, ${params.NAME} or ${lists.NAME}");
    return false;
  }
  out->literal = TypedJson(node);
  *type = out->literal.is_string()    ? "string"
          : out->literal.is_number()  ? "number"
          : out->literal.is_boolean() ? "bool"
          : out->literal.is_array()   ? "list"
                                      : "any";
  return true;
}

ExprPtr RuleReader::ReadExpr(const YAML::Node& node, const Rule& rule) {
  if (!node.IsMap() || node.size() != 1 || !node.begin()->first.IsScalar()) {
    Report(kSchemaError, node,
           absl::StrCat("a condition must be a map with exactly one operator, e.g. "
                        "{equals: {path: $.name, value: admin}}; got ",
                        node.IsMap() ? absl::StrCat(node.size(), " keys") : NodeKind(node)));
    return nullptr;
  }
  const auto entry = *node.begin();
  const std::string op = entry.first.Scalar();
  const YAML::Node& value = entry.second;
  if (op == "all" || op == "any" || op == "none" || op == "not") {
    return ReadGroup(op, entry.first, value, rule);
  }
  if (op == "macro") return ReadMacroRef(entry.first, value, rule);
  if (op == "length" || op == "count") return ReadMeasure(op, entry.first, value, rule);
  static const std::vector<std::string_view> kTests = {
      "equals",   "in", "exists", "glob", "matches", "starts_with",
      "contains", "lt", "le",     "gt",   "ge",      "covers_action"};
  if (std::find(kTests.begin(), kTests.end(), op) != kTests.end()) {
    return ReadTest(op, entry.first, value, rule);
  }
  if (FindBuiltin(op) != nullptr) {
    auto expr = std::make_shared<Expr>();
    expr->kind = Expr::Kind::kBuiltin;
    expr->op = op;
    expr->location = LocationOf(entry.first);
    // ReadCall checks the rule's resource types against the built-in; it needs a mutable rule only
    // for its signature, so a copy of the relevant parts is enough.
    Rule scratch;
    scratch.params = rule.params;
    scratch.resource_types = rule.resource_types;
    if (!ReadCall(entry.first, value, &scratch, &expr->call)) return nullptr;
    return expr;
  }
  std::vector<std::string> names;
  for (std::string_view name : GenericOperators()) names.emplace_back(name);
  for (const BuiltinSpec& spec : Builtins()) names.emplace_back(spec.name);
  Report(kLinkError, entry.first,
         absl::StrCat("unknown operator ", Quoted(op), "; operators: ", Join(names)));
  return nullptr;
}

ExprPtr RuleReader::ReadGroup(const std::string& op, const YAML::Node& name,
                              const YAML::Node& value, const Rule& rule) {
  auto expr = std::make_shared<Expr>();
  expr->op = op;
  expr->location = LocationOf(name);
  bool ok = true;
  if (op == "not") {
    expr->kind = Expr::Kind::kNot;
    ExprPtr child = ReadExpr(value, rule);
    if (child == nullptr) return nullptr;
    expr->children.push_back(std::move(child));
    return expr;
  }
  if (value.IsMap()) {
    // A quantifier over the items a path selects: any|all|none: {path: ..[*], where: condition}.
    expr->kind = Expr::Kind::kScope;
    expr->quantifier = op == "all"   ? Quantifier::kAll
                       : op == "any" ? Quantifier::kAny
                                     : Quantifier::kNone;
    const std::string what = absl::StrCat(Quoted(op), " over a list");
    if (!CheckMap(value, what, {{"path", true}, {"where", true}})) return nullptr;
    if (!value["path"].IsDefined() || !value["where"].IsDefined()) return nullptr;
    if (!ReadPath(value["path"], &expr->path)) ok = false;
    if (ok && !expr->path.multi) {
      Report(kQuantifierError, value["path"],
             absl::StrCat(what, " needs a path that selects a list, ending in [*]; got ",
                          Quoted(expr->path.text)));
      ok = false;
    }
    ExprPtr where = ReadExpr(value["where"], rule);
    if (where == nullptr || !ok) return nullptr;
    expr->children.push_back(std::move(where));
    return expr;
  }
  expr->kind = op == "all" ? Expr::Kind::kAll : op == "any" ? Expr::Kind::kAny : Expr::Kind::kNone;
  if (!value.IsSequence() || value.size() == 0) {
    Report(kSchemaError, value.IsNull() ? name : value,
           absl::StrCat(Quoted(op),
                        " takes a non-empty list of conditions, or {path: ..[*], where: ...} "
                        "to quantify over a list; got ",
                        NodeKind(value)));
    return nullptr;
  }
  for (const YAML::Node& item : value) {
    ExprPtr child = ReadExpr(item, rule);
    if (child == nullptr) {
      ok = false;
      continue;
    }
    expr->children.push_back(std::move(child));
  }
  return ok ? expr : nullptr;
}

ExprPtr RuleReader::ReadTest(const std::string& op, const YAML::Node& name, const YAML::Node& value,
                             const Rule& rule) {
  auto expr = std::make_shared<Expr>();
  expr->kind = Expr::Kind::kTest;
  expr->op = op;
  expr->location = LocationOf(name);
  const bool takes_value = op != "exists";
  const bool takes_case =
      op == "equals" || op == "in" || op == "glob" || op == "starts_with" || op == "contains";
  const std::string what = Quoted(op);
  if (!CheckMap(value, what,
                {{"path", true},
                 {"value", takes_value},
                 {"quantifier", false},
                 {"ignore_case", false}})) {
    return nullptr;
  }
  bool ok = true;
  if (value["value"].IsDefined() && !takes_value) {
    ok = false;  // reported by CheckMap? no: "value" is allowed by the spec list, so say it here
    Report(kSchemaError, value["value"], absl::StrCat(what, " takes no \"value\""));
  }
  if (value["ignore_case"].IsDefined()) {
    bool b = false;
    if (!takes_case) {
      Report(kSchemaError, value["ignore_case"],
             absl::StrCat(what,
                          " takes no \"ignore_case\"; only equals, in, glob, starts_with "
                          "and contains do"));
      ok = false;
    } else if (!value["ignore_case"].IsScalar() || IsQuoted(value["ignore_case"]) ||
               !YAML::convert<bool>::decode(value["ignore_case"], b)) {
      Report(kSchemaError, value["ignore_case"], "\"ignore_case\" must be true or false");
      ok = false;
    }
    expr->ignore_case = b;
  }
  if (!value["path"].IsDefined() || !ReadPath(value["path"], &expr->path)) return nullptr;
  if (const YAML::Node q = value["quantifier"]; q.IsDefined()) {
    const std::string text = q.IsScalar() ? q.Scalar() : "";
    expr->quantifier = text == "any"    ? Quantifier::kAny
                       : text == "all"  ? Quantifier::kAll
                       : text == "none" ? Quantifier::kNone
                                        : Quantifier::kUnset;
    if (expr->quantifier == Quantifier::kUnset) {
      Report(kSchemaError, q, "\"quantifier\" must be any, all or none");
      ok = false;
    } else if (!expr->path.multi) {
      Report(kQuantifierError, q,
             absl::StrCat("\"quantifier\" needs a path that selects a list (with [*]); ",
                          Quoted(expr->path.text), " selects one value"));
      ok = false;
    }
  } else if (expr->path.multi) {
    Report(kQuantifierError, value["path"],
           absl::StrCat(what, " on ", Quoted(expr->path.text),
                        ", which selects a list: say which items must pass with "
                        "quantifier: any, all or none"));
    ok = false;
  }
  if (!takes_value || !value["value"].IsDefined()) return ok ? expr : nullptr;
  std::string type;
  const YAML::Node v = value["value"];
  if (!ReadOperand(v, rule, &expr->value, &type)) return nullptr;
  if (op == "in" && type != "list") {
    Report(kSchemaError, v, absl::StrCat(what, " needs a list value, got a ", type));
    ok = false;
  }
  if (op == "covers_action") {
    // The rule names actions; the patterns are the data's. A wildcard here would only be compared
    // as a character, so it is refused rather than left to match nothing.
    if (type != "string" && type != "list") {
      Report(kSchemaError, v,
             absl::StrCat(what, " needs an IAM action (or a list of them), got a ", type));
      ok = false;
    } else if (!expr->value.param.empty()) {
      ParamUse& use = param_uses_[expr->value.param];
      if (use.used_by.empty()) use.used_by = "the actions of \"covers_action\"";
      use.action_names = true;
      if (std::string problem = CheckActionNames(rule.ParamValue(expr->value.param));
          !problem.empty()) {
        Report(kSchemaError, v,
               absl::StrCat("the default of parameter ", Quoted(expr->value.param), " must be ",
                            problem));
        ok = false;
      }
    } else if (std::string problem = CheckActionNames(expr->value.literal); !problem.empty()) {
      Report(kSchemaError, v, absl::StrCat(what, " takes ", problem));
      ok = false;
    }
  }
  if ((op == "glob" || op == "starts_with") && type != "string" && type != "list") {
    Report(kSchemaError, v, absl::StrCat(what, " needs a string (or a list of strings)"));
    ok = false;
  }
  if ((op == "lt" || op == "le" || op == "gt" || op == "ge") && type != "number" &&
      type != "string") {
    Report(kSchemaError, v, absl::StrCat(what, " needs a number or a string, got a ", type));
    ok = false;
  }
  if (op == "lt") expr->comparison = Comparison::kLt;
  if (op == "le") expr->comparison = Comparison::kLe;
  if (op == "gt") expr->comparison = Comparison::kGt;
  if (op == "ge") expr->comparison = Comparison::kGe;
  if (op == "matches") {
    // Compiled once, here (a parameter's value at load and at each override): a bad pattern is an
    // error with its position, never a scan error.
    if (type != "string" && type != "list") {
      Report(kRegexError, v,
             absl::StrCat(what, " needs a pattern (RE2 syntax) or a list of them, got a ", type));
      return nullptr;
    }
    if (!expr->value.param.empty()) {
      ParamUse& use = param_uses_[expr->value.param];
      if (use.used_by.empty()) use.used_by = "a \"matches\" pattern";
      use.pattern = true;
      std::string problem;
      CompilePatterns(rule.ParamValue(expr->value.param), &problem);
      if (!problem.empty()) {
        Report(kRegexError, v,
               absl::StrCat("the default of parameter ", Quoted(expr->value.param), ": ", problem));
        return nullptr;
      }
    } else {
      std::string problem;
      expr->regexes = CompilePatterns(expr->value.literal, &problem);
      if (!problem.empty()) {
        Report(kRegexError, v, problem);
        return nullptr;
      }
    }
  }
  return ok ? expr : nullptr;
}

ExprPtr RuleReader::ReadMeasure(const std::string& op, const YAML::Node& name,
                                const YAML::Node& value, const Rule& rule) {
  auto expr = std::make_shared<Expr>();
  expr->kind = Expr::Kind::kMeasure;
  expr->op = op;
  expr->location = LocationOf(name);
  const std::string what = Quoted(op);
  if (!CheckMap(value, what,
                {{"path", true},
                 {"equals", false},
                 {"lt", false},
                 {"le", false},
                 {"gt", false},
                 {"ge", false}})) {
    return nullptr;
  }
  bool ok = value["path"].IsDefined() && ReadPath(value["path"], &expr->path);
  if (ok && op == "count" && !expr->path.multi) {
    Report(kQuantifierError, value["path"],
           absl::StrCat("\"count\" counts the values a path selects: it needs [*]; got ",
                        Quoted(expr->path.text), " (use length for one value)"));
    ok = false;
  }
  if (ok && op == "length" && expr->path.multi) {
    Report(kQuantifierError, value["path"],
           absl::StrCat("\"length\" measures one value; ", Quoted(expr->path.text),
                        " selects a list (use count, or a path without [*])"));
    ok = false;
  }
  int comparisons = 0;
  for (const auto& [key, comparison] :
       std::initializer_list<std::pair<const char*, Comparison>>{{"equals", Comparison::kEquals},
                                                                 {"lt", Comparison::kLt},
                                                                 {"le", Comparison::kLe},
                                                                 {"gt", Comparison::kGt},
                                                                 {"ge", Comparison::kGe}}) {
    const YAML::Node v = value[key];
    if (!v.IsDefined()) continue;
    ++comparisons;
    expr->comparison = comparison;
    std::string type;
    if (!ReadOperand(v, rule, &expr->value, &type)) {
      ok = false;
    } else if (type != "number") {
      Report(kSchemaError, v, absl::StrCat(what, " compares with a number, got a ", type));
      ok = false;
    }
  }
  if (comparisons != 1) {
    Report(kSchemaError, name,
           absl::StrCat(what, " needs exactly one of equals, lt, le, gt, ge; got ", comparisons));
    ok = false;
  }
  return ok ? expr : nullptr;
}

ExprPtr RuleReader::ReadMacroRef(const YAML::Node& name, const YAML::Node& value,
                                 const Rule& rule) {
  if (!value.IsScalar()) {
    Report(kSchemaError, value.IsNull() ? name : value, "\"macro\" takes a macro name");
    return nullptr;
  }
  const std::string& macro = value.Scalar();
  auto it = library_ ? library_->macros.find(macro) : decltype(library_->macros.end())();
  if (library_ == nullptr || it == library_->macros.end()) {
    std::vector<std::string> names;
    if (library_) {
      for (const auto& [n, def] : library_->macros) names.push_back(n);
    }
    Report(kLinkError, value,
           absl::StrCat("unknown macro ", Quoted(macro),
                        "; macros: ", names.empty() ? "(none)" : Join(names)));
    return nullptr;
  }
  MacroDef& def = it->second;
  def.used = true;
  if (def.state == MacroDef::State::kBusy) {
    std::vector<std::string> cycle = macro_stack_;
    cycle.push_back(macro);
    Report(kMacroCycle, value,
           absl::StrCat("macro ", Quoted(macro), " uses itself: ", absl::StrJoin(cycle, " -> ")));
    return nullptr;
  }
  if (def.state == MacroDef::State::kDone) return def.expr;
  // Parameters are per rule and macros are shared, so a macro body cannot refer to ${params}.
  def.state = MacroDef::State::kBusy;
  macro_stack_.push_back(macro);
  const std::string_view saved_text = text_;
  const std::string saved_file = file_;
  text_ = def.text;
  file_ = def.file;
  const Rule no_params;
  def.expr = ReadExpr(def.body, no_params);
  text_ = saved_text;
  file_ = saved_file;
  macro_stack_.pop_back();
  def.state = MacroDef::State::kDone;
  if (def.expr != nullptr) {
    // Each use of a macro evaluates its whole body, so a macro that uses another twice doubles
    // it: forty such levels load in milliseconds and would never finish evaluating.
    const std::uint64_t size = ExpandedSize(*def.expr);
    if (WithinExpansionLimit(size, def.location,
                             absl::StrCat("macro ", Quoted(macro), " (first used at ",
                                          LocationOf(value).ToString(), ")"))) {
      // Only for a body that stays alive with the library: a freed one's address may be reused.
      library_->macro_sizes[def.expr.get()] = size;
    } else {
      def.expr = nullptr;
    }
  }
  (void)rule;
  return def.expr;
}

std::uint64_t RuleReader::ExpandedSize(const Expr& expr) const {
  if (library_ != nullptr) {
    if (const auto it = library_->macro_sizes.find(&expr); it != library_->macro_sizes.end()) {
      return it->second;
    }
  }
  std::uint64_t size = 1;
  for (const ExprPtr& child : expr.children) {
    const std::uint64_t n = child == nullptr ? 0 : ExpandedSize(*child);
    size = n > std::numeric_limits<std::uint64_t>::max() - size
               ? std::numeric_limits<std::uint64_t>::max()
               : size + n;
  }
  return size;
}

bool RuleReader::WithinExpansionLimit(std::uint64_t size, const core::SourceLocation& where,
                                      const std::string& what) {
  if (size <= kMaxExpandedConditions) return true;
  Report(
      kTooLarge, where,
      absl::StrCat(what, ": ",
                   size == std::numeric_limits<std::uint64_t>::max() ? std::string("more than 2^64")
                                                                     : absl::StrCat(size),
                   " conditions once every macro use counts its whole body, more than the "
                   "limit of ",
                   kMaxExpandedConditions,
                   " that evaluation visits for each resource (a macro that uses another "
                   "twice doubles it); not loaded"));
  return false;
}

void RuleReader::ReadForEach(const YAML::Node& node, Rule* rule) {
  if (!CheckMap(node, "for_each", {{"path", true}, {"key", true}})) return;
  auto for_each = std::make_shared<ForEach>();
  for_each->location = LocationOf(node);
  bool ok = node["path"].IsDefined() && ReadPath(node["path"], &for_each->path);
  if (ok && !for_each->path.multi) {
    Report(kQuantifierError, node["path"],
           absl::StrCat("for_each needs a path that selects a list, ending in [*]; got ",
                        Quoted(for_each->path.text)));
    ok = false;
  }
  if (node["key"].IsDefined() && ReadPath(node["key"], &for_each->key)) {
    if (for_each->key.multi || for_each->key.root != PathRoot::kItem) {
      Report(kPathError, node["key"],
             absl::StrCat("for_each key must be one value of the item, a path from @ without [*] "
                          "(e.g. @.name); got ",
                          Quoted(for_each->key.text)));
      ok = false;
    }
  } else {
    ok = false;
  }
  if (ok) rule->for_each = std::move(for_each);
}

void RuleReader::ReadExceptions(const YAML::Node& node, const Rule& rule,
                                std::vector<Exception>* out) {
  if (!node.IsSequence()) {
    Report(kSchemaError, node, absl::StrCat("\"exceptions\" must be a list, got ", NodeKind(node)));
    return;
  }
  for (const YAML::Node& item : node) {
    if (!CheckMap(item, "an exception",
                  {{"match", true}, {"reason", true}, {"owner", true}, {"expires", true}})) {
      continue;
    }
    Exception exception;
    exception.location = LocationOf(item);
    bool ok = GetString(item, "reason", &exception.reason);
    ok = GetString(item, "owner", &exception.owner) && ok;
    if (GetString(item, "expires", &exception.expires)) {
      if (!IsDate(exception.expires)) {
        Report(
            kSchemaError, item["expires"],
            absl::StrCat("\"expires\" must be a date YYYY-MM-DD, got ", Quoted(exception.expires)));
        ok = false;
      } else if (exception.expires < today_) {
        Warn(kExpired, LocationOf(item["expires"]),
             absl::StrCat("exception expired on ", exception.expires, " (", exception.reason,
                          ", owner ", exception.owner,
                          "): it no longer applies; renew or remove it"));
      }
    } else {
      ok = false;
    }
    if (item["match"].IsDefined()) {
      exception.match = ReadExpr(item["match"], rule);
      ok = exception.match != nullptr && ok;
      if (exception.match != nullptr &&
          !WithinExpansionLimit(ExpandedSize(*exception.match), exception.location,
                                "the match of this exception")) {
        ok = false;
      }
    }
    if (ok) out->push_back(std::move(exception));
  }
}

void RuleReader::ReadLibrary(const YAML::Node& root) {
  if (!CheckMap(root, "a library",
                {{"api_version", true}, {"kind", true}, {"lists", false}, {"macros", false}})) {
    return;
  }
  if (const YAML::Node lists = root["lists"]; lists.IsDefined()) {
    if (!lists.IsMap()) {
      Report(kSchemaError, lists, absl::StrCat("\"lists\" must be a map, got ", NodeKind(lists)));
    } else {
      CheckDuplicateKeys(lists, "lists");
      for (const auto& kv : lists) {
        const std::string name = kv.first.IsScalar() ? kv.first.Scalar() : "";
        if (!IsParamName(name)) {
          Report(kSchemaError, kv.first,
                 absl::StrCat("invalid list name ", Quoted(name),
                              ": use lowercase letters, digits and '_'"));
          continue;
        }
        if (!kv.second.IsSequence()) {
          Report(kSchemaError, kv.second,
                 absl::StrCat("list ", Quoted(name), " must be a list, got ", NodeKind(kv.second)));
          continue;
        }
        if (library_->lists.count(name) != 0) {
          Report(kLinkError, kv.first,
                 absl::StrCat("list ", Quoted(name), " is already defined at ",
                              library_->lists[name].location.ToString()));
          continue;
        }
        library_->lists[name] = ListDef{TypedJson(kv.second), LocationOf(kv.first), false};
      }
    }
  }
  if (const YAML::Node macros = root["macros"]; macros.IsDefined()) {
    if (!macros.IsMap()) {
      Report(kSchemaError, macros,
             absl::StrCat("\"macros\" must be a map, got ", NodeKind(macros)));
      return;
    }
    CheckDuplicateKeys(macros, "macros");
    for (const auto& kv : macros) {
      const std::string name = kv.first.IsScalar() ? kv.first.Scalar() : "";
      if (!IsParamName(name)) {
        Report(kSchemaError, kv.first,
               absl::StrCat("invalid macro name ", Quoted(name),
                            ": use lowercase letters, digits and '_'"));
        continue;
      }
      if (library_->macros.count(name) != 0) {
        Report(kLinkError, kv.first,
               absl::StrCat("macro ", Quoted(name), " is already defined at ",
                            library_->macros[name].location.ToString()));
        continue;
      }
      MacroDef def;
      def.body = kv.second;
      def.file = file_;
      def.text = text_;
      def.location = LocationOf(kv.first);
      library_->macros[name] = std::move(def);
    }
  }
}

bool RuleReader::ReadOverride(const YAML::Node& root, Override* out, bool standalone) {
  const int errors_before = errors_;
  out->location = LocationOf(root);
  if (!CheckMap(root, "an override",
                {{"api_version", standalone},
                 {"kind", standalone},
                 {"rule", true},
                 {"severity", false},
                 {"params", false},
                 {"exceptions", false}})) {
    return false;
  }
  GetString(root, "rule", &out->rule_id);
  if (std::string severity; GetString(root, "severity", &severity)) {
    if (!model::ParseSeverity(severity, &out->severity)) {
      Report(kSchemaError, root["severity"],
             absl::StrCat("invalid severity ", Quoted(severity),
                          "; allowed: informational, low, medium, high, critical"));
    }
    out->has_severity = true;
  }
  if (const YAML::Node params = root["params"]; params.IsDefined()) {
    if (!params.IsMap()) {
      Report(kSchemaError, params,
             absl::StrCat("\"params\" must be a map, got ", NodeKind(params)));
    } else {
      CheckDuplicateKeys(params, "params");
      for (const auto& kv : params) {
        out->params[kv.first.IsScalar() ? kv.first.Scalar() : ""] = TypedJson(kv.second);
      }
    }
  }
  if (const YAML::Node exceptions = root["exceptions"]; exceptions.IsDefined()) {
    ReadExceptions(exceptions, Rule(), &out->exceptions);
  }
  return errors_ == errors_before;
}

// An enum argument may restrict the resource types for some of its values (iam.allows:
// `policies: default_version` reads managed policies only). A parameter reference may take any of
// its allowed values and its default.
void RuleReader::CheckResourceTypesByValue(const BuiltinSpec& spec, const YAML::Node& args,
                                           const Rule& rule) {
  for (const ArgSpec& arg : spec.args) {
    const YAML::Node value = args[std::string(arg.name)];
    if (arg.resource_types_by_value.empty() || !value.IsDefined() || !value.IsScalar()) continue;
    std::vector<std::string> values;
    if (std::string ref; ParseParamRef(value.Scalar(), &ref)) {
      for (const Param& param : rule.params) {
        if (param.name != ref) continue;
        values = param.allowed;
        if (param.default_value.is_string()) {
          values.push_back(param.default_value.get<std::string>());
        }
      }
    } else {
      values.push_back(value.Scalar());
    }
    for (const ValueResourceTypes& entry : arg.resource_types_by_value) {
      if (std::find(values.begin(), values.end(), entry.value) == values.end()) continue;
      for (const std::string& type : rule.resource_types) {
        // A type the operator cannot read at all is reported once, by ReadViolation.
        if (std::find(spec.resource_types.begin(), spec.resource_types.end(), type) ==
            spec.resource_types.end()) {
          continue;
        }
        if (std::find(entry.resource_types.begin(), entry.resource_types.end(), type) ==
            entry.resource_types.end()) {
          Report(kLinkError, value,
                 absl::StrCat(AV(spec.name), " with ", AV(arg.name), ": ", AV(entry.value),
                              " cannot read resource type ", Quoted(type),
                              "; it reads: ", Join(entry.resource_types)));
        }
      }
    }
  }
}

void RuleReader::CheckArg(std::string_view builtin, const ArgSpec& spec, const YAML::Node& value,
                          const Rule& rule) {
  const std::string what = absl::StrCat("argument ", Quoted(spec.name));
  // A parameter reference: the parameter must exist and fit the argument.
  if (std::string ref; value.IsScalar() && ParseParamRef(value.Scalar(), &ref)) {
    const auto param = std::find_if(rule.params.begin(), rule.params.end(),
                                    [&](const Param& p) { return p.name == ref; });
    if (param == rule.params.end()) {
      Report(kLinkError, value,
             absl::StrCat(what, " refers to undeclared parameter ", Quoted(ref)));
      return;
    }
    const char* want = spec.kind == ArgKind::kEnum   ? "string"
                       : spec.kind == ArgKind::kBool ? "bool"
                                                     : "list";
    if (param->type != want) {
      Report(kLinkError, value,
             absl::StrCat(what, " needs a ", want, " parameter, but ", Quoted(ref), " is a ",
                          param->type));
      return;
    }
    // Overrides of the parameter are checked against what the argument accepts, not only the
    // declared type: `blocked_actions: []` would otherwise load and make every resource an ERROR.
    ParamUse& use = param_uses_[ref];
    if (use.used_by.empty()) use.used_by = absl::StrCat(what, " of ", AV(builtin));
    if (spec.kind == ArgKind::kStringList) {
      use.needs_items = true;
      if (param->default_value.is_array() && param->default_value.empty()) {
        Report(kLinkError, value,
               absl::StrCat("parameter ", Quoted(ref), " defaults to an empty list, but ", what,
                            " of ", AV(builtin),
                            " needs at least one item (every resource would be an ERROR)"));
      }
    }
    if (spec.kind == ArgKind::kEnum) {
      std::vector<std::string> accepted(spec.allowed.begin(), spec.allowed.end());
      if (use.has_argument_values) {
        std::erase_if(accepted, [&](const std::string& v) {
          return std::find(use.argument_values.begin(), use.argument_values.end(), v) ==
                 use.argument_values.end();
        });
      }
      use.argument_values = std::move(accepted);
      use.has_argument_values = true;
    }
    if (spec.kind == ArgKind::kEnum) {
      std::vector<std::string> values = param->allowed;
      if (param->default_value.is_string())
        values.push_back(param->default_value.get<std::string>());
      for (const std::string& v : values) {
        if (std::find(spec.allowed.begin(), spec.allowed.end(), v) == spec.allowed.end()) {
          Report(kLinkError, value,
                 absl::StrCat("parameter ", Quoted(ref), " may be ", Quoted(v), ", which ", what,
                              " does not accept; allowed: ", Join(spec.allowed)));
          break;
        }
      }
    }
    return;
  }
  if (spec.kind == ArgKind::kBool) {
    bool b = false;
    if (!value.IsScalar() || IsQuoted(value) || !YAML::convert<bool>::decode(value, b)) {
      Report(kSchemaError, value,
             absl::StrCat(what, " must be true or false or a ${params.NAME} reference",
                          IsQuoted(value) ? ", not a quoted string" : ""));
    }
    return;
  }
  if (spec.kind == ArgKind::kEnum) {
    if (!value.IsScalar() ||
        std::find(spec.allowed.begin(), spec.allowed.end(), value.Scalar()) == spec.allowed.end()) {
      Report(kSchemaError, value,
             absl::StrCat(what, " must be one of ", Join(spec.allowed),
                          " or a ${params.NAME} reference"));
    }
    return;
  }
  bool ok = value.IsSequence() && value.size() > 0;
  for (std::size_t i = 0; ok && i < value.size(); ++i) {
    ok = value[i].IsScalar() && NotText(value[i]).empty();
  }
  if (!ok) {
    Report(
        kSchemaError, value,
        absl::StrCat(what, " must be a non-empty list of strings or a ${params.NAME} reference"));
  }
}

void RuleReader::ReadTemplate(const YAML::Node& map, std::string_view key, const Rule& rule,
                              std::string* out) {
  if (!GetString(map, key, out)) return;
  const YAML::Node node = map[std::string(key)];
  const auto is_known = [&rule](std::string_view name) {
    constexpr std::string_view kParamPrefix = "param.";
    if (name == "item.key") return rule.for_each != nullptr;
    if (name.substr(0, kParamPrefix.size()) == kParamPrefix) {
      const std::string_view param = name.substr(kParamPrefix.size());
      return std::any_of(rule.params.begin(), rule.params.end(),
                         [&](const Param& p) { return p.name == param; });
    }
    const auto& known = TemplateVariables();
    return std::find(known.begin(), known.end(), name) != known.end();
  };
  for (const TemplateError& error : CheckTemplate(*out, is_known)) {
    std::string message = absl::StrCat(error.message, " in ", Quoted(key));
    if (error.message.find("unknown") != std::string::npos) {
      std::vector<std::string> names(TemplateVariables().begin(), TemplateVariables().end());
      for (const Param& p : rule.params) names.push_back(absl::StrCat("param.", p.name));
      if (rule.for_each != nullptr) names.push_back("item.key");
      absl::StrAppend(&message, "; known: ", Join(names));
    }
    Report(kTemplateError, LocationInScalar(node, error.offset, error.length), std::move(message));
  }
}

}  // namespace

namespace {

// A parameter value from an override, checked against the declared type; empty on success.
std::string CheckParamValue(const Param& param, const nlohmann::json& value) {
  const auto allowed = [&param](const std::string& s) {
    return param.allowed.empty() ||
           std::find(param.allowed.begin(), param.allowed.end(), s) != param.allowed.end();
  };
  if (param.type == "string") {
    if (!value.is_string()) return "must be a string";
    if (!allowed(value.get<std::string>())) {
      return absl::StrCat("must be one of ", Join(param.allowed));
    }
  } else if (param.type == "list") {
    if (!value.is_array()) return "must be a list";
    for (const nlohmann::json& item : value) {
      if (!item.is_string()) return "must be a list of strings";
      if (!allowed(item.get<std::string>())) {
        return absl::StrCat("items must be among ", Join(param.allowed));
      }
    }
  } else if (param.type == "bool") {
    if (!value.is_boolean()) return "must be true or false";
  } else if (!value.is_number()) {
    return "must be a number";
  }
  // What the built-in argument that takes the parameter accepts (set at load).
  if (param.needs_items && value.is_array() && value.empty()) {
    return absl::StrCat("must not be empty: it is ", param.used_by,
                        ", which needs at least one item (every resource would be an ERROR)");
  }
  if (!param.argument_values.empty() && value.is_string() &&
      std::find(param.argument_values.begin(), param.argument_values.end(),
                value.get<std::string>()) == param.argument_values.end()) {
    return absl::StrCat("must be one of ", Join(param.argument_values), ": it is ", param.used_by);
  }
  if (param.action_names) {
    if (std::string problem = CheckActionNames(value); !problem.empty()) {
      return absl::StrCat("is ", param.used_by, ", which takes ", problem);
    }
  }
  if (param.pattern) {
    std::string problem;
    CompilePatterns(value, &problem);
    if (!problem.empty()) return absl::StrCat("is ", param.used_by, ": ", problem);
  }
  return "";
}

core::Diagnostic Error(std::string_view code, core::SourceLocation location, std::string message) {
  return core::Diagnostic{core::DiagnosticSeverity::kError, std::string(code), std::move(message),
                          std::move(location)};
}

}  // namespace

nlohmann::json YamlToJson(const YAML::Node& node) { return TypedJson(node); }

std::vector<Override> ReadOverrides(const YAML::Node& list, std::string_view file_name,
                                    core::Diagnostics* diagnostics) {
  std::vector<Override> out;
  // No source text: positions come from the nodes' marks, which yaml-cpp keeps.
  RuleReader reader({}, file_name, diagnostics);
  try {
    if (!list.IsSequence()) {
      reader.Report(kSchemaError, reader.LocationOf(list.Mark()),
                    "overrides must be a list of {rule, severity, params, exceptions}");
      return out;
    }
    for (const YAML::Node& item : list) {
      Override override;
      if (reader.ReadOverride(item, &override, /*standalone=*/false)) {
        out.push_back(std::move(override));
      }
    }
  } catch (const std::exception& e) {
    core::SourceLocation loc;
    loc.file = std::string(file_name);
    reader.Report(kParseError, loc, absl::StrCat("could not read the overrides: ", e.what()));
  }
  return out;
}

std::string TodayUtc() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[16];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d", &tm);
  return buffer;
}

bool IsDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!absl::ascii_isdigit(text[i])) return false;
  }
  const int month = (text[5] - '0') * 10 + (text[6] - '0');
  const int day = (text[8] - '0') * 10 + (text[9] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

core::Diagnostics ApplyOverrides(const std::vector<Override>& overrides, std::vector<Rule>* rules) {
  core::Diagnostics problems;
  for (const Override& override : overrides) {
    auto rule = std::find_if(rules->begin(), rules->end(),
                             [&](const Rule& r) { return r.id == override.rule_id; });
    if (rule == rules->end()) {
      problems.push_back(
          Error(kOverrideError, override.location,
                absl::StrCat("override of unknown rule ", Quoted(override.rule_id))));
      continue;
    }
    bool ok = true;
    for (const auto& [name, value] : override.params) {
      // A named reference: clang before 16 cannot capture a structured binding (the fuzz build).
      const std::string& wanted = name;
      const auto param = std::find_if(rule->params.begin(), rule->params.end(),
                                      [&](const Param& p) { return p.name == wanted; });
      if (param == rule->params.end()) {
        std::vector<std::string> names;
        for (const Param& p : rule->params) names.push_back(p.name);
        problems.push_back(
            Error(kOverrideError, override.location,
                  absl::StrCat("rule ", Quoted(rule->id), " has no parameter ", Quoted(name),
                               "; parameters: ", names.empty() ? "(none)" : Join(names))));
        ok = false;
        continue;
      }
      if (std::string problem = CheckParamValue(*param, value); !problem.empty()) {
        problems.push_back(
            Error(kOverrideError, override.location,
                  absl::StrCat("parameter ", Quoted(name), " of rule ", Quoted(rule->id), " (",
                               param->type, ") ", problem, "; got ", value.dump())));
        ok = false;
      }
    }
    if (!ok) continue;
    if (override.has_severity) rule->severity = override.severity;
    for (const auto& [name, value] : override.params) {
      rule->param_values[name] = value;
      if (rule->param_patterns.count(name) != 0) {
        std::string problem;  // checked above
        rule->param_patterns[name] = CompilePatterns(value, &problem);
      }
    }
    rule->exceptions.insert(rule->exceptions.end(), override.exceptions.begin(),
                            override.exceptions.end());
  }
  return problems;
}

LoadResult LoadRuleFiles(const std::vector<SourceFile>& files, const LoadOptions& options) {
  LoadResult result;
  Library library;
  struct Parsed {
    const SourceFile* file;
    std::vector<YAML::Node> documents;
  };
  std::vector<Parsed> parsed;
  // Pass 1: parse every file and read the libraries, so any rule may use any list or macro.
  for (const SourceFile& file : files) {
    RuleReader reader(file.text, file.name, &result.diagnostics, &library, options.lint);
    // yaml-cpp reads a raw NUL in a plain scalar as the start of an escape ("vic<NUL>ntim" reads
    // as "vic\ntim") and other raw controls as text: YAML allows none of them, so the file is
    // refused where the character is, before yaml-cpp sees it.
    if (const std::optional<core::ForbiddenYamlCharacter> bad =
            core::FindForbiddenYamlCharacter(file.text)) {
      reader.Report(kParseError, LocationOfOffset(file.text, bad->offset, file.name),
                    absl::StrCat("not valid YAML: the raw control character ", bad->name,
                                 " is not allowed in YAML (inside a double-quoted string, write "
                                 "it as an escape such as \"\\0\"); the file is not read"));
      continue;
    }
    if (const std::optional<core::YamlTextError> stuck = core::CheckYamlDocuments(file.text)) {
      core::SourceLocation where;
      where.file = file.name;
      where.line = static_cast<int>(stuck->line);
      where.column = static_cast<int>(stuck->column);
      reader.Report(kParseError, where, stuck->message);
      continue;
    }
    try {
      Parsed p{&file, YAML::LoadAll(file.text)};
      int documents = 0;
      for (YAML::Node& document : p.documents) {
        if (document.IsNull()) continue;  // an empty document, e.g. after a trailing "---"
        ++documents;
        if (std::size_t nodes = 0; !WithinNodeLimit(document, kMaxDocumentNodes, &nodes)) {
          reader.Report(kTooLarge, reader.LocationOf(document.Mark()),
                        absl::StrCat("this document expands to more than ", kMaxDocumentNodes,
                                     " YAML nodes (an alias counts its whole anchor each time it "
                                     "is used); it is not read"));
          document = YAML::Node(YAML::NodeType::Null);
          continue;
        }
        if (KindOf(document) == "Library") {
          reader.ReadLibrary(document);
        }
      }
      if (documents == 0) {
        core::SourceLocation loc;
        loc.file = file.name;
        reader.Report(kSchemaError, loc, "the file holds no rule");
      }
      parsed.push_back(std::move(p));
    } catch (const YAML::DeepRecursion& e) {
      reader.Report(kParseError, reader.LocationOf(e.mark),
                    absl::StrCat("not valid YAML here: nesting deeper than ", e.depth() - 1,
                                 " levels, the most the YAML reader allows; the file is not "
                                 "read"));
    } catch (const YAML::Exception& e) {
      // A syntax error stops yaml-cpp; nothing of the file is kept, since what follows the error
      // is not known to be what the author meant.
      reader.Report(kParseError, reader.LocationOf(e.mark),
                    absl::StrCat("not valid YAML: ", e.msg));
    } catch (const std::exception& e) {
      core::SourceLocation loc;
      loc.file = file.name;
      reader.Report(kParseError, loc, absl::StrCat("could not read the rule file: ", e.what()));
    }
  }
  // Pass 2: rules and overrides.
  std::map<std::string, core::SourceLocation, std::less<>> ids;
  for (const Parsed& p : parsed) {
    RuleReader reader(p.file->text, p.file->name, &result.diagnostics, &library, options.lint);
    try {
      for (const YAML::Node& document : p.documents) {
        if (document.IsNull()) continue;
        const std::string kind = KindOf(document);
        if (kind == "Library") continue;
        if (kind == "Override") {
          Override override;
          if (reader.ReadOverride(document, &override)) {
            result.overrides.push_back(std::move(override));
          }
          continue;
        }
        Rule rule;
        if (!reader.Read(document, &rule)) continue;
        if (auto [it, inserted] = ids.emplace(rule.id, rule.location); !inserted) {
          reader.Report(
              kLinkError, rule.location,
              absl::StrCat("duplicate rule id: ", Quoted(rule.id), " is already defined at ",
                           it->second.ToString(), "; this definition is ignored"));
          continue;
        }
        result.rules.push_back(std::move(rule));
      }
    } catch (const std::exception& e) {
      core::SourceLocation loc;
      loc.file = p.file->name;
      reader.Report(kParseError, loc, absl::StrCat("could not read the rule file: ", e.what()));
    }
  }
  core::Diagnostics applied = ApplyOverrides(result.overrides, &result.rules);
  result.diagnostics.insert(result.diagnostics.end(), applied.begin(), applied.end());
  if (!options.lint) return result;
  for (const auto& [name, def] : library.lists) {
    if (!def.used) {
      result.diagnostics.push_back(
          core::Diagnostic{core::DiagnosticSeverity::kWarning, kUnused,
                           absl::StrCat("list ", Quoted(name), " is never used"), def.location});
    }
  }
  for (const auto& [name, def] : library.macros) {
    if (!def.used) {
      result.diagnostics.push_back(
          core::Diagnostic{core::DiagnosticSeverity::kWarning, kUnused,
                           absl::StrCat("macro ", Quoted(name), " is never used"), def.location});
    }
  }
  return result;
}

LoadResult LoadRuleText(std::string_view yaml_text, std::string_view file_name) {
  return LoadRuleFiles({SourceFile{std::string(file_name), std::string(yaml_text)}});
}

std::vector<SourceFile> BuiltinRuleSources() {
  std::vector<SourceFile> files;
  for (const internal::EmbeddedFile& file : internal::BuiltinRuleFiles()) {
    files.push_back(SourceFile{std::string(file.name), std::string(file.text)});
  }
  return files;
}

LoadResult LoadBuiltinRules() { return LoadRuleFiles(BuiltinRuleSources()); }

}  // namespace kmsguard::rules
