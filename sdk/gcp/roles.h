// A binding's role resolved to permissions: predefined roles from the catalog (role_catalog.h),
// custom roles from the export (`iam.googleapis.com/Role` assets, `includedPermissions`).
//
// Rules implemented (docs/gcp-kms-semantics.md):
//  - A role is compared by its exact name, never by a substring or a name list.
//  - A policy read as version 1 shows a conditional binding's role as "ROLE_withcond_HASH" and
//  hides
//    the condition (https://cloud.google.com/iam/docs/troubleshooting-withcond): the role is ROLE,
//    and the binding is conditional with its condition unseen.
//  - Custom roles are "projects/PROJECT_ID/roles/ID" or "organizations/ORG_ID/roles/ID"; a project
//    custom role may be named by project number in one file and by id in another: both are tried.
//  - A deleted custom role's bindings "are not changed, but they have no effect"
//    (https://cloud.google.com/iam/docs/reference/rest/v1/projects.roles/delete): inactive.
//  - A role that is neither in the catalog nor among the export's custom roles, or a custom role in
//    stage DISABLED (its effect on existing bindings is not stated on the pages read), is
//    undetermined: the answer says so, it never reads as "no permission".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "sdk/gcp/role_catalog.h"

namespace kmsguard::gcp {

struct CustomRole {
  std::string name;                      // "projects/p/roles/r" or "organizations/1/roles/r"
  std::vector<std::string> permissions;  // includedPermissions, sorted, unfiltered
  std::string stage;                     // "GA", "BETA", "DISABLED", ...; may be empty
  bool deleted = false;
};

enum class RoleState : std::uint8_t {
  kKnown,         // permissions known
  kInactive,      // known to grant nothing (a deleted custom role)
  kUndetermined,  // permissions unknown: not in the catalog, not in the export, or disabled
};

struct ResolvedRole {
  std::string role;  // as the binding wrote it
  std::string base;  // without a "_withcond_…" suffix
  // The role name carried "_withcond_": the binding has a condition the export does not show.
  bool withcond = false;
  bool custom = false;  // a custom role (projects/… or organizations/…), not roles/…
  RoleState state = RoleState::kUndetermined;
  // kKnown: the role's permissions (the catalog's filtered list, or the custom role's). Points
  // into the resolver's catalog or custom-role table.
  const std::vector<std::string>* permissions = nullptr;
  std::string note;  // kInactive / kUndetermined: why, in words
};

// Resolves role names. Immutable once made; holds a pointer to `catalog`, which must outlive it.
class RoleResolver {
 public:
  // `project_aliases` maps a project's id to its number and its number to its id (hierarchy.h
  // ProjectAliases), so that "projects/1044/roles/r" and "projects/project4/roles/r" are one role.
  RoleResolver(const RoleCatalog* catalog, std::vector<CustomRole> custom_roles,
               absl::flat_hash_map<std::string, std::string> project_aliases = {});

  ResolvedRole Resolve(std::string_view role) const;

  // Whether `permission` can be answered for predefined roles (the catalog's filter covers it).
  bool CanAnswer(std::string_view permission) const {
    return catalog_->CoversPermission(permission);
  }
  const RoleCatalog& catalog() const { return *catalog_; }

 private:
  const CustomRole* FindCustom(std::string_view name) const;

  const RoleCatalog* catalog_;
  absl::flat_hash_map<std::string, CustomRole> custom_;
  absl::flat_hash_map<std::string, std::string> project_aliases_;
};

// The role name without a "_withcond_…" suffix, and whether it had one.
std::string_view StripWithcond(std::string_view role, bool* withcond);

}  // namespace kmsguard::gcp
