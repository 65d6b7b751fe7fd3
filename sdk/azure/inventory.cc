#include "sdk/azure/inventory.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "sdk/core/json_tree.h"
#include "sdk/model/json_fields.h"

namespace kmsguard::azure {
namespace {

using model::ArrayMember;
using model::ObjectMember;
using model::StringList;
using model::StringMember;
using nlohmann::json;

// Read from a live export (origin kind "live"), or from a host that gives no origin, which reads
// live state: a template's or plan's resource is never live (docs/resource-model.md).
bool IsLive(const json* origin) {
  const std::string kind = origin != nullptr ? StringMember(*origin, "kind") : std::string();
  return kind.empty() || kind == "live";
}

// The first API version whose vault create defaults to RBAC
// (https://learn.microsoft.com/azure/key-vault/general/access-control-default).
constexpr char kRbacDefaultApiVersion[] = "2026-02-01";
constexpr std::size_t kApiDateLength = 10;  // YYYY-MM-DD, before any "-preview"

bool Listed(const std::vector<std::string>& unknown, std::string_view pointer) {
  return std::find(unknown.begin(), unknown.end(), pointer) != unknown.end();
}

class Joiner {
 public:
  explicit Joiner(InventoryResult* out) : out_(out) {}

  void Add(const model::Resource& resource) {
    const json document = model::DocumentJson(resource);
    if (!document.is_object()) {
      Problem(resource.source, "", "the document of an Azure resource is not an object");
      return;
    }
    std::vector<std::string> unknown;
    if (const json* list = ArrayMember(document, "unknown")) StringList(*list, &unknown);
    std::vector<std::string> problems;
    if (const json* list = ArrayMember(document, "problems")) StringList(*list, &problems);
    std::string id = StringMember(document, "id");
    if (id.empty()) id = resource.id;
    const std::string& type = resource.type;
    static const json kEmpty = json::object();
    const json* properties = ObjectMember(document, "properties");
    if (properties == nullptr) {
      if (document.contains("properties")) {
        problems.push_back("/properties: not an object");
        Problem(resource.source, "/properties", "properties is not an object");
      }
      properties = &kEmpty;
    }
    if (absl::EqualsIgnoreCase(type, model::kAzureVault)) {
      AddVault(resource, id, document, *properties, unknown, std::move(problems));
    } else if (absl::EqualsIgnoreCase(type, model::kAzureVaultAccessPolicies)) {
      changes_.push_back({resource.id, StringMember(*properties, "vaultId"),
                          StringMember(*properties, "operation"),
                          Entries(resource, *properties, unknown), resource.source});
    } else if (absl::EqualsIgnoreCase(type, model::kAzureRoleAssignment)) {
      AddAssignment(resource, id, *properties, unknown, std::move(problems),
                    IsLive(ObjectMember(document, "origin")));
    } else if (absl::EqualsIgnoreCase(type, model::kAzureRoleDefinition)) {
      AddRole(resource, id, document, *properties, problems);
    }
  }

  // Applies the access-policy changes to their vaults, in input order.
  void Finish() {
    Inventory& inventory = out_->inventory;
    inventory.Index();  // the vaults, for FindVault
    for (DetachedAccessPolicies& change : changes_) {
      Vault* vault = change.vault_id.empty() ? nullptr : inventory.FindVault(change.vault_id);
      if (vault == nullptr) {
        inventory.detached.push_back(std::move(change));
        continue;
      }
      std::vector<AccessPolicyEntry>& list = vault->access_policies;
      if (change.operation == "replace") {
        list = std::move(change.entries);
      } else if (change.operation == "remove") {
        // Not applied: ARM orders a deployment's resources by dependsOn only, and a vault's own
        // PUT replaces its list, so whether the removal happens last is not in the template.
        // Keeping the entries can only over-report.
        vault->notes.push_back(absl::StrCat(
            "an accessPolicies/remove change (", change.resource_id,
            ") was not applied: its order against the vault's own list is not fixed by the input"));
      } else {
        for (AccessPolicyEntry& entry : change.entries) list.push_back(std::move(entry));
      }
    }
    // An assignment whose scope is the id of a vault of the scan, written as the input writes it
    // (a Terraform address, a template id with an unresolved name: the same text from the same
    // input), is at that vault.
    for (RoleAssignment& a : inventory.assignments) {
      if (a.scope.kind != ScopeKind::kOther && !a.scope_unknown) continue;
      if (const Vault* vault = inventory.FindVault(a.scope.id); vault != nullptr) {
        a.scope.kind = ScopeKind::kVault;
        a.scope.vault = vault->scope.canonical;
        a.scope.name = vault->name;
        a.scope_unknown = false;
      }
    }
  }

 private:
  void Problem(const core::SourceLocation& at, std::string_view pointer, std::string message) {
    out_->diagnostics.push_back(core::ErrorAt(at, pointer, "snapshot_error", std::move(message)));
  }

  std::vector<AccessPolicyEntry> Entries(const model::Resource& resource, const json& properties,
                                         const std::vector<std::string>& unknown) {
    std::vector<AccessPolicyEntry> entries;
    if (!properties.contains("accessPolicies")) return entries;
    const json* list = ArrayMember(properties, "accessPolicies");
    if (list == nullptr) {
      Problem(resource.source, "/properties/accessPolicies", "accessPolicies is not a list");
      return entries;
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
      const std::string pointer = absl::StrCat("/properties/accessPolicies/", i);
      const json& e = (*list)[i];
      AccessPolicyEntry entry;
      entry.tenant_id = StringMember(e, "tenantId");
      entry.object_id = StringMember(e, "objectId");
      entry.application_id = StringMember(e, "applicationId");
      entry.object_unknown = Listed(unknown, pointer + "/objectId");
      entry.source = resource.source;
      entry.source.json_pointer += pointer;
      const json* permissions = ObjectMember(e, "permissions");
      const json* keys = permissions == nullptr ? nullptr : ArrayMember(*permissions, "keys");
      if (!e.is_object() || (e.contains("permissions") && permissions == nullptr) ||
          (permissions != nullptr && permissions->contains("keys") &&
           (keys == nullptr || !StringList(*keys, &entry.keys)))) {
        Problem(resource.source, pointer,
                "an access policy needs an object whose permissions.keys is a list of strings");
        entry.keys.clear();
        entry.unreadable = true;
      }
      if (permissions != nullptr) {
        if (const json* l = ArrayMember(*permissions, "secrets")) StringList(*l, &entry.secrets);
        if (const json* l = ArrayMember(*permissions, "certificates")) {
          StringList(*l, &entry.certificates);
        }
      }
      entries.push_back(std::move(entry));
    }
    return entries;
  }

  void AddVault(const model::Resource& resource, const std::string& id, const json& document,
                const json& properties, const std::vector<std::string>& unknown,
                std::vector<std::string> problems) {
    Vault vault;
    vault.resource_id = resource.id;
    vault.id = id;
    vault.tenant_id = StringMember(properties, "tenantId");
    vault.scope = ParseScope(id);
    // The id is authoritative (ARM derives it from the name); "name" only when the id has none.
    vault.name = vault.scope.kind == ScopeKind::kVault ? vault.scope.name : std::string();
    if (vault.name.empty()) vault.name = StringMember(document, "name");
    static const json kEmpty = json::object();
    const json* origin = ObjectMember(document, "origin");
    // A flag the adapter could not read (the text "true") is as undetermined as one the input
    // does not give a value for: it is never read as absent.
    const auto about = [&](std::string_view pointer) {
      return Listed(unknown, pointer) ||
             std::any_of(problems.begin(), problems.end(), [&](const std::string& p) {
               return absl::StartsWith(p, core::Sv(pointer));
             });
    };
    vault.live = IsLive(origin);
    vault.model = DecideModel(properties, origin != nullptr ? *origin : kEmpty,
                              about("/properties/enableRbacAuthorization"), &vault.model_reason);
    vault.access_policies = Entries(resource, properties, unknown);
    // A live vault's GET response always holds its properties and its accessPolicies list (empty
    // when there are none). A listing through the resources API (`az keyvault list`, `az resource
    // list`) names vaults without either: nothing is known of their model or access policies, so
    // the vault must not read as "no entry grants".
    // (An adapter may hand the listing over with an empty properties object; one it emptied
    // because a member could not be read is no listing: that problem is said below.)
    const bool unread_properties = std::any_of(problems.begin(), problems.end(), [](const auto& p) {
      return absl::StartsWith(p, "/properties");
    });
    if (vault.live && !unread_properties &&
        (!document.contains("properties") || properties.empty())) {
      vault.model = PermissionModel::kUndetermined;
      vault.model_reason =
          "the input holds none of the vault's properties (a listing such as `az keyvault list` "
          "names vaults only): scan `az keyvault show` output or an ARM GET response";
      vault.incomplete.push_back(absl::StrCat("access policies not seen: ", vault.model_reason));
    } else if (vault.live && !unread_properties && properties.is_object() &&
               !properties.contains("accessPolicies") && vault.model != PermissionModel::kRbac) {
      vault.incomplete.push_back(
          "access policies not seen: the input holds no properties.accessPolicies for this vault "
          "(a live vault's GET response lists them, empty when there are none)");
    }
    for (const AccessPolicyEntry& entry : vault.access_policies) {
      if (entry.unreadable) {
        vault.incomplete.push_back(
            absl::StrCat("access policy ", entry.source.json_pointer, " could not be read"));
      }
    }
    for (const std::string& p : problems) {
      if (absl::StartsWith(p, "/properties/accessPolicies") ||
          absl::StartsWith(p, "/properties:") || absl::StartsWith(p, "/properties ")) {
        vault.incomplete.push_back(absl::StrCat("not read: ", p));
      }
    }
    for (const std::string& u : unknown) {
      if (absl::StartsWith(u, "/properties/accessPolicies")) {
        vault.incomplete.push_back(absl::StrCat(
            "the access policies at ", u,
            " are values the input does not determine (a template parameter, a property loop)"));
      }
    }
    const auto disk = properties.find("enabledForDiskEncryption");
    vault.enabled_for_disk_encryption =
        disk != properties.end() && disk->is_boolean() && disk->get<bool>();
    vault.problems = std::move(problems);
    vault.source = resource.source;
    out_->inventory.vaults.push_back(std::move(vault));
  }

  void AddAssignment(const model::Resource& resource, const std::string& id, const json& properties,
                     const std::vector<std::string>& unknown, std::vector<std::string> problems,
                     bool live) {
    RoleAssignment a;
    a.resource_id = resource.id;
    a.live = live;
    a.id = id;
    std::string scope = StringMember(properties, "scope");
    if (scope.empty()) {
      // The id is "<scope>/providers/Microsoft.Authorization/roleAssignments/<name>".
      const std::string lower = absl::AsciiStrToLower(id);
      const std::size_t at = lower.rfind("/providers/microsoft.authorization/roleassignments/");
      if (at != std::string::npos) scope = at == 0 ? "/" : id.substr(0, at);
    }
    a.scope = ParseScope(scope);
    a.scope_unknown = scope.empty() || Listed(unknown, "/properties/scope");
    a.role_definition_id = StringMember(properties, "roleDefinitionId");
    a.role_definition_name = StringMember(properties, "roleDefinitionName");
    // Terraform computes role_definition_id from role_definition_name: a plan knows the name
    // only, and the role is found by it.
    if (Listed(unknown, "/properties/roleDefinitionId") && !a.role_definition_name.empty() &&
        !Listed(unknown, "/properties/roleDefinitionName")) {
      a.role_definition_id.clear();
    }
    a.role_unknown =
        (!a.role_definition_id.empty() && Listed(unknown, "/properties/roleDefinitionId")) ||
        (a.role_definition_id.empty() &&
         (a.role_definition_name.empty() || Listed(unknown, "/properties/roleDefinitionName")));
    a.principal_id = StringMember(properties, "principalId");
    a.principal_type = StringMember(properties, "principalType");
    a.principal_name = StringMember(properties, "principalName");
    a.principal_unknown = Listed(unknown, "/properties/principalId");
    a.condition = StringMember(properties, "condition");
    a.problems = std::move(problems);
    a.source = resource.source;
    out_->inventory.assignments.push_back(std::move(a));
  }

  void AddRole(const model::Resource& resource, const std::string& id, const json& document,
               const json& properties, const std::vector<std::string>& problems) {
    RoleDefinition role;
    role.guid = RoleDefinitionGuid(StringMember(document, "name"));
    if (role.guid.empty()) role.guid = RoleDefinitionGuid(id);
    role.role_name = StringMember(properties, "roleName");
    // A plan's new custom role has no GUID yet: it is found by its name.
    if (role.guid.empty() && role.role_name.empty()) {
      Problem(resource.source, "/name",
              "a role definition needs a GUID in its name or id, or a roleName");
      return;
    }
    // A role the adapter could not read whole is left out: its assignments are then
    // undetermined, never "no permission" (a dropped pattern could have held the grant).
    if (!problems.empty()) return;
    role.builtin = StringMember(properties, "type") == "BuiltInRole";
    role.source = resource.source;
    if (const json* scopes = ArrayMember(properties, "assignableScopes")) {
      StringList(*scopes, &role.assignable_scopes);
    }
    const json* blocks = ArrayMember(properties, "permissions");
    if (blocks == nullptr && properties.contains("permissions")) {
      Problem(resource.source, "/properties/permissions", "permissions is not a list");
    }
    bool readable = true;
    if (blocks != nullptr) {
      for (std::size_t i = 0; i < blocks->size(); ++i) {
        const json& b = (*blocks)[i];
        PermissionBlock block;
        const auto read = [&](const char* key, std::vector<std::string>* out) {
          if (!b.is_object() || !b.contains(key) || b[key].is_null()) return true;
          const json* list = ArrayMember(b, key);
          return list != nullptr && StringList(*list, out);
        };
        if (!b.is_object() || !read("actions", &block.actions) ||
            !read("notActions", &block.not_actions) || !read("dataActions", &block.data_actions) ||
            !read("notDataActions", &block.not_data_actions)) {
          Problem(resource.source, absl::StrCat("/properties/permissions/", i),
                  "a permission block needs lists of strings");
          readable = false;
          continue;
        }
        role.permissions.push_back(std::move(block));
      }
    }
    // A role whose blocks cannot all be read is left out: its assignments are then undetermined,
    // never "no permission" (a dropped block could have held the grant).
    if (!readable) return;
    out_->inventory.custom_roles.push_back(std::move(role));
  }

  InventoryResult* out_;
  std::vector<DetachedAccessPolicies> changes_;
};

}  // namespace

std::string_view PermissionModelName(PermissionModel model) {
  switch (model) {
    case PermissionModel::kAccessPolicies:
      return "access_policies";
    case PermissionModel::kRbac:
      return "rbac";
    case PermissionModel::kUndetermined:
      break;
  }
  return "undetermined";
}

PermissionModel DecideModel(const json& properties, const json& origin, bool flag_unknown,
                            std::string* reason) {
  if (flag_unknown) {
    *reason = "enableRbacAuthorization is a value the input does not determine";
    return PermissionModel::kUndetermined;
  }
  const auto flag =
      properties.is_object() ? properties.find("enableRbacAuthorization") : properties.end();
  if (properties.is_object() && flag != properties.end() && flag->is_boolean()) {
    const bool rbac = flag->get<bool>();
    *reason = rbac ? "enableRbacAuthorization is true" : "enableRbacAuthorization is false";
    return rbac ? PermissionModel::kRbac : PermissionModel::kAccessPolicies;
  }
  const bool present = properties.is_object() && flag != properties.end();
  if (present && !flag->is_null()) {
    *reason = "enableRbacAuthorization is neither true, false nor null";
    return PermissionModel::kUndetermined;
  }
  const char* what = present ? "null" : "absent";
  if (IsLive(&origin)) {
    *reason = absl::StrCat("enableRbacAuthorization is ", what,
                           " on an existing vault, which then uses access policies");
    return PermissionModel::kAccessPolicies;
  }
  const std::string kind = StringMember(origin, "kind");  // "template", "plan"
  const std::string api = StringMember(origin, "api_version");
  if (api.size() < kApiDateLength) {
    *reason =
        absl::StrCat("enableRbacAuthorization is ", what, " in a ", kind,
                     " whose API version is not known: a vault created with API version ",
                     kRbacDefaultApiVersion, " or later uses RBAC, an older one access policies");
    return PermissionModel::kUndetermined;
  }
  const bool rbac = api.substr(0, kApiDateLength) >= kRbacDefaultApiVersion;
  *reason = absl::StrCat("enableRbacAuthorization is ", what, " in a ", kind, " with API version ",
                         api, ": a new vault then uses ", rbac ? "RBAC" : "access policies");
  return rbac ? PermissionModel::kRbac : PermissionModel::kAccessPolicies;
}

namespace {

template <typename T>
const T* Lookup(const absl::flat_hash_map<std::string, std::size_t>& index,
                const std::vector<T>& list, std::string_view key) {
  const auto it = index.find(core::Sv(key));
  return it == index.end() ? nullptr : &list[it->second];
}

}  // namespace

const Vault* Inventory::FindVault(std::string_view id) const {
  return Lookup(vault_by_canonical_, vaults, ParseScope(id).canonical);
}

Vault* Inventory::FindVault(std::string_view id) {
  return const_cast<Vault*>(std::as_const(*this).FindVault(id));
}

const Vault* Inventory::VaultOf(std::string_view resource_id) const {
  return Lookup(vault_by_resource_, vaults, resource_id);
}

const RoleAssignment* Inventory::AssignmentOf(std::string_view resource_id) const {
  return Lookup(assignment_by_resource_, assignments, resource_id);
}

const DetachedAccessPolicies* Inventory::DetachedOf(std::string_view resource_id) const {
  return Lookup(detached_by_resource_, detached, resource_id);
}

std::string_view Inventory::TenantOf(std::string_view subscription) const {
  const auto it = tenant_by_subscription_.find(std::string(subscription));
  return it == tenant_by_subscription_.end() ? std::string_view() : std::string_view(it->second);
}

void Inventory::Index() {
  vault_by_canonical_.clear();
  vault_by_resource_.clear();
  assignment_by_resource_.clear();
  detached_by_resource_.clear();
  tenant_by_subscription_.clear();
  for (std::size_t i = 0; i < vaults.size(); ++i) {
    vault_by_canonical_.try_emplace(vaults[i].scope.canonical, i);
    vault_by_resource_.try_emplace(vaults[i].resource_id, i);
    const std::string tenant = Guid(vaults[i].tenant_id);
    if (tenant.empty() || vaults[i].scope.subscription.empty()) continue;
    const auto [at, inserted] =
        tenant_by_subscription_.try_emplace(vaults[i].scope.subscription, tenant);
    if (!inserted && at->second != tenant) at->second.clear();
  }
  for (std::size_t i = 0; i < assignments.size(); ++i) {
    assignment_by_resource_.try_emplace(assignments[i].resource_id, i);
  }
  for (std::size_t i = 0; i < detached.size(); ++i) {
    detached_by_resource_.try_emplace(detached[i].resource_id, i);
  }
}

InventoryResult BuildInventory(const std::vector<model::Resource>& resources) {
  InventoryResult out;
  Joiner joiner(&out);
  for (const model::Resource& resource : resources) {
    if (resource.provider == "azure") joiner.Add(resource);
  }
  joiner.Finish();
  const std::vector<RoleAssignment>& assignments = out.inventory.assignments;
  const auto live = std::count_if(assignments.begin(), assignments.end(),
                                  [](const RoleAssignment& a) { return a.live; });
  const bool above =
      std::any_of(assignments.begin(), assignments.end(), [](const RoleAssignment& a) {
        return a.live && (a.scope.kind == ScopeKind::kManagementGroup ||
                          a.scope.kind == ScopeKind::kTenantRoot);
      });
  if (assignments.empty()) {
    out.inventory.unseen_assignments_note =
        "the input holds no role assignment: grants through Azure RBAC were not seen (list them "
        "with `az role assignment list --all --include-inherited`)";
  } else if (live == 0 && std::any_of(out.inventory.vaults.begin(), out.inventory.vaults.end(),
                                      [](const Vault& v) { return v.live; })) {
    out.inventory.unseen_assignments_note =
        "the input's role assignments all come from templates or plans: the live ones of the "
        "vaults exported here were not seen (list them with `az role assignment list --all "
        "--include-inherited`)";
  } else if (live > 0 && !above) {
    out.inventory.unseen_assignments_note = absl::StrCat(
        "none of the input's ", live, " live role assignment", live == 1 ? " is" : "s is",
        " at a management group or the tenant root: if they were listed without `az role "
        "assignment list --all --include-inherited`, assignments inherited from above the "
        "subscription were not seen");
    // Said once for the scan as well, not only in the explanations of the vaults it concerns: an
    // export that cannot have seen inherited scopes misses grants on every vault below them.
    const auto first = std::find_if(assignments.begin(), assignments.end(),
                                    [](const RoleAssignment& a) { return a.live; });
    core::Diagnostic warning =
        core::ErrorAt(first->source, "", "snapshot_error",
                      absl::StrCat(out.inventory.unseen_assignments_note, "; the first is here"));
    warning.severity = core::DiagnosticSeverity::kWarning;
    out.diagnostics.push_back(std::move(warning));
  }
  out.inventory.Index();
  out.inventory.roles = std::make_shared<const RoleResolver>(MakeRoleResolver(out.inventory));
  return out;
}

RoleResolver MakeRoleResolver(const Inventory& inventory, const RoleCatalog& catalog) {
  return RoleResolver(&catalog, inventory.custom_roles);
}

}  // namespace kmsguard::azure
