// Override documents (`kind: Override`, and a configuration file's `overrides:` list) read and
// applied to a rule set: severities, parameters and exceptions, each checked against the rule.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "sdk/core/json_text.h"
#include "sdk/rules/rule_reader.h"
#include "sdk/rules/yaml_json.h"

namespace kmsguard::rules {
namespace internal {

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
    out->severity_location = LocationOf(root["severity"]);
  }
  if (const YAML::Node params = root["params"]; params.IsDefined()) {
    if (!params.IsMap()) {
      Report(kSchemaError, params,
             absl::StrCat("\"params\" must be a map, got ", NodeKind(params)));
    } else {
      CheckDuplicateKeys(params, "params");
      for (const auto& kv : params) {
        const std::string name = kv.first.IsScalar() ? kv.first.Scalar() : "";
        out->params[name] = TypedJson(kv.second);
        out->param_locations[name] = LocationOf(kv.second);
      }
    }
  }
  if (const YAML::Node exceptions = root["exceptions"]; exceptions.IsDefined()) {
    ReadExceptions(exceptions, Rule(), &out->exceptions);
  }
  return errors_ == errors_before;
}

}  // namespace internal

using internal::CheckActionNames;
using internal::CompilePatterns;
using internal::Join;
using internal::kOverrideError;
using internal::kParseError;
using internal::kSchemaError;
using internal::Quoted;
using internal::RuleReader;

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

std::vector<Override> ReadParamOverrides(const YAML::Node& map, std::string_view file_name,
                                         core::Diagnostics* diagnostics) {
  std::vector<Override> out;
  RuleReader reader({}, file_name, diagnostics);
  try {
    if (!map.IsMap()) {
      reader.Report(kSchemaError, reader.LocationOf(map.Mark()),
                    "params must map rule ids to {parameter: value}");
      return out;
    }
    std::map<std::string, core::SourceLocation> seen;
    for (const auto& entry : map) {
      const core::SourceLocation at = reader.LocationOf(entry.first.Mark());
      const std::string id = entry.first.IsScalar() ? entry.first.Scalar() : "";
      if (const auto [first, inserted] = seen.emplace(id, at); !inserted) {
        // yaml-cpp keeps both entries; neither is guessed to win.
        reader.Report(kSchemaError, at,
                      absl::StrCat("rule ", Quoted(id), " is given twice in params (first at ",
                                   first->second.ToString(), ")"));
        continue;
      }
      // The entry as the override it stands for, {rule: ID, params: {...}}, read as any other:
      // the nodes are the file's own, so every problem keeps its position.
      YAML::Node item(YAML::NodeType::Map);
      item["rule"] = entry.first;
      item["params"] = entry.second;
      Override override;
      if (reader.ReadOverride(item, &override, /*standalone=*/false)) {
        override.location = at;
        out.push_back(std::move(override));
      }
    }
  } catch (const std::exception& e) {
    core::SourceLocation loc;
    loc.file = std::string(file_name);
    reader.Report(kParseError, loc, absl::StrCat("could not read the params: ", e.what()));
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
    // A parameter's problem is reported where its value is written.
    const auto where = [&override](const std::string& name) {
      const auto at = override.param_locations.find(name);
      return at == override.param_locations.end() ? override.location : at->second;
    };
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
            Error(kOverrideError, where(name),
                  absl::StrCat("rule ", Quoted(rule->id), " has no parameter ", Quoted(name),
                               "; parameters: ", names.empty() ? "(none)" : Join(names))));
        ok = false;
        continue;
      }
      if (std::string problem = CheckParamValue(*param, value); !problem.empty()) {
        problems.push_back(
            Error(kOverrideError, where(name),
                  absl::StrCat("parameter ", Quoted(name), " of rule ", Quoted(rule->id), " (",
                               param->type, ") ", problem, "; got ", core::DumpJson(value))));
        ok = false;
      }
    }
    if (!ok) continue;
    if (override.has_severity && override.severity != rule->severity) {
      // Recorded, so that every output can show the rule's own severity and whose this one is.
      rule->severity_changes.push_back(
          {rule->severity, override.severity,
           absl::StrCat("override at ", override.severity_location.ToString())});
      rule->severity = override.severity;
    }
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

}  // namespace kmsguard::rules
