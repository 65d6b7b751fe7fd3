// Scope names as Cloud Asset Inventory and Cloud KMS spell them, and the hierarchy joined from
// `ancestors`, Project assets (project number <-> id) and parent fields.
#include "sdk/gcp/hierarchy.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/gcp/inventory.h"

namespace kmsguard::gcp {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct ScopeCase {
  const char* text;
  ScopeKind kind;
  const char* name;
};

class ParseScopeTest : public ::testing::TestWithParam<ScopeCase> {};

TEST_P(ParseScopeTest, ReadsKindAndRelativeName) {
  const Scope s = ParseScope(GetParam().text);
  EXPECT_EQ(s.kind, GetParam().kind) << ScopeKindName(s.kind);
  EXPECT_EQ(s.name, GetParam().name);
}

INSTANTIATE_TEST_SUITE_P(
    Names, ParseScopeTest,
    ::testing::Values(
        ScopeCase{"//cloudresourcemanager.googleapis.com/organizations/111",
                  ScopeKind::kOrganization, "organizations/111"},
        ScopeCase{"//cloudresourcemanager.googleapis.com/folders/12", ScopeKind::kFolder,
                  "folders/12"},
        ScopeCase{"//cloudresourcemanager.googleapis.com/projects/1042", ScopeKind::kProject,
                  "projects/1042"},
        ScopeCase{"projects/acme", ScopeKind::kProject, "projects/acme"},
        ScopeCase{"//cloudkms.googleapis.com/projects/p/locations/us/keyRings/r",
                  ScopeKind::kKeyRing, "projects/p/locations/us/keyRings/r"},
        ScopeCase{"projects/p/locations/us/keyRings/r/cryptoKeys/k", ScopeKind::kCryptoKey,
                  "projects/p/locations/us/keyRings/r/cryptoKeys/k"},
        // Key versions carry no policy; other services are not scopes of keys.
        ScopeCase{"//cloudkms.googleapis.com/projects/p/locations/us/keyRings/r/cryptoKeys/k/"
                  "cryptoKeyVersions/1",
                  ScopeKind::kOther,
                  "//cloudkms.googleapis.com/projects/p/locations/us/keyRings/r/cryptoKeys/k/"
                  "cryptoKeyVersions/1"},
        ScopeCase{"//storage.googleapis.com/bucket1", ScopeKind::kOther,
                  "//storage.googleapis.com/bucket1"},
        ScopeCase{"//compute.googleapis.com/projects/project1", ScopeKind::kOther,
                  "//compute.googleapis.com/projects/project1"},
        ScopeCase{"//cloudkms.googleapis.com/projects/p", ScopeKind::kOther,
                  "//cloudkms.googleapis.com/projects/p"},
        ScopeCase{"projects//locations/us/keyRings/r", ScopeKind::kOther,
                  "projects//locations/us/keyRings/r"},
        ScopeCase{"", ScopeKind::kOther, ""}));

constexpr char kKey[] = "projects/acme/locations/eu/keyRings/ring/cryptoKeys/k";

TEST(HierarchyTest, AncestorsJoinTheProjectIdToItsNumber) {
  Hierarchy h;
  h.AddAncestors("//cloudkms.googleapis.com/projects/acme/locations/eu/keyRings/ring",
                 {"projects/731", "folders/40", "organizations/9"});
  EXPECT_EQ(h.Canonical("projects/acme"), "projects/731");
  EXPECT_EQ(h.Canonical("//cloudkms.googleapis.com/projects/731/locations/eu/keyRings/ring"),
            "projects/acme/locations/eu/keyRings/ring");
  const Hierarchy::Ancestry a = h.AncestryOf(kKey);
  EXPECT_TRUE(a.complete) << a.gap;
  std::vector<std::string> names;
  for (const Scope& s : a.scopes) names.push_back(s.name);
  EXPECT_THAT(names, ElementsAre(kKey, "projects/acme/locations/eu/keyRings/ring", "projects/731",
                                 "folders/40", "organizations/9"));
}

// A project asset named by id (a search result's `resource`) whose ancestors start with itself by
// number (its `project`) joins the two: one project, not two scopes.
TEST(HierarchyTest, AProjectNamedByIdWithItsNumberFirstInItsAncestorsIsJoined) {
  Hierarchy h;
  h.AddAncestors("//cloudresourcemanager.googleapis.com/projects/acme",
                 {"projects/555", "organizations/9"});
  EXPECT_EQ(h.Canonical("projects/acme"), "projects/555");
  EXPECT_TRUE(h.AncestryOf("projects/acme").complete);
  // A number first, a folder first, or a project named by number: no join is made up.
  Hierarchy other;
  other.AddAncestors("//cloudresourcemanager.googleapis.com/projects/beta", {"folders/40"});
  other.AddAncestors("//cloudresourcemanager.googleapis.com/projects/777", {"projects/777"});
  EXPECT_EQ(other.Canonical("projects/beta"), "projects/beta");
  EXPECT_TRUE(other.project_aliases().empty());
}

TEST(HierarchyTest, ProjectAssetsAndFolderParents) {
  Hierarchy h;
  h.AddProject("project4", "1044");
  h.SetParent("//cloudresourcemanager.googleapis.com/projects/1044", "folders/1033");
  h.SetParent("//cloudresourcemanager.googleapis.com/folders/1033", "folders/1032");
  h.SetParent("folders/1032", "organizations/111222333");
  const Hierarchy::Ancestry a =
      h.AncestryOf("projects/project4/locations/us/keyRings/r/cryptoKeys/k");
  ASSERT_TRUE(a.complete) << a.gap;
  ASSERT_EQ(a.scopes.size(), 6u);
  EXPECT_EQ(a.scopes[2].name, "projects/1044");
  EXPECT_EQ(a.scopes[3].name, "folders/1033");
  EXPECT_EQ(a.scopes[5].kind, ScopeKind::kOrganization);
}

TEST(HierarchyTest, WithoutTheJoinTheAncestryStopsAndSaysWhere) {
  Hierarchy h;
  h.SetParent("projects/731", "organizations/9");  // known by number only
  const Hierarchy::Ancestry a = h.AncestryOf(kKey);
  EXPECT_FALSE(a.complete);
  EXPECT_THAT(a.gap, HasSubstr("the parent of projects/acme was not seen"));
}

TEST(HierarchyTest, ProjectWithoutOrganizationIsComplete) {
  Hierarchy h;
  h.AddAncestors("//cloudkms.googleapis.com/projects/solo/locations/eu/keyRings/r",
                 {"projects/55"});
  EXPECT_TRUE(h.AncestryOf("projects/solo/locations/eu/keyRings/r/cryptoKeys/k").complete);
}

TEST(HierarchyTest, AnAssetsOwnRecordWinsOverAnotherAssetsAncestors) {
  Hierarchy h;
  h.AddAncestors("//iam.googleapis.com/projects/p/serviceAccounts/1",
                 {"projects/1042", "organizations/456"});
  h.SetParent("projects/1042", "organizations/111");  // the Project asset's own data
  h.AddAncestors("//compute.googleapis.com/projects/p", {"projects/1042", "organizations/789"});
  const Hierarchy::Ancestry a = h.AncestryOf("projects/1042");
  ASSERT_EQ(a.scopes.size(), 2u);
  EXPECT_EQ(a.scopes[1].name, "organizations/111");
  EXPECT_THAT(h.conflicts(),
              ElementsAre("projects/1042: parent organizations/111 (kept), not organizations/456",
                          "projects/1042: parent organizations/111 (kept), not organizations/789"));
}

TEST(HierarchyTest, LoopsEndAsIncomplete) {
  Hierarchy h;
  h.SetParent("folders/1", "folders/2");
  h.SetParent("folders/2", "folders/1");
  const Hierarchy::Ancestry a = h.AncestryOf("folders/1");
  EXPECT_FALSE(a.complete);
  EXPECT_THAT(a.gap, HasSubstr("loops"));
}

TEST(HierarchyTest, KeysBelowAScope) {
  Hierarchy h;
  h.AddProject("acme", "731");
  h.SetParent("projects/731", "folders/40");
  h.SetParent("folders/40", "organizations/9");
  h.AddKmsResource(std::string("//cloudkms.googleapis.com/") + kKey);
  h.AddKmsResource("projects/acme/locations/eu/keyRings/other/cryptoKeys/k2");
  h.AddKmsResource("projects/acme/locations/eu/keyRings/ring");  // a ring is not a key
  EXPECT_THAT(h.KeysBelow("folders/40"),
              ElementsAre("projects/acme/locations/eu/keyRings/other/cryptoKeys/k2", kKey));
  EXPECT_THAT(h.KeysBelow("projects/acme/locations/eu/keyRings/ring"), ElementsAre(kKey));
  EXPECT_THAT(h.KeysBelow("folders/41"), IsEmpty());
}

// OCSF cloud.org: the organization and the nearest folder on the ancestry, by number, the scope
// itself included; nothing where the hierarchy stops short (never guessed).
TEST(HierarchyTest, OrganizationOfNamesTheOrganizationAndTheNearestFolder) {
  Inventory inventory;
  Hierarchy& h = inventory.hierarchy;
  h.AddProject("project4", "1044");
  h.SetParent("projects/1044", "folders/1033");
  h.SetParent("folders/1033", "folders/1032");
  h.SetParent("folders/1032", "organizations/111222333");
  h.AddProject("project1", "1041");
  h.SetParent("projects/1041", "organizations/111222333");
  h.AddAncestors("//cloudkms.googleapis.com/projects/solo/locations/eu/keyRings/r",
                 {"projects/55"});
  const auto of = [&](std::string_view name) {
    const Organization org = OrganizationOf(inventory, name);
    return org.organization + "/" + org.folder;
  };
  // A key ring named by project id, its project joined by number.
  EXPECT_EQ(of("//cloudkms.googleapis.com/projects/project4/locations/us/keyRings/r"),
            "111222333/1033");
  EXPECT_EQ(of("//cloudresourcemanager.googleapis.com/projects/1041"), "111222333/");
  EXPECT_EQ(of("//cloudresourcemanager.googleapis.com/folders/1032"), "111222333/1032");
  EXPECT_EQ(of("//cloudresourcemanager.googleapis.com/organizations/111222333"), "111222333/");
  EXPECT_EQ(of("projects/solo"), "/") << "a project with no organization";
  EXPECT_EQ(of("//cloudresourcemanager.googleapis.com/projects/unseen"), "/");
  EXPECT_EQ(of("//storage.googleapis.com/projects/_/buckets/b"), "/");
}

}  // namespace
}  // namespace kmsguard::gcp
