#include "sdk/gcp/member.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"

namespace kmsguard::gcp {
namespace {

struct Prefix {
  std::string_view text;
  MemberKind kind;
};

// The "KIND:" prefixes. Matched case-sensitively, as IAM writes them.
constexpr std::array<Prefix, 7> kPrefixes = {{
    {"user:", MemberKind::kUser},
    {"group:", MemberKind::kGroup},
    {"serviceAccount:", MemberKind::kServiceAccount},
    {"domain:", MemberKind::kDomain},
    {"projectOwner:", MemberKind::kProjectOwner},
    {"projectEditor:", MemberKind::kProjectEditor},
    {"projectViewer:", MemberKind::kProjectViewer},
}};

constexpr std::string_view kDeleted = "deleted:";
constexpr std::string_view kUid = "?uid=";

// Reads a member that is not "deleted:…".
Member ParseLive(std::string_view text) {
  Member m;
  m.text = std::string(text);
  if (text == "allUsers") {
    m.kind = MemberKind::kAllUsers;
    return m;
  }
  if (text == "allAuthenticatedUsers") {
    m.kind = MemberKind::kAllAuthenticatedUsers;
    return m;
  }
  if (text.starts_with("principal://")) {
    m.kind = MemberKind::kPrincipal;
    m.id = std::string(text);
    return m;
  }
  if (text.starts_with("principalSet://")) {
    m.kind = MemberKind::kPrincipalSet;
    m.id = std::string(text);
    return m;
  }
  for (const Prefix& p : kPrefixes) {
    if (text.starts_with(p.text) && text.size() > p.text.size()) {
      m.kind = p.kind;
      m.id = std::string(text.substr(p.text.size()));
      return m;
    }
  }
  m.kind = MemberKind::kUnknown;
  m.id = std::string(text);
  return m;
}

}  // namespace

Member ParseMember(std::string_view text) {
  if (!text.starts_with(kDeleted)) return ParseLive(text);
  std::string_view rest = text.substr(kDeleted.size());
  std::string uid;
  if (const std::size_t at = rest.rfind(kUid); at != std::string_view::npos) {
    uid = std::string(rest.substr(at + kUid.size()));
    rest = rest.substr(0, at);
  }
  Member m = ParseLive(rest);
  m.text = std::string(text);
  m.deleted = true;
  m.uid = std::move(uid);
  return m;
}

std::string_view MemberKindName(MemberKind kind) {
  switch (kind) {
    case MemberKind::kUser:
      return "user";
    case MemberKind::kGroup:
      return "group";
    case MemberKind::kServiceAccount:
      return "serviceAccount";
    case MemberKind::kDomain:
      return "domain";
    case MemberKind::kAllUsers:
      return "allUsers";
    case MemberKind::kAllAuthenticatedUsers:
      return "allAuthenticatedUsers";
    case MemberKind::kPrincipal:
      return "principal";
    case MemberKind::kPrincipalSet:
      return "principalSet";
    case MemberKind::kProjectOwner:
      return "projectOwner";
    case MemberKind::kProjectEditor:
      return "projectEditor";
    case MemberKind::kProjectViewer:
      return "projectViewer";
    case MemberKind::kUnknown:
      break;
  }
  return "unknown";
}

std::string DescribeMember(const Member& member) {
  if (member.kind == MemberKind::kPrincipalSet && IsPublic(member)) {
    return "public: anyone on the internet";
  }
  std::string who;
  switch (member.kind) {
    case MemberKind::kUser:
      who = "user account";
      break;
    case MemberKind::kGroup:
      who = "Google group, whose members the policy does not list";
      break;
    case MemberKind::kServiceAccount:
      who = "service account";
      break;
    case MemberKind::kDomain:
      return absl::StrCat(member.deleted ? "a deleted domain: " : "", "every account of domain ",
                          member.id);
    case MemberKind::kAllUsers:
      return "public: anyone on the internet";
    case MemberKind::kAllAuthenticatedUsers:
      return "public: any authenticated Google account or workload identity";
    case MemberKind::kPrincipal:
      who = "single identity (workforce, workload or Google)";
      break;
    case MemberKind::kPrincipalSet:
      who = "set of identities (workforce or workload pool)";
      break;
    case MemberKind::kProjectOwner:
      return absl::StrCat("the owners of project ", member.id);
    case MemberKind::kProjectEditor:
      return absl::StrCat("the editors of project ", member.id);
    case MemberKind::kProjectViewer:
      return absl::StrCat("the viewers of project ", member.id);
    case MemberKind::kUnknown:
      return "a member of a kind kmsguard does not know";
  }
  // A deleted identity's binding stays until removed; a new identity of the same name does not
  // inherit it.
  return absl::StrCat(member.deleted ? "a deleted " : "a ", who);
}

bool IsPublic(const Member& member) {
  return member.kind == MemberKind::kAllUsers ||
         member.kind == MemberKind::kAllAuthenticatedUsers ||
         (member.kind == MemberKind::kPrincipalSet &&
          member.id == "principalSet://goog/public:all");
}

}  // namespace kmsguard::gcp
