// A rule document read into a Rule: metadata, parameters, the violation and its built-in calls,
// `for_each`, exceptions, message and remediation templates.
#include "sdk/rules/rule_reader.h"

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
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/core/json_text.h"
#include "sdk/model/resource.h"
#include "sdk/rules/builtins.h"
#include "sdk/rules/template.h"

namespace kmsguard::rules::internal {

namespace {

// The rule's lone operator gives one finding per item (BuiltinSpec::per_item).
bool PerItem(const Rule& rule) {
  if (rule.condition != nullptr || rule.violation.builtin.empty()) return false;
  const BuiltinSpec* spec = FindBuiltin(rule.violation.builtin);
  return spec != nullptr && spec->per_item;
}

}  // namespace

// The actions of a `covers_action` value: an IAM action ("service:Action") or a list of them,
// without `*` or `?` (the data holds the patterns). Returns what is wrong, or "".
std::string CheckActionNames(const nlohmann::json& value) {
  const nlohmann::json list = value.is_array() ? value : nlohmann::json::array({value});
  // An empty list names no action: every test on it would be false, and the rule PASS all.
  if (list.empty()) return "at least one IAM action, not an empty list";
  for (const nlohmann::json& item : list) {
    if (!item.is_string()) return absl::StrCat("IAM actions, not ", core::DumpJson(item));
    const std::string& action = item.get_ref<const std::string&>();
    const std::size_t colon = action.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == action.size() ||
        action.find(':', colon + 1) != std::string::npos ||
        std::any_of(action.begin(), action.end(), [](char c) {
          // `$`, `{` and `}` never occur in an action: "sts:${params.a}" is a reference written
          // inside a value, which is not substituted (only a whole value is a reference).
          return c == '*' || c == '?' || c == '$' || c == '{' || c == '}' ||
                 absl::ascii_isspace(static_cast<unsigned char>(c));
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
      *problem = absl::StrCat("a pattern must be a string, got ", core::DumpJson(item));
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
  static constexpr std::string_view kAdapterTypes[] = {model::kIamUser,
                                                       model::kIamGroup,
                                                       model::kIamRole,
                                                       model::kIamManagedPolicy,
                                                       model::kKmsKey,
                                                       model::kAzureVault,
                                                       model::kAzureVaultAccessPolicies,
                                                       model::kAzureRoleAssignment,
                                                       model::kAzureRoleDefinition};
  for (const std::string& type : rule->resource_types) {
    // The Cloud Asset Inventory adapter keeps each asset's own type, which is any
    // "SERVICE.googleapis.com/Kind" (adapters/gcp_asset_inventory.h).
    const bool asset_type = absl::StrContains(type, ".googleapis.com/");
    if (!asset_type && std::find(std::begin(kAdapterTypes), std::end(kAdapterTypes), type) ==
                           std::end(kAdapterTypes)) {
      Warn(kUnknownResourceType, LocationOf(root["resource_types"].Mark()),
           absl::StrCat("resource type ", Quoted(type), " is not one the input adapters produce (",
                        Join(kAdapterTypes),
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
    if (name == "item.key") return rule.for_each != nullptr || PerItem(rule);
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
      if (rule.for_each != nullptr || PerItem(rule)) names.push_back("item.key");
      absl::StrAppend(&message, "; known: ", Join(names));
    }
    Report(kTemplateError, LocationInScalar(node, error.offset, error.length), std::move(message));
  }
}

}  // namespace kmsguard::rules::internal
