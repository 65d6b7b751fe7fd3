#include "sdk/azure/roles.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "sdk/azure/scope.h"
#include "sdk/core/data_file.h"
#include "sdk/core/json_tree.h"
#include "sdk/core/text.h"

namespace kmsguard::azure {
namespace internal {
// rules/catalogs/azure-builtin-roles.json, embedded by sdk/CMakeLists.txt.
extern const char kAzureBuiltinRolesJson[];
}  // namespace internal

namespace {

using core::Sv;

using core::DataError;

// Reads an optional list of strings; false when present and not one.
bool ReadStrings(simdjson::dom::element object, std::string_view key,
                 std::vector<std::string>* out) {
  simdjson::dom::element list;
  if (!core::Member(object, key, &list)) return true;
  if (!list.is_array()) return false;
  for (const simdjson::dom::element e : core::AsArray(list)) {
    if (!e.is_string()) return false;
    out->emplace_back(core::StringOf(e));
  }
  return true;
}

bool AnyMatches(const std::vector<std::string>& patterns, std::string_view operation) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return MatchesOperation(p, operation); });
}

}  // namespace

bool MatchesOperation(std::string_view pattern, std::string_view operation) {
  return core::StarGlobMatch(pattern, operation, {.ignore_case = true});
}

namespace {

// The first pattern of `granting` in a block that grants `operation` after the same block's
// `subtracting` list.
std::string GrantingIn(const RoleDefinition& role, std::string_view operation,
                       std::vector<std::string> PermissionBlock::*granting,
                       std::vector<std::string> PermissionBlock::*subtracting) {
  for (const PermissionBlock& block : role.permissions) {
    if (AnyMatches(block.*subtracting, operation)) continue;
    for (const std::string& pattern : block.*granting) {
      if (MatchesOperation(pattern, operation)) return pattern;
    }
  }
  return {};
}

}  // namespace

std::string GrantingPattern(const RoleDefinition& role, std::string_view data_action) {
  return GrantingIn(role, data_action, &PermissionBlock::data_actions,
                    &PermissionBlock::not_data_actions);
}

std::string GrantingActionPattern(const RoleDefinition& role, std::string_view action) {
  return GrantingIn(role, action, &PermissionBlock::actions, &PermissionBlock::not_actions);
}

absl::StatusOr<RoleCatalog> RoleCatalog::FromJson(std::string_view text, std::string_view name) {
  const core::JsonTreeResult parsed = core::ParseJsonTree(text);
  if (!parsed.tree) return DataError(name, "", parsed.message);
  const simdjson::dom::element root = parsed.tree->root();
  RoleCatalog catalog;
  if (absl::Status status = core::ReadDataSource(root, name, &catalog.source_); !status.ok()) {
    return status;
  }
  if (!ReadStrings(root, "operation_filter", &catalog.filter_) || catalog.filter_.empty()) {
    return DataError(name, "/operation_filter", "needs a non-empty list of operation prefixes");
  }
  simdjson::dom::element roles;
  if (!core::Member(root, "roles", &roles) || !roles.is_object()) {
    return DataError(name, "/roles", "needs an object of roles by GUID");
  }
  for (const simdjson::dom::key_value_pair role : core::AsObject(roles)) {
    const std::string pointer = absl::StrCat("/roles/", core::PointerToken(role.key));
    RoleDefinition entry;
    entry.guid = RoleDefinitionGuid(role.key);
    if (entry.guid.empty() || entry.guid != role.key) {
      return DataError(name, pointer, "a role is keyed by its GUID, in lower case");
    }
    entry.builtin = true;
    simdjson::dom::element blocks;
    if (!core::ReadStringMember(role.value, "roleName", &entry.role_name) ||
        !core::Member(role.value, "permissions", &blocks) || !blocks.is_array()) {
      return DataError(name, pointer, "needs a string roleName and a list of permissions");
    }
    std::size_t b = 0;
    for (const simdjson::dom::element block : core::AsArray(blocks)) {
      const std::string where = absl::StrCat(pointer, "/permissions/", b++);
      PermissionBlock out;
      if (!block.is_object() || !ReadStrings(block, "actions", &out.actions) ||
          !ReadStrings(block, "notActions", &out.not_actions) ||
          !ReadStrings(block, "dataActions", &out.data_actions) ||
          !ReadStrings(block, "notDataActions", &out.not_data_actions)) {
        return DataError(name, where, "needs an object of lists of strings");
      }
      entry.permissions.push_back(std::move(out));
    }
    catalog.by_name_[absl::AsciiStrToLower(entry.role_name)] = entry.guid;
    catalog.roles_.emplace(entry.guid, std::move(entry));
  }
  return catalog;
}

const RoleDefinition* RoleCatalog::Find(std::string_view guid) const {
  const auto it = roles_.find(absl::AsciiStrToLower(Sv(guid)));
  return it == roles_.end() ? nullptr : &it->second;
}

const RoleDefinition* RoleCatalog::FindByName(std::string_view role_name) const {
  const auto it = by_name_.find(absl::AsciiStrToLower(Sv(role_name)));
  return it == by_name_.end() ? nullptr : Find(it->second);
}

bool RoleCatalog::CoversOperation(std::string_view operation) const {
  return std::any_of(filter_.begin(), filter_.end(), [&](const std::string& prefix) {
    return absl::StartsWithIgnoreCase(Sv(operation), prefix);
  });
}

std::string RoleCatalog::Describe() const { return source_.Describe(); }

namespace {

const core::EmbeddedData<RoleCatalog>& LoadBuiltin() {
  static const core::EmbeddedData<RoleCatalog>* const kLoaded = core::ReadEmbedded<RoleCatalog>([] {
    return RoleCatalog::FromJson(internal::kAzureBuiltinRolesJson,
                                 "rules/catalogs/azure-builtin-roles.json");
  });
  return *kLoaded;
}

}  // namespace

const RoleCatalog& BuiltinRoles() { return LoadBuiltin().value; }

absl::Status BuiltinRolesStatus() { return LoadBuiltin().status; }

RoleResolver::RoleResolver(const RoleCatalog* catalog, std::vector<RoleDefinition> custom_roles)
    : catalog_(catalog) {
  for (RoleDefinition& role : custom_roles) {
    // A role without a GUID (a plan's new custom role) is keyed by its name only.
    std::string key = role.guid.empty() ? absl::StrCat("name:", role.role_name) : role.guid;
    custom_by_name_[absl::AsciiStrToLower(role.role_name)] = key;
    custom_.emplace(std::move(key), std::move(role));
  }
}

ResolvedRole RoleResolver::Resolve(std::string_view role_definition_id,
                                   std::string_view role_definition_name) const {
  ResolvedRole out;
  const RoleDefinition* found = nullptr;
  const std::string guid = RoleDefinitionGuid(role_definition_id);
  if (!guid.empty()) {
    const auto it = custom_.find(guid);
    found = it != custom_.end() ? &it->second : catalog_->Find(guid);
    out.display = std::string(role_definition_id);
    if (found == nullptr) {
      out.note = absl::StrCat("role definition ", guid, " is neither a built-in role of ",
                              catalog_->Describe(),
                              " nor a custom role of the scan: its permissions are unknown");
    }
  } else if (!role_definition_name.empty()) {
    const auto it = custom_by_name_.find(absl::AsciiStrToLower(Sv(role_definition_name)));
    found = it != custom_by_name_.end() ? &custom_.at(it->second)
                                        : catalog_->FindByName(role_definition_name);
    out.display = std::string(role_definition_name);
    if (found == nullptr) {
      out.note = absl::StrCat("no built-in or custom role of the scan is named \"",
                              Sv(role_definition_name), "\": its permissions are unknown");
    }
  } else {
    out.display = std::string(role_definition_id);
    out.note = role_definition_id.empty()
                   ? "the assignment names no role definition"
                   : absl::StrCat("\"", Sv(role_definition_id),
                                  "\" does not end in a role definition GUID: its permissions "
                                  "are unknown");
  }
  if (found != nullptr) {
    out.state = RoleState::kKnown;
    out.definition = found;
    out.display = found->role_name.empty() ? found->guid : found->role_name;
  }
  return out;
}

}  // namespace kmsguard::azure
