#include "sdk/gcp/effective_grant.h"

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/core/json_tree.h"

namespace kmsguard::gcp {
namespace {

using core::Sv;

bool IsKmsScope(ScopeKind kind) { return kind != ScopeKind::kOther; }

Reach ReachOf(ScopeKind kind) {
  switch (kind) {
    case ScopeKind::kKeyRing:
      return Reach::kEveryKeyInRing;
    case ScopeKind::kCryptoKey:
      return Reach::kOneKey;
    default:
      return Reach::kEveryKeyBelow;
  }
}

// The policies of the inventory by the canonical name of the resource they are on.
using PolicyIndex = std::map<std::string, std::vector<const AttachedPolicy*>, std::less<>>;

PolicyIndex IndexPolicies(const Inventory& inventory) {
  PolicyIndex index;
  for (const AttachedPolicy& policy : inventory.policies) {
    if (!IsKmsScope(ParseScope(policy.resource).kind)) continue;
    index[inventory.hierarchy.Canonical(policy.resource)].push_back(&policy);
  }
  return index;
}

// Judges bindings against one question, resolving each role once.
class BindingJudge {
 public:
  BindingJudge(const RoleResolver& roles, const PermissionQuestion& question)
      : roles_(roles), question_(question) {}

  // What `binding` (on `scope`) contributes, or nullopt when it grants none of the permissions.
  std::optional<GrantVia> Judge(const Binding& binding, const Scope& scope,
                                const AttachedPolicy& policy) {
    const ResolvedRole& role = Resolve(binding.role);
    GrantVia via;
    via.scope = scope.name;
    via.scope_kind = scope.kind;
    via.role = binding.role;
    via.binding_members = binding.members.size();
    if (binding.source) {
      via.source = *binding.source;
    } else {
      via.source = policy.source;
      via.source.json_pointer += binding.pointer;
    }
    if (role.state == RoleState::kInactive) return std::nullopt;
    if (role.state == RoleState::kUndetermined) {
      via.certainty = Certainty::kUndetermined;
      via.note = role.note;
      return via;
    }
    for (const std::string& permission : question_.permissions) {
      if (std::binary_search(role.permissions->begin(), role.permissions->end(), permission) &&
          PermissionActsAtOrBelow(permission, scope.kind)) {
        via.permissions.push_back(permission);
      }
    }
    if (via.permissions.empty()) return std::nullopt;
    if (binding.condition) {
      via.certainty = Certainty::kConditional;
      via.condition_title = binding.condition->title;
      via.condition_expression = binding.condition->expression;
    } else if (role.withcond) {
      via.certainty = Certainty::kConditional;
      via.note = absl::StrCat(binding.role,
                              ": the policy was read as version 1, which hides this binding's "
                              "condition (role name with _withcond_)");
    }
    return via;
  }

 private:
  const ResolvedRole& Resolve(const std::string& role) {
    auto it = cache_.find(role);
    if (it == cache_.end()) it = cache_.emplace(role, roles_.Resolve(role)).first;
    return it->second;
  }

  const RoleResolver& roles_;
  const PermissionQuestion& question_;
  absl::flat_hash_map<std::string, ResolvedRole> cache_;
};

void AddProblems(const AttachedPolicy& policy, std::vector<std::string>* notes) {
  for (const std::string& problem : policy.problems) {
    notes->push_back(absl::StrCat("the policy on ", policy.resource, " (", policy.source.ToString(),
                                  ") could not be read in full: ", problem,
                                  "; members of that binding may hold grants not listed"));
  }
}

}  // namespace

PermissionQuestion DecryptQuestion() {
  return {"decrypt", {"cloudkms.cryptoKeyVersions.useToDecrypt"}};
}

PermissionQuestion StrictDecryptQuestion() {
  return {"decrypt (strict)",
          {"cloudkms.cryptoKeyVersions.useToDecrypt", "cloudkms.cryptoKeyVersions.useToDecapsulate",
           "cloudkms.cryptoKeyVersions.useToDecryptViaDelegation"}};
}

PermissionQuestion EscalationQuestion() {
  return {"escalation",
          {"cloudkms.cryptoKeys.setIamPolicy", "cloudkms.keyRings.setIamPolicy",
           "resourcemanager.projects.setIamPolicy", "resourcemanager.folders.setIamPolicy",
           "resourcemanager.organizations.setIamPolicy"}};
}

bool PermissionActsAtOrBelow(std::string_view permission, ScopeKind scope) {
  // Depth of each kind in the resource hierarchy; a folder may hold folders (same depth).
  const auto depth_of_scope = [](ScopeKind kind) {
    switch (kind) {
      case ScopeKind::kOrganization:
        return 0;
      case ScopeKind::kFolder:
        return 1;
      case ScopeKind::kProject:
        return 2;
      case ScopeKind::kKeyRing:
        return 3;
      case ScopeKind::kCryptoKey:
        return 4;
      case ScopeKind::kOther:
        break;
    }
    return 5;
  };
  static constexpr std::pair<std::string_view, int> kTypes[] = {
      {"resourcemanager.organizations.", 0}, {"resourcemanager.folders.", 1},
      {"resourcemanager.projects.", 2},      {"cloudkms.keyRings.", 3},
      {"cloudkms.cryptoKeys.", 4},           {"cloudkms.cryptoKeyVersions.", 5},
  };
  for (const auto& [prefix, depth] : kTypes) {
    if (permission.substr(0, prefix.size()) == prefix) return depth_of_scope(scope) <= depth;
  }
  return true;
}

absl::Status CheckQuestion(const PermissionQuestion& question, const RoleResolver& roles) {
  if (question.permissions.empty()) {
    return absl::InvalidArgumentError("the question names no permission");
  }
  std::vector<std::string> outside;
  for (const std::string& permission : question.permissions) {
    if (!roles.CanAnswer(permission)) outside.push_back(permission);
  }
  if (outside.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("the predefined-role catalog lists only permissions matching ",
                   absl::StrJoin(roles.catalog().permission_filter(), ", "),
                   "; it cannot say which roles hold ", absl::StrJoin(outside, ", ")));
}

std::string_view ReachName(Reach reach) {
  switch (reach) {
    case Reach::kEveryKeyBelow:
      return "every_key_below";
    case Reach::kEveryKeyInRing:
      return "every_key_in_ring";
    case Reach::kOneKey:
      break;
  }
  return "one_key";
}

std::string_view CertaintyName(Certainty certainty) {
  switch (certainty) {
    case Certainty::kGranted:
      return "granted";
    case Certainty::kConditional:
      return "conditional";
    case Certainty::kUndetermined:
      break;
  }
  return "undetermined";
}

GrantReport FindGrants(const Inventory& inventory, const RoleResolver& roles,
                       const PermissionQuestion& question) {
  GrantReport report;
  BindingJudge judge(roles, question);
  for (const auto& [name, policies] : IndexPolicies(inventory)) {
    const Scope scope{ParseScope(name).kind, name};
    std::map<std::string, ScopedGrant> by_member;
    for (const AttachedPolicy* policy : policies) {
      AddProblems(*policy, &report.notes);
      for (const Binding& binding : policy->bindings) {
        const std::optional<GrantVia> via = judge.Judge(binding, scope, *policy);
        if (!via) continue;
        for (const std::string& member : binding.members) {
          auto [it, inserted] = by_member.try_emplace(member);
          ScopedGrant& grant = it->second;
          if (inserted) {
            grant.scope = scope;
            grant.reach = ReachOf(scope.kind);
            grant.member = ParseMember(member);
            grant.certainty = via->certainty;
          }
          grant.certainty = std::min(grant.certainty, via->certainty);
          grant.via.push_back(*via);
        }
      }
    }
    if (by_member.empty()) continue;
    std::vector<std::string> keys = scope.kind == ScopeKind::kCryptoKey
                                        ? std::vector<std::string>{scope.name}
                                        : inventory.hierarchy.KeysBelow(scope.name);
    for (auto& [member, grant] : by_member) {
      grant.keys_below = keys;
      report.grants.push_back(std::move(grant));
    }
  }
  return report;
}

namespace {

// Of the policies on `scope`, the one whose asset answers for it (AnswersFor): spelled as the
// canonical name, then the least name, then the least source. Chosen by what the assets are, not
// by the order of the files.
const AttachedPolicy* Answering(std::string_view scope,
                                const std::vector<const AttachedPolicy*>& policies) {
  const auto rank = [scope](const AttachedPolicy* p) {
    return std::tuple(ParseScope(p->resource).name != scope, std::string_view(p->resource),
                      p->source.ToString());
  };
  return *std::min_element(
      policies.begin(), policies.end(),
      [&rank](const AttachedPolicy* a, const AttachedPolicy* b) { return rank(a) < rank(b); });
}

}  // namespace

GrantIndex::GrantIndex(const Inventory& inventory)
    : inventory_(inventory),
      roles_(MakeRoleResolver(inventory)),
      policies_(IndexPolicies(inventory)) {
  for (const auto& [scope, policies] : policies_) {
    answering_.emplace(scope, policies.size() == 1 ? policies.front() : Answering(scope, policies));
  }
}

const std::vector<const AttachedPolicy*>& GrantIndex::PoliciesOn(std::string_view scope) const {
  static const std::vector<const AttachedPolicy*> kNone;
  const auto it = policies_.find(scope);
  return it == policies_.end() ? kNone : it->second;
}

bool GrantIndex::AnswersFor(std::string_view scope, std::string_view name,
                            const core::SourceLocation& source) const {
  const auto it = answering_.find(scope);
  return it == answering_.end() || (it->second->resource == name && it->second->source == source);
}

GrantIndex::~GrantIndex() = default;

const GrantIndex::Answer& GrantIndex::For(const PermissionQuestion& question) const {
  // The permissions, in order, as the key: two rules that ask the same share one answer.
  const std::string key = absl::StrJoin(question.permissions, "\n");
  const std::lock_guard<std::mutex> lock(mutex_);
  std::unique_ptr<const Answer>& slot = answers_[key];
  if (slot == nullptr) {
    auto answer = std::make_unique<Answer>();
    answer->report = FindGrants(inventory_, roles_, question);
    for (std::size_t i = 0; i < answer->report.grants.size(); ++i) {
      answer->by_scope[answer->report.grants[i].scope.name].push_back(i);
    }
    slot = std::move(answer);
  }
  return *slot;
}

KeyAccess AnalyzeKey(const Inventory& inventory, const RoleResolver& roles,
                     const PermissionQuestion& question, std::string_view key) {
  KeyAccess out;
  const Hierarchy::Ancestry ancestry = inventory.hierarchy.AncestryOf(key);
  out.key = ancestry.scopes.front().name;
  out.ancestry = ancestry.scopes;
  out.complete = ancestry.complete;
  if (!ancestry.complete) {
    out.notes.push_back(absl::StrCat(ancestry.gap, ": bindings above it were not considered"));
  }
  const PolicyIndex index = IndexPolicies(inventory);
  BindingJudge judge(roles, question);
  std::map<std::string, MemberAccess> by_member;
  for (const Scope& scope : ancestry.scopes) {
    const auto policies = index.find(scope.name);
    if (policies == index.end()) continue;
    for (const AttachedPolicy* policy : policies->second) {
      if (!policy->problems.empty()) out.complete = false;
      AddProblems(*policy, &out.notes);
      for (const Binding& binding : policy->bindings) {
        const std::optional<GrantVia> via = judge.Judge(binding, scope, *policy);
        if (!via) continue;
        for (const std::string& member : binding.members) {
          auto [it, inserted] = by_member.try_emplace(member);
          MemberAccess& access = it->second;
          if (inserted) {
            access.member = ParseMember(member);
            access.certainty = via->certainty;
          }
          access.certainty = std::min(access.certainty, via->certainty);
          access.via.push_back(*via);
        }
      }
    }
  }
  for (auto& [member, access] : by_member) {
    // The widest reach among the bindings of the strongest certainty.
    access.reach = Reach::kOneKey;
    for (const GrantVia& via : access.via) {
      if (via.certainty == access.certainty) {
        access.reach = std::min(access.reach, ReachOf(via.scope_kind));
      }
    }
    out.members.push_back(std::move(access));
  }
  return out;
}

}  // namespace kmsguard::gcp
