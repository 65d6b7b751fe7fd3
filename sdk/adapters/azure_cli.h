// Input adapter: live Azure exports (Azure CLI, ARM REST GET/list responses, Azure Resource
// Graph) -> normalized resources (provider "azure") that azure::BuildInventory
// (sdk/azure/inventory.h) joins. The document shape is docs/resource-model.md, "Azure resources
// (provider `azure`)"; every resource's origin is {"kind": "live", "format": "azure-cli"}.
//
// Formats read (each element of a list by its own shape, so a mixed list is fine):
//  - `az role assignment list --all --include-inherited -o json`
//    (https://learn.microsoft.com/cli/azure/role/assignment#az-role-assignment-list): a flat
//    list; the fields are moved under "properties" (principalName and roleDefinitionName kept);
//  - `az role definition list -o json` (https://learn.microsoft.com/cli/azure/role/definition):
//    flat roleName, roleType (-> properties.type), permissions, assignableScopes; PowerShell's
//    Get-AzRoleDefinition objects (Name, Id, IsCustom, Actions, NotActions, DataActions,
//    NotDataActions, AssignableScopes) too;
//  - `az keyvault show` / `az keyvault list` (https://learn.microsoft.com/cli/azure/keyvault), the
//    ARM GET shape (https://learn.microsoft.com/rest/api/keyvault/keyvault/vaults/get): one object
//    or a list;
//  - an ARM REST list response {"value": [...], "nextLink": ...};
//  - `az graph query` output {"count": .., "data": [...]}
//    (https://learn.microsoft.com/azure/governance/resource-graph/), whose `type` is lower case
//    (the canonical spelling is restored).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "sdk/adapters/authorization_details.h"

namespace kmsguard::adapters {

// True when `root` is one of the shapes above: a list (or a {"value": [...]} / {"data": [...]}
// wrapper) whose first element has roleDefinitionId + principalId (+ scope), or roleName +
// permissions, or a `type` naming (in any case) Microsoft.KeyVault/vaults[/accessPolicies] or
// Microsoft.Authorization/roleAssignments|roleDefinitions with `properties`; or one such object.
bool LooksLikeAzureCliOutput(const nlohmann::json& root);

// Reads JSON text in one of the shapes above. Each vault, access-policy change, role assignment
// and role definition becomes one resource: id the ARM id as written (a role definition without
// one: /providers/Microsoft.Authorization/roleDefinitions/NAME), type the canonical spelling,
// account the subscription GUID of the id or scope (lower case), region the location, source the
// file, line:col and JSON pointer of the element. Elements of other Azure types are skipped with
// one warning; an element that cannot be read is an error diagnostic naming its pointer and its
// siblings still load; a field of the wrong type is a "problems" entry (and an error) and the rest
// of its resource loads. `enableRbacAuthorization` stays absent when absent and null when null.
// Permission strings are kept as written. Never throws.
AdapterResult ReadAzureCli(std::string_view text, std::string_view source_name);

// Same, on a document already parsed (sources then have pointers but no line:col).
AdapterResult ReadAzureCliJson(const nlohmann::json& root, std::string_view source_name);

}  // namespace kmsguard::adapters
