// Remediation text specific to one finding: console steps, ready-to-paste AWS CLI commands and
// Terraform that name the actual principal and policy and carry the generated least-privilege
// replacement of each failing policy.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sdk/iam/grant_analysis.h"
#include "sdk/iam/policy_memo.h"
#include "sdk/model/finding.h"
#include "sdk/model/iam_document.h"
#include "sdk/model/resource.h"
#include "sdk/remediation/least_privilege.h"

namespace kmsguard::remediation {

// One failing policy and its replacement, or why none could be generated.
struct PolicyFix {
  std::string policy_name;  // the inline policy's name, or the managed policy's name
  // Shared: one document failing on many principals is rewritten once per thread.
  absl::StatusOr<std::shared_ptr<const PolicyReplacement>> replacement;
};

// A replacement (ReplaceBroadGrant) for each failing policy of `resource`: for a user, group or
// role, its inline policies named in `policy_names`; for a managed policy (AWS::IAM::Policy), its
// default version. Concrete key ARNs named by any inline policy of the principal (or by the
// managed policy) count as keys it uses, so blocked actions are narrowed to those keys rather
// than to the placeholder.
// `document` is the resource's document (model/iam_document.h); `analyses`, when given, the
// resource's analyses of its documents that the rules made already (ResourceView::analyses).
std::vector<PolicyFix> FixPolicies(const model::Resource& resource,
                                   const model::IamDocument& document,
                                   const std::vector<std::string>& policy_names,
                                   const iam::GrantQuery& query,
                                   iam::PolicyAnalyses* analyses = nullptr);

// Puts the fixes into `remediation`: console steps after the rule's console text, and
// ready-to-paste CLI commands (put-*-policy with the corrected document inline and
// delete-*-policy as the alternative; create-policy-version for a managed policy) and Terraform
// (the rewritten aws_iam_*_policy, and a key-policy statement for a user or role) before the
// rule's own CLI and Terraform text, which remain as the by-hand route. `compliance` names the control a Condition would not clear (e.g. KMS.2). Does nothing
// when `fixes` is empty.
void AddSpecificRemediation(const model::Resource& resource, const std::vector<PolicyFix>& fixes,
                            const std::vector<model::ComplianceRef>& compliance,
                            model::Remediation* remediation);

}  // namespace kmsguard::remediation
