#include "sdk/engine/terraform_remediation.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/core/terraform_address.h"
#include "sdk/core/text.h"
#include "sdk/gcp/role_catalog.h"
#include "sdk/gcp/roles.h"

namespace kmsguard::engine {

namespace {

// An HCL string: every value from the input goes through this, in code and in comments alike.
std::string Q(std::string_view text) { return core::HclQuote(text); }

// Values joined as HCL strings: "\"a\", \"b\"".
std::string QList(const std::vector<std::string>& values) {
  std::vector<std::string> quoted;
  quoted.reserve(values.size());
  for (const std::string& v : values) quoted.push_back(Q(v));
  return absl::StrJoin(quoted, ", ");
}

// A resource block: `type` and `name` are the engine's own words; every value is quoted here,
// placeholders the user replaces too ("<key-ring>").
std::string Block(const std::string& type, const std::string& name,
                  const std::vector<std::pair<std::string, std::string>>& attributes) {
  std::size_t width = 0;
  for (const auto& [key, value] : attributes) width = std::max(width, key.size());
  std::string out = absl::StrCat("resource \"", type, "\" \"", name, "\" {\n");
  for (const auto& [key, value] : attributes) {
    absl::StrAppend(&out, "  ", key, std::string(width - key.size(), ' '), " = ", Q(value), "\n");
  }
  out += "}";
  return out;
}

bool IsTypeChar(char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_'; }
bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '-'; }

// "name" or "name[index]" (an index in brackets, with any text inside a quoted key).
bool IsNameStep(std::string_view step) {
  const std::size_t bracket = step.find('[');
  const std::string_view name = step.substr(0, bracket);
  if (name.empty() || absl::ascii_isdigit(name.front()) || name.front() == '-') return false;
  if (!std::all_of(name.begin(), name.end(), IsNameChar)) return false;
  return bracket == std::string_view::npos || step.back() == ']';
}

// The prefix of the Terraform resources that bind roles at a Google Cloud scope of `kind`.
std::string GoogleIamPrefix(gcp::ScopeKind kind) {
  switch (kind) {
    case gcp::ScopeKind::kOrganization:
      return "google_organization_iam";
    case gcp::ScopeKind::kFolder:
      return "google_folder_iam";
    case gcp::ScopeKind::kProject:
      return "google_project_iam";
    case gcp::ScopeKind::kKeyRing:
      return "google_kms_key_ring_iam";
    case gcp::ScopeKind::kCryptoKey:
      return "google_kms_crypto_key_iam";
    case gcp::ScopeKind::kOther:
      break;
  }
  return "google_*_iam";
}

// The decrypter role that holds every one of `held`, for the narrow replacement; "" when neither
// does (setIamPolicy, decapsulation, an undetermined role: no replacement is offered).
std::string NarrowGcpRole(const std::vector<std::string>& held) {
  if (held.empty()) return "";
  for (const char* candidate :
       {"roles/cloudkms.cryptoKeyDecrypter", "roles/cloudkms.cryptoKeyDecrypterViaDelegation"}) {
    const gcp::PredefinedRole* role = gcp::PredefinedRoles().Find(candidate);
    if (role == nullptr) continue;
    const bool holds = std::all_of(held.begin(), held.end(), [&](const std::string& p) {
      return std::find(role->permissions.begin(), role->permissions.end(), p) !=
             role->permissions.end();
    });
    if (holds) return candidate;
  }
  return "";
}

// The narrow grant: on a key ring below an organization, folder or project; on a key of a key
// ring.
std::string NarrowGcpBlock(const gcp::ScopedGrant& grant, const std::string& role,
                           const gcp::Inventory& inventory) {
  const std::string member =
      grant.member.text == "(known after apply)" ? "<member>" : grant.member.text;
  if (grant.scope.kind == gcp::ScopeKind::kKeyRing) {
    return Block("google_kms_crypto_key_iam_member", "kms_decrypt",
                 {{"crypto_key_id", absl::StrCat(grant.scope.name, "/cryptoKeys/<key>")},
                  {"role", role},
                  {"member", member}});
  }
  // A project id (not a number: Cloud KMS names keys with the project id), the join's when the
  // scope names the project by number.
  std::string project = "<project>";
  if (grant.scope.kind == gcp::ScopeKind::kProject) {
    const std::string id =
        gcp::ProjectAccount(inventory, std::string_view(grant.scope.name).substr(9));  // projects/
    if (!id.empty() && absl::ascii_isalpha(id.front())) project = id;
  }
  return Block("google_kms_key_ring_iam_member", "kms_decrypt",
               {{"key_ring_id",
                 absl::StrCat("projects/", project, "/locations/<location>/keyRings/<key-ring>")},
                {"role", role},
                {"member", member}});
}

// " (condition \"title\")" for a conditional binding.
std::string ConditionWords(const gcp::GrantVia& via) {
  if (!via.condition_title.empty()) {
    return absl::StrCat(" (condition ", Q(via.condition_title), ")");
  }
  if (!via.condition_expression.empty()) return " (with a condition)";
  return "";
}

// The edit of the Terraform resource at `address` (of `type`) that takes `member`'s binding
// `via` away.
std::string GcpResourceEdit(const std::string& address, const std::string& type,
                            const gcp::ScopedGrant& grant, const gcp::GrantVia& via) {
  const std::string at = core::TerminalSafe(address);
  const std::string member = Q(grant.member.text);
  const std::string role = absl::StrCat(Q(via.role), ConditionWords(via));
  const std::string scope = Q(grant.scope.name);
  if (absl::EndsWith(type, "_iam_member")) {
    return absl::StrCat("# Remove resource ", at, ": it binds ", member, " to ", role, " on ",
                        scope, ".");
  }
  if (absl::EndsWith(type, "_iam_binding")) {
    if (via.binding_members <= 1) {
      return absl::StrCat("# Remove resource ", at, ": ", member,
                          " is the only member it binds to ", role, " on ", scope, ".");
    }
    return absl::StrCat("# In resource ", at, " (", role, " on ", scope, "), remove ", member,
                        " from members.");
  }
  if (absl::EndsWith(type, "_iam_policy")) {
    constexpr char kData[] = "the data \"google_iam_policy\" that policy_data is read from";
    if (via.binding_members == 1) {
      return absl::StrCat("# In resource ", at, ", remove the binding for ", role,
                          " from policy_data (or from ", kData, "): ", member,
                          " is its only member.");
    }
    return absl::StrCat("# In resource ", at, ", remove ", member, " from the binding for ", role,
                        " in policy_data (or in ", kData, ").");
  }
  return absl::StrCat("# Resource ", at, " binds ", member, " to ", role, " on ", scope,
                      ": take that grant out of it.");
}

// Key permissions as azurerm spells them ("Decrypt", "UnwrapKey"); others as written.
std::string AzurermKeyPermission(const std::string& p) {
  for (const azure::KeyPermissionName& name : azure::KeyPermissionNames()) {
    if (absl::EqualsIgnoreCase(p, name.azurerm)) return name.azurerm;
  }
  return p;
}

std::vector<std::string> AzurermKeyPermissions(const std::vector<std::string>& permissions) {
  std::vector<std::string> out;
  for (const std::string& p : permissions) {
    std::string spelled = AzurermKeyPermission(p);
    if (std::find(out.begin(), out.end(), spelled) == out.end()) out.push_back(std::move(spelled));
  }
  return out;
}

// The least built-in role that holds what the assignment grants of the question, for the narrow
// replacement: unwrap alone -> Key Vault Crypto Service Encryption User; decrypt and unwrap -> Key
// Vault Crypto User; "" for anything else (no replacement is offered).
std::string LeastAzureRole(const azure::AssignmentAnswer& answer) {
  if (answer.data_actions.empty() || !answer.actions.empty()) return "";
  bool unwrap_only = true;
  for (const std::string& a : answer.data_actions) {
    const bool unwrap = absl::EqualsIgnoreCase(a, "Microsoft.KeyVault/vaults/keys/unwrap/action");
    const bool decrypt = absl::EqualsIgnoreCase(a, "Microsoft.KeyVault/vaults/keys/decrypt/action");
    if (!unwrap && !decrypt) return "";
    unwrap_only = unwrap_only && unwrap;
  }
  return unwrap_only ? "Key Vault Crypto Service Encryption User" : "Key Vault Crypto User";
}

// The narrower scope for a replacement: a key of a vault-scoped assignment; a vault below a
// resource group or subscription; placeholders for what the input does not say.
std::string NarrowAzureScope(const azure::Scope& scope) {
  constexpr char kVaultTail[] = "/providers/Microsoft.KeyVault/vaults/<vault>";
  // A scope written as a Terraform address or template text is no id to build on.
  if (!absl::StartsWith(scope.id, "/")) {
    return scope.kind == azure::ScopeKind::kVault ? "<vault id>/keys/<key>" : "<vault id>";
  }
  switch (scope.kind) {
    case azure::ScopeKind::kVault:
      return absl::StrCat(scope.id, "/keys/<key>");
    case azure::ScopeKind::kResourceGroup:
      return absl::StrCat(scope.id, kVaultTail);
    case azure::ScopeKind::kSubscription:
      return absl::StrCat(scope.id, "/resourceGroups/<resource-group>", kVaultTail);
    default:
      return absl::StrCat("/subscriptions/<subscription>/resourceGroups/<resource-group>",
                          kVaultTail);
  }
}

}  // namespace

std::string TerraformAddressType(std::string_view address) {
  // Steps: module.NAME[KEY]... TYPE.NAME[KEY].
  const std::vector<std::string_view> steps = core::SplitTerraformAddress(address);
  std::size_t i = 0;
  while (i + 2 < steps.size() && steps[i] == "module" && IsNameStep(steps[i + 1])) i += 2;
  if (steps.size() - i != 2) return "";
  const std::string_view type = steps[i];
  if (type.empty() || type.find('_') == std::string_view::npos ||
      !std::all_of(type.begin(), type.end(), IsTypeChar) || !IsNameStep(steps[i + 1])) {
    return "";
  }
  return std::string(type);
}

std::string GcpGrantTerraform(const gcp::ScopedGrant& grant, const gcp::Inventory& inventory) {
  std::vector<std::string> lines;
  std::vector<std::string> held;
  std::vector<std::string> live_roles;  // roles of bindings not read from Terraform
  for (const gcp::GrantVia& via : grant.via) {
    for (const std::string& p : via.permissions) {
      if (std::find(held.begin(), held.end(), p) == held.end()) held.push_back(p);
    }
    const std::string type = TerraformAddressType(via.source.resource_id);
    if (!absl::StartsWith(type, "google_")) {
      // Terraform names a role without the "_withcond_…" a version-1 read adds.
      bool withcond = false;
      const std::string role(gcp::StripWithcond(via.role, &withcond));
      if (std::find(live_roles.begin(), live_roles.end(), role) == live_roles.end()) {
        live_roles.push_back(role);
      }
      continue;
    }
    std::string edit = GcpResourceEdit(via.source.resource_id, type, grant, via);
    // Several bindings of one resource (a policy_data with two roles) may need the same edit.
    if (std::find(lines.begin(), lines.end(), edit) == lines.end())
      lines.push_back(std::move(edit));
  }
  const std::string narrow_role =
      grant.certainty == gcp::Certainty::kUndetermined ? "" : NarrowGcpRole(held);
  const char* where = grant.scope.kind == gcp::ScopeKind::kKeyRing ? "keys" : "key rings";
  const std::string member = Q(grant.member.text);
  if (!live_roles.empty()) {
    if (!narrow_role.empty()) {
      lines.push_back(absl::StrCat("# Grant ", member, " ", narrow_role, " on the ", where,
                                   " it needs instead of at ", Q(grant.scope.name), ":"));
      lines.push_back(NarrowGcpBlock(grant, narrow_role, inventory));
    }
    const std::string prefix = GoogleIamPrefix(grant.scope.kind);
    lines.push_back(absl::StrCat("# If Terraform manages the binding at ", Q(grant.scope.name),
                                 ", remove the ", prefix, "_member that binds ", member, " to ",
                                 QList(live_roles), " (or remove ", member, " from that role's ",
                                 prefix, "_binding or ", prefix, "_policy)."));
  } else if (!narrow_role.empty() && !lines.empty()) {
    lines.push_back(absl::StrCat("# Then, if ", member, " needs to decrypt, grant ", narrow_role,
                                 " on the ", where, " it needs:"));
    lines.push_back(NarrowGcpBlock(grant, narrow_role, inventory));
  }
  return absl::StrJoin(lines, "\n");
}

std::string AzureAssignmentTerraform(const azure::RoleAssignment& a,
                                     const azure::AssignmentAnswer& answer) {
  const std::string type = TerraformAddressType(a.source.resource_id);
  const bool terraform = type == "azurerm_role_assignment";
  if (!terraform && !a.live) return "";  // an ARM template: the fix is in the template
  const std::string principal =
      a.principal_id.empty() || a.principal_unknown ? "<principal-id>" : a.principal_id;
  const std::string role = Q(answer.role.display);
  const std::string scope = Q(a.scope.id.empty() ? "(unknown)" : a.scope.id);
  const std::string least = LeastAzureRole(answer);
  const std::string narrow_scope = NarrowAzureScope(a.scope);
  std::vector<std::string> lines;
  if (terraform) {
    const std::string at = core::TerminalSafe(a.source.resource_id);
    if (!answer.actions.empty()) {
      lines.push_back(absl::StrCat("# Remove resource ", at, ": role ", role, " at ", scope,
                                   " lets ", Q(principal), " change who may use the keys there (",
                                   QList(answer.actions), ")."));
    } else if (!least.empty()) {
      lines.push_back(absl::StrCat("# Remove resource ", at, " (", role, " for ", Q(principal),
                                   " at ", scope,
                                   "), or narrow it to the vault or key that needs it:"));
      lines.push_back(absl::StrCat("#   scope                = ", Q(narrow_scope)));
      lines.push_back(absl::StrCat("#   role_definition_name = ", Q(least)));
    } else {
      lines.push_back(absl::StrCat("# Remove resource ", at, " (", role, " for ", Q(principal),
                                   " at ", scope,
                                   "), or set its scope to the vault or key that needs it."));
    }
    return absl::StrJoin(lines, "\n");
  }
  if (!least.empty()) {
    lines.push_back(absl::StrCat("# Assign ", least, " at the vault or key ", Q(principal),
                                 " needs instead of ", role, " at ", scope, ":"));
    lines.push_back(Block(
        "azurerm_role_assignment", "key_vault_crypto",
        {{"scope", narrow_scope}, {"role_definition_name", least}, {"principal_id", principal}}));
  }
  lines.push_back(absl::StrCat("# If Terraform manages the assignment at ", scope,
                               ", remove the azurerm_role_assignment of ", role,
                               " with principal_id ", Q(principal), "."));
  return absl::StrJoin(lines, "\n");
}

std::string AzureAccessPolicyTerraform(const azure::Scope& vault,
                                       const azure::AccessPolicyGrant& grant,
                                       const std::vector<std::string>& keep, bool live) {
  const azure::AccessPolicyEntry& entry = *grant.entry;
  const std::string type = TerraformAddressType(entry.source.resource_id);
  const bool inline_block = type == "azurerm_key_vault";
  const bool policy_resource = type == "azurerm_key_vault_access_policy";
  if (!inline_block && !policy_resource && !live) return "";  // an ARM template
  std::string who = absl::StrCat("object_id ", Q(entry.object_id));
  if (!entry.application_id.empty()) {
    absl::StrAppend(&who, " and application_id ", Q(entry.application_id));
  }
  const std::string removed = QList(AzurermKeyPermissions(grant.permissions));
  const std::string kept =
      absl::StrCat("#   key_permissions = [", QList(AzurermKeyPermissions(keep)), "]");
  const bool other_permissions = !entry.secrets.empty() || !entry.certificates.empty();
  if (policy_resource) {
    const std::string at = core::TerminalSafe(entry.source.resource_id);
    if (keep.empty() && !other_permissions) {
      return absl::StrCat("# Remove resource ", at, " (", who,
                          "): it holds no other permission than ", removed, ".");
    }
    return absl::StrCat("# In resource ", at, " (", who, "), remove ", removed,
                        " from key_permissions:\n", kept);
  }
  if (inline_block) {
    const std::string at = core::TerminalSafe(entry.source.resource_id);
    if (keep.empty() && !other_permissions) {
      return absl::StrCat("# In resource ", at, ", remove the access_policy block for ", who,
                          ": it holds no other permission than ", removed, ".");
    }
    return absl::StrCat("# In resource ", at, ", in the access_policy block for ", who, ", remove ",
                        removed, " from key_permissions:\n", kept);
  }
  return absl::StrCat("# If Terraform manages the access policies of vault ", Q(vault.name),
                      ", remove ", removed, " from key_permissions of the access_policy for ", who,
                      " (in azurerm_key_vault or azurerm_key_vault_access_policy):\n", kept);
}

}  // namespace kmsguard::engine
