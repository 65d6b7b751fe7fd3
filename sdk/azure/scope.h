// Azure resource ids as role-assignment scopes: which level an id names, and which scopes lie
// below which.
//
// Rules implemented (docs/azure-keyvault-semantics.md):
//  - Scopes are the tenant root "/", a management group
//    ("/providers/Microsoft.Management/managementGroups/MG"), a subscription
//    ("/subscriptions/S"), a resource group (".../resourceGroups/RG"), a resource (a vault:
//    ".../providers/Microsoft.KeyVault/vaults/V") and, for Key Vault, one key
//    (".../vaults/V/keys/K"); an assignment applies at its scope and every scope below it
//    (https://learn.microsoft.com/azure/role-based-access-control/scope-overview).
//  - Resource ids compare case-insensitively
//    (https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules):
//    the canonical form is lower case without a trailing '/'.
//  - A built-in role's definition id is written with or without a subscription prefix
//    ("/subscriptions/S/providers/Microsoft.Authorization/roleDefinitions/GUID" or
//    "/providers/Microsoft.Authorization/roleDefinitions/GUID"): roles are compared by the
//    trailing GUID.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kmsguard::azure {

enum class ScopeKind : std::uint8_t {
  kTenantRoot,
  kManagementGroup,
  kSubscription,
  kResourceGroup,
  kVault,
  kKey,
  kOther,  // another resource, a key version, or text that is not an ARM id
};
// "tenant_root", "management_group", "subscription", "resource_group", "vault", "key", "other".
std::string_view ScopeKindName(ScopeKind kind);

struct Scope {
  std::string id;         // as written
  std::string canonical;  // lower case, no trailing '/'; "/" for the tenant root
  ScopeKind kind = ScopeKind::kOther;
  std::string subscription;    // lower case; empty when the id holds none
  std::string resource_group;  // as written; empty when the id holds none
  std::string vault;         // kVault, kKey: the vault's canonical id
  std::string name;          // the last name of the id (the vault's or key's name, ...), as written
};

// Reads an ARM id or scope. Never fails: text that is no known shape is kOther.
Scope ParseScope(std::string_view id);

// Whether an assignment at `outer` applies at `inner`: the same scope, or one below it by its id.
// A management group's subscriptions are not named by their ids, so a management group covers
// only itself here; callers say what they do about that.
bool Covers(const Scope& outer, const Scope& inner);

// The trailing GUID of a role definition id ("…/roleDefinitions/GUID", or a bare GUID), lower
// case; empty when the last segment is not 36 characters of hex digits and dashes.
std::string RoleDefinitionGuid(std::string_view role_definition_id);

// `text` lower-cased when it is a GUID (36 characters: hex digits, dashes at 8, 13, 18, 23), else
// empty. Entra ids (tenant, object, application) and built-in role ids are GUIDs, compared in
// any letter case.
std::string Guid(std::string_view text);

}  // namespace kmsguard::azure
