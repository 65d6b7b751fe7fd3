#include "sdk/gcp/role_catalog.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sdk/core/data_file.h"
#include "sdk/core/json_tree.h"
#include "sdk/core/text.h"

namespace kmsguard::gcp {
namespace internal {
// rules/catalogs/gcp-predefined-roles.json, embedded by sdk/CMakeLists.txt.
extern const char kGcpPredefinedRolesJson[];
}  // namespace internal

namespace {

using core::DataError;
using core::Sv;

}  // namespace

bool MatchesPermissionPattern(std::string_view pattern, std::string_view text) {
  return core::StarGlobMatch(pattern, text);
}

absl::StatusOr<RoleCatalog> RoleCatalog::FromJson(std::string_view text, std::string_view name) {
  const core::JsonTreeResult parsed = core::ParseJsonTree(text);
  if (!parsed.tree) return DataError(name, "", parsed.message);
  const simdjson::dom::element root = parsed.tree->root();
  RoleCatalog catalog;
  if (absl::Status status = core::ReadDataSource(root, name, &catalog.source_); !status.ok()) {
    return status;
  }
  simdjson::dom::element filter;
  if (!core::Member(root, "permission_filter", &filter) || !filter.is_array()) {
    return DataError(name, "/permission_filter", "needs a list of permission patterns");
  }
  std::size_t index = 0;
  for (const simdjson::dom::element entry : core::AsArray(filter)) {
    if (!entry.is_string() || core::StringOf(entry).empty()) {
      return DataError(name, absl::StrCat("/permission_filter/", index),
                       "needs a non-empty string");
    }
    catalog.filter_.emplace_back(core::StringOf(entry));
    ++index;
  }
  simdjson::dom::element roles;
  if (!core::Member(root, "roles", &roles) || !roles.is_object()) {
    return DataError(name, "/roles", "needs an object of roles by name");
  }
  for (const simdjson::dom::key_value_pair role : core::AsObject(roles)) {
    const std::string pointer = absl::StrCat("/roles/", core::PointerToken(role.key));
    if (!role.key.starts_with("roles/")) {
      return DataError(name, pointer, "a predefined role's name starts with \"roles/\"");
    }
    PredefinedRole entry;
    entry.name = std::string(role.key);
    simdjson::dom::element permissions;
    if (!core::ReadStringMember(role.value, "stage", &entry.stage) ||
        !core::Member(role.value, "permissions", &permissions) || !permissions.is_array()) {
      return DataError(name, pointer, "needs a string stage and a list of permissions");
    }
    std::size_t p = 0;
    for (const simdjson::dom::element permission : core::AsArray(permissions)) {
      const std::string where = absl::StrCat(pointer, "/permissions/", p++);
      if (!permission.is_string()) return DataError(name, where, "needs a string");
      std::string value(core::StringOf(permission));
      if (!catalog.CoversPermission(value)) {
        return DataError(name, where, absl::StrCat(value, " is outside the permission_filter"));
      }
      entry.permissions.push_back(std::move(value));
    }
    std::sort(entry.permissions.begin(), entry.permissions.end());
    entry.permissions.erase(std::unique(entry.permissions.begin(), entry.permissions.end()),
                            entry.permissions.end());
    catalog.roles_.emplace(entry.name, std::move(entry));
  }
  return catalog;
}

const PredefinedRole* RoleCatalog::Find(std::string_view name) const {
  const auto it = roles_.find(Sv(name));
  return it == roles_.end() ? nullptr : &it->second;
}

bool RoleCatalog::CoversPermission(std::string_view permission) const {
  return std::any_of(filter_.begin(), filter_.end(), [&](const std::string& pattern) {
    return MatchesPermissionPattern(pattern, permission);
  });
}

std::string RoleCatalog::Describe() const { return source_.Describe(); }

namespace {

const core::EmbeddedData<RoleCatalog>& LoadPredefined() {
  static const core::EmbeddedData<RoleCatalog>* const kLoaded = core::ReadEmbedded<RoleCatalog>([] {
    return RoleCatalog::FromJson(internal::kGcpPredefinedRolesJson,
                                 "rules/catalogs/gcp-predefined-roles.json");
  });
  return *kLoaded;
}

}  // namespace

const RoleCatalog& PredefinedRoles() { return LoadPredefined().value; }

absl::Status PredefinedRolesStatus() { return LoadPredefined().status; }

}  // namespace kmsguard::gcp
