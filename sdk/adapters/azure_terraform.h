// Input adapter: the azurerm resources of a Terraform plan or state (`terraform show -json`,
// https://developer.hashicorp.com/terraform/internals/json-format) -> normalized Azure resources
// (provider "azure"; docs/resource-model.md, "Azure resources (provider `azure`)"). The
// Terraform reader (terraform.h) hands each azurerm_* resource instance here; its origin is
// {"kind": "plan", "format": "terraform", "api_version": ""}.
//
// Resources (https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs):
//  - azurerm_key_vault: tenant_id, enable_rbac_authorization or rbac_authorization_enabled (its
//    name from azurerm 4.42), inline access_policy blocks, enabled_for_disk_encryption;
//  - azurerm_key_vault_access_policy: a Microsoft.KeyVault/vaults/accessPolicies resource with
//    operation "add" (key_vault_id, tenant_id, object_id, application_id, *_permissions);
//  - azurerm_role_assignment: scope, role_definition_id or role_definition_name, principal_id,
//    principal_type, condition, condition_version;
//  - azurerm_role_definition: name (-> roleName), scope, permissions blocks (actions,
//    not_actions, data_actions, not_data_actions), assignable_scopes, role_definition_id.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "sdk/adapters/adapter_support.h"
#include "sdk/adapters/authorization_details.h"

namespace kmsguard::adapters {

// One azurerm resource instance of a plan.
struct AzurermInstance {
  std::string_view address;                       // "azurerm_role_assignment.kv_crypto"
  std::string_view type;                          // "azurerm_role_assignment"
  const nlohmann::json* values = nullptr;         // planned (`after`) or state values; may be null
  const nlohmann::json* after_unknown = nullptr;  // may be null
  std::string pointer;                            // the instance's place in the file
  // The model id of the plan's resource that `attribute` refers to in the configuration
  // (`azurerm_key_vault.kv.id`): its ARM id when known, else its address; "" when none.
  std::function<std::string(std::string_view attribute)> referenced_id;
};

// Whether ReadAzurermResource reads resources of `type`.
bool IsAzurermType(std::string_view type);

// Appends the normalized resource of `instance` to `result` (and its problems to its
// diagnostics). Values Terraform knows only after the apply are the text "(known after apply)"
// and their pointers are listed in the document's "unknown"; a key_vault_id or scope that refers
// to a vault of the plan takes that vault's id. The resource's id is its ARM id when known, else
// its address. Never throws.
// With `positions` (the plan read from text), the resource's source carries its line and column.
void ReadAzurermResource(const AzurermInstance& instance, std::string_view file,
                         AdapterResult* result, const internal::JsonPositions* positions = nullptr);

}  // namespace kmsguard::adapters
