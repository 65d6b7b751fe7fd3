// Rules are data: a YAML file (api_version kmsguard/v1) is read into a Rule, never into code.
// The schema is documented in docs/rule-authoring.md.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "sdk/core/diagnostic.h"
#include "sdk/model/finding.h"
#include "sdk/rules/expr.h"

namespace kmsguard::rules {

inline constexpr char kApiVersion[] = "kmsguard/v1";

// A rule parameter: declared in the rule with a type and a default, overridable per deployment.
struct Param {
  std::string name;
  std::string type;  // "string", "list", "bool", "number"
  nlohmann::json default_value;
  std::string description;
  std::vector<std::string> allowed;  // for enum-like strings, e.g. on_condition: [fail, warn]
  // Set at load when a built-in argument takes the parameter ("${params.NAME}"): overrides are
  // checked against what that argument accepts, not only against `type`.
  std::string used_by;                       // e.g. "argument \"actions\" of iam.allows"
  bool needs_items = false;                  // a list argument that needs at least one item
  std::vector<std::string> argument_values;  // an enum argument: the values it accepts
  bool pattern = false;  // a `matches` pattern: each value must be RE2 within the cost limit
  bool action_names = false;  // the actions of `covers_action`: IAM actions without wildcards
};

// The violation test. First shape: a call to a built-in semantic operator with arguments.
// e.g. {"iam.allows": {"policies": "inline_policies", "actions": "${params.blocked_actions}",
//                       "resources": "every_kms_key"}}
struct Check {
  std::string builtin;  // "iam.allows"
  nlohmann::json args;  // the operator's arguments, as written
  core::SourceLocation location;
};

// `for_each`: the rule is judged once per item `path` selects; `key` (a path from the item) names
// the item and becomes the finding's sub_key (e.g. the inline policy name).
struct ForEach {
  Path path;
  Path key;
  core::SourceLocation location;
};

// An accepted risk: findings of the rule on resources that `match` selects are emitted with
// status SUPPRESSED (not dropped) until `expires` (YYYY-MM-DD, UTC, inclusive); after that the
// exception no longer applies and the finding says it expired.
struct Exception {
  ExprPtr match;
  std::string reason;
  std::string owner;
  std::string expires;
  core::SourceLocation location;

  // Past its `expires` day on `today` (YYYY-MM-DD, as TodayUtc gives it): no longer applies.
  bool ExpiredOn(std::string_view today) const { return expires < today; }
};

struct Rule {
  std::string id;
  std::string version;
  std::string title;
  std::string description;
  // In force: the rule file's, or the last override's that set one.
  model::Severity severity = model::Severity::kMedium;
  // Each override that changed `severity`, in order ("override at FILE:LINE:COL"); every
  // finding of the rule starts with these (docs/findings.md). Set by ApplyOverrides.
  std::vector<model::SeverityChange> severity_changes;
  std::string provider = "aws";
  std::vector<std::string> resource_types;
  std::vector<model::ComplianceRef> compliance;
  std::vector<std::string> references;
  std::vector<std::string> tags;
  std::vector<Param> params;
  // The bad state. Either a single built-in call (`violation.builtin` set, `condition` null: the
  // built-in decides status, evidence and message values), or a generic condition (`condition`
  // set; it may call built-ins inside).
  Check violation;
  ExprPtr condition;
  ExprPtr when;                             // applicability; null: always
  std::shared_ptr<const ForEach> for_each;  // null: the resource is judged as a whole
  std::vector<Exception> exceptions;
  std::string message;             // template, e.g. "{{resource.name}} ... {{evidence.actions}}"
  model::Remediation remediation;  // each field a template
  // The id of the rule this one extends (`extends:`; its document is merged under this one's,
  // compliance left out), or empty.
  std::string extends;
  core::SourceLocation location;   // the rule's position in its file

  // The severity the rule file states (before overrides).
  model::Severity FileSeverity() const {
    return severity_changes.empty() ? severity : severity_changes.front().from;
  }

  // The parameter values after defaults and deployment overrides.
  nlohmann::json ParamValue(std::string_view name) const;
  std::map<std::string, nlohmann::json> param_values;
  // The value of each parameter used as a `matches` pattern, compiled (kept in step with
  // param_values by the loader and ApplyOverrides).
  std::map<std::string, std::vector<std::shared_ptr<const re2::RE2>>> param_patterns;
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

// A deployment's change to a loaded rule, from a `kind: Override` document in a rule directory or
// from the configuration file (`rules.overrides`, `rules.params`; ReadOverrides and
// ReadParamOverrides in yaml_json.h): severity, parameter values and extra exceptions.
struct Override {
  std::string rule_id;
  bool has_severity = false;
  model::Severity severity = model::Severity::kMedium;
  core::SourceLocation severity_location;        // where `severity` is written
  std::map<std::string, nlohmann::json> params;  // name -> value (checked against the param type)
  // Where each value of `params` is written: a parameter's problem is reported there (else at
  // `location`).
  std::map<std::string, core::SourceLocation> param_locations;
  std::vector<Exception> exceptions;
  core::SourceLocation location;
};

struct LoadResult {
  std::vector<Rule> rules;          // every rule that loaded without error
  core::Diagnostics diagnostics;    // every problem, with file:line:col (errors and warnings)
  std::vector<Override> overrides;  // `kind: Override` documents read (already applied to `rules`
                                    // by LoadRuleFiles when their rule was among the files)
};

// One rule file's name and text.
struct SourceFile {
  std::string name;
  std::string text;
};

struct LoadOptions {
  // Also report lint warnings (kmsguard check): a rule without remediation, unused lists and
  // macros, an exception that has expired.
  bool lint = false;
};

// Reads several rule files as one set: `kind: Library` documents (shared `lists` and `macros`)
// are visible to every rule of the set; duplicate rule ids across files are errors (the first
// definition is kept); `kind: Override` documents are applied to the rules of the set (an override
// of an id not in the set is an error). With options.lint, lint warnings come too. Never throws.
LoadResult LoadRuleFiles(const std::vector<SourceFile>& files, const LoadOptions& options = {});

// Applies `overrides` to `rules` in order. Returns every problem (unknown rule id, unknown
// parameter, a value of the wrong type or not allowed), located at the override; a problem leaves
// that one override entry out and applies the rest.
core::Diagnostics ApplyOverrides(const std::vector<Override>& overrides, std::vector<Rule>* rules);

// Today's date in UTC as YYYY-MM-DD (exception expiry compares with it).
std::string TodayUtc();

// True for "YYYY-MM-DD" with a month 01-12 and a day 01-31: the form of exception expiry dates
// and of a rule test file's `today`.
bool IsDate(std::string_view text);

// The text files the built-in rules were compiled from (rules/*.yaml and rules/*.yml).
std::vector<SourceFile> BuiltinRuleSources();

// Reads one rule file's text (one or more YAML documents, one rule each). Never throws. Text that
// is not YAML yields no rules; otherwise each document with an error yields no rule, and the
// diagnostics list every problem of the file with file:line:col (schema: docs/rule-authoring.md).
LoadResult LoadRuleText(std::string_view yaml_text, std::string_view file_name);

// The rules shipped in rules/*.yaml, compiled into the library at build time.
LoadResult LoadBuiltinRules();

}  // namespace kmsguard::rules
