// The rule reader, shared by the stages of loading a rule file (internal to sdk/rules):
// yaml_values.cc (YAML scalars and trees read as typed values, size limits), rule_reader.cc (a
// rule document: metadata, parameters, the violation, built-in calls, exceptions, templates),
// condition_reader.cc (generic conditions, paths, macros and lists of a Library),
// override_reader.cc (Override documents and applying them), loader.cc (a set of files: linking
// libraries to rules, duplicates, unused definitions). Every problem is reported with its
// position; reading goes on after one so that a pass reports all of a file's problems.
#pragma once

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "sdk/core/diagnostic.h"
#include "sdk/rules/builtins.h"
#include "sdk/rules/expr.h"
#include "sdk/rules/rule.h"

namespace kmsguard::rules::internal {

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
constexpr std::string_view kProviders[] = {"aws", "gcp", "azure"};

// What a YAML node is, for messages ("a map", "a list", "text").
const char* NodeKind(const YAML::Node& node);
// `text` in double quotes, for messages.
std::string Quoted(std::string_view text);
// Debian's Abseil has its own string_view, distinct from std::string_view; StrCat needs it.
absl::string_view AV(std::string_view text);
// True for a quoted scalar ('x' or "x"): text, whatever it spells.
bool IsQuoted(const YAML::Node& node);
// Items joined with ", ", for messages.
template <typename Range>
std::string Join(const Range& items) {
  return absl::StrJoin(items, ", ", [](std::string* out, const auto& item) {
    out->append(item.data(), item.size());
  });
}

// The forms a rule id, a parameter name and a rule version must have (docs/rule-authoring.md).
bool IsRuleId(std::string_view id);
bool IsParamName(std::string_view name);
bool IsVersion(std::string_view version);
// YAML -> JSON as written: scalars stay strings (a parameter's type decides their meaning later).
nlohmann::json ToJson(const YAML::Node& node);
// A YAML scalar as the JSON value its author meant: quoted scalars are strings; plain ones that
// read as true/false, null or a number are those.
nlohmann::json TypedScalar(const YAML::Node& node);
// A YAML tree as JSON, each scalar read by TypedScalar.
nlohmann::json TypedJson(const YAML::Node& node);
// What a plain scalar reads as when it is not text ("the number 42"); empty for text.
std::string NotText(const YAML::Node& node);
// The message tail that tells the author to quote a scalar meant as text.
std::string QuoteItHint(const YAML::Node& node);

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
                                      std::string_view file);

// YAML aliases let a short document stand for an exponentially large tree (each alias of an
// alias doubles it), which the reader would walk node by node. Documents are counted first, an
// alias once per use, and one past this many nodes is not read.
constexpr std::size_t kMaxDocumentNodes = 100'000;

// Counts the nodes a walk of `node` visits, aliases once per use, into `*count`, stopping once it
// passes `limit`. True when the document stays within it.
bool WithinNodeLimit(const YAML::Node& node, std::size_t limit, std::size_t* count);

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
  // admits_principal, unconditional and policy_allows (iam_condition_reader.cc).
  ExprPtr ReadIamTest(const std::string& op, const YAML::Node& name, const YAML::Node& value,
                      const Rule& rule);
  // A test's `quantifier`, checked against its path (read into expr->path before). False after
  // reporting a problem.
  bool ReadQuantifier(const YAML::Node& value, const std::string& what, Expr* expr);
  // IAM actions without wildcards (a literal, or a list parameter whose default is checked and
  // whose overrides will be): for covers_action and policy_allows. False after reporting.
  bool CheckActionOperand(const YAML::Node& v, const std::string& type, const std::string& what,
                          const Operand& operand, const Rule& rule);
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
    bool action_names = false;  // the actions of `covers_action` or `policy_allows`
  };
  std::map<std::string, ParamUse> param_uses_;
  int errors_ = 0;
};

// The actions of a `covers_action` value: an IAM action ("service:Action") or a list of them,
// without `*` or `?` (the data holds the patterns). Returns what is wrong, or "".
std::string CheckActionNames(const nlohmann::json& value);
// The RE2 programs of a `matches` value: one pattern or a list of them. `problem` receives the
// first problem (not a string, invalid, over kMaxRegexProgramSize), and then nothing is returned.
std::vector<std::shared_ptr<const RE2>> CompilePatterns(const nlohmann::json& value,
                                                        std::string* problem);
// A document's `kind` ("Rule" when absent).
std::string KindOf(const YAML::Node& document);

}  // namespace kmsguard::rules::internal
