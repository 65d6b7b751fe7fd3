// azure.grants: which principals may use the asked Key Vault operations on every key of a vault
// or more (docs/azure-keyvault-semantics.md).
//
// The resources judged, over the scan's Azure resources joined once (ResourceView::
// azure_inventory; the resource alone when it is evaluated on its own):
//  - a vault: each access-policy entry that grants the asked key permissions (or "all") is a
//    finding: FAIL when the vault uses access policies, WARNING when its model is undetermined;
//    a vault in the RBAC model passes (its access policies are ignored);
//  - an access-policy change (ARM vaults/accessPolicies, azurerm_key_vault_access_policy): judged
//    on the vault it changes; on its own (WARNING, the model unknown) only when that vault is not
//    in the scan;
//  - a role assignment: FAIL when its role grants an asked data action at a management group,
//    subscription, resource group (severity raised: every key below) or vault scope; PASS at a key
//    scope or on a vault that uses access policies; WARNING when the role or the scope is not
//    determined.
// One finding per principal (the item key): the finding uid then derives from the resource (the
// assignment, which names scope, role and principal; or the vault) and the principal, never from
// display names.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/azure/inventory.h"
#include "sdk/azure/key_access.h"
#include "sdk/core/text.h"
#include "sdk/engine/builtins.h"
#include "sdk/engine/terraform_remediation.h"

namespace kmsguard::engine {

namespace {

struct AzureGrantsArgs : PreparedArgs {
  azure::Question question;
  // Whether the built-in role catalog can say which roles grant the operations asked.
  DeferredCheck answerable{[this] {
    const absl::Status status = azure::CheckQuestion(question, azure::BuiltinRoles());
    return status.ok() ? std::string() : absl::StrCat("azure.grants: ", status.message());
  }};
};

constexpr char kDenyNote[] =
    "deny assignments were not seen (no supported input carries them); they could only narrow "
    "this grant";

// "User 5a5a… (etl-app)": who the principal is, as the input says.
std::string Principal(const std::string& type, const std::string& id, const std::string& name) {
  std::string out = type.empty() ? std::string("principal") : type;
  absl::StrAppend(&out, " ", id);
  if (!name.empty()) absl::StrAppend(&out, " (", name, ")");
  return out;
}

std::string EntryKey(const azure::AccessPolicyEntry& entry) {
  return entry.application_id.empty()
             ? entry.object_id
             : absl::StrCat(entry.object_id, " via application ", entry.application_id);
}

// The key permissions an access-policy entry keeps once the grant is taken away: its other ones,
// "all" written out without the asked ones.
std::vector<std::string> KeptKeyPermissions(const azure::AccessPolicyGrant& g,
                                            const azure::Question& question) {
  std::vector<std::string> keep = g.remaining;
  const bool all =
      std::any_of(g.permissions.begin(), g.permissions.end(),
                  [](const std::string& p) { return absl::EqualsIgnoreCase(p, "all"); });
  if (all) {
    for (const azure::KeyPermissionName& name : azure::KeyPermissionNames()) {
      const char* p = name.api;
      const bool asked =
          std::any_of(question.key_permissions.begin(), question.key_permissions.end(),
                      [&](const std::string& q) { return absl::EqualsIgnoreCase(q, p); });
      const bool kept = std::any_of(keep.begin(), keep.end(), [&](const std::string& k) {
        return absl::EqualsIgnoreCase(k, p);
      });
      if (!asked && !kept) keep.emplace_back(p);
    }
  }
  return keep;
}

// The az command that takes the grant away from one access-policy entry and keeps the rest of
// it: the entry's other key permissions set again (KeptKeyPermissions), or, when no key
// permission is left, the entry deleted and its secret and certificate permissions set again.
std::string AccessPolicyCommand(const azure::Scope& vault, const azure::AccessPolicyGrant& g,
                                const std::vector<std::string>& keep) {
  const azure::AccessPolicyEntry& entry = *g.entry;
  std::string target = absl::StrCat(" --name ", core::ShellQuote(vault.name));
  if (vault.kind == azure::ScopeKind::kVault) {
    absl::StrAppend(&target, " --resource-group ", core::ShellQuote(vault.resource_group),
                    " --subscription ", core::ShellQuote(vault.subscription));
  }
  absl::StrAppend(&target, " --object-id ", core::ShellQuote(entry.object_id));
  if (!entry.application_id.empty()) {
    absl::StrAppend(&target, " --application-id ", core::ShellQuote(entry.application_id));
  }
  const auto listed = [](const char* flag, const std::vector<std::string>& values) {
    std::string out = absl::StrCat(" ", flag);
    for (const std::string& v : values) absl::StrAppend(&out, " ", core::ShellQuote(v));
    return out;
  };
  if (!keep.empty()) {
    return absl::StrCat("az keyvault set-policy", target, listed("--key-permissions", keep));
  }
  std::string command = absl::StrCat("az keyvault delete-policy", target);
  if (!entry.secrets.empty() || !entry.certificates.empty()) {
    absl::StrAppend(&command, " && az keyvault set-policy", target);
    if (!entry.secrets.empty())
      absl::StrAppend(&command, listed("--secret-permissions", entry.secrets));
    if (!entry.certificates.empty()) {
      absl::StrAppend(&command, listed("--certificate-permissions", entry.certificates));
    }
  }
  return command;
}

// Findings for access-policy entries that would grant. `live`: the entries' vault was read from
// a live export.
void JudgeEntries(const azure::VaultAnswer& answer, const azure::Scope& vault,
                  const std::string& model_reason, const azure::Question& question, bool live,
                  Outcome* out) {
  const std::string& vault_id = vault.id;
  for (const azure::AccessPolicyGrant& grant : answer.grants) {
    const azure::AccessPolicyEntry& entry = *grant.entry;
    Outcome item;
    item.status = answer.certainty == azure::Certainty::kGranted ? model::Status::kFail
                                                                 : model::Status::kWarning;
    if (item.status == model::Status::kWarning) item.undetermined = model_reason;
    item.source = entry.source;  // the entry that grants, within the vault or its change
    item.actions = grant.permissions;
    item.failing_policies = {absl::StrCat("access policy of ", EntryKey(entry))};
    item.resources = {vault_id};
    model::Evidence evidence;
    evidence.policy_name = item.failing_policies.front();
    evidence.actions = grant.permissions;
    evidence.resource_patterns = {vault_id};
    evidence.note = absl::StrCat(std::string(azure::CertaintyName(answer.certainty)), " at ",
                                 entry.source.ToString(), ": ", model_reason);
    item.evidence.push_back(std::move(evidence));
    const std::vector<std::string> keep = KeptKeyPermissions(grant, question);
    item.command = AccessPolicyCommand(vault, grant, keep);
    item.terraform = AzureAccessPolicyTerraform(vault, grant, keep, live);
    item.exposed_to = {EntryKey(entry)};
    item.exposure = absl::StrCat("object ", EntryKey(entry), " on every key of vault ", vault_id);
    item.explanation.push_back(
        absl::StrCat("access-policy entry of object ", EntryKey(entry), " holds key permission(s) ",
                     absl::StrJoin(grant.permissions, ", "), " on vault ", vault_id,
                     ": every key of the vault, including keys created later"));
    item.explanation.push_back(absl::StrCat("permission model: ", model_reason));
    if (entry.object_unknown) {
      item.explanation.push_back("the object id is a value the input does not determine");
    }
    out->items.push_back({EntryKey(entry), std::move(item)});
  }
}

Outcome JudgeVaultAccess(const AzureGrantsArgs& args, const azure::Vault& vault) {
  Outcome out;
  const azure::VaultAnswer answer =
      azure::JudgeAccessPolicies(args.question, vault.model, vault.access_policies);
  if (answer.certainty != azure::Certainty::kNone) {
    azure::Scope scope = vault.scope;
    scope.name = vault.name;
    JudgeEntries(answer, scope, vault.model_reason, args.question, vault.live, &out);
    for (OutcomeItem& item : out.items) {
      for (const std::string& p : vault.problems) {
        item.outcome.explanation.push_back(absl::StrCat("not read: ", p));
      }
      for (const std::string& n : vault.notes) item.outcome.explanation.push_back(n);
    }
    return out;
  }
  // Part of the list could not be read, or is not determined: a grant may hide there, so the
  // vault is not a PASS.
  if (!vault.incomplete.empty() && vault.model != azure::PermissionModel::kRbac) {
    out.status = model::Status::kError;
    out.errors = vault.incomplete;
    return out;
  }
  out.status = model::Status::kPass;
  out.pass_detail =
      vault.model == azure::PermissionModel::kRbac
          ? absl::StrCat("uses RBAC (", vault.model_reason,
                         "): its access policies are ignored, and role assignments are judged on "
                         "their own")
          : absl::StrCat("no access-policy entry holds key permission ",
                         absl::StrJoin(args.question.key_permissions, ", "), " or all");
  out.explanation = answer.notes;
  out.explanation.push_back(absl::StrCat("permission model: ", vault.model_reason));
  for (const std::string& p : vault.problems)
    out.explanation.push_back(absl::StrCat("not read: ", p));
  return out;
}

Outcome JudgeVault(const AzureGrantsArgs& args, const azure::Inventory& inventory,
                   const azure::Vault& vault) {
  Outcome out = JudgeVaultAccess(args, vault);
  // Role assignments reach a vault unless it answers through access policies alone.
  if (!inventory.unseen_assignments_note.empty() &&
      vault.model != azure::PermissionModel::kAccessPolicies) {
    out.explanation.push_back(inventory.unseen_assignments_note);
    for (OutcomeItem& item : out.items) {
      item.outcome.explanation.push_back(inventory.unseen_assignments_note);
    }
  }
  return out;
}

Outcome JudgeAssignment(const AzureGrantsArgs& args, const azure::Inventory& inventory,
                        const azure::RoleAssignment& a) {
  Outcome out;
  const azure::AssignmentAnswer answer =
      azure::JudgeAssignment(inventory, *inventory.roles, args.question, a);
  // The item key and the name the finding gives: never blank, so a grant to a principal the
  // input leaves out (or a template parameter) still reads as a grant to someone.
  const std::string principal_id = !a.principal_id.empty() && !a.principal_unknown ? a.principal_id
                                   : a.principal_unknown ? "(principal not determined by the input)"
                                                         : "(principal not given)";
  const std::string principal = Principal(a.principal_type, principal_id, a.principal_name);
  const std::string where = absl::StrCat(std::string(azure::ScopeKindName(a.scope.kind)), " ",
                                         a.scope.id.empty() ? "(unknown)" : a.scope.id);
  const bool broad = answer.reach == azure::Reach::kEveryKeyBelow ||
                     answer.reach == azure::Reach::kEveryKeyInVault;
  const bool grants = answer.certainty == azure::Certainty::kGranted ||
                      answer.certainty == azure::Certainty::kConditional;
  // What it holds of what was asked: data actions, then control-plane actions.
  std::vector<std::string> held = answer.data_actions;
  held.insert(held.end(), answer.actions.begin(), answer.actions.end());
  std::vector<std::string> asked = args.question.data_actions;
  asked.insert(asked.end(), args.question.actions.begin(), args.question.actions.end());
  // Data actions alone are permissions on keys; an action is power over who holds them.
  const bool control =
      !answer.actions.empty() || (answer.data_actions.empty() && !args.question.actions.empty());
  const bool narrow = answer.reach == azure::Reach::kOneKey || answer.reach == azure::Reach::kNoKey;
  if (answer.certainty == azure::Certainty::kNone || narrow) {
    Outcome pass;
    pass.status = model::Status::kPass;
    pass.pass_detail =
        answer.ignored_by_vault_model
            ? absl::StrCat("grants ", principal, " nothing that counts there: ",
                           answer.notes.empty() ? std::string() : answer.notes.back())
        : answer.reach == azure::Reach::kOneKey && answer.certainty != azure::Certainty::kNone
            ? absl::StrCat("grants ", principal, " ", absl::StrJoin(held, ", "),
                           " on one key only (", a.scope.id, ")")
        : answer.reach == azure::Reach::kNoKey && answer.certainty != azure::Certainty::kNone
            ? absl::StrCat("grants ", principal, " ", absl::StrJoin(held, ", "), " at ", a.scope.id,
                           ", which holds no Key Vault key")
            : absl::StrCat("role ", answer.role.display, " holds none of ",
                           absl::StrJoin(asked, ", "));
    pass.explanation = answer.notes;
    out.items.push_back({principal_id, std::move(pass)});
    return out;
  }
  Outcome item;
  item.status = grants && broad ? model::Status::kFail : model::Status::kWarning;
  item.conditional = answer.certainty == azure::Certainty::kConditional;
  if (item.status == model::Status::kWarning) item.undetermined = absl::StrJoin(answer.notes, "; ");
  item.actions = held;
  if (item.actions.empty()) item.actions = {"operations not known"};
  item.failing_policies = {answer.role.display};
  item.resources = {a.scope.id};
  model::Evidence evidence;
  evidence.policy_name = answer.role.display;
  evidence.actions = held;
  evidence.action_patterns = answer.patterns;
  evidence.resource_patterns = {a.scope.id};
  evidence.note =
      absl::StrCat(std::string(azure::CertaintyName(answer.certainty)), ", reach ",
                   std::string(azure::ReachName(answer.reach)), ", at ", a.source.ToString());
  item.evidence.push_back(std::move(evidence));
  // A template's or plan's id ("{subscriptionId}", "[guid(...)]") is no id az can delete by.
  const bool arm_id =
      absl::StartsWith(a.id, "/") && a.id.find_first_of("{}[]() ") == std::string::npos &&
      azure::ParseScope(a.id).canonical.find(
          "/providers/microsoft.authorization/roleassignments/") != std::string::npos;
  item.command =
      arm_id ? absl::StrCat("az role assignment delete --ids ", core::ShellQuote(a.id))
             : absl::StrCat("az role assignment delete --assignee ",
                            core::ShellQuote(a.principal_id), " --role ",
                            core::ShellQuote(a.role_definition_id.empty() ? a.role_definition_name
                                                                          : a.role_definition_id),
                            " --scope ", core::ShellQuote(a.scope.id));
  item.terraform = AzureAssignmentTerraform(a, answer);
  item.exposed_to = {principal};
  const char* power = control ? " (may give itself access)" : "";
  item.exposure = answer.reach == azure::Reach::kEveryKeyBelow
                      ? absl::StrCat(principal, " on every key of every vault below ", where, power)
                      : absl::StrCat(principal, " on every key of vault ", a.scope.id, power);
  if (answer.role.state != azure::RoleState::kKnown) {
    item.explanation.push_back(absl::StrCat(principal, " is assigned ", answer.role.display, " at ",
                                            where, ", whose permissions are unknown"));
  } else {
    item.explanation.push_back(absl::StrCat(
        principal, " holds ", absl::StrJoin(held, ", "), " through role ", answer.role.display,
        " (", absl::StrJoin(answer.patterns, ", "), ") assigned at ", where,
        control ? (answer.reach == azure::Reach::kEveryKeyBelow
                       ? ": it may give itself access to every key of every vault below it on "
                         "which that counts, including vaults and keys created later"
                       : ": it may give itself access to every key of the vault")
        : answer.reach == azure::Reach::kEveryKeyBelow
            ? ": every key of every vault in the RBAC model below it, including vaults and keys "
              "created later"
            : ": every key of the vault, including keys created later"));
  }
  if (answer.reach == azure::Reach::kEveryKeyBelow && grants) {
    item.severity_raise = absl::StrCat("the assignment is at ", where,
                                       ", so it reaches every key of every vault below it");
  }
  if (!answer.vaults_below.empty()) {
    item.explanation.push_back(
        absl::StrCat("vaults of the input below it: ", absl::StrJoin(answer.vaults_below, ", ")));
  }
  for (const std::string& note : answer.notes) item.explanation.push_back(note);
  for (const std::string& p : a.problems) item.explanation.push_back(absl::StrCat("not read: ", p));
  item.explanation.push_back(kDenyNote);
  out.items.push_back({principal_id, std::move(item)});
  return out;
}

}  // namespace

std::shared_ptr<const PreparedArgs> PrepareAzureGrants(const rules::Rule& rule,
                                                       const nlohmann::json& args,
                                                       const rules::BuiltinSpec& spec) {
  auto prepared = std::make_shared<AzureGrantsArgs>();
  prepared->question.name = rule.id;
  for (const rules::ArgSpec& arg : spec.args) {
    std::vector<std::string>* list = arg.name == "data_actions" ? &prepared->question.data_actions
                                     : arg.name == "key_permissions"
                                         ? &prepared->question.key_permissions
                                     : arg.name == "actions" ? &prepared->question.actions
                                                             : nullptr;
    if (list == nullptr) continue;
    const nlohmann::json value = rules::ResolveArg(rule, args, arg);
    if (value.is_string()) list->push_back(value.get<std::string>());
    if (value.is_array()) {
      for (const nlohmann::json& p : value) {
        if (p.is_string()) list->push_back(p.get<std::string>());
      }
    }
  }
  return prepared;
}

Outcome AzureGrants(const PreparedArgs& prepared_args, const ResourceView& view) {
  const auto& args = static_cast<const AzureGrantsArgs&>(prepared_args);
  Outcome out;
  if (const std::string& error = args.answerable.Error(); !error.empty()) {
    out.status = model::Status::kError;
    out.errors.push_back(error);
    return out;
  }
  const model::Resource& resource = view.resource();
  std::optional<azure::InventoryResult> alone;
  const azure::Inventory* inventory = view.azure_inventory();
  if (inventory == nullptr) {
    alone = azure::BuildInventory({resource});
    inventory = &alone->inventory;
  }
  // The join keeps what it read of each resource under the resource's id: the document is not
  // read again here. Access-policy entries answer only a question about key permissions.
  const bool entries_asked = !args.question.key_permissions.empty();
  if (absl::EqualsIgnoreCase(resource.type, model::kAzureVault)) {
    const azure::Vault* vault = inventory->VaultOf(resource.id);
    if (vault == nullptr || !entries_asked) {
      out.not_applicable = true;
      return out;
    }
    return JudgeVault(args, *inventory, *vault);
  }
  if (absl::EqualsIgnoreCase(resource.type, model::kAzureVaultAccessPolicies)) {
    const azure::DetachedAccessPolicies* change = inventory->DetachedOf(resource.id);
    if (change == nullptr || !entries_asked) {
      // Applied to a vault of the scan: that vault's findings say what it grants.
      out.not_applicable = true;
      return out;
    }
    const azure::VaultAnswer answer = azure::JudgeAccessPolicies(
        args.question, azure::PermissionModel::kUndetermined, change->entries);
    const std::string vault_id = change->vault_id.empty() ? "(unknown)" : change->vault_id;
    JudgeEntries(answer, azure::ParseScope(vault_id),
                 absl::StrCat("vault ", vault_id,
                              " is not in the scan, so its permission model is unknown; these "
                              "entries grant only if it uses access policies"),
                 args.question, /*live=*/false, &out);
    if (out.items.empty()) {
      out.status = model::Status::kPass;
      out.pass_detail = absl::StrCat("adds no access-policy entry holding key permission ",
                                     absl::StrJoin(args.question.key_permissions, ", "), " or all");
    }
    return out;
  }
  if (const azure::RoleAssignment* a = inventory->AssignmentOf(resource.id)) {
    return JudgeAssignment(args, *inventory, *a);
  }
  out.not_applicable = true;
  return out;
}

}  // namespace kmsguard::engine
