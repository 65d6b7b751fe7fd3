// Remediation as Terraform for the Google Cloud and Azure built-ins (`evidence.terraform`,
// Outcome::terraform): the edit that takes one grant away, specific to where the grant was read.
//
//  - Read from a Terraform plan or state (the grant's source names a Terraform resource address):
//    that address and the exact edit, by resource kind. google_*_iam_member: remove the resource
//    (or narrow it); google_*_iam_binding: remove the member from `members` (the resource when
//    the member is its only one); google_*_iam_policy: remove the member from the role's binding
//    in `policy_data` (or in the data "google_iam_policy" it is read from).
//    azurerm_role_assignment: remove it, or move its `scope` to the vault or key that needs it; an
//    access_policy block of azurerm_key_vault or an azurerm_key_vault_access_policy: the
//    `key_permissions` to keep.
//  - Read from a live export (Cloud Asset Inventory, get-iam-policy, az CLI, ARM GET): the narrow
//    replacement as HCL to paste (a google_kms_key_ring_iam_member or
//    google_kms_crypto_key_iam_member with roles/cloudkms.cryptoKeyDecrypter; an
//    azurerm_role_assignment at a vault or key with Key Vault Crypto User), placeholders
//    (`<key-ring>`) for what the input does not say, and which Terraform resource to remove if
//    Terraform manages the broad grant.
//  - Read from an ARM template: "" (the fix belongs in the template, and the CLI text names it).
//
// Attribute names: the Terraform registry's google and azurerm provider documentation
// (google_kms_key_ring_iam_member: key_ring_id, role, member; google_kms_crypto_key_iam_member:
// crypto_key_id; azurerm_role_assignment: scope, role_definition_name, principal_id;
// azurerm_key_vault access_policy and azurerm_key_vault_access_policy: object_id, key_permissions,
// whose values azurerm spells "Decrypt", "UnwrapKey", ...).
//
// The text has several lines and is rendered with its newlines kept (rules::KeepsLines): every
// value from the input in it is an HCL string (core::HclQuote: `"`, `\`, control characters,
// `${` and `%{` escaped), also inside comments, or, for a resource address, made terminal-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sdk/azure/inventory.h"
#include "sdk/azure/key_access.h"
#include "sdk/gcp/effective_grant.h"
#include "sdk/gcp/inventory.h"

namespace kmsguard::engine {

// The resource type a Terraform resource address names ("google_project_iam_member" for
// "module.iam[0].google_project_iam_member.ci[\"a\"]"), or "" when `address` is not the address
// of a managed resource (a data source, an ARM id, a Cloud Asset Inventory name, empty text).
std::string TerraformAddressType(std::string_view address);

// The Terraform that takes `grant` (a member's bindings at one scope) away. `inventory` is the one
// the grant was found in: a project the scope names by number is named by id when it joins them.
std::string GcpGrantTerraform(const gcp::ScopedGrant& grant, const gcp::Inventory& inventory);

// The Terraform that takes the assignment `a` away, or narrows it; `answer` is its judgement.
// "" for an assignment read from an ARM template.
std::string AzureAssignmentTerraform(const azure::RoleAssignment& a,
                                     const azure::AssignmentAnswer& answer);

// The Terraform that takes the granting key permissions away from one access-policy entry of the
// vault `vault`, keeping `keep` (the entry's other key permissions, "all" written out). `live`:
// the vault was read from a live export. "" for an entry read from an ARM template.
std::string AzureAccessPolicyTerraform(const azure::Scope& vault,
                                       const azure::AccessPolicyGrant& grant,
                                       const std::vector<std::string>& keep, bool live);

}  // namespace kmsguard::engine
