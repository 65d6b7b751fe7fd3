#include "sdk/iam/trust_policy.h"

#include <optional>

#include "sdk/core/arn.h"
#include "sdk/iam/action_glob.h"

namespace kmsguard::iam {
namespace {

constexpr const char* kAssumeActions[] = {"sts:AssumeRole", "sts:AssumeRoleWithSAML",
                                          "sts:AssumeRoleWithWebIdentity"};

// "123456789012" or "arn:PARTITION:iam::123456789012:root|user/..|role/.." or an STS ARN.
std::string AccountOf(const std::string& value) {
  if (core::IsAccountId(value)) return value;
  const std::optional<core::ArnFields> arn = core::SplitArn(value);
  return arn ? std::string(arn->account) : "";
}

}  // namespace

std::string TrusteeKindName(TrusteeKind kind) {
  switch (kind) {
    case TrusteeKind::kAnyone:
      return "anyone";
    case TrusteeKind::kSameAccount:
      return "same-account";
    case TrusteeKind::kOtherAccount:
      return "other-account";
    case TrusteeKind::kService:
      return "service";
    case TrusteeKind::kFederated:
      return "federated";
    case TrusteeKind::kOther:
      return "other";
  }
  return "other";
}

TrustAnalysis AnalyzeTrustPolicy(const PolicyDocument& trust, const std::string& role_account) {
  TrustAnalysis out;
  for (const Statement& st : trust.statements) {
    if (st.effect != Effect::kAllow || st.actions.empty()) continue;
    std::vector<std::string> actions;
    for (const char* action : kAssumeActions) {
      bool any = false;
      for (const std::string& pattern : st.actions) any |= ActionGlobMatches(pattern, action);
      if (st.not_action ? !any : any) actions.emplace_back(action);
    }
    if (actions.empty()) continue;
    if (st.not_principal) {
      out.not_principal_allow = true;
      out.outside_account = true;
      Trustee t;
      t.kind = TrusteeKind::kAnyone;
      t.type = "NotPrincipal";
      t.value = "everyone not listed";
      t.actions = actions;
      t.conditional = !st.conditions.empty();
      t.statement_index = st.index;
      out.trustees.push_back(std::move(t));
      continue;
    }
    for (const PrincipalEntry& p : st.principals) {
      Trustee t;
      t.type = p.type;
      t.value = p.value;
      t.actions = actions;
      t.conditional = !st.conditions.empty();
      t.statement_index = st.index;
      if (p.type == "*" || (p.type == "AWS" && p.value == "*")) {
        t.kind = TrusteeKind::kAnyone;
      } else if (p.type == "AWS") {
        t.account = AccountOf(p.value);
        t.kind = !role_account.empty() && t.account == role_account ? TrusteeKind::kSameAccount
                                                                   : TrusteeKind::kOtherAccount;
      } else if (p.type == "Service") {
        t.kind = TrusteeKind::kService;
      } else if (p.type == "Federated") {
        t.kind = TrusteeKind::kFederated;
      }
      if (t.kind == TrusteeKind::kAnyone || t.kind == TrusteeKind::kOtherAccount) {
        out.outside_account = true;
      }
      out.trustees.push_back(std::move(t));
    }
  }
  return out;
}

}  // namespace kmsguard::iam
