// One picture of an Azure scan: the vaults (with their permission model and access policies), the
// role assignments and the custom role definitions of every Azure resource read
// (adapters/azure_*.h make them, in the shape of docs/resource-model.md "Azure resources"),
// joined after reading.
//
// Several files form one picture: `az role assignment list`, `az role definition list` and
// `az keyvault list` output, ARM templates, Terraform plans. BuildInventory is the one step that
// joins them; no format reader does.
//
// Rules implemented (docs/azure-keyvault-semantics.md):
//  - A vault answers data-plane requests through one model, chosen by
//    properties.enableRbacAuthorization: true -> RBAC (access policies are ignored); false ->
//    access policies (data-action role assignments are ignored)
//    (https://learn.microsoft.com/azure/key-vault/general/rbac-access-policy).
//  - Null or absent on an existing vault (a live export) -> access policies; in a template or plan
//    that omits it, a vault created with API version 2026-02-01 or later gets RBAC, an older one
//    access policies; with no API version the model is undetermined
//    (https://learn.microsoft.com/azure/key-vault/general/access-control-default).
//  - An access-policy child resource (ARM `vaults/accessPolicies` add|replace|remove, Terraform
//    azurerm_key_vault_access_policy) changes the list of its vault
//    (https://learn.microsoft.com/azure/templates/microsoft.keyvault/vaults/accesspolicies).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "sdk/azure/roles.h"
#include "sdk/azure/scope.h"
#include "sdk/core/diagnostic.h"
#include "sdk/model/resource.h"

namespace kmsguard::azure {

enum class PermissionModel : std::uint8_t {
  kAccessPolicies,
  kRbac,
  kUndetermined,  // a template or plan without the flag and without an API version, or a flag
                  // the input did not determine
};
std::string_view PermissionModelName(PermissionModel model);  // "access_policies", "rbac", ...

struct AccessPolicyEntry {
  std::string tenant_id;
  std::string object_id;          // the principal (user, group, service principal)
  std::string application_id;     // non-empty: a compound identity (the principal through the app)
  std::vector<std::string> keys;  // permissions.keys, as written (compare case-insensitively)
  std::vector<std::string> secrets;       // permissions.secrets, for a remediation that keeps them
  std::vector<std::string> certificates;  // permissions.certificates
  bool object_unknown = false;    // the input did not determine object_id
  bool unreadable = false;        // the entry's key permissions could not be read
  core::SourceLocation source;    // json_pointer names the entry
};

struct Vault {
  std::string resource_id;  // the model::Resource it was read from
  std::string id;           // as written
  std::string tenant_id;    // properties.tenantId, as written
  Scope scope;
  std::string name;
  PermissionModel model = PermissionModel::kUndetermined;
  std::string model_reason;  // why that model, in words ("enableRbacAuthorization is false")
  std::vector<AccessPolicyEntry> access_policies;
  bool enabled_for_disk_encryption = false;
  bool live = false;                  // read from a live export (origin kind "live", or no origin)
  std::vector<std::string> problems;  // parts the adapter or the join could not read
  // Why the access-policy list may hold grants not listed (an unreadable entry, a list the input
  // does not determine such as an ARM property loop): a vault with no grant found is then not a
  // PASS.
  std::vector<std::string> incomplete;
  std::vector<std::string> notes;  // what the answer assumed (a `remove` change not applied)
  core::SourceLocation source;
};

// An access-policy change whose vault is not in the scan.
struct DetachedAccessPolicies {
  std::string resource_id;
  std::string vault_id;
  std::string operation;  // "add", "replace", "remove"
  std::vector<AccessPolicyEntry> entries;
  core::SourceLocation source;
};

struct RoleAssignment {
  std::string resource_id;  // the model::Resource it was read from
  std::string id;
  Scope scope;
  bool scope_unknown = false;
  std::string role_definition_id;
  std::string role_definition_name;
  bool role_unknown = false;  // the input did not determine which role
  std::string principal_id;
  std::string principal_type;  // "User", "Group", "ServicePrincipal", ...
  std::string principal_name;  // a display name, when the input gave one
  bool principal_unknown = false;
  std::string condition;  // ABAC condition text, not evaluated
  bool live = false;      // read from a live export (origin kind "live", or no origin)
  std::vector<std::string> problems;
  core::SourceLocation source;
};

class Inventory {
 public:
  std::vector<Vault> vaults;
  std::vector<DetachedAccessPolicies> detached;
  std::vector<RoleAssignment> assignments;
  std::vector<RoleDefinition> custom_roles;
  // What role assignments the input cannot have shown, said on every finding about a vault that
  // role assignments reach (RBAC or undetermined model); empty when nothing is known missing:
  //  - no role assignment at all: grants through RBAC were not seen;
  //  - live vaults, but role assignments only from templates and plans: the live ones were not
  //    seen;
  //  - live role assignments, none above a subscription (a management group, the tenant root):
  //    `az role assignment list --all` lists those only with --include-inherited, so grants
  //    inherited from above may be missing. Templates and plans never hold inherited assignments
  //    and are not counted.
  std::string unseen_assignments_note;
  // The built-in catalog and custom_roles, made once by BuildInventory: every assignment of a
  // scan is resolved through it.
  std::shared_ptr<const RoleResolver> roles;

  // The vault whose id is `id` (any case), or nullptr.
  const Vault* FindVault(std::string_view id) const;
  Vault* FindVault(std::string_view id);
  // What was read from the model::Resource whose id is `resource_id`, or nullptr: the operator
  // judging a resource finds its part of the joined picture without reading its document again.
  const Vault* VaultOf(std::string_view resource_id) const;
  const RoleAssignment* AssignmentOf(std::string_view resource_id) const;
  const DetachedAccessPolicies* DetachedOf(std::string_view resource_id) const;
  // The Entra tenant of `subscription` (lower case, as model::Resource::account holds it): the
  // tenantId every vault of the scan in that subscription states. A subscription trusts exactly
  // one tenant
  // (https://learn.microsoft.com/entra/fundamentals/how-subscriptions-associated-directory) and its
  // vaults authenticate against it. Empty when no vault states one as a GUID (a template's
  // subscription().tenantId), or when two disagree (a subscription moved to another tenant before
  // its vaults were updated): the tenant is never guessed.
  std::string_view TenantOf(std::string_view subscription) const;

  // (Re)builds the lookups above from the lists; BuildInventory calls it. The first of equal keys
  // wins.
  void Index();

 private:
  absl::flat_hash_map<std::string, std::size_t> vault_by_canonical_;
  absl::flat_hash_map<std::string, std::size_t> vault_by_resource_;
  absl::flat_hash_map<std::string, std::size_t> assignment_by_resource_;
  absl::flat_hash_map<std::string, std::size_t> detached_by_resource_;
  absl::flat_hash_map<std::string, std::string> tenant_by_subscription_;  // "" when they disagree
};

struct InventoryResult {
  Inventory inventory;
  core::Diagnostics diagnostics;  // shapes the join could not read (file + JSON pointer)
};

// Joins the Azure resources among `resources` (provider "azure"; others are skipped). Never
// fails: what cannot be read is a diagnostic and a problem on the resource concerned.
InventoryResult BuildInventory(const std::vector<model::Resource>& resources);

// A resolver over the inventory's custom roles and `catalog`, which must outlive it.
RoleResolver MakeRoleResolver(const Inventory& inventory,
                              const RoleCatalog& catalog = BuiltinRoles());

// The model of a vault document (its "properties" and "origin" as docs/resource-model.md gives
// them), and why, in words. `flag_unknown`: the document lists the flag in "unknown".
PermissionModel DecideModel(const nlohmann::json& properties, const nlohmann::json& origin,
                            bool flag_unknown, std::string* reason);

}  // namespace kmsguard::azure
