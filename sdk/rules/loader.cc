// Rule loader: YAML text -> Rule, every problem reported with its position.
//
// yaml-cpp is called only from LoadRuleText (directly or through RuleReader, which it owns), and
// its exceptions are caught there. Reading goes on after a problem so that one pass reports all
// of a file's problems.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/rules/builtin_rule_files.h"
#include "sdk/rules/builtins.h"
#include "sdk/rules/rule.h"
#include "sdk/rules/template.h"

namespace kmsguard::rules {

namespace {

// Stable diagnostic codes (docs/errors/<code>.md).
constexpr char kParseError[] = "rule_parse_error";        // not YAML
constexpr char kSchemaError[] = "rule_schema_error";      // YAML, but not a valid rule
constexpr char kTemplateError[] = "rule_template_error";  // a message/remediation template
constexpr char kLinkError[] = "rule_link_error";  // a name that refers to nothing (operator,
                                                  // parameter) or a duplicate rule id

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

struct KeySpec {
  std::string_view name;
  bool required;
};

class RuleReader {
 public:
  RuleReader(std::string_view text, std::string_view file, core::Diagnostics* diagnostics)
      : text_(text), file_(file), diagnostics_(diagnostics) {}

  // Reads one YAML document into `rule`. Returns false when the document had errors.
  bool Read(const YAML::Node& root, Rule* rule);

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

  void ReadParams(const YAML::Node& node, Rule* rule);
  void ReadParam(const YAML::Node& key, const YAML::Node& node, Param* param);
  void ReadViolation(const YAML::Node& node, Rule* rule);
  void CheckArg(const ArgSpec& spec, const YAML::Node& value, const Rule& rule);
  void CheckResourceTypesByValue(const BuiltinSpec& spec, const YAML::Node& args, const Rule& rule);
  void ReadTemplate(const YAML::Node& map, std::string_view key, const Rule& rule,
                    std::string* out);

  std::string_view text_;
  std::string file_;
  core::Diagnostics* diagnostics_;
  int errors_ = 0;
};

core::SourceLocation RuleReader::LocationAtOffset(std::size_t offset) const {
  core::SourceLocation loc;
  loc.file = file_;
  loc.line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset && i < text_.size(); ++i) {
    if (text_[i] == '\n') {
      ++loc.line;
      line_start = i + 1;
    }
  }
  loc.column = static_cast<int>(offset - line_start) + 1;
  return loc;
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
    out->push_back(item.Scalar());
  }
  if (non_empty && node.size() == 0) {
    Report(kSchemaError, node, absl::StrCat(Quoted(key), " must not be empty"));
    ok = false;
  }
  return ok;
}

bool RuleReader::Read(const YAML::Node& root, Rule* rule) {
  const int errors_before = errors_;
  rule->location = LocationOf(root);
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
                 {"params", false},
                 {"violation", true},
                 {"message", true},
                 {"remediation", false}})) {
    return false;
  }

  if (std::string api; GetString(root, "api_version", &api) && api != kApiVersion) {
    Report(kSchemaError, root["api_version"],
           absl::StrCat("unsupported api_version ", Quoted(api), "; expected ", kApiVersion));
  }
  if (std::string kind; GetString(root, "kind", &kind) && kind != "Rule") {
    Report(kSchemaError, root["kind"],
           absl::StrCat("unknown kind ", Quoted(kind), "; expected Rule"));
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
  GetStringList(root, "references", &rule->references, /*non_empty=*/false);

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

  if (const YAML::Node violation = root["violation"]; violation.IsDefined()) {
    ReadViolation(violation, rule);
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
      if (!item.IsScalar()) {
        Report(kSchemaError, item,
               absl::StrCat("items of the default of ", what, " must be strings"));
        continue;
      }
      param->default_value.push_back(item.Scalar());
      strings.push_back(item.Scalar());
    }
  } else if (param->type == "bool") {
    bool b = false;
    if (!value.IsScalar() || !YAML::convert<bool>::decode(value, b)) {
      Report(kSchemaError, value, absl::StrCat("default of ", what, " must be true or false"));
      return;
    }
    param->default_value = b;
  } else {
    double d = 0;
    if (!value.IsScalar() || !YAML::convert<double>::decode(value, d)) {
      Report(kSchemaError, value, absl::StrCat("default of ", what, " must be a number"));
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
  std::vector<std::string> names;
  for (const BuiltinSpec& spec : Builtins()) names.emplace_back(spec.name);
  if (!node.IsMap() || node.size() != 1) {
    Report(kSchemaError, node,
           absl::StrCat("\"violation\" must be a map with exactly one operator call, e.g. "
                        "{iam.allows: {...}}; operators: ",
                        Join(names)));
    return;
  }
  const auto call = *node.begin();
  const YAML::Node& name_node = call.first;
  const YAML::Node& args = call.second;
  rule->violation.location = LocationOf(name_node);
  const BuiltinSpec* spec = name_node.IsScalar() ? FindBuiltin(name_node.Scalar()) : nullptr;
  if (spec == nullptr) {
    Report(
        kLinkError, name_node,
        absl::StrCat("unknown operator ", Quoted(name_node.IsScalar() ? name_node.Scalar() : "?"),
                     "; operators: ", Join(names)));
    return;
  }
  rule->violation.builtin = std::string(spec->name);
  const std::string what = absl::StrCat("the arguments of ", AV(spec->name));
  if (!args.IsMap()) {
    Report(kSchemaError, args.IsNull() ? name_node : args,
           absl::StrCat(what, " must be a map, got ", NodeKind(args)));
    return;
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
    CheckArg(arg, value, *rule);
  }
  rule->violation.args = ToJson(args);
  // Literal booleans are kept as JSON booleans (ToJson gives every scalar as a string).
  for (const ArgSpec& arg : spec->args) {
    const YAML::Node value = args[std::string(arg.name)];
    bool b = false;
    if (arg.kind == ArgKind::kBool && value.IsDefined() && value.IsScalar() &&
        YAML::convert<bool>::decode(value, b)) {
      rule->violation.args[std::string(arg.name)] = b;
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

void RuleReader::CheckArg(const ArgSpec& spec, const YAML::Node& value, const Rule& rule) {
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
    if (!value.IsScalar() || !YAML::convert<bool>::decode(value, b)) {
      Report(kSchemaError, value,
             absl::StrCat(what, " must be true or false or a ${params.NAME} reference"));
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
  for (std::size_t i = 0; ok && i < value.size(); ++i) ok = value[i].IsScalar();
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
      absl::StrAppend(&message, "; known: ", Join(names));
    }
    Report(kTemplateError, LocationInScalar(node, error.offset, error.length), std::move(message));
  }
}

}  // namespace

LoadResult LoadRuleText(std::string_view yaml_text, std::string_view file_name) {
  LoadResult result;
  RuleReader reader(yaml_text, file_name, &result.diagnostics);
  try {
    const std::vector<YAML::Node> documents = YAML::LoadAll(std::string(yaml_text));
    int rules_seen = 0;
    std::set<std::string, std::less<>> ids;
    for (const YAML::Node& document : documents) {
      if (document.IsNull()) continue;  // an empty document, e.g. after a trailing "---"
      ++rules_seen;
      Rule rule;
      if (!reader.Read(document, &rule)) continue;
      if (!ids.insert(rule.id).second) {
        reader.Report(kLinkError, rule.location,
                      absl::StrCat("duplicate rule id ", Quoted(rule.id), " in this file"));
        continue;
      }
      result.rules.push_back(std::move(rule));
    }
    if (rules_seen == 0) {
      core::SourceLocation loc;
      loc.file = std::string(file_name);
      reader.Report(kSchemaError, loc, "the file holds no rule");
    }
  } catch (const YAML::Exception& e) {
    // A syntax error stops yaml-cpp; nothing of the file is kept, since what follows the error is
    // not known to be what the author meant.
    result.rules.clear();
    reader.Report(kParseError, reader.LocationOf(e.mark), absl::StrCat("not valid YAML: ", e.msg));
  } catch (const std::exception& e) {
    result.rules.clear();
    core::SourceLocation loc;
    loc.file = std::string(file_name);
    reader.Report(kParseError, loc, absl::StrCat("could not read the rule file: ", e.what()));
  }
  return result;
}

LoadResult LoadBuiltinRules() {
  LoadResult all;
  std::map<std::string, core::SourceLocation, std::less<>> ids;
  for (const internal::EmbeddedFile& file : internal::BuiltinRuleFiles()) {
    LoadResult one = LoadRuleText(file.text, file.name);
    all.diagnostics.insert(all.diagnostics.end(), one.diagnostics.begin(), one.diagnostics.end());
    for (Rule& rule : one.rules) {
      if (auto [it, inserted] = ids.emplace(rule.id, rule.location); !inserted) {
        all.diagnostics.push_back(
            core::Diagnostic{core::DiagnosticSeverity::kError, kLinkError,
                             absl::StrCat("duplicate rule id ", Quoted(rule.id),
                                          "; first defined at ", it->second.ToString()),
                             rule.location});
        continue;
      }
      all.rules.push_back(std::move(rule));
    }
  }
  return all;
}

}  // namespace kmsguard::rules
