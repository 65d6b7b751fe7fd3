// Google Cloud IAM allow-policy members ("user:kim@example.com", "allUsers", ...), read into a kind
// and an identifier.
//
// Source: IAM API reference, `Binding.members`
// (https://cloud.google.com/iam/docs/reference/rest/v1/Policy#Binding): user:, group:,
// serviceAccount:, domain:, allUsers, allAuthenticatedUsers, principal://, principalSet://,
// deleted:user:…?uid=…, deleted:group:…, deleted:serviceAccount:…, deleted:principal://…; and
// projectOwner:/projectEditor:/projectViewer: (convenience values of Cloud Storage and BigQuery
// policies). A member of any other shape is kept as kUnknown, never an error: the provider may add
// kinds, and a grant to a member we cannot name is still a grant.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kmsguard::gcp {

enum class MemberKind : std::uint8_t {
  kUser,            // user:EMAIL
  kGroup,           // group:EMAIL (members cannot be expanded from a policy)
  kServiceAccount,  // serviceAccount:EMAIL
  kDomain,          // domain:DOMAIN (every identity of a Google Workspace/Cloud Identity domain)
  kAllUsers,        // allUsers: anyone on the internet
  kAllAuthenticatedUsers,  // allAuthenticatedUsers: any Google account or workload identity
  kPrincipal,              // principal://IDENTIFIER (one federated or Google identity)
  kPrincipalSet,           // principalSet://IDENTIFIER (a set of identities)
  kProjectOwner,           // projectOwner:PROJECT_ID (the owners of a project)
  kProjectEditor,          // projectEditor:PROJECT_ID
  kProjectViewer,          // projectViewer:PROJECT_ID
  kUnknown,                // any other text, kept as given
};

// One member, read. `text` is the member exactly as the policy wrote it (what findings name).
struct Member {
  MemberKind kind = MemberKind::kUnknown;
  std::string text;
  // What follows the kind's prefix: the email, domain, project id or principal identifier
  // ("principal://" and "principalSet://" are kept in it); empty for allUsers and
  // allAuthenticatedUsers; the whole text for kUnknown.
  std::string id;
  // "deleted:…" members: the identity was deleted (IAM keeps the binding; a new identity of the
  // same name does not inherit it). `kind` and `id` are those of the deleted identity, and `uid` is
  // the value of its "?uid=" suffix (the suffix is not part of `id`).
  bool deleted = false;
  std::string uid;
};

// Reads one member. Never fails: an unrecognised shape gives kind kUnknown.
Member ParseMember(std::string_view text);

// "user", "group", "serviceAccount", "domain", "allUsers", "allAuthenticatedUsers", "principal",
// "principalSet", "projectOwner", "projectEditor", "projectViewer", "unknown".
std::string_view MemberKindName(MemberKind kind);

// Who the member is, in words, for a finding's exposure: "a service account", "a Google group,
// whose members the policy does not list", "public: anyone on the internet", "every account of
// domain example.com", "a deleted user account"; `id` where it says more than the member text.
// Source: the `Binding.members` reference above.
std::string DescribeMember(const Member& member);

// True for members that stand for anyone (allUsers), any authenticated identity
// (allAuthenticatedUsers), or the deny-policy spelling of everyone
// (principalSet://goog/public:all).
bool IsPublic(const Member& member);

}  // namespace kmsguard::gcp
