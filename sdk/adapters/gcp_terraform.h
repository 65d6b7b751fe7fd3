// Input adapter: the Google Cloud IAM resources of a Terraform plan or state (`terraform show
// -json`, https://developer.hashicorp.com/terraform/internals/json-format) -> normalized Google
// Cloud assets (provider "gcp"; docs/resource-model.md, "Google Cloud assets"), the shape
// gcp::BuildInventory joins. The Terraform reader (terraform.h) hands every google_* resource
// instance here at once: several Terraform resources may bind roles on one scope, and the rules
// judge one asset per scope, so they are grouped.
//
// Resources (https://registry.terraform.io/providers/hashicorp/google/latest/docs):
//  - google_organization_iam_{member,binding,policy} (`org_id`: "123"),
//    google_folder_iam_{member,binding,policy} (`folder`: "folders/123" or "123"),
//    google_project_iam_{member,binding,policy} (`project`: the project id),
//    google_kms_key_ring_iam_{member,binding,policy} (`key_ring_id`:
//    "projects/P/locations/L/keyRings/R", "P/L/R", or "L/R" with the provider's project),
//    google_kms_crypto_key_iam_{member,binding,policy} (`crypto_key_id`:
//    "projects/P/locations/L/keyRings/R/cryptoKeys/K" or "P/L/R/K"): `role` with `member`
//    (member) or `members` (binding), an optional `condition` block (title, description,
//    expression); `policy_data` (policy), the JSON text of an IAM Policy ({"bindings": [...]});
//  - google_project_iam_custom_role (project, role_id) -> "projects/{project}/roles/{role_id}",
//    google_organization_iam_custom_role (org_id, role_id) -> "organizations/{org_id}/roles/
//    {role_id}": permissions, stage, deleted.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "sdk/adapters/adapter_support.h"
#include "sdk/adapters/authorization_details.h"

namespace kmsguard::adapters {

// One google_* resource instance of a plan (IAM resources, and the resources they may refer to:
// google_kms_key_ring, google_kms_crypto_key, google_project).
struct GoogleInstance {
  std::string address;                            // "google_project_iam_member.owner"
  std::string type;                               // "google_project_iam_member"
  const nlohmann::json* values = nullptr;         // planned (`after`) or state values; may be null
  const nlohmann::json* after_unknown = nullptr;  // may be null
  std::string pointer;                            // the instance's place in the file
  // The plan's google_* instance that `attribute` refers to in the configuration
  // (`google_kms_key_ring.ring.id`), and the attribute it names ("id"); null when none.
  std::function<const GoogleInstance*(std::string_view attribute, std::string* target_attribute)>
      referenced;
  // The value, known at plan time, of what `attribute` refers to in the configuration (a data
  // source's `policy_data`, another resource's known attribute); null when none.
  std::function<const nlohmann::json*(std::string_view attribute)> referenced_value;
};

// Whether ReadGoogleIamResources reads resources of `type` (the IAM resources above).
bool IsGoogleIamType(std::string_view type);

// Appends to `result` one iam.googleapis.com/Role resource per custom role (as read), then one
// normalized resource per scope that the instances of an IAM type bind roles on (in the order the
// scopes first appear):
//   id/name: the scope's CAI full name ("//cloudresourcemanager.googleapis.com/projects/acme",
//   "//cloudkms.googleapis.com/projects/p/locations/l/keyRings/r"); type: its asset type;
//   document {"name", "asset_type", "iam_policy": {"bindings": [{"role", "members",
//   "condition", "source": {"address", "json_pointer"}}], "problems"}, "unknown": [pointer]};
//   source: the first instance on the scope. Each binding keeps its own Terraform address and
//   JSON pointer ("/resource_changes/3/change/after"; a policy_data binding
//   ".../after/policy_data/bindings/0", a pointer into the parsed string).
// Values Terraform knows only after the apply: a scope is taken from the configuration's
// reference when that names a google_kms_key_ring, google_kms_crypto_key or google_project of the
// plan whose own values are known; otherwise it cannot be placed: a warning, and its bindings are
// not read. A role, member or condition known after apply is the text "(known after apply)",
// listed in the document's "unknown", with a warning naming the address. A "L/R" key ring id
// names the provider's project, which the plan does not hold: a warning, not read. A malformed
// policy_data is an error naming the address and JSON pointer, and a "problems" entry on the
// scope's policy. Never throws.
// With `positions` (the plan read from text), locations carry the line and column of the
// instance or the value.
void ReadGoogleIamResources(const std::vector<GoogleInstance>& instances, std::string_view file,
                            AdapterResult* result,
                            const internal::JsonPositions* positions = nullptr);

}  // namespace kmsguard::adapters
