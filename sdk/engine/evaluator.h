// Evaluates a rule set against normalized resources. Const and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sdk/engine/scan_joins.h"
#include "sdk/model/finding.h"
#include "sdk/model/resource.h"
#include "sdk/rules/rule.h"

namespace kmsguard::engine {

struct EvaluationOptions {
  // Give each FAIL and WARNING of iam.allows its specific remediation: the failing policies
  // rewritten to least privilege, with the CLI and Terraform to apply them
  // (sdk/remediation/specific_remediation.h). Off: findings carry the rule's own remediation text
  // only, and evaluation is about 40% faster on accounts that fail a lot; for hosts that do not
  // show remediation (ScanStart.skip_specific_remediation).
  bool specific_remediation = true;
  // Give each finding its explanation (Finding::explanation: why the verdict was reached). Off:
  // no explanation lines are built; for hosts that do not show them (the table without
  // --explain: ScanStart.skip_explanation). Verdicts, messages and evidence are the same.
  bool explanation = true;
};

struct PreparedRule;  // prepared_rule.h

class Evaluator {
 public:
  // `today` (YYYY-MM-DD, UTC) decides which rule exceptions have expired; empty: the current date.
  explicit Evaluator(std::shared_ptr<const rules::RuleSet> rule_set, std::string today = "",
                     EvaluationOptions options = {});

  // One finding per applicable rule (per item for a rule with for_each, its key as sub_key):
  // PASS, WARNING, FAIL, ERROR when the resource (e.g. a policy document that does not parse)
  // could not be evaluated, or SUPPRESSED when an unexpired exception accepts a FAIL/WARNING. A
  // rule whose `when` is false, or whose operator finds it does not apply (an AWS managed policy
  // under `skip_aws_managed`), gives no finding. Never throws.
  // `joins`: the scan's Google Cloud and Azure resources joined once (scan_joins.h), read by
  // those clouds' operators.
  std::vector<model::Finding> Evaluate(const model::Resource& resource,
                                       const ScanJoins& joins = {}) const;

  const rules::RuleSet& rule_set() const { return *rule_set_; }
  const std::string& today() const { return today_; }
  const EvaluationOptions& options() const { return options_; }

 private:
  std::shared_ptr<const rules::RuleSet> rule_set_;
  std::string today_;
  EvaluationOptions options_;
  // One per rule of rule_set_->rules(), in the same order: what evaluation reads of a rule for
  // every finding, made once here (prepared_rule.h; tens of microseconds for the built-in rules).
  // Held through shared_ptr because PreparedRule is complete only where it is used.
  std::vector<std::shared_ptr<const PreparedRule>> prepared_;
};

}  // namespace kmsguard::engine
