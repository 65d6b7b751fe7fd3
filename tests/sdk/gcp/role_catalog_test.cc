// The shipped predefined-role catalog, checked against what the providers document: the Cloud KMS
// roles page (https://cloud.google.com/iam/docs/roles-permissions/cloudkms) and the basic roles
// (https://cloud.google.com/iam/docs/roles-overview#basic). And the catalog reader's errors.
#include "sdk/gcp/role_catalog.h"

#include <algorithm>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kmsguard::gcp {
namespace {

using ::testing::HasSubstr;

constexpr char kDecrypt[] = "cloudkms.cryptoKeyVersions.useToDecrypt";

bool Holds(std::string_view role, std::string_view permission) {
  const PredefinedRole* r = PredefinedRoles().Find(role);
  return r != nullptr && std::find(r->permissions.begin(), r->permissions.end(), permission) !=
                             r->permissions.end();
}

TEST(PredefinedRolesTest, ShippedCatalogReadsCleanly) {
  ASSERT_TRUE(PredefinedRolesStatus().ok()) << PredefinedRolesStatus();
  EXPECT_GT(PredefinedRoles().size(), 1000u);
  EXPECT_THAT(PredefinedRoles().Describe(), HasSubstr("iann0036/iam-dataset"));
}

struct RoleFact {
  const char* role;
  const char* permission;
  bool holds;
};

class PredefinedRoleFactTest : public ::testing::TestWithParam<RoleFact> {};

TEST_P(PredefinedRoleFactTest, MatchesTheDocumentedRole) {
  const RoleFact& f = GetParam();
  ASSERT_NE(PredefinedRoles().Find(f.role), nullptr) << f.role;
  EXPECT_EQ(Holds(f.role, f.permission), f.holds) << f.role << " / " << f.permission;
}

INSTANTIATE_TEST_SUITE_P(
    Documented, PredefinedRoleFactTest,
    ::testing::Values(
        // Decrypters.
        RoleFact{"roles/cloudkms.cryptoKeyDecrypter", kDecrypt, true},
        RoleFact{"roles/cloudkms.cryptoKeyEncrypterDecrypter", kDecrypt, true},
        RoleFact{"roles/cloudkms.cryptoOperator", kDecrypt, true},
        RoleFact{"roles/cloudkms.cryptoOperator", "cloudkms.cryptoKeyVersions.useToDecapsulate",
                 true},
        // Owner holds every permission of the project's services; Editor and Viewer do not use
        // keys.
        RoleFact{"roles/owner", kDecrypt, true},
        RoleFact{"roles/owner", "resourcemanager.projects.setIamPolicy", true},
        RoleFact{"roles/editor", kDecrypt, false},
        RoleFact{"roles/editor", "cloudkms.cryptoKeys.setIamPolicy", false},
        RoleFact{"roles/viewer", kDecrypt, false},
        // Cloud KMS Admin manages keys but does not use them; it can change their policies.
        RoleFact{"roles/cloudkms.admin", kDecrypt, false},
        RoleFact{"roles/cloudkms.admin", "cloudkms.cryptoKeys.setIamPolicy", true},
        RoleFact{"roles/cloudkms.admin", "cloudkms.cryptoKeyVersions.destroy", true},
        RoleFact{"roles/cloudkms.cryptoKeyEncrypter", kDecrypt, false},
        RoleFact{"roles/cloudkms.viewer", kDecrypt, false},
        // Resource Manager admins can set the policies of what they administer.
        RoleFact{"roles/resourcemanager.organizationAdmin",
                 "resourcemanager.organizations.setIamPolicy", true},
        RoleFact{"roles/resourcemanager.folderAdmin", "resourcemanager.folders.setIamPolicy", true},
        RoleFact{"roles/resourcemanager.projectIamAdmin", "resourcemanager.projects.setIamPolicy",
                 true}));

TEST(PredefinedRolesTest, RolesWithoutKmsPermissionsAreListedEmpty) {
  // Known to hold none of the filtered permissions: listed, so not "undetermined".
  const PredefinedRole* role = PredefinedRoles().Find("roles/appengine.codeViewer");
  ASSERT_NE(role, nullptr);
  EXPECT_TRUE(role->permissions.empty());
  EXPECT_EQ(PredefinedRoles().Find("roles/no.suchRole"), nullptr);
}

TEST(PredefinedRolesTest, CoversOnlyItsFilter) {
  EXPECT_TRUE(PredefinedRoles().CoversPermission(kDecrypt));
  EXPECT_TRUE(PredefinedRoles().CoversPermission("cloudkms.cryptoKeyVersions.destroy"));
  EXPECT_TRUE(PredefinedRoles().CoversPermission("resourcemanager.folders.setIamPolicy"));
  EXPECT_FALSE(PredefinedRoles().CoversPermission("storage.objects.get"));
  EXPECT_FALSE(PredefinedRoles().CoversPermission("resourcemanager.projects.get"));
}

TEST(MatchesPermissionPatternTest, StarMatchesAnyRun) {
  EXPECT_TRUE(MatchesPermissionPattern("cloudkms.*", "cloudkms.keyRings.get"));
  EXPECT_TRUE(MatchesPermissionPattern("resourcemanager.*.setIamPolicy",
                                       "resourcemanager.projects.setIamPolicy"));
  EXPECT_FALSE(MatchesPermissionPattern("resourcemanager.*.setIamPolicy",
                                        "resourcemanager.projects.getIamPolicy"));
  EXPECT_TRUE(MatchesPermissionPattern("*", ""));
  EXPECT_TRUE(MatchesPermissionPattern("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(MatchesPermissionPattern("a*b*c", "aXbYbZ"));
  EXPECT_FALSE(MatchesPermissionPattern("Cloudkms.*", "cloudkms.x"));
}

TEST(RoleCatalogFromJsonTest, ReadsAndRejectsWithPointers) {
  constexpr char kHeader[] =
      R"("source": "s", "source_commit": "c", "source_date": "d", "permission_filter": ["kms.*"])";
  absl::StatusOr<RoleCatalog> ok = RoleCatalog::FromJson(
      std::string("{") + kHeader +
          R"(, "roles": {"roles/a": {"stage": "GA", "permissions": ["kms.z", "kms.a", "kms.a"]}}})",
      "t.json");
  ASSERT_TRUE(ok.ok()) << ok.status();
  ASSERT_NE(ok->Find("roles/a"), nullptr);
  EXPECT_EQ(ok->Find("roles/a")->permissions, (std::vector<std::string>{"kms.a", "kms.z"}));

  const absl::StatusOr<RoleCatalog> outside = RoleCatalog::FromJson(
      std::string("{") + kHeader +
          R"(, "roles": {"roles/a": {"stage": "GA", "permissions": ["kms.a", "iam.x"]}}})",
      "t.json");
  EXPECT_THAT(outside.status().message(),
              HasSubstr("t.json#/roles/roles~1a/permissions/1: iam.x is outside"));

  const absl::StatusOr<RoleCatalog> custom = RoleCatalog::FromJson(
      std::string("{") + kHeader +
          R"(, "roles": {"projects/p/roles/a": {"stage": "GA", "permissions": []}}})",
      "t.json");
  EXPECT_THAT(custom.status().message(), HasSubstr("#/roles/projects~1p~1roles~1a"));

  EXPECT_FALSE(RoleCatalog::FromJson("{", "t.json").ok());
  EXPECT_THAT(RoleCatalog::FromJson(R"({"roles": {}})", "t.json").status().message(),
              HasSubstr("source"));
}

}  // namespace
}  // namespace kmsguard::gcp
