#include "sdk/engine/exposure.h"

#include <algorithm>
#include <cstdint>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/iam/policy_document.h"
#include "sdk/engine/resource_view.h"
#include "sdk/iam/trust_policy.h"

namespace kmsguard::engine {

namespace {

void AddUnique(std::vector<std::string>* list, std::string value) {
  if (std::find(list->begin(), list->end(), value) == list->end()) {
    list->push_back(std::move(value));
  }
}

// "3 member users", "1 member user".
std::string Count(std::size_t n, std::string_view singular, std::string_view plural) {
  return absl::StrCat(n, " ", std::string(n == 1 ? singular : plural));
}

const iam::Statement* StatementAt(const iam::PolicyDocument& document, int index) {
  for (const iam::Statement& st : document.statements) {
    if (st.index == index) return &st;
  }
  return nullptr;
}

// "other-account 444455556666 (arn:aws:iam::444455556666:root) [conditional: StringEquals:...]".
std::string DescribeTrustee(const iam::Trustee& t, const iam::PolicyDocument& trust) {
  std::string out;
  switch (t.kind) {
    case iam::TrusteeKind::kAnyone:
      out = t.type == "NotPrincipal"
                ? "anyone not listed in NotPrincipal"
                : absl::StrCat("anyone (", t.type == "*" ? "" : "AWS: ", "\"*\")");
      break;
    case iam::TrusteeKind::kSameAccount:
    case iam::TrusteeKind::kOtherAccount:
      out = absl::StrCat(iam::TrusteeKindName(t.kind), t.account.empty() ? "" : " ", t.account,
                         " (", t.value, ")");
      break;
    case iam::TrusteeKind::kService:
    case iam::TrusteeKind::kFederated:
      out = absl::StrCat(iam::TrusteeKindName(t.kind), " ", t.value);
      break;
    case iam::TrusteeKind::kOther:
      out = absl::StrCat(iam::TrusteeKindName(t.kind), " ", t.type, ": ", t.value);
      break;
  }
  if (t.conditional) {
    std::vector<std::string> keys;
    if (const iam::Statement* st = StatementAt(trust, t.statement_index)) {
      for (const iam::ConditionKey& c : st->conditions)
        keys.push_back(absl::StrCat(c.op, ":", c.key));
    }
    absl::StrAppend(&out, " [conditional: ", absl::StrJoin(keys, ", "), "]");
  }
  return out;
}

Exposure OfUser(const model::Resource& resource) {
  Exposure out;
  out.exposed_to.push_back(absl::StrCat("user/", resource.name));
  out.summary = absl::StrCat("held by user ", resource.name);
  return out;
}

Exposure OfGroup(const model::IamDocument& doc) {
  Exposure out;
  if (!doc.members_known) {
    out.summary = "inherited by the group's member users, whom the snapshot does not list";
    return out;
  }
  std::vector<std::string> names;
  for (const std::string& m : doc.members) AddUnique(&names, m);
  for (const std::string& name : names) out.exposed_to.push_back(absl::StrCat("user/", name));
  out.summary = names.empty() ? "no member user holds it yet (the group has no members)"
                              : absl::StrCat("inherited by ",
                                             Count(names.size(), "member user", "member users"),
                                             ": ", absl::StrJoin(names, ", "));
  return out;
}

Exposure OfRole(const model::Resource& resource, const model::IamDocument& doc) {
  Exposure out;
  if (!doc.trust_policy) {
    out.summary = "who can assume the role is unknown: the snapshot holds no trust policy";
    out.notes.push_back(out.summary);
    return out;
  }
  absl::StatusOr<iam::PolicyDocument> trust = iam::ParsePolicyDocument(*doc.trust_policy);
  if (!trust.ok()) {
    out.summary =
        absl::StrCat("who can assume the role is unknown: its trust policy does not parse (",
                     trust.status().message(), ")");
    out.notes.push_back(out.summary);
    return out;
  }
  const iam::TrustAnalysis analysis = iam::AnalyzeTrustPolicy(*trust, resource.account);
  std::vector<std::string> outside;
  for (const iam::Trustee& t : analysis.trustees) {
    std::string description = DescribeTrustee(t, *trust);
    if (t.kind == iam::TrusteeKind::kAnyone || t.kind == iam::TrusteeKind::kOtherAccount) {
      AddUnique(&outside, description);
    }
    AddUnique(&out.exposed_to, std::move(description));
  }
  if (out.exposed_to.empty()) {
    out.summary = "no principal can assume the role (its trust policy allows no sts:AssumeRole*)";
    return out;
  }
  out.outside_account = analysis.outside_account;
  const std::string account =
      resource.account.empty() ? "its account" : absl::StrCat("account ", resource.account);
  if (out.outside_account) {
    out.outside_reason = absl::StrCat("the role can be assumed from outside ", account, " by ",
                                      absl::StrJoin(outside, "; "));
  }
  out.summary =
      absl::StrCat("assumable by ", absl::StrJoin(out.exposed_to, "; "),
                   out.outside_account ? absl::StrCat(" (from outside ", account, ")") : "");
  return out;
}

Exposure OfManagedPolicy(const model::IamDocument& doc) {
  Exposure out;
  const std::int64_t attached = doc.attachment_count;
  const std::int64_t boundary = doc.permissions_boundary_usage_count;
  out.summary = attached == 0 ? "attached to no IAM identity (the grant is latent until attached)"
                              : absl::StrCat("attached to ", attached,
                                             attached == 1 ? " IAM identity" : " IAM identities");
  if (boundary > 0) {
    absl::StrAppend(&out.summary, "; permissions boundary of ", boundary,
                    boundary == 1 ? " identity" : " identities");
  }
  return out;
}

}  // namespace

Exposure ExposureOf(const model::Resource& resource, const model::IamDocument& document) {
  if (resource.type == model::kIamUser) return OfUser(resource);
  if (resource.type == model::kIamGroup) return OfGroup(document);
  if (resource.type == model::kIamRole) return OfRole(resource, document);
  if (resource.type == model::kIamManagedPolicy) return OfManagedPolicy(document);
  return {};
}

Exposure ExposureOf(const model::Resource& resource) {
  const ResourceView view(resource);
  return ExposureOf(resource, view.iam());
}

}  // namespace kmsguard::engine
