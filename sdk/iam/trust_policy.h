// Who can assume a role, from its trust policy: the effective exposure of a role's grants.
//
// Sources: IAM User Guide, "IAM JSON policy elements: Principal" (AWS account principals as
// account id or arn:...:root, "*" for everyone, service and federated principals) and "Roles
// terms and concepts" (the trust policy is the role's resource-based policy).
#pragma once

#include <string>
#include <vector>

#include "sdk/iam/policy_document.h"

namespace kmsguard::iam {

enum class TrusteeKind {
  kAnyone,         // "*" or {"AWS": "*"}: any AWS principal, in any account
  kSameAccount,    // an AWS principal of the role's own account
  kOtherAccount,   // an AWS principal of another account
  kService,        // an AWS service principal, e.g. ec2.amazonaws.com
  kFederated,      // a SAML or OIDC identity provider's users
  kOther,          // CanonicalUser or anything not classified above
};

struct Trustee {
  TrusteeKind kind = TrusteeKind::kOther;
  std::string type;      // the Principal element's key: "AWS", "Service", "Federated", "*"
  std::string value;     // as written
  std::string account;   // for AWS principals, the account id it names
  std::vector<std::string> actions;  // sts actions the statement allows, as written
  bool conditional = false;          // the statement has a Condition
  int statement_index = 0;
};

struct TrustAnalysis {
  std::vector<Trustee> trustees;  // one per principal entry of each Allow statement covering sts
  bool outside_account = false;   // anyone, or a principal of another account, can assume the role
  // True when the document uses NotPrincipal with Allow, which trusts everyone not listed.
  bool not_principal_allow = false;
};

// Lists who can assume a role whose trust policy is `trust` and whose account is `role_account`
// (12 digits; empty when unknown, which makes every account principal "other"). Only Allow
// statements whose Action covers an sts:AssumeRole* action count; Deny statements are not
// subtracted (a trust policy Deny is rare and conditional in practice), and Conditions are
// reported, not evaluated.
TrustAnalysis AnalyzeTrustPolicy(const PolicyDocument& trust, const std::string& role_account);

std::string TrusteeKindName(TrusteeKind kind);  // "anyone", "same-account", "other-account", ...

}  // namespace kmsguard::iam
