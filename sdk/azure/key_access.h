// "Who may use these Key Vault data actions, on which keys?" over an Inventory: the Azure analog
// of the AWS KMS.1/KMS.2 decision (a principal that may decrypt with every key).
//
// Rules implemented (docs/azure-keyvault-semantics.md, with sources):
//  - Access-policy model: an entry whose permissions.keys holds one of the question's key
//    permissions, or "all", compared case-insensitively, grants it on every key of the vault,
//    present and future (https://learn.microsoft.com/azure/key-vault/general/assign-access-policy).
//  - RBAC model: an assignment grants what its role's dataActions grant (roles.h) at its scope and
//    below: at a management group, subscription or resource group every key of every RBAC vault
//    below it; at a vault every key of the vault; at a key that key only
//    (https://learn.microsoft.com/azure/key-vault/general/rbac-guide).
//  - An assignment at a vault (or key) of the scan whose model is access policies grants no data
//    action there; a vault in the RBAC model ignores its access policies.
//  - A role whose permissions are unknown, or an assignment whose role the input does not
//    determine, is undetermined, never "no grant". A condition on the assignment is reported, not
//    evaluated. Deny assignments are in no supported input: every answer says they were not seen.
//  - Control-plane actions (the escalation question): an assignment holds what its role's
//    `actions` grant (roles.h), whatever the vault's model for Microsoft.Authorization/ operations
//    (a holder of roleAssignments/write can assign itself any role, e.g. Key Vault Crypto User);
//    Microsoft.KeyVault/ operations (vaults/write, vaults/accessPolicies/write) change access
//    policies, so they count only on vaults that use access policies: "a user with Contributor,
//    Key Vault Contributor, or any other role that includes Microsoft.KeyVault/vaults/write ... can
//    grant themselves data plane access by setting a Key Vault access policy"
//    (https://learn.microsoft.com/azure/key-vault/general/rbac-access-policy).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "sdk/azure/inventory.h"
#include "sdk/azure/roles.h"

namespace kmsguard::azure {

// One key permission of an access policy, as the Key Vault management API spells it (KeyPermissions
// of https://learn.microsoft.com/rest/api/keyvault/keyvault/vaults/create-or-update) and as the
// azurerm Terraform provider spells it (azurerm_key_vault's access_policy key_permissions). The
// two compare equal ignoring case, as Key Vault compares them.
struct KeyPermissionName {
  const char* api;      // "unwrapKey", "getrotationpolicy"
  const char* azurerm;  // "UnwrapKey", "GetRotationPolicy"
};
// Every key permission but "all": what "all" stands for.
std::span<const KeyPermissionName> KeyPermissionNames();

// The operations asked about: a principal counts when it holds ANY of them.
struct Question {
  std::string name;
  std::vector<std::string> data_actions;  // RBAC: "Microsoft.KeyVault/vaults/keys/decrypt/action"
  std::vector<std::string> key_permissions;  // access policies: "decrypt" ("all" always counts)
  // Control-plane operations that give power over access: "Microsoft.Authorization/
  // roleAssignments/write", "Microsoft.KeyVault/vaults/write".
  std::vector<std::string> actions;
};

// Decrypt: keys/decrypt/action and keys/unwrap/action (unwrapping a wrapped key is decrypting
// it); access-policy key permissions decrypt and unwrapKey.
Question DecryptQuestion();

// OK when the question can be answered: at least one data action, key permission or action, and
// every data action and action exact and under the catalog's filter. InvalidArgument otherwise,
// saying which.
absl::Status CheckQuestion(const Question& question, const RoleCatalog& catalog);

enum class Reach : std::uint8_t {
  kEveryKeyBelow,    // management group, subscription, resource group (or the tenant root)
  kEveryKeyInVault,  // a vault
  kOneKey,           // a key (or one of its versions)
  kNoKey,            // a resource that holds no vault key (another type, a secret, a certificate)
  kUnknown,          // a scope of another kind, or one the input does not determine
};
std::string_view ReachName(Reach reach);  // "every_key_below", "every_key_in_vault", ...

// Strongest first.
enum class Certainty : std::uint8_t { kGranted, kConditional, kUndetermined, kNone };
std::string_view CertaintyName(Certainty certainty);  // "granted", "conditional", ...

struct AssignmentAnswer {
  Certainty certainty = Certainty::kNone;
  Reach reach = Reach::kUnknown;
  ResolvedRole role;
  std::vector<std::string> data_actions;  // the question's data actions the role grants
  std::vector<std::string> actions;       // the question's control-plane actions it grants
  std::vector<std::string> patterns;      // the role's dataActions and actions that grant them
  // The assignment is at a vault (or one of its keys) whose model makes what it grants count for
  // nothing there: data actions on a vault that uses access policies, access-policy changes on a
  // vault in RBAC (certainty kNone, and `notes` says so).
  bool ignored_by_vault_model = false;
  // The scan's vaults below the scope on which what it grants counts (by their model).
  std::vector<std::string> vaults_below;
  std::vector<std::string> notes;         // what the answer depends on, in words
};

// Whether `assignment` grants any of `question`'s data actions or actions, and how far. `roles`
// should be MakeRoleResolver(inventory, …).
AssignmentAnswer JudgeAssignment(const Inventory& inventory, const RoleResolver& roles,
                                 const Question& question, const RoleAssignment& assignment);

struct AccessPolicyGrant {
  const AccessPolicyEntry* entry = nullptr;
  std::vector<std::string> permissions;  // the entry's key permissions that grant, as written
  std::vector<std::string> remaining;    // the entry's other key permissions
};

struct VaultAnswer {
  // kGranted: the vault uses access policies; kUndetermined: the model is undetermined, so the
  // grants hold only if it is access policies; kNone: RBAC, the access policies are ignored.
  Certainty certainty = Certainty::kNone;
  std::vector<AccessPolicyGrant> grants;  // entries that would grant, in list order
  std::vector<std::string> notes;
};

// Which access-policy entries of `entries` grant any of `question`'s key permissions, under
// `model`.
VaultAnswer JudgeAccessPolicies(const Question& question, PermissionModel model,
                                const std::vector<AccessPolicyEntry>& entries);

}  // namespace kmsguard::azure
