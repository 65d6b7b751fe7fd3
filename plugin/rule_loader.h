// Builds the plugin's rule set from the built-in rules and rule directories. File I/O lives here,
// not in the engine, which only ever sees text.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sdk/rules/rule.h"

namespace kmsguard::plugin {

// A deployment's value for one rule parameter, and where it was set (file:line:col).
struct ParamOverride {
  nlohmann::json value;
  std::string where;
};
// rule id -> parameter name -> override.
using ParamOverrides = std::map<std::string, std::map<std::string, ParamOverride>>;

struct LoadedRules {
  std::shared_ptr<const rules::RuleSet> rule_set;
  int builtin_rules = 0;
  int files_read = 0;
  int files_with_errors = 0;  // files that could not be read or had error diagnostics
  int errors = 0;             // error diagnostics in all, built-in rules included
};

// Loads the built-in rules, then every *.yaml file directly inside each of `rule_dirs` (in name
// order). Each problem is printed to `log` as file:line:col with the source line and a caret; a
// broken file costs only its own rules. A rule whose id is already loaded is reported
// (rule_link_error) and left out. Fails (NotFound / FailedPrecondition) only when a directory
// cannot be listed, since running without rules the user asked for would pass silently.
// `overrides` replace parameter defaults; an override naming an unknown rule or parameter, or of
// the wrong JSON type for the parameter, is an error diagnostic (rule_param_error).
absl::StatusOr<LoadedRules> LoadRules(const std::vector<std::string>& rule_dirs, std::ostream& log,
                                      const ParamOverrides& overrides = {});

}  // namespace kmsguard::plugin
