// "Does this identity policy allow these actions on every KMS key?" — the decision behind
// AWS Security Hub controls KMS.1 and KMS.2.
//
// Sources: AWS Security Hub User Guide, "AWS Key Management Service controls" (KMS.1, KMS.2: blocked
// actions kms:Decrypt and kms:ReEncryptFrom on all keys; conditions are not taken into account);
// IAM User Guide, "IAM JSON policy elements: Action", "NotAction", "Resource", "NotResource",
// "Policy evaluation logic" (an explicit Deny overrides an Allow).
#pragma once

#include <string>
#include <vector>

#include "sdk/iam/policy_document.h"

namespace kmsguard::iam {

// Which set of KMS keys counts as "reached".
enum class KeyScope {
  // Every KMS key: any region, any account, any key id (single- and multi-Region) of the
  // principal's partition.
  kEveryKey,
  // Broad but not every key: every key of one account (any region) or of one region (any
  // account), including the account a policy variable names. A grant on every key does not
  // count here (the every-key rule reports it), so the two tiers never report the same grant.
  kAccountOrRegionWide,
};

struct GrantQuery {
  std::vector<std::string> actions = {"kms:Decrypt", "kms:ReEncryptFrom"};
  KeyScope scope = KeyScope::kEveryKey;
  // The principal's partition ("aws", "aws-cn", ...): a principal reaches only keys of its own
  // partition. Empty means "aws".
  std::string partition;
  // When true, a Deny with a Condition also cancels grants ("conditional_deny: honor").
  bool honor_conditional_deny = false;
};

// One statement's part in a verdict. It points into the analyzed PolicyDocument, which must
// outlive the verdict (a verdict is read while its document is at hand: the statement's Sid,
// patterns and conditions are not copied for each action and scope the analysis visits).
struct StatementRole {
  const Statement* statement = nullptr;
  int statement_index = 0;
  std::vector<std::string> action_patterns;  // patterns that matched (Action) or all (NotAction)
  std::string why;  // e.g. "Resource \"arn:aws:kms:*\" matches every KMS key"
  // In a grant, the statement's Resource patterns that each reach the whole scope on their own
  // (e.g. "*" beside "arn:aws:kms:us-east-1:111122223333:key/*"); empty when only the union of
  // patterns reaches it, or for a NotResource statement. What a message names as reaching it.
  std::vector<std::string> reaching_patterns;

  const std::string& sid() const { return statement->sid; }
  Effect effect() const { return statement->effect; }
  bool not_action() const { return statement->not_action; }
  // Resource or NotResource patterns as written.
  const std::vector<std::string>& resource_patterns() const { return statement->resources; }
  bool not_resource() const { return statement->not_resource; }
  const std::vector<ConditionKey>& conditions() const { return statement->conditions; }
};

struct ActionVerdict {
  std::string action;
  bool granted = false;      // reaches the scope after Deny is applied
  bool conditional = false;  // granted only through statements that carry a Condition
  // KeyScope::kAccountOrRegionWide only: granted on every KMS key, a grant that tier leaves to
  // the every-key one (`granted` is then false), so a PASS can say why.
  bool left_to_every_key_tier = false;
  std::vector<StatementRole> grants;  // Allow statements covering the action and reaching keys
  // Deny statements covering the action (conditional ones only under honor_conditional_deny);
  // `why` says whether they cancel the grant and, when they do not, which key they leave open.
  std::vector<StatementRole> denies;
  // For explanations: every Allow statement covering the action, whether or not it reaches the
  // scope (`why` empty; `grants` says which ones made up the reach).
  std::vector<StatementRole> allows;
  // Deny statements covering the action that were set aside because they carry a Condition
  // (honor_conditional_deny false).
  std::vector<StatementRole> ignored_denies;
  std::string why;
};

struct GrantVerdict {
  bool granted = false;      // some action is granted on the scope
  bool conditional = false;  // every granted action is granted only under conditions
  std::vector<ActionVerdict> actions;  // one per queried action, in query order
};

// Decides the query for one identity policy document; the verdict refers to `document` (see
// StatementRole). Never fails: a resource policy
// (document.is_resource_policy) yields granted=false with why explaining it was not evaluated;
// callers should report that as an error, not a pass.
GrantVerdict AnalyzeGrant(const PolicyDocument& document, const GrantQuery& query);

}  // namespace kmsguard::iam
