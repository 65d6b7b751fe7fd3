#include "sdk/azure/key_access.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sdk/core/json_tree.h"

namespace kmsguard::azure {
namespace {

void AddOnce(std::vector<std::string>* list, const std::string& value) {
  if (std::find(list->begin(), list->end(), value) == list->end()) list->push_back(value);
}

// The reach of a well-formed ARM resource scope that is no vault or key: a resource of another
// type, or a vault's secret or certificate, holds no vault key (an assignment reaches its scope
// and what is below it: "Understand scope for Azure RBAC"); a key's version is part of one key.
// Anything else under a vault is not known here.
Reach ResourceReach(std::string_view canonical) {
  const std::vector<absl::string_view> parts =
      absl::StrSplit(core::Sv(canonical).substr(canonical.empty() ? 0 : 1), '/');
  const std::size_t n = parts.size();
  if (n < 6 || parts[0] != "subscriptions" || parts[2] != "resourcegroups" ||
      parts[4] != "providers" || n % 2 != 0) {
    return Reach::kUnknown;
  }
  for (const absl::string_view part : parts) {
    if (part.empty()) return Reach::kUnknown;
  }
  if (parts[5] == "microsoft.keyvault" && n >= 8 && parts[6] == "vaults") {
    if (n >= 10 && (parts[8] == "secrets" || parts[8] == "certificates")) return Reach::kNoKey;
    if (n == 12 && parts[8] == "keys" && parts[10] == "versions") return Reach::kOneKey;
    return Reach::kUnknown;
  }
  return Reach::kNoKey;
}

Reach ReachOf(const Scope& scope) {
  switch (scope.kind) {
    case ScopeKind::kTenantRoot:
    case ScopeKind::kManagementGroup:
    case ScopeKind::kSubscription:
    case ScopeKind::kResourceGroup:
      return Reach::kEveryKeyBelow;
    case ScopeKind::kVault:
      return Reach::kEveryKeyInVault;
    case ScopeKind::kKey:
      return Reach::kOneKey;
    case ScopeKind::kOther:
      break;
  }
  return ResourceReach(scope.canonical);
}

// The vault models on which a grant counts.
struct ModelsReached {
  bool rbac = false;
  bool access_policies = false;

  void Add(ModelsReached other) {
    rbac = rbac || other.rbac;
    access_policies = access_policies || other.access_policies;
  }
  // An undetermined model may be either.
  bool Counts(PermissionModel model) const {
    switch (model) {
      case PermissionModel::kRbac:
        return rbac;
      case PermissionModel::kAccessPolicies:
        return access_policies;
      case PermissionModel::kUndetermined:
        break;
    }
    return rbac || access_policies;
  }
};

// Data actions are read by vaults in the RBAC model only.
ModelsReached ModelsOfDataAction() { return {.rbac = true, .access_policies = false}; }

// A Key Vault control-plane operation (vaults/write, vaults/accessPolicies/write) gives power
// over a vault's access policies, which only the access-policy model reads; any other one asked
// about (Microsoft.Authorization/roleAssignments/write) over who holds which role, whatever the
// model (a role can be given that edits access policies, or one with data actions).
ModelsReached ModelsOfAction(std::string_view action) {
  if (absl::StartsWithIgnoreCase(core::Sv(action), "Microsoft.KeyVault/")) {
    return {.rbac = false, .access_policies = true};
  }
  return {.rbac = true, .access_policies = true};
}

}  // namespace

std::span<const KeyPermissionName> KeyPermissionNames() {
  static constexpr KeyPermissionName kNames[] = {{"encrypt", "Encrypt"},
                                                 {"decrypt", "Decrypt"},
                                                 {"wrapKey", "WrapKey"},
                                                 {"unwrapKey", "UnwrapKey"},
                                                 {"sign", "Sign"},
                                                 {"verify", "Verify"},
                                                 {"get", "Get"},
                                                 {"list", "List"},
                                                 {"create", "Create"},
                                                 {"update", "Update"},
                                                 {"import", "Import"},
                                                 {"delete", "Delete"},
                                                 {"backup", "Backup"},
                                                 {"restore", "Restore"},
                                                 {"recover", "Recover"},
                                                 {"purge", "Purge"},
                                                 {"release", "Release"},
                                                 {"rotate", "Rotate"},
                                                 {"getrotationpolicy", "GetRotationPolicy"},
                                                 {"setrotationpolicy", "SetRotationPolicy"}};
  return kNames;
}

Question DecryptQuestion() {
  return {.name = "decrypt",
          .data_actions = {"Microsoft.KeyVault/vaults/keys/decrypt/action",
                           "Microsoft.KeyVault/vaults/keys/unwrap/action"},
          .key_permissions = {"decrypt", "unwrapKey"},
          .actions = {}};
}

absl::Status CheckQuestion(const Question& question, const RoleCatalog& catalog) {
  if (question.data_actions.empty() && question.key_permissions.empty() &&
      question.actions.empty()) {
    return absl::InvalidArgumentError("asks about no data action, no key permission and no action");
  }
  for (const auto& [kind, list] :
       {std::pair{"data action", &question.data_actions}, std::pair{"action", &question.actions}}) {
    for (const std::string& action : *list) {
      if (action.find('*') != std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat(kind, " \"", action, "\" is a pattern; ask about exact operations"));
      }
      if (!catalog.CoversOperation(action)) {
        return absl::InvalidArgumentError(absl::StrCat(
            kind, " \"", action, "\" is outside what the built-in role catalog keeps (",
            catalog.Describe(), "): which built-in roles grant it cannot be told"));
      }
    }
  }
  return absl::OkStatus();
}

std::string_view ReachName(Reach reach) {
  switch (reach) {
    case Reach::kEveryKeyBelow:
      return "every_key_below";
    case Reach::kEveryKeyInVault:
      return "every_key_in_vault";
    case Reach::kOneKey:
      return "one_key";
    case Reach::kNoKey:
      return "no_key";
    case Reach::kUnknown:
      break;
  }
  return "unknown";
}

std::string_view CertaintyName(Certainty certainty) {
  switch (certainty) {
    case Certainty::kGranted:
      return "granted";
    case Certainty::kConditional:
      return "conditional";
    case Certainty::kUndetermined:
      return "undetermined";
    case Certainty::kNone:
      break;
  }
  return "none";
}

AssignmentAnswer JudgeAssignment(const Inventory& inventory, const RoleResolver& roles,
                                 const Question& question, const RoleAssignment& assignment) {
  AssignmentAnswer out;
  out.reach = assignment.scope_unknown ? Reach::kUnknown : ReachOf(assignment.scope);
  if (assignment.role_unknown) {
    out.role.display = assignment.role_definition_id.empty() ? assignment.role_definition_name
                                                             : assignment.role_definition_id;
    out.role.note =
        absl::StrCat("the role (", out.role.display, ") is a value the input does not determine");
  } else {
    out.role = roles.Resolve(assignment.role_definition_id, assignment.role_definition_name);
  }
  // On which vault models what is granted counts: data actions on RBAC vaults; access-policy
  // changes on access-policy vaults; role-assignment writes on both. An undetermined role may
  // hold anything the question asks.
  ModelsReached reached;
  if (out.role.state == RoleState::kKnown) {
    for (const std::string& action : question.data_actions) {
      std::string pattern = GrantingPattern(*out.role.definition, action);
      if (pattern.empty()) continue;
      out.data_actions.push_back(action);
      AddOnce(&out.patterns, pattern);
      reached.Add(ModelsOfDataAction());
    }
    for (const std::string& action : question.actions) {
      std::string pattern = GrantingActionPattern(*out.role.definition, action);
      if (pattern.empty()) continue;
      out.actions.push_back(action);
      AddOnce(&out.patterns, pattern);
      reached.Add(ModelsOfAction(action));
    }
    if (out.data_actions.empty() && out.actions.empty()) return out;
    out.certainty = assignment.condition.empty() ? Certainty::kGranted : Certainty::kConditional;
  } else {
    out.certainty = Certainty::kUndetermined;
    out.notes.push_back(out.role.note);
    if (!question.data_actions.empty()) reached.Add(ModelsOfDataAction());
    for (const std::string& action : question.actions) reached.Add(ModelsOfAction(action));
  }
  if (!assignment.condition.empty()) {
    out.notes.push_back(
        absl::StrCat("the assignment has a condition, not evaluated: ", assignment.condition));
  }
  if (assignment.scope.kind == ScopeKind::kVault || assignment.scope.kind == ScopeKind::kKey) {
    const Vault* vault = inventory.FindVault(assignment.scope.vault);
    if (vault == nullptr) {
      if (!reached.access_policies) {
        out.notes.push_back(
            "the vault is not in the scan: if it uses access policies, this assignment grants no "
            "data action there");
      } else if (!reached.rbac) {
        out.notes.push_back(
            "the vault is not in the scan: if it uses RBAC, changing its access policies grants "
            "nothing there");
      }
    } else if (!reached.Counts(vault->model)) {
      out.ignored_by_vault_model = true;
      out.certainty = Certainty::kNone;
      out.notes.push_back(
          vault->model == PermissionModel::kAccessPolicies
              ? absl::StrCat("vault ", vault->id, " uses access policies (", vault->model_reason,
                             "): role assignments grant no data action there")
              : absl::StrCat("vault ", vault->id, " uses RBAC (", vault->model_reason,
                             "), which ignores access policies: changing them grants nothing "
                             "there"));
    } else if (vault->model == PermissionModel::kUndetermined &&
               !(reached.rbac && reached.access_policies)) {
      out.notes.push_back(absl::StrCat(
          "the permission model of vault ", vault->id, " is undetermined (", vault->model_reason,
          "): this assignment grants only if it uses ", reached.rbac ? "RBAC" : "access policies"));
    }
  } else if (out.reach == Reach::kEveryKeyBelow) {
    for (const Vault& vault : inventory.vaults) {
      if (reached.Counts(vault.model) && Covers(assignment.scope, vault.scope)) {
        out.vaults_below.push_back(vault.id);
      }
    }
    if (assignment.scope.kind == ScopeKind::kManagementGroup) {
      out.notes.push_back(
          "which subscriptions are below the management group is not in the input: vaults of "
          "the scan are not matched to it");
    }
  } else if (out.reach == Reach::kUnknown) {
    out.notes.push_back(assignment.scope_unknown
                            ? "the scope is a value the input does not determine"
                            : absl::StrCat("scope ", assignment.scope.id,
                                           " is not a management group, subscription, resource "
                                           "group, vault or key"));
  }
  // Power over access policies alone counts only where a vault uses them: without a vault known
  // to (at its scope, or among the input's vaults below), the grant is undetermined, never a
  // FAIL on vaults that ignore it.
  if (!reached.rbac && out.certainty != Certainty::kNone && !out.ignored_by_vault_model) {
    bool known = false;
    if (assignment.scope.kind == ScopeKind::kVault || assignment.scope.kind == ScopeKind::kKey) {
      const Vault* vault = inventory.FindVault(assignment.scope.vault);
      known = vault != nullptr && vault->model == PermissionModel::kAccessPolicies;
    } else if (out.reach == Reach::kEveryKeyBelow) {
      for (const Vault& vault : inventory.vaults) {
        if (vault.model == PermissionModel::kAccessPolicies &&
            Covers(assignment.scope, vault.scope)) {
          known = true;
        }
      }
      if (!known) {
        out.notes.push_back(
            "no vault of the input below it is known to use access policies: this counts only on "
            "vaults that do (one not in the input, or created later in that model)");
      }
    }
    if (!known && out.certainty != Certainty::kUndetermined)
      out.certainty = Certainty::kUndetermined;
  }
  return out;
}

VaultAnswer JudgeAccessPolicies(const Question& question, PermissionModel model,
                                const std::vector<AccessPolicyEntry>& entries) {
  VaultAnswer out;
  for (const AccessPolicyEntry& entry : entries) {
    AccessPolicyGrant grant;
    grant.entry = &entry;
    for (const std::string& permission : entry.keys) {
      const bool grants =
          absl::EqualsIgnoreCase(permission, "all") ||
          std::any_of(question.key_permissions.begin(), question.key_permissions.end(),
                      [&](const std::string& q) { return absl::EqualsIgnoreCase(q, permission); });
      (grants ? grant.permissions : grant.remaining).push_back(permission);
    }
    if (!grant.permissions.empty() && !question.key_permissions.empty()) {
      out.grants.push_back(std::move(grant));
    }
  }
  switch (model) {
    case PermissionModel::kAccessPolicies:
      out.certainty = out.grants.empty() ? Certainty::kNone : Certainty::kGranted;
      break;
    case PermissionModel::kUndetermined:
      out.certainty = out.grants.empty() ? Certainty::kNone : Certainty::kUndetermined;
      break;
    case PermissionModel::kRbac:
      out.certainty = Certainty::kNone;
      if (!out.grants.empty()) {
        out.notes.push_back(absl::StrCat(
            out.grants.size(), " access policy entr", out.grants.size() == 1 ? "y" : "ies",
            " would grant it, but the vault uses RBAC, which ignores access policies"));
      }
      break;
  }
  return out;
}

}  // namespace kmsguard::azure
