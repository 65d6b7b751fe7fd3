#include "sdk/gcp/roles.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sdk/core/json_tree.h"

namespace kmsguard::gcp {

using core::Sv;

std::string_view StripWithcond(std::string_view role, bool* withcond) {
  const std::size_t at = role.find("_withcond_");
  *withcond = at != std::string_view::npos;
  return *withcond ? role.substr(0, at) : role;
}

RoleResolver::RoleResolver(const RoleCatalog* catalog, std::vector<CustomRole> custom_roles,
                           absl::flat_hash_map<std::string, std::string> project_aliases)
    : catalog_(catalog), project_aliases_(std::move(project_aliases)) {
  for (CustomRole& role : custom_roles) {
    std::sort(role.permissions.begin(), role.permissions.end());
    role.permissions.erase(std::unique(role.permissions.begin(), role.permissions.end()),
                           role.permissions.end());
    std::string name = role.name;
    custom_.insert_or_assign(std::move(name), std::move(role));
  }
}

const CustomRole* RoleResolver::FindCustom(std::string_view name) const {
  if (const auto it = custom_.find(Sv(name)); it != custom_.end()) return &it->second;
  // "projects/X/roles/R": try X's other spelling (number <-> id).
  constexpr std::string_view kProjects = "projects/";
  if (!name.starts_with(kProjects)) return nullptr;
  const std::size_t slash = name.find('/', kProjects.size());
  if (slash == std::string_view::npos) return nullptr;
  const std::string_view project = name.substr(kProjects.size(), slash - kProjects.size());
  const auto alias = project_aliases_.find(Sv(project));
  if (alias == project_aliases_.end()) return nullptr;
  const std::string other = absl::StrCat("projects/", alias->second, Sv(name.substr(slash)));
  const auto it = custom_.find(other);
  return it == custom_.end() ? nullptr : &it->second;
}

ResolvedRole RoleResolver::Resolve(std::string_view role) const {
  ResolvedRole out;
  out.role = std::string(role);
  out.base = std::string(StripWithcond(role, &out.withcond));
  if (out.base.starts_with("roles/")) {
    if (const PredefinedRole* predefined = catalog_->Find(out.base)) {
      out.state = RoleState::kKnown;
      out.permissions = &predefined->permissions;
    } else {
      out.note = absl::StrCat(out.base, " is not in the predefined-role catalog (",
                              catalog_->Describe(), "): its permissions are unknown");
    }
    return out;
  }
  out.custom = true;
  const CustomRole* custom = FindCustom(out.base);
  if (custom == nullptr) {
    out.note = absl::StrCat("custom role ", out.base,
                            " is not in the input (export iam.googleapis.com/Role assets): its "
                            "permissions are unknown");
  } else if (custom->deleted) {
    out.state = RoleState::kInactive;
    out.note = absl::StrCat("custom role ", out.base, " is deleted: its bindings have no effect");
  } else if (custom->stage == "DISABLED") {
    out.note = absl::StrCat("custom role ", out.base,
                            " is DISABLED: whether its bindings still grant is not determined");
  } else {
    out.state = RoleState::kKnown;
    out.permissions = &custom->permissions;
  }
  return out;
}

}  // namespace kmsguard::gcp
