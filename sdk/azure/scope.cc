#include "sdk/azure/scope.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "sdk/core/json_tree.h"

namespace kmsguard::azure {

std::string_view ScopeKindName(ScopeKind kind) {
  switch (kind) {
    case ScopeKind::kTenantRoot:
      return "tenant_root";
    case ScopeKind::kManagementGroup:
      return "management_group";
    case ScopeKind::kSubscription:
      return "subscription";
    case ScopeKind::kResourceGroup:
      return "resource_group";
    case ScopeKind::kVault:
      return "vault";
    case ScopeKind::kKey:
      return "key";
    case ScopeKind::kOther:
      break;
  }
  return "other";
}

Scope ParseScope(std::string_view id) {
  Scope scope;
  scope.id = std::string(id);
  std::string canonical = absl::AsciiStrToLower(core::Sv(id));
  while (canonical.size() > 1 && canonical.back() == '/') canonical.pop_back();
  scope.canonical = canonical;
  if (canonical == "/") {
    scope.kind = ScopeKind::kTenantRoot;
    return scope;
  }
  if (canonical.empty() || canonical.front() != '/') return scope;
  const std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(canonical).substr(1), '/');
  const std::vector<absl::string_view> written = absl::StrSplit(core::Sv(id).substr(1), '/');
  for (const absl::string_view part : parts) {
    if (part.empty()) return scope;  // "//": not an ARM id
  }
  if (!written.empty() && written.size() >= parts.size())
    scope.name = std::string(written[parts.size() - 1]);
  const std::size_t n = parts.size();
  if (n == 4 && parts[0] == "providers" && parts[1] == "microsoft.management" &&
      parts[2] == "managementgroups") {
    scope.kind = ScopeKind::kManagementGroup;
    return scope;
  }
  if (n < 2 || parts[0] != "subscriptions") return scope;
  scope.subscription = std::string(parts[1]);
  if (n == 2) {
    scope.kind = ScopeKind::kSubscription;
    return scope;
  }
  if (parts[2] != "resourcegroups" || n < 4) return scope;
  scope.resource_group = std::string(written[3]);
  if (n == 4) {
    scope.kind = ScopeKind::kResourceGroup;
    return scope;
  }
  if (n < 8 || parts[4] != "providers" || parts[5] != "microsoft.keyvault" ||
      parts[6] != "vaults") {
    return scope;
  }
  std::string vault = "/";
  for (std::size_t i = 0; i < 8; ++i) {
    if (i > 0) vault += '/';
    vault.append(parts[i].data(), parts[i].size());
  }
  if (n == 8) {
    scope.kind = ScopeKind::kVault;
    scope.vault = std::move(vault);
  } else if (n == 10 && parts[8] == "keys") {
    scope.kind = ScopeKind::kKey;
    scope.vault = std::move(vault);
  }
  return scope;
}

bool Covers(const Scope& outer, const Scope& inner) {
  if (outer.kind == ScopeKind::kTenantRoot) return true;
  if (inner.canonical == outer.canonical) return true;
  return inner.canonical.size() > outer.canonical.size() &&
         inner.canonical.starts_with(outer.canonical) &&
         inner.canonical[outer.canonical.size()] == '/';
}

std::string RoleDefinitionGuid(std::string_view role_definition_id) {
  // A trailing "/" is no part of an ARM id (ParseScope drops it too).
  while (!role_definition_id.empty() && role_definition_id.back() == '/') {
    role_definition_id.remove_suffix(1);
  }
  const std::size_t slash = role_definition_id.rfind('/');
  return Guid(slash == std::string_view::npos ? role_definition_id
                                              : role_definition_id.substr(slash + 1));
}

std::string Guid(std::string_view text) {
  if (text.size() != 36) return {};
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !absl::ascii_isxdigit(static_cast<unsigned char>(c))) return {};
  }
  return absl::AsciiStrToLower(core::Sv(text));
}

}  // namespace kmsguard::azure
