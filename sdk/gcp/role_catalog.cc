#include "sdk/gcp/role_catalog.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sdk/core/json_tree.h"
#include "sdk/core/text.h"

namespace kmsguard::gcp {
namespace internal {
// rules/catalogs/gcp-predefined-roles.json, embedded by sdk/CMakeLists.txt.
extern const char kGcpPredefinedRolesJson[];
}  // namespace internal

namespace {

using core::Sv;

absl::Status Error(std::string_view name, std::string_view pointer, std::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(Sv(name), "#", Sv(pointer), ": ", Sv(message)));
}

bool ReadString(simdjson::dom::element root, std::string_view key, std::string* out) {
  simdjson::dom::element value;
  if (!core::Member(root, key, &value) || !value.is_string()) return false;
  *out = std::string(core::StringOf(value));
  return true;
}

}  // namespace

bool MatchesPermissionPattern(std::string_view pattern, std::string_view text) {
  return core::StarGlobMatch(pattern, text);
}

absl::StatusOr<RoleCatalog> RoleCatalog::FromJson(std::string_view text, std::string_view name) {
  const core::JsonTreeResult parsed = core::ParseJsonTree(text);
  if (!parsed.tree) return Error(name, "", parsed.message);
  const simdjson::dom::element root = parsed.tree->root();
  RoleCatalog catalog;
  if (!ReadString(root, "source", &catalog.source_) ||
      !ReadString(root, "source_commit", &catalog.source_commit_) ||
      !ReadString(root, "source_date", &catalog.source_date_)) {
    return Error(name, "", "needs the strings source, source_commit and source_date");
  }
  simdjson::dom::element filter;
  if (!core::Member(root, "permission_filter", &filter) || !filter.is_array()) {
    return Error(name, "/permission_filter", "needs a list of permission patterns");
  }
  std::size_t index = 0;
  for (const simdjson::dom::element entry : core::AsArray(filter)) {
    if (!entry.is_string() || core::StringOf(entry).empty()) {
      return Error(name, absl::StrCat("/permission_filter/", index), "needs a non-empty string");
    }
    catalog.filter_.emplace_back(core::StringOf(entry));
    ++index;
  }
  simdjson::dom::element roles;
  if (!core::Member(root, "roles", &roles) || !roles.is_object()) {
    return Error(name, "/roles", "needs an object of roles by name");
  }
  for (const simdjson::dom::key_value_pair role : core::AsObject(roles)) {
    const std::string pointer = absl::StrCat("/roles/", core::PointerToken(role.key));
    if (!role.key.starts_with("roles/")) {
      return Error(name, pointer, "a predefined role's name starts with \"roles/\"");
    }
    PredefinedRole entry;
    entry.name = std::string(role.key);
    simdjson::dom::element permissions;
    if (!ReadString(role.value, "stage", &entry.stage) ||
        !core::Member(role.value, "permissions", &permissions) || !permissions.is_array()) {
      return Error(name, pointer, "needs a string stage and a list of permissions");
    }
    std::size_t p = 0;
    for (const simdjson::dom::element permission : core::AsArray(permissions)) {
      const std::string where = absl::StrCat(pointer, "/permissions/", p++);
      if (!permission.is_string()) return Error(name, where, "needs a string");
      std::string value(core::StringOf(permission));
      if (!catalog.CoversPermission(value)) {
        return Error(name, where, absl::StrCat(value, " is outside the permission_filter"));
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

std::string RoleCatalog::Describe() const {
  return absl::StrCat(source_, " (commit ", source_commit_, ", ", source_date_, ")");
}

namespace {

struct Loaded {
  absl::Status status;
  RoleCatalog catalog;
};

const Loaded& LoadPredefined() {
  static const Loaded* const kLoaded = [] {
    auto* loaded = new Loaded;
    absl::StatusOr<RoleCatalog> catalog = RoleCatalog::FromJson(
        internal::kGcpPredefinedRolesJson, "rules/catalogs/gcp-predefined-roles.json");
    if (catalog.ok()) {
      loaded->catalog = *std::move(catalog);
    } else {
      loaded->status = absl::InternalError(catalog.status().message());
    }
    return loaded;
  }();
  return *kLoaded;
}

}  // namespace

const RoleCatalog& PredefinedRoles() { return LoadPredefined().catalog; }

absl::Status PredefinedRolesStatus() { return LoadPredefined().status; }

}  // namespace kmsguard::gcp
