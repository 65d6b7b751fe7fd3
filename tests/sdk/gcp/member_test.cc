// Allow-policy members of every documented kind (IAM API reference, Binding.members), and the
// shapes IAM does not document, which stay kUnknown.
#include "sdk/gcp/member.h"

#include "gtest/gtest.h"

namespace kmsguard::gcp {
namespace {

struct MemberCase {
  const char* text;
  MemberKind kind;
  const char* id;
  bool deleted;
  const char* uid;
  bool is_public;
};

class MemberTest : public ::testing::TestWithParam<MemberCase> {};

TEST_P(MemberTest, ReadsKindAndId) {
  const MemberCase& c = GetParam();
  const Member m = ParseMember(c.text);
  EXPECT_EQ(m.text, c.text);
  EXPECT_EQ(m.kind, c.kind) << MemberKindName(m.kind);
  EXPECT_EQ(m.id, c.id);
  EXPECT_EQ(m.deleted, c.deleted);
  EXPECT_EQ(m.uid, c.uid);
  EXPECT_EQ(IsPublic(m), c.is_public);
}

INSTANTIATE_TEST_SUITE_P(
    EveryKind, MemberTest,
    ::testing::Values(
        MemberCase{"user:kim@example.com", MemberKind::kUser, "kim@example.com", false, "", false},
        MemberCase{"group:ops@example.com", MemberKind::kGroup, "ops@example.com", false, "",
                   false},
        MemberCase{"serviceAccount:etl@p.iam.gserviceaccount.com", MemberKind::kServiceAccount,
                   "etl@p.iam.gserviceaccount.com", false, "", false},
        MemberCase{"domain:example.com", MemberKind::kDomain, "example.com", false, "", false},
        MemberCase{"allUsers", MemberKind::kAllUsers, "", false, "", true},
        MemberCase{"allAuthenticatedUsers", MemberKind::kAllAuthenticatedUsers, "", false, "",
                   true},
        MemberCase{"principal://iam.googleapis.com/locations/global/workforcePools/p/subject/s",
                   MemberKind::kPrincipal,
                   "principal://iam.googleapis.com/locations/global/workforcePools/p/subject/s",
                   false, "", false},
        MemberCase{"principalSet://iam.googleapis.com/projects/1/locations/global/"
                   "workloadIdentityPools/p/*",
                   MemberKind::kPrincipalSet,
                   "principalSet://iam.googleapis.com/projects/1/locations/global/"
                   "workloadIdentityPools/p/*",
                   false, "", false},
        MemberCase{"principalSet://goog/public:all", MemberKind::kPrincipalSet,
                   "principalSet://goog/public:all", false, "", true},
        MemberCase{"deleted:user:kim@example.com?uid=123456789012345678901", MemberKind::kUser,
                   "kim@example.com", true, "123456789012345678901", false},
        MemberCase{"deleted:serviceAccount:sa@p.iam.gserviceaccount.com?uid=42",
                   MemberKind::kServiceAccount, "sa@p.iam.gserviceaccount.com", true, "42", false},
        MemberCase{"deleted:group:ops@example.com?uid=7", MemberKind::kGroup, "ops@example.com",
                   true, "7", false},
        MemberCase{"projectOwner:project3", MemberKind::kProjectOwner, "project3", false, "",
                   false},
        MemberCase{"projectEditor:project3", MemberKind::kProjectEditor, "project3", false, "",
                   false},
        MemberCase{"projectViewer:project3", MemberKind::kProjectViewer, "project3", false, "",
                   false},
        // Shapes IAM does not document: kept, not errors.
        MemberCase{"someNewKind:x", MemberKind::kUnknown, "someNewKind:x", false, "", false},
        MemberCase{"user:", MemberKind::kUnknown, "user:", false, "", false},
        MemberCase{"User:kim@example.com", MemberKind::kUnknown, "User:kim@example.com", false, "",
                   false}));

TEST(MemberKindNameTest, NamesEveryKind) {
  EXPECT_EQ(MemberKindName(MemberKind::kServiceAccount), "serviceAccount");
  EXPECT_EQ(MemberKindName(MemberKind::kAllAuthenticatedUsers), "allAuthenticatedUsers");
  EXPECT_EQ(MemberKindName(MemberKind::kPrincipalSet), "principalSet");
  EXPECT_EQ(MemberKindName(MemberKind::kUnknown), "unknown");
}

// A finding's exposure says who the member is: public members as public, a group as a group whose
// members the policy does not list, a deleted identity as deleted.
TEST(DescribeMemberTest, SaysWhoTheMemberIs) {
  const auto describe = [](std::string_view text) { return DescribeMember(ParseMember(text)); };
  EXPECT_EQ(describe("allUsers"), "public: anyone on the internet");
  EXPECT_EQ(describe("principalSet://goog/public:all"), "public: anyone on the internet");
  EXPECT_EQ(describe("allAuthenticatedUsers"),
            "public: any authenticated Google account or workload identity");
  EXPECT_EQ(describe("user:kim@example.com"), "a user account");
  EXPECT_EQ(describe("serviceAccount:app@p.iam.gserviceaccount.com"), "a service account");
  EXPECT_EQ(describe("group:ops@example.com"),
            "a Google group, whose members the policy does not list");
  EXPECT_EQ(describe("deleted:user:kim@example.com?uid=1"), "a deleted user account");
  EXPECT_EQ(describe("domain:example.com"), "every account of domain example.com");
  EXPECT_EQ(describe("projectOwner:project3"), "the owners of project project3");
  EXPECT_EQ(describe("principalSet://iam.googleapis.com/locations/global/workforcePools/p/*"),
            "a set of identities (workforce or workload pool)");
  EXPECT_EQ(describe("someNewKind:x"), "a member of a kind kmsguard does not know");
}

}  // namespace
}  // namespace kmsguard::gcp
