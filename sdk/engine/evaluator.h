// Evaluates a rule set against normalized resources. Const and thread-safe.
#pragma once

#include <memory>
#include <vector>

#include "sdk/model/finding.h"
#include "sdk/model/resource.h"
#include "sdk/rules/rule.h"

namespace kmsguard::engine {

class Evaluator {
 public:
  explicit Evaluator(std::shared_ptr<const rules::RuleSet> rule_set);

  // One finding per applicable rule: PASS, WARNING, FAIL, or ERROR when the resource (e.g. a
  // policy document that does not parse) could not be evaluated. A rule whose operator finds it
  // does not apply (an AWS managed policy under `skip_aws_managed`) gives no finding. Never throws.
  std::vector<model::Finding> Evaluate(const model::Resource& resource) const;

  const rules::RuleSet& rule_set() const { return *rule_set_; }

 private:
  std::shared_ptr<const rules::RuleSet> rule_set_;
};

}  // namespace kmsguard::engine
