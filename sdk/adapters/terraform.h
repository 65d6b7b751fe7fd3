// Input adapter: Terraform JSON (`terraform show -json` of a plan, or of a state) -> normalized
// principals and managed policies, evaluated before anything is deployed.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "sdk/adapters/authorization_details.h"

namespace kmsguard::adapters {

// Reads the IAM resources of a plan: `planned_values` (root module and nested child_modules),
// `resource_changes` (`change.after`; deleted resources are dropped) and data sources read at
// plan time (`prior_state`), or the `values` of a state. Principals come from aws_iam_user,
// aws_iam_group and aws_iam_role (trust policy `assume_role_policy`, `inline_policy` blocks);
// aws_iam_user_policy / aws_iam_group_policy / aws_iam_role_policy join the principal their
// `user`/`group`/`role` names. A value unknown at plan time is resolved through `configuration`
// references (`aws_iam_group.g.name` -> that group) where possible; otherwise the principal is
// named "<unknown: ADDRESS>", never guessed, and a warning says so. aws_iam_policy gives a managed
// policy resource. Policies are kept as the JSON text Terraform plans (CRLF included). Resource
// ids are ARNs when known, else "terraform:ADDRESS"; sources are the file, the JSON pointer and
// the resource address. Problems are diagnostics; the rest still loads. azurerm_key_vault,
// azurerm_key_vault_access_policy, azurerm_role_assignment and azurerm_role_definition become
// Azure resources (azure_terraform.h), after the AWS ones. The google_{organization,folder,
// project,kms_key_ring,kms_crypto_key}_iam_{member,binding,policy} resources become Google Cloud
// assets, one per scope with the bindings of every resource on it, and
// google_{project,organization}_iam_custom_role iam.googleapis.com/Role assets (gcp_terraform.h),
// last. Never throws.
AdapterResult ReadTerraformPlan(std::string_view json_text, std::string_view source_name);

// Same, on an already parsed document.
AdapterResult ReadTerraformPlanJson(const nlohmann::json& root, std::string_view source_name);

}  // namespace kmsguard::adapters
