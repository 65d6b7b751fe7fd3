// gcp.grants: which members hold the asked Cloud KMS permissions through the allow policy of the
// resource judged, and so on every key it reaches (docs/gcp-kms-semantics.md): an organization,
// folder or project reaches every key below it; a key ring every key of the ring, including keys
// added later. A binding on one key reaches that key only and is never a finding: it is the narrow
// grant. The rule's resource_types say which tiers it judges.
//
// The resource judged is a CAI asset that carries an allow policy (an `--content-type=iam-policy`
// line; the same scope's `resource` line gives no finding). The grants come from
// gcp::FindGrants over the scan's joined inventory (ResourceView::gcp_inventory), or over this
// resource alone when it is evaluated on its own. One finding per member at the scope, keyed by
// member and roles (the finding uid then derives from scope, role and member, never display
// names): FAIL, conditional when only conditional bindings grant; WARNING when the member's role
// has unknown permissions (undetermined); PASS (one finding for the scope) when nobody holds them.
// A scope whose allow policy several inputs hold is judged once, at one of those assets
// (GrantIndex::AnswersFor; with the union of their bindings); the others are not applicable. A
// finding is located at the binding that grants, not at the asset judged.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sdk/core/text.h"
#include "sdk/engine/builtins.h"
#include "sdk/engine/terraform_remediation.h"
#include "sdk/gcp/effective_grant.h"
#include "sdk/gcp/inventory.h"
#include "sdk/gcp/roles.h"

namespace kmsguard::engine {

namespace {

struct GcpGrantsArgs : PreparedArgs {
  gcp::PermissionQuestion question;
  // Whether the predefined-role catalog can say which roles hold the permissions asked.
  DeferredCheck answerable{[this] {
    const absl::Status status =
        gcp::CheckQuestion(question, gcp::MakeRoleResolver(gcp::Inventory{}));
    return status.ok() ? std::string() : absl::StrCat("gcp.grants: ", status.message());
  }};
};

// The start of the gcloud command that removes a binding from `scope`'s allow policy, up to the
// member: "gcloud projects remove-iam-policy-binding acme", "gcloud kms keyrings
// remove-iam-policy-binding r --location=eu --project=acme"
// (https://cloud.google.com/sdk/gcloud/reference/kms/keyrings/remove-iam-policy-binding).
std::string RemoveBindingCommand(const gcp::Scope& scope) {
  const std::vector<std::string> parts = absl::StrSplit(scope.name, '/');
  if (scope.kind == gcp::ScopeKind::kKeyRing && parts.size() == 6) {
    return absl::StrCat("gcloud kms keyrings remove-iam-policy-binding ",
                        core::ShellQuote(parts[5]), " --location=", core::ShellQuote(parts[3]),
                        " --project=", core::ShellQuote(parts[1]));
  }
  const char* group = scope.kind == gcp::ScopeKind::kOrganization ? "organizations"
                      : scope.kind == gcp::ScopeKind::kFolder     ? "resource-manager folders"
                                                                  : "projects";
  // "organizations/1" -> "1": the id gcloud takes.
  return absl::StrCat("gcloud ", group, " remove-iam-policy-binding ",
                      core::ShellQuote(parts.size() > 1 ? parts[1] : scope.name));
}

// How the findings word a grant's reach: one place for the exposure and the explanation.
struct ReachWords {
  const char* exposure;  // "... on every Cloud KMS key below SCOPE"
  const char* keys;      // "): every key below it, ..."
  const char* seen;      // "keys of the input below it: ..."
};
ReachWords WordsFor(gcp::Reach reach) {
  if (reach == gcp::Reach::kEveryKeyInRing) {
    return {"every Cloud KMS key of key ring ",
            "): every key of the ring, including keys not in the input or added later",
            "keys of the input in it: "};
  }
  return {"every Cloud KMS key below ",
          "): every key below it, including keys not in the input or created later",
          "keys of the input below it: "};
}

// The gcloud commands that take `grant`'s bindings away, joined with " && " (each must succeed
// for the next to run). `policy_has_conditions`: some binding of the scope's policy has a
// condition, and gcloud then refuses, outside a terminal, to remove one without --condition
// ("--condition=None" names the unconditional one).
std::string RemoveCommands(const gcp::ScopedGrant& grant, bool policy_has_conditions) {
  // A policy read as version 1 names a conditional binding's role "ROLE_withcond_HASH" and hides
  // its condition: gcloud knows the role as ROLE, and only --all (every binding of the role and
  // member, whatever its condition) removes a binding whose condition is not known
  // (https://cloud.google.com/iam/docs/troubleshooting-withcond). It also removes the member's
  // other bindings of ROLE, so no other command is written for ROLE: it would find nothing to
  // remove, fail, and stop the commands after it.
  std::vector<std::string> all;
  for (const gcp::GrantVia& via : grant.via) {
    bool withcond = false;
    const std::string role(gcp::StripWithcond(via.role, &withcond));
    if (withcond && std::find(all.begin(), all.end(), role) == all.end()) all.push_back(role);
  }
  std::vector<std::string> commands;
  for (const gcp::GrantVia& via : grant.via) {
    bool withcond = false;
    const std::string role(gcp::StripWithcond(via.role, &withcond));
    const bool by_all = std::find(all.begin(), all.end(), role) != all.end();
    std::string command = absl::StrCat(RemoveBindingCommand(grant.scope),
                                       " --member=", core::ShellQuote(grant.member.text),
                                       " --role=", core::ShellQuote(role));
    if (by_all) {
      absl::StrAppend(&command, " --all");
    } else if (!via.condition_expression.empty()) {
      absl::StrAppend(&command, " --condition=",
                      core::ShellQuote(absl::StrCat("expression=", via.condition_expression,
                                                    ",title=", via.condition_title)));
    } else if (policy_has_conditions) {
      absl::StrAppend(&command, " --condition=None");
    }
    if (std::find(commands.begin(), commands.end(), command) == commands.end()) {
      commands.push_back(std::move(command));
    }
  }
  return absl::StrJoin(commands, " && ");
}

Outcome Judge(const gcp::ScopedGrant& grant, const std::vector<std::string>& roles,
              const gcp::Inventory& inventory, bool policy_has_conditions) {
  Outcome out;
  out.status = grant.certainty == gcp::Certainty::kUndetermined ? model::Status::kWarning
                                                                : model::Status::kFail;
  out.conditional = grant.certainty == gcp::Certainty::kConditional;
  out.failing_policies = roles;
  out.resources = {grant.scope.name};
  // Located at the first binding that grants with the finding's certainty (SARIF's region), not
  // at the asset judged: a scope's policy may be joined from several inputs.
  for (const gcp::GrantVia& via : grant.via) {
    if (via.certainty == grant.certainty) {
      out.source = via.source;
      break;
    }
  }
  for (const gcp::GrantVia& via : grant.via) {
    for (const std::string& p : via.permissions) {
      if (std::find(out.actions.begin(), out.actions.end(), p) == out.actions.end()) {
        out.actions.push_back(p);
      }
    }
    model::Evidence evidence;
    evidence.policy_name = via.role;
    evidence.actions = via.permissions;
    evidence.resource_patterns = {via.scope};
    evidence.note =
        absl::StrCat(std::string(gcp::CertaintyName(via.certainty)), " at ", via.source.ToString(),
                     via.condition_expression.empty()
                         ? ""
                         : absl::StrCat(", condition (not evaluated) ", via.condition_expression),
                     via.note.empty() ? "" : absl::StrCat(": ", via.note));
    out.evidence.push_back(std::move(evidence));
  }
  if (out.status == model::Status::kWarning) {
    std::vector<std::string> why;
    for (const gcp::GrantVia& via : grant.via) {
      if (via.certainty == gcp::Certainty::kUndetermined && !via.note.empty() &&
          std::find(why.begin(), why.end(), via.note) == why.end()) {
        why.push_back(via.note);
      }
    }
    out.undetermined = absl::StrJoin(why, "; ");
  }
  // Only an undetermined grant names no permission (a role whose definition the input does not
  // hold): the message and explanation say so rather than "holds  at".
  if (out.actions.empty()) out.actions.push_back("permissions not known");
  out.command = RemoveCommands(grant, policy_has_conditions);
  out.terraform = GcpGrantTerraform(grant, inventory);
  out.exposed_to = {grant.member.text};
  const ReachWords words = WordsFor(grant.reach);
  out.exposure = absl::StrCat(grant.member.text, " (", gcp::DescribeMember(grant.member), ") on ",
                              words.exposure, grant.scope.name);
  out.explanation.push_back(absl::StrCat(
      grant.member.text, " holds ", absl::StrJoin(out.actions, ", "), " through ",
      absl::StrJoin(roles, ", "), " bound at ", std::string(gcp::ScopeKindName(grant.scope.kind)),
      " ", grant.scope.name, " (", std::string(gcp::CertaintyName(grant.certainty)), words.keys));
  if (!grant.keys_below.empty()) {
    out.explanation.push_back(absl::StrCat(words.seen, absl::StrJoin(grant.keys_below, ", ")));
  }
  out.explanation.push_back("deny policies were not seen (no supported input carries them)");
  return out;
}

// When more than one input holds the allow policy on `scope`: which, as one explanation line.
std::string ReadFrom(std::string_view scope,
                     const std::vector<const gcp::AttachedPolicy*>& policies) {
  if (policies.size() < 2) return "";
  std::vector<std::string> inputs;
  for (const gcp::AttachedPolicy* policy : policies) {
    // The spelling of the scope's name, where the location does not already show it.
    inputs.push_back(policy->source.resource_id == policy->resource
                         ? policy->source.ToString()
                         : absl::StrCat(policy->source.ToString(), " (as ", policy->resource, ")"));
  }
  return absl::StrCat("the allow policy on ", core::Sv(scope), " is read from ", policies.size(),
                      " inputs and judged as one policy, the union of their bindings: ",
                      absl::StrJoin(inputs, ", "));
}

}  // namespace

std::shared_ptr<const PreparedArgs> PrepareGcpGrants(const rules::Rule& rule,
                                                     const nlohmann::json& args,
                                                     const rules::BuiltinSpec& spec) {
  auto prepared = std::make_shared<GcpGrantsArgs>();
  prepared->question.name = rule.id;
  for (const rules::ArgSpec& arg : spec.args) {
    if (arg.name != "permissions") continue;
    const nlohmann::json value = rules::ResolveArg(rule, args, arg);
    if (value.is_string()) prepared->question.permissions.push_back(value.get<std::string>());
    if (value.is_array()) {
      for (const nlohmann::json& p : value) {
        if (p.is_string()) prepared->question.permissions.push_back(p.get<std::string>());
      }
    }
  }
  return prepared;
}

Outcome GcpGrants(const PreparedArgs& prepared_args, const ResourceView& view) {
  const auto& args = static_cast<const GcpGrantsArgs&>(prepared_args);
  Outcome out;
  const model::Resource& resource = view.resource();
  // Only the asset's allow policy is judged: its `resource` line (the same scope, another content
  // type) would repeat every finding.
  const nlohmann::json& document = view.json();
  if (!document.is_object() || !document.contains("iam_policy")) {
    out.not_applicable = true;
    return out;
  }
  if (const std::string& error = args.answerable.Error(); !error.empty()) {
    out.status = model::Status::kError;
    out.errors.push_back(error);
    return out;
  }
  std::optional<gcp::InventoryResult> alone;
  std::optional<gcp::GrantIndex> index_alone;
  const gcp::GrantIndex* index = view.gcp_grant_index();
  if (index == nullptr) {
    const gcp::Inventory* inventory = view.gcp_inventory();
    if (inventory == nullptr) {
      alone = gcp::BuildInventory({resource});
      inventory = &alone->inventory;
    }
    index_alone.emplace(*inventory);
    index = &*index_alone;
  }
  const gcp::GrantIndex::Answer& answer = index->For(args.question);
  // The asset's own name, as BuildInventory reads it (the resource id when it has none).
  const nlohmann::json* name = document.contains("name") ? &document["name"] : nullptr;
  const std::string written =
      name != nullptr && name->is_string() ? name->get<std::string>() : resource.id;
  const std::string here = index->inventory().hierarchy.Canonical(gcp::ParseScope(written).name);
  // One scope read from several inputs (a CAI export naming a project by number, a plan or
  // `--gcp-policy` by id) is one policy: answered once, at one of its assets chosen whatever the
  // order of the files, or its findings would repeat.
  if (!index->AnswersFor(here, written, resource.source)) {
    out.not_applicable = true;
    return out;
  }
  const std::string read_from = ReadFrom(here, index->PoliciesOn(here));
  bool policy_has_conditions = false;
  for (const gcp::AttachedPolicy* policy : index->PoliciesOn(here)) {
    for (const gcp::Binding& binding : policy->bindings) {
      bool withcond = false;
      gcp::StripWithcond(binding.role, &withcond);
      policy_has_conditions = policy_has_conditions || withcond || binding.condition.has_value();
    }
  }
  if (const auto at = answer.by_scope.find(here); at != answer.by_scope.end()) {
    for (const std::size_t i : at->second) {
      const gcp::ScopedGrant& grant = answer.report.grants[i];
      // A binding on one key is the narrow grant KMS recommends: never a finding.
      if (grant.reach == gcp::Reach::kOneKey) continue;
      std::vector<std::string> role_names;
      for (const gcp::GrantVia& via : grant.via) {
        if (std::find(role_names.begin(), role_names.end(), via.role) == role_names.end()) {
          role_names.push_back(via.role);
        }
      }
      std::sort(role_names.begin(), role_names.end());
      Outcome judged = Judge(grant, role_names, index->inventory(), policy_has_conditions);
      if (!read_from.empty()) judged.explanation.push_back(read_from);
      out.items.push_back(
          {absl::StrCat(grant.member.text, " via ", absl::StrJoin(role_names, ", ")),
           std::move(judged)});
    }
  }
  if (out.items.empty()) {
    out.status = model::Status::kPass;
    out.pass_detail =
        gcp::ParseScope(here).kind == gcp::ScopeKind::kCryptoKey
            ? absl::StrCat("a binding on one key reaches that key only (",
                           absl::StrJoin(args.question.permissions, ", "), ")")
            : absl::StrCat("grants no member ", absl::StrJoin(args.question.permissions, ", "),
                           " through its allow policy");
    for (const std::string& note : answer.report.notes) out.explanation.push_back(note);
    if (!read_from.empty()) out.explanation.push_back(read_from);
  }
  return out;
}

}  // namespace kmsguard::engine
