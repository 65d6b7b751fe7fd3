// A generated least-privilege replacement for an identity policy that allows blocked KMS actions
// (kms:Decrypt, kms:ReEncryptFrom, ...) on every key: the same document, with those actions
// allowed only on named keys and everything else the policy allowed left as it was.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "sdk/core/json_tree.h"
#include "sdk/iam/grant_analysis.h"
#include "sdk/iam/policy_memo.h"

namespace kmsguard::remediation {

// "arn:PARTITION:kms:REGION:ACCOUNT:key/KEY_ID": the clearly marked placeholder a replacement
// uses when the snapshot names no key the principal uses. Empty partition means "aws".
std::string KeyPlaceholder(std::string_view partition);

struct PolicyReplacement {
  // The corrected document: the original's Version and Id, its statements in order, each
  // statement that granted a blocked action rewritten (see ReplaceBroadGrant). As compact JSON
  // (what `aws iam put-*-policy --policy-document` takes), and as the Terraform expression inside
  // jsonencode() at an indent of 2. Object keys keep the original's order when the document came
  // as text, and are sorted when it came as an object (which keeps no order).
  std::string document_json;
  std::string document_hcl;
  // document_json quoted for a POSIX shell (core::ShellQuote), for the CLI commands: made once
  // with the replacement, which is memoized per document, not once per principal that carries it.
  std::string document_shell;
  // The keys the blocked actions are now scoped to: key ARNs the policies name, or the placeholder.
  std::vector<std::string> key_arns;
  bool uses_placeholder = false;
  // The blocked actions the new statements allow on `key_arns`, in query order.
  std::vector<std::string> actions;
  // One line per rewritten statement, for people: what changed and why.
  std::vector<std::string> changes;
  // Caveats, e.g. a wildcard expanded from the list of known KMS actions.
  std::vector<std::string> notes;
};

// Rewrites `document` (an object, JSON text or URL-encoded JSON text, as ParsePolicyDocument
// takes) so that AnalyzeGrant(query) no longer grants any action. Each Allow statement that makes
// up a grant is split in two:
//   - the statement without the blocked actions, on its original Resource: an Action pattern that
//     names a blocked action is dropped; a wildcard such as "kms:*" or "kms:De*" is replaced by the
//     KMS actions it covers minus the blocked ones (KmsActionNames); "*" becomes NotAction with
//     the blocked actions; a NotAction statement gets the blocked actions added to its NotAction;
//   - a new statement allowing the blocked actions it granted only on `key_arns`, keeping its
//     Condition (a Condition alone would not clear the finding, but it still narrows the grant).
// Statements are rewritten until the re-evaluated document grants nothing; the result is checked
// with AnalyzeGrant before it is returned. The keys are the concrete key ARNs named by Allow
// statements of this document or listed in `known_keys`, else KeyPlaceholder(query.partition).
// Errors: InvalidArgument when the document does not parse or is a resource policy;
// FailedPrecondition when it grants nothing; Internal if a rewrite did not verify.
// Linear in the size of the document.
absl::StatusOr<PolicyReplacement> ReplaceBroadGrant(const nlohmann::json& document,
                                                    const iam::GrantQuery& query,
                                                    const std::vector<std::string>& known_keys = {});

// The same for a document the engine has already read: `policy` is the analysis of `document`
// (iam::AnalyzePolicy), so the document is not parsed or decided again.
absl::StatusOr<PolicyReplacement> ReplaceBroadGrant(const iam::AnalyzedPolicy& policy,
                                                    simdjson::dom::element document,
                                                    const iam::GrantQuery& query,
                                                    const std::vector<std::string>& known_keys);

// The concrete KMS key ARNs (no wildcard, no policy variable) that the Allow statements of
// `document` name in Resource, in order of appearance; `partition` empty means "aws".
std::vector<std::string> NamedKeyArns(const nlohmann::json& document, std::string_view partition);
std::vector<std::string> NamedKeyArns(const iam::PolicyDocument& document,
                                      std::string_view partition);

}  // namespace kmsguard::remediation
