// Implementations of the built-in operators declared in sdk/rules/builtins.h, looked up by name.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sdk/core/diagnostic.h"
#include "sdk/engine/resource_view.h"
#include "sdk/iam/grant_analysis.h"
#include "sdk/model/finding.h"
#include "sdk/model/resource.h"
#include "sdk/remediation/specific_remediation.h"
#include "sdk/rules/builtins.h"
#include "sdk/rules/rule.h"

namespace kmsguard::engine {

struct OutcomeItem;

// What an operator found for one resource; the evaluator turns it into a Finding.
struct Outcome {
  model::Status status = model::Status::kPass;
  // The rule does not apply to this resource (e.g. an AWS managed policy under
  // skip_aws_managed): the evaluator emits no finding for it.
  bool not_applicable = false;
  bool conditional = false;  // every grant found depends on a Condition
  std::vector<model::Evidence> evidence;
  std::vector<std::string> failing_policies;  // names of the policies that grant
  std::string policy_version;                 // a managed policy's default version id
  std::vector<std::string> actions;           // granted actions, first-seen order
  std::vector<std::string> resources;         // resource patterns of the granting statements
  std::vector<std::string> errors;            // what could not be evaluated, one line each
  std::string pass_detail;                    // the message of a PASS
  // A WARNING that is not conditional: what the input does not determine, which makes it neither
  // a FAIL nor a PASS (an unknown role, a vault's undetermined permission model). The message
  // says it, so that the WARNING does not read like a FAIL.
  std::string undetermined;
  // Where the grant is written, when that is not where the resource was read: a Google Cloud
  // binding in one of the several inputs a scope's policy was joined from, an Azure access-policy
  // entry. Unset: the resource's source.
  std::optional<core::SourceLocation> source;
  std::vector<std::string> explanation;       // why, one line each (Finding::explanation)
  std::vector<std::string> exposed_to;        // who holds the grant (Finding::exposed_to)
  std::string exposure;                       // one-line summary (Finding::exposure)
  // Non-empty: raise the finding's severity one level, and this says why (e.g. "the role can be
  // assumed from outside account 111122223333: ...").
  std::string severity_raise;
  // A FAIL or WARNING whose policies can be rewritten: which, and the query they failed. The
  // evaluator computes their least-privilege replacements (remediation::FixPolicies) for the
  // finding's specific remediation only when asked to (EvaluationOptions): it is about 40% of the
  // evaluation time on accounts that fail a lot, wasted on a host that does not show it.
  struct FixRequest {
    std::vector<std::string> policy_names;
    iam::GrantQuery query;
  };
  std::vector<FixRequest> fixes;
  // A command that removes the grant (the `evidence.command` template variable), when the
  // operator can name one. One line: template values are made terminal-safe (a newline prints
  // as \x0a), so several commands are joined with " && ".
  std::string command;
  // Terraform (HCL) that removes or narrows the grant (the `evidence.terraform` template variable),
  // when the operator can write it: several lines, rendered with their newlines kept
  // (rules::KeepsLines), so every value from the input in it must be HCL-quoted, or made
  // terminal-safe in a comment (terraform_remediation.h).
  std::string terraform;
  // Non-empty: one finding per item instead of one for the resource (a Google Cloud policy grants
  // many members at one scope), each with its key as sub_key (the `item.key` variable).
  std::vector<OutcomeItem> items;
};

struct OutcomeItem {
  std::string key;
  Outcome outcome;
};

// An operator's arguments, read and checked once per call site (for a rule's lone call, once
// when the evaluator is made: prepared_rule.h) instead of once per resource. Each operator derives
// its own.
struct PreparedArgs {
  virtual ~PreparedArgs() = default;
};

// A check of a call's arguments against provider data (a role catalog) that only the resources of
// that provider need: run once, when the first such resource is judged, from any thread. The
// catalogs take most of a plugin's start (issue 13 item 6: a one-role scan within 100 ms), and a
// host that scans only AWS never reads them. The outcome is the same as a check at prepare time:
// a failed check was never an error of the prepare step, but of every outcome `run` returns.
class DeferredCheck {
 public:
  // `check` returns why the call cannot be answered, or "" when it can.
  explicit DeferredCheck(std::function<std::string()> check) : check_(std::move(check)) {}
  const std::string& Error() const {
    std::call_once(once_, [this] { error_ = check_(); });
    return error_;
  }

 private:
  std::function<std::string()> check_;
  mutable std::once_flag once_;
  mutable std::string error_;
};

// An operator, in two steps. `prepare` reads the call's arguments `args` (declared by `spec`;
// parameter references resolve through `rule`); a problem with them is not an error of the
// prepare step but of every outcome `run` returns. `run` judges one resource (its document read
// once and shared by every rule, see resource_view.h) under prepared arguments made by the same
// implementation's `prepare`. Either may throw only through a third-party call; callers catch and
// report that as an ERROR.
struct Builtin {
  std::string_view name;
  std::shared_ptr<const PreparedArgs> (*prepare)(const rules::Rule& rule,
                                                 const nlohmann::json& args,
                                                 const rules::BuiltinSpec& spec);
  Outcome (*run)(const PreparedArgs& args, const ResourceView& resource);
};

// The implementation of the operator called `name`, or nullptr.
const Builtin* FindImplementation(std::string_view name);

// Operators (one per file).
std::shared_ptr<const PreparedArgs> PrepareIamAllows(const rules::Rule& rule,
                                                     const nlohmann::json& args,
                                                     const rules::BuiltinSpec& spec);
Outcome IamAllows(const PreparedArgs& args, const ResourceView& resource);
std::shared_ptr<const PreparedArgs> PrepareGcpGrants(const rules::Rule& rule,
                                                     const nlohmann::json& args,
                                                     const rules::BuiltinSpec& spec);
Outcome GcpGrants(const PreparedArgs& args, const ResourceView& resource);
std::shared_ptr<const PreparedArgs> PrepareAzureGrants(const rules::Rule& rule,
                                                       const nlohmann::json& args,
                                                       const rules::BuiltinSpec& spec);
Outcome AzureGrants(const PreparedArgs& args, const ResourceView& resource);

}  // namespace kmsguard::engine
