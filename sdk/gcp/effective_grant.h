// "Who may use these Cloud KMS permissions, on which keys?" over an Inventory: the Google Cloud
// analog of the AWS KMS.1/KMS.2 decision (a principal that may decrypt with every key).
//
// Rules implemented (docs/gcp-kms-semantics.md, with sources):
//  - A member holds a permission at a scope when some binding of the scope's allow policy binds it
//    to a role whose permissions include it (roles.h; never by role name).
//  - A key's effective allow policy is the union of the policies on the key, its key ring, its
//    project, the project's folders and the organization; allow policies never subtract
//    (https://cloud.google.com/iam/docs/policies#inheritance). Repeated roles across bindings are a
//    union; binding order does not matter.
//  - Reach follows where the binding is: organization, folder or project -> every key below it;
//    key ring -> every key of the ring; key -> that key only
//    (https://cloud.google.com/kms/docs/reference/permissions-and-roles).
//  - A binding with a condition, or whose role carries "_withcond_", is reported as conditional:
//    the CEL expression is not evaluated.
//  - A role whose permissions are unknown makes its members undetermined, never "no grant".
//  - Deny policies subtract from allow policies (https://cloud.google.com/iam/docs/deny-overview);
//    none of the supported inputs carries them, so every answer says they were not seen.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "sdk/core/diagnostic.h"
#include "sdk/gcp/hierarchy.h"
#include "sdk/gcp/inventory.h"
#include "sdk/gcp/member.h"
#include "sdk/gcp/roles.h"

namespace kmsguard::gcp {

// The permissions asked about: a member counts when it holds ANY of them. Exact permission names
// ("cloudkms.cryptoKeyVersions.useToDecrypt"); a user rule may ask about any Cloud KMS permission
// (e.g. "cloudkms.cryptoKeyVersions.destroy").
struct PermissionQuestion {
  std::string name;  // for messages: "decrypt", "decrypt (strict)", "escalation", or the user's
  std::vector<std::string> permissions;
};

// Decrypt: cloudkms.cryptoKeyVersions.useToDecrypt (Decrypt and AsymmetricDecrypt).
PermissionQuestion DecryptQuestion();
// Decrypt, strict tier: useToDecrypt, useToDecapsulate (KEM decapsulation recovers a shared
// secret) and useToDecryptViaDelegation.
PermissionQuestion StrictDecryptQuestion();
// Escalation: the holder can grant itself decrypt: cloudkms.cryptoKeys.setIamPolicy,
// cloudkms.keyRings.setIamPolicy, resourcemanager.{projects,folders,organizations}.setIamPolicy.
PermissionQuestion EscalationQuestion();

// Whether a binding of `permission` on a resource of kind `scope` can act on that resource or on
// one below it. A permission names the resource type it acts on ("SERVICE.TYPE.VERB"), and a
// binding applies to its resource and every resource below
// (https://cloud.google.com/iam/docs/policies#inheritance), so resourcemanager.folders.setIamPolicy
// bound on a project, or resourcemanager.projects.setIamPolicy bound on a key ring, acts on
// nothing. Types: organizations > folders > projects > keyRings > cryptoKeys > cryptoKeyVersions. A
// permission of another type acts wherever it is bound (true).
bool PermissionActsAtOrBelow(std::string_view permission, ScopeKind scope);

// OK when every permission of `question` can be answered: it is non-empty, and the predefined-role
// catalog's filter covers each permission. InvalidArgument otherwise (a rule's prepare step
// should refuse it at load, not answer "nobody").
absl::Status CheckQuestion(const PermissionQuestion& question, const RoleResolver& roles);

enum class Reach : std::uint8_t {
  kEveryKeyBelow,   // binding on an organization, folder or project: every key below it
  kEveryKeyInRing,  // binding on a key ring: every key of the ring
  kOneKey,          // binding on one key
};
std::string_view ReachName(Reach reach);  // "every_key_below", "every_key_in_ring", "one_key"

// Strongest first.
enum class Certainty : std::uint8_t {
  kGranted,       // some binding grants, without a condition
  kConditional,   // only bindings with a condition (or a hidden "_withcond_" one) grant
  kUndetermined,  // no binding is known to grant, but one binds a role whose permissions are
                  // unknown
};
std::string_view CertaintyName(Certainty certainty);  // "granted", "conditional", "undetermined"

// Whether deny policies were part of the input. Only kNotSeen is produced today: no supported
// input carries deny policies, and an answer must not read as definite without them.
enum class DenyPolicies : std::uint8_t { kNotSeen };

// One binding's part in an answer.
struct GrantVia {
  std::string scope;  // canonical name of the resource the policy is on
  ScopeKind scope_kind = ScopeKind::kOther;
  std::string role;                      // as bound
  std::vector<std::string> permissions;  // the question's permissions the role holds
  Certainty certainty = Certainty::kGranted;
  std::string condition_title;       // kConditional with a visible condition
  std::string condition_expression;  // CEL, not evaluated
  std::string note;                  // "_withcond_" or an undetermined role: why, in words
  core::SourceLocation source;       // the policy's source; json_pointer names the binding
  std::size_t binding_members = 0;   // how many members the binding binds (it among them)
};

// A member's grant at one scope: the union of that scope's bindings (not of its ancestors).
struct ScopedGrant {
  Scope scope;  // canonical
  Reach reach = Reach::kOneKey;
  Member member;
  Certainty certainty = Certainty::kGranted;  // the strongest of `via`
  std::vector<GrantVia> via;
  // The keys of the input below the scope (for a project: keys seen in the export; the grant also
  // covers keys not seen, or created later).
  std::vector<std::string> keys_below;
};

struct GrantReport {
  std::vector<ScopedGrant> grants;  // sorted by scope, then member
  DenyPolicies deny = DenyPolicies::kNotSeen;
  // What may make the answer incomplete: unreadable bindings, ancestry not seen.
  std::vector<std::string> notes;
};

// Every member that holds any of `question`'s permissions on an organization, folder, project, key
// ring or key, one entry per (scope, member). Policies on other resources (buckets, datasets, …)
// are not read. `roles` should be MakeRoleResolver(inventory, …); call CheckQuestion first.
GrantReport FindGrants(const Inventory& inventory, const RoleResolver& roles,
                       const PermissionQuestion& question);

// FindGrants' answers by scope, computed once per question over one inventory. An operator that
// judges scope by scope (gcp.grants: one call per asset) would otherwise run FindGrants over the
// whole inventory for each asset: quadratic in the number of policies. Thread-safe: concurrent
// callers of one question wait for one computation. `inventory` must outlive the index and not
// change.
class GrantIndex {
 public:
  explicit GrantIndex(const Inventory& inventory);
  ~GrantIndex();
  GrantIndex(const GrantIndex&) = delete;
  GrantIndex& operator=(const GrantIndex&) = delete;

  const Inventory& inventory() const { return inventory_; }

  // The allow policies on `scope` (a canonical name, Hierarchy::Canonical), in the order the scan
  // read them; empty when there is none.
  // Several when inputs name one scope in different spellings or formats (a CAI export by project
  // number, a Terraform plan or `--gcp-policy` by id): FindGrants judges their bindings as one
  // policy (a union), and an operator that judges asset by asset answers for the scope once
  // (AnswersFor).
  const std::vector<const AttachedPolicy*>& PoliciesOn(std::string_view scope) const;
  // Whether the asset named `name` (as its input wrote it) read from `source` is the one that
  // answers for `scope`, or holds no policy of the index. Of several, the one whose name is
  // spelled as the scope's canonical name, then the least name, then the least source: chosen
  // by what they are, not by the order of the files, so that a finding's resource (and so its
  // uid) does not change when the same files are given in another order.
  bool AnswersFor(std::string_view scope, std::string_view name,
                  const core::SourceLocation& source) const;

  struct Answer {
    GrantReport report;  // FindGrants(inventory, MakeRoleResolver(inventory), question)
    // The indices into report.grants of each canonical scope name's grants.
    absl::flat_hash_map<std::string, std::vector<std::size_t>> by_scope;
  };
  // The answer for `question`'s permissions (its name is not part of the key). Call
  // CheckQuestion first.
  const Answer& For(const PermissionQuestion& question) const;

 private:
  const Inventory& inventory_;
  const RoleResolver roles_;
  const std::map<std::string, std::vector<const AttachedPolicy*>, std::less<>> policies_;
  // The policy of each scope whose asset answers for it, chosen once (AnswersFor).
  std::map<std::string, const AttachedPolicy*, std::less<>> answering_;
  mutable std::mutex mutex_;
  mutable absl::flat_hash_map<std::string, std::unique_ptr<const Answer>> answers_;
};

// A member's effective grant on one key: the union over the key and its ancestors.
struct MemberAccess {
  Member member;
  Certainty certainty = Certainty::kGranted;  // the strongest over every scope
  // The widest reach among the bindings of that certainty (a project-level conditional binding
  // and a key-level unconditional one: kGranted, kOneKey).
  Reach reach = Reach::kOneKey;
  std::vector<GrantVia> via;  // nearest scope first
};

struct KeyAccess {
  std::string key;              // canonical
  std::vector<Scope> ancestry;  // the key, its ring, project, folders, organization
  // False when an ancestor was not seen, or a policy on the way had unreadable bindings: then
  // `notes` says which, and members may hold grants that are not listed.
  bool complete = false;
  std::vector<MemberAccess> members;  // sorted by member text
  DenyPolicies deny = DenyPolicies::kNotSeen;
  std::vector<std::string> notes;
};

// Who may use `question`'s permissions on `key` ("projects/p/locations/l/keyRings/r/cryptoKeys/k",
// or its CAI full name).
KeyAccess AnalyzeKey(const Inventory& inventory, const RoleResolver& roles,
                     const PermissionQuestion& question, std::string_view key);

}  // namespace kmsguard::gcp
