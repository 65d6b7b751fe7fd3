// What the evaluator reads of a rule for every finding, made once when the evaluator is made
// (the "prepare" step of OPA's PrepareForEval, cel-cpp's CreateProgram): the message and
// remediation templates scanned and their variables bound to slots, the parameters' values as
// the templates print them, and the arguments of a lone built-in call read and checked. Rule
// sets are immutable, so this never goes stale; an evaluator holds its rule set and its prepared
// rules together.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sdk/engine/builtins.h"
#include "sdk/model/resource.h"
#include "sdk/rules/rule.h"
#include "sdk/rules/template.h"

namespace kmsguard::engine {

// The values of one finding's templates (rules::TemplateVariables, then item.key), borrowed from
// the resource and the operator's outcome for the time of one render.
struct FindingValues {
  std::string_view resource_name, resource_id, resource_type, resource_kind, resource_partition,
      resource_account, resource_region, policy_names, policy_version, evidence_actions,
      evidence_resources, item_key, evidence_command, evidence_terraform;
};

struct PreparedRule {
  explicit PreparedRule(const rules::Rule& rule);

  rules::CompiledTemplate message, summary, console, cli, terraform;
  // `param.NAME` of each declared parameter, in declaration order, as the templates print it
  // (a string as it is, a list ", "-joined, anything else as JSON).
  std::vector<std::string> param_texts;

  // A lone built-in call (`violation.builtin` without a condition): its implementation (null when
  // there is none) and its arguments read once; `builtin_failure` says why reading them threw.
  const Builtin* builtin = nullptr;
  std::shared_ptr<const PreparedArgs> builtin_args;
  std::string builtin_failure;

  // What the templates are rendered with for one finding: `values`, then the parameters. Made
  // once per finding, passed to each template's Render.
  std::vector<std::string_view> Slots(const FindingValues& values) const;
};

}  // namespace kmsguard::engine
