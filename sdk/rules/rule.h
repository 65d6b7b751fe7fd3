// Rules are data: a YAML file (api_version kmsguard/v1) is read into a Rule, never into code.
// The schema is documented in docs/rule-authoring.md.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sdk/core/diagnostic.h"
#include "sdk/model/finding.h"

namespace kmsguard::rules {

inline constexpr char kApiVersion[] = "kmsguard/v1";

// A rule parameter: declared in the rule with a type and a default, overridable per deployment.
struct Param {
  std::string name;
  std::string type;  // "string", "list", "bool", "number"
  nlohmann::json default_value;
  std::string description;
  std::vector<std::string> allowed;  // for enum-like strings, e.g. on_condition: [fail, warn]
};

// The violation test. First shape: a call to a built-in semantic operator with arguments.
// e.g. {"iam.allows": {"policies": "inline_policies", "actions": "${params.blocked_actions}",
//                       "resources": "every_kms_key"}}
struct Check {
  std::string builtin;     // "iam.allows"
  nlohmann::json args;     // the operator's arguments, as written
  core::SourceLocation location;
};

struct Rule {
  std::string id;
  std::string version;
  std::string title;
  std::string description;
  model::Severity severity = model::Severity::kMedium;
  std::string provider = "aws";
  std::vector<std::string> resource_types;
  std::vector<model::ComplianceRef> compliance;
  std::vector<std::string> references;
  std::vector<Param> params;
  Check violation;
  std::string message;            // template, e.g. "{{resource.name}} ... {{evidence.actions}}"
  model::Remediation remediation;  // each field a template
  core::SourceLocation location;   // the rule's position in its file

  // The parameter values after defaults and deployment overrides.
  nlohmann::json ParamValue(std::string_view name) const;
  std::map<std::string, nlohmann::json> param_values;
};

// An immutable, compiled set of rules, indexed by resource type. Shared across threads.
class RuleSet {
 public:
  explicit RuleSet(std::vector<Rule> rules);
  // The index points into rules_: a copy would point into the original, so copying is disabled
  // (moving keeps the vector's buffer and is safe).
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;
  RuleSet(RuleSet&&) = default;
  RuleSet& operator=(RuleSet&&) = default;
  const std::vector<Rule>& rules() const { return rules_; }
  // Rules that apply to `resource_type` (empty when none).
  const std::vector<const Rule*>& ForType(std::string_view resource_type) const;

 private:
  std::vector<Rule> rules_;
  std::map<std::string, std::vector<const Rule*>, std::less<>> by_type_;
};

struct LoadResult {
  std::vector<Rule> rules;        // every rule that loaded without error
  core::Diagnostics diagnostics;  // every problem, with file:line:col
};

// Reads one rule file's text (one or more YAML documents, one rule each). Never throws. Text that
// is not YAML yields no rules; otherwise each document with an error yields no rule, and the
// diagnostics list every problem of the file with file:line:col (schema: docs/rule-authoring.md).
LoadResult LoadRuleText(std::string_view yaml_text, std::string_view file_name);

// The rules shipped in rules/*.yaml, compiled into the library at build time.
LoadResult LoadBuiltinRules();

}  // namespace kmsguard::rules
