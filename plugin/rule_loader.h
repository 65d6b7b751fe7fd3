// Builds the plugin's rule set from the built-in rules and rule directories. File I/O lives here,
// not in the engine, which only ever sees text.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sdk/rules/rule.h"

namespace kmsguard::plugin {

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
absl::StatusOr<LoadedRules> LoadRules(const std::vector<std::string>& rule_dirs, std::ostream& log);

}  // namespace kmsguard::plugin
