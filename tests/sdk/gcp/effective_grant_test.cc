// The traps of the research's table (docs/gcp-kms-semantics.md), one case each. Expected values
// come from the providers' documentation: role contents from the Cloud KMS and basic roles pages,
// inheritance from the Cloud KMS permissions page, conditions and "_withcond_" from the IAM
// conditions pages, deleted custom roles from the roles.delete reference.
#include "sdk/gcp/effective_grant.h"

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/gcp/inventory.h"

namespace kmsguard::gcp {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// organizations/9 > folders/40 > projects/731 (id "acme") > ring > key.
constexpr char kOrg[] = "organizations/9";
constexpr char kFolder[] = "folders/40";
constexpr char kProject[] = "projects/731";
constexpr char kProjectById[] = "//cloudresourcemanager.googleapis.com/projects/acme";
constexpr char kRing[] = "//cloudkms.googleapis.com/projects/acme/locations/eu/keyRings/ring";
constexpr char kKey[] = "projects/acme/locations/eu/keyRings/ring/cryptoKeys/k";
constexpr char kKeyFull[] =
    "//cloudkms.googleapis.com/projects/acme/locations/eu/keyRings/ring/cryptoKeys/k";
constexpr char kMember[] = "user:kim@example.com";

struct B {
  std::string scope;
  std::string role;
  std::vector<std::string> members = {kMember};
  std::optional<Condition> condition = std::nullopt;
};

Inventory MakeInventory(const std::vector<B>& bindings, std::vector<CustomRole> custom = {},
                        bool join = true) {
  Inventory inventory;
  if (join) inventory.hierarchy.AddProject("acme", "731");
  inventory.hierarchy.SetParent(kProject, kFolder);
  inventory.hierarchy.SetParent(kFolder, kOrg);
  inventory.hierarchy.AddKmsResource(kKeyFull);
  int index = 0;
  for (const B& b : bindings) {
    AttachedPolicy policy;
    policy.resource = b.scope;
    policy.source.file = "test.ndjson";
    policy.bindings.push_back(Binding{b.role, b.members, b.condition,
                                      "/iam_policy/bindings/" + std::to_string(index++),
                                      std::nullopt});
    inventory.policies.push_back(std::move(policy));
  }
  inventory.custom_roles = std::move(custom);
  return inventory;
}

CustomRole Custom(std::string name, std::vector<std::string> permissions, bool deleted = false,
                  std::string stage = "GA") {
  return CustomRole{std::move(name), std::move(permissions), std::move(stage), deleted};
}

Condition RingOnly() {
  return {"ring only", "",
          "resource.name.startsWith(\"projects/acme/locations/eu/keyRings/ring\")"};
}

enum class Q { kDecrypt, kStrict, kEscalation, kDestroy };

PermissionQuestion Question(Q q) {
  switch (q) {
    case Q::kDecrypt:
      return DecryptQuestion();
    case Q::kStrict:
      return StrictDecryptQuestion();
    case Q::kEscalation:
      return EscalationQuestion();
    case Q::kDestroy:
      break;
  }
  return {"destroy", {"cloudkms.cryptoKeyVersions.destroy"}};
}

struct TrapCase {
  const char* name;
  std::vector<B> bindings;
  std::vector<CustomRole> custom;
  Q question;
  // nullopt: the member holds none of the permissions on the key.
  std::optional<Certainty> certainty;
  Reach reach = Reach::kOneKey;
  bool join = true;
};

void PrintTo(const TrapCase& c, std::ostream* os) { *os << c.name; }

class TrapTest : public ::testing::TestWithParam<TrapCase> {};

TEST_P(TrapTest, KeyAccess) {
  const TrapCase& c = GetParam();
  const Inventory inventory = MakeInventory(c.bindings, c.custom, c.join);
  const RoleResolver roles = MakeRoleResolver(inventory);
  const PermissionQuestion question = Question(c.question);
  ASSERT_TRUE(CheckQuestion(question, roles).ok());
  const KeyAccess access = AnalyzeKey(inventory, roles, question, kKeyFull);
  EXPECT_EQ(access.key, kKey);
  EXPECT_EQ(access.deny, DenyPolicies::kNotSeen);
  const MemberAccess* found = nullptr;
  for (const MemberAccess& m : access.members) {
    if (m.member.text == kMember) found = &m;
  }
  if (!c.certainty) {
    EXPECT_EQ(found, nullptr) << CertaintyName(found->certainty);
    return;
  }
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(CertaintyName(found->certainty), CertaintyName(*c.certainty));
  EXPECT_EQ(ReachName(found->reach), ReachName(c.reach));
}

INSTANTIATE_TEST_SUITE_P(
    ResearchTraps, TrapTest,
    ::testing::Values(
        // Role names that look safe but grant.
        TrapCase{"owner_on_project_decrypts",
                 {{kProject, "roles/owner"}},
                 {},
                 Q::kDecrypt,
                 Certainty::kGranted,
                 Reach::kEveryKeyBelow},
        TrapCase{"crypto_operator_decrypts",
                 {{kProject, "roles/cloudkms.cryptoOperator"}},
                 {},
                 Q::kDecrypt,
                 Certainty::kGranted,
                 Reach::kEveryKeyBelow},
        TrapCase{"data_scientist_job_role_decrypts",
                 {{kProject, "roles/iam.dataScientist"}},
                 {},
                 Q::kDecrypt,
                 Certainty::kGranted,
                 Reach::kEveryKeyBelow},
        TrapCase{"custom_role_with_decrypt",
                 {{kProject, "projects/acme/roles/keyReader"}},
                 {Custom("projects/acme/roles/keyReader",
                         {"cloudkms.cryptoKeyVersions.useToDecrypt", "storage.objects.get"})},
                 Q::kDecrypt,
                 Certainty::kGranted,
                 Reach::kEveryKeyBelow},
        TrapCase{
            "custom_role_named_by_project_number",
            {{kProject, "projects/acme/roles/keyReader"}},
            {Custom("projects/731/roles/keyReader", {"cloudkms.cryptoKeyVersions.useToDecrypt"})},
            Q::kDecrypt,
            Certainty::kGranted,
            Reach::kEveryKeyBelow},
        TrapCase{"org_custom_role_on_folder",
                 {{kFolder, "organizations/9/roles/dec"}},
                 {Custom("organizations/9/roles/dec", {"cloudkms.cryptoKeyVersions.useToDecrypt"})},
                 Q::kDecrypt,
                 Certainty::kGranted,
                 Reach::kEveryKeyBelow},
        // Role names that look dangerous but do not decrypt.
        TrapCase{
            "editor_does_not_decrypt", {{kProject, "roles/editor"}}, {}, Q::kDecrypt, std::nullopt},
        TrapCase{
            "viewer_does_not_decrypt", {{kOrg, "roles/viewer"}}, {}, Q::kDecrypt, std::nullopt},
        TrapCase{"kms_admin_does_not_decrypt",
                 {{kProject, "roles/cloudkms.admin"}},
                 {},
                 Q::kDecrypt,
                 std::nullopt},
        TrapCase{"kms_admin_escalates",
                 {{kRing, "roles/cloudkms.admin"}},
                 {},
                 Q::kEscalation,
                 Certainty::kGranted,
                 Reach::kEveryKeyInRing},
        // A setIamPolicy permission acts on its resource type and below: bound lower, on nothing.
        TrapCase{"project_iam_admin_on_project_escalates",
                 {{kProject, "roles/resourcemanager.projectIamAdmin"}},
                 {},
                 Q::kEscalation,
                 Certainty::kGranted,
                 Reach::kEveryKeyBelow},
        TrapCase{"project_iam_admin_on_folder_escalates_on_every_project_below",
                 {{kFolder, "roles/resourcemanager.projectIamAdmin"}},
                 {},
                 Q::kEscalation,
                 Certainty::kGranted,
                 Reach::kEveryKeyBelow},
        TrapCase{"project_set_iam_policy_on_a_key_ring_acts_on_nothing",
                 {{kRing, "roles/resourcemanager.projectIamAdmin"}},
                 {},
                 Q::kEscalation,
                 std::nullopt},
        TrapCase{
            "folder_set_iam_policy_on_a_project_acts_on_nothing",
            {{kProject, "projects/acme/roles/folderPolicy"}},
            {Custom("projects/acme/roles/folderPolicy", {"resourcemanager.folders.setIamPolicy"})},
            Q::kEscalation,
            std::nullopt},
        TrapCase{"folder_set_iam_policy_on_a_folder_escalates",
                 {{kFolder, "organizations/9/roles/folderPolicy"}},
                 {Custom("organizations/9/roles/folderPolicy",
                         {"resourcemanager.folders.setIamPolicy"})},
                 Q::kEscalation,
                 Certainty::kGranted,
                 Reach::kEveryKeyBelow},
        TrapCase{"organization_set_iam_policy_on_a_folder_acts_on_nothing",
                 {{kFolder, "organizations/9/roles/orgPolicy"}},
                 {Custom("organizations/9/roles/orgPolicy",
                         {"resourcemanager.organizations.setIamPolicy"})},
                 Q::kEscalation,
                 std::nullopt},
        TrapCase{"owner_on_a_key_ring_escalates_through_its_kms_permissions",
                 {{kRing, "roles/owner"}},
                 {},
                 Q::kEscalation,
                 Certainty::kGranted,
                 Reach::kEveryKeyInRing},
        TrapCase{"kms_admin_strict_tier_via_delegation",
                 {{kRing, "roles/cloudkms.admin"}},
                 {},
                 Q::kStrict,
                 Certainty::kGranted,
                 Reach::kEveryKeyInRing},
        TrapCase{"kms_admin_may_destroy",
                 {{kRing, "roles/cloudkms.admin"}},
                 {},
                 Q::kDestroy,
                 Certainty::kGranted,
                 Reach::kEveryKeyInRing},
        TrapCase{"encrypter_does_not_decrypt",
                 {{kProject, "roles/cloudkms.cryptoKeyEncrypter"}},
                 {},
                 Q::kDecrypt,
                 std::nullopt},
        TrapCase{"custom_role_without_decrypt",
                 {{kProject, "projects/acme/roles/fw"}},
                 {Custom("projects/acme/roles/fw", {"compute.firewalls.create"})},
                 Q::kDecrypt,
                 std::nullopt},
        TrapCase{"deleted_custom_role_has_no_effect",
                 {{kProject, "projects/acme/roles/keyReader"}},
                 {Custom("projects/acme/roles/keyReader",
                         {"cloudkms.cryptoKeyVersions.useToDecrypt"}, true)},
                 Q::kDecrypt,
                 std::nullopt},
        // Inheritance.
        TrapCase{"folder_binding_reaches_the_key",
                 {{kFolder, "roles/cloudkms.cryptoKeyDecrypter"}},
                 {},
                 Q::kDecrypt,
                 Certainty::kGranted,
                 Reach::kEveryKeyBelow},
        TrapCase{"org_binding_reaches_the_key",
                 {{kOrg, "roles/owner"}},
                 {},
                 Q::kDecrypt,
                 Certainty::kGranted,
                 Reach::kEveryKeyBelow},
        TrapCase{"ring_binding_every_key_of_ring",
                 {{kRing, "roles/cloudkms.cryptoKeyEncrypterDecrypter"}},
                 {},
                 Q::kDecrypt,
                 Certainty::kGranted,
                 Reach::kEveryKeyInRing},
        TrapCase{"key_binding_is_narrow",
                 {{kKeyFull, "roles/cloudkms.cryptoKeyDecrypter"}},
                 {},
                 Q::kDecrypt,
                 Certainty::kGranted,
                 Reach::kOneKey},
        TrapCase{"project_by_id_joins_number",
                 {{kProjectById, "roles/cloudkms.cryptoKeyDecrypter"}},
                 {},
                 Q::kDecrypt,
                 Certainty::kGranted,
                 Reach::kEveryKeyBelow},
        TrapCase{"project_number_without_join_does_not_reach",
                 {{kProject, "roles/cloudkms.cryptoKeyDecrypter"}},
                 {},
                 Q::kDecrypt,
                 std::nullopt,
                 Reach::kOneKey,
                 false},
        TrapCase{"policy_on_a_bucket_reaches_no_key",
                 {{"//storage.googleapis.com/b", "roles/owner"}},
                 {},
                 Q::kDecrypt,
                 std::nullopt},
        // Conditions.
        TrapCase{"conditional_binding",
                 {{kProject, "roles/cloudkms.cryptoKeyDecrypter", {kMember}, RingOnly()}},
                 {},
                 Q::kDecrypt,
                 Certainty::kConditional,
                 Reach::kEveryKeyBelow},
        TrapCase{"withcond_role_is_conditional",
                 {{kProject, "roles/cloudkms.cryptoKeyDecrypter_withcond_0123abcd"}},
                 {},
                 Q::kDecrypt,
                 Certainty::kConditional,
                 Reach::kEveryKeyBelow},
        TrapCase{"repeated_role_union_conditional_then_plain",
                 {{kProject, "roles/cloudkms.cryptoKeyDecrypter", {kMember}, RingOnly()},
                  {kProject, "roles/cloudkms.cryptoKeyDecrypter"}},
                 {},
                 Q::kDecrypt,
                 Certainty::kGranted,
                 Reach::kEveryKeyBelow},
        TrapCase{"repeated_role_union_plain_then_conditional",
                 {{kProject, "roles/cloudkms.cryptoKeyDecrypter"},
                  {kProject, "roles/cloudkms.cryptoKeyDecrypter", {kMember}, RingOnly()}},
                 {},
                 Q::kDecrypt,
                 Certainty::kGranted,
                 Reach::kEveryKeyBelow},
        TrapCase{"narrow_grant_plus_broad_conditional",
                 {{kProject, "roles/cloudkms.cryptoKeyDecrypter", {kMember}, RingOnly()},
                  {kKeyFull, "roles/cloudkms.cryptoKeyDecrypter"}},
                 {},
                 Q::kDecrypt,
                 Certainty::kGranted,
                 Reach::kOneKey},
        // Unknown roles are undetermined, never "no permission".
        TrapCase{"unknown_predefined_role",
                 {{kProject, "roles/cloudkms.brandNewRole"}},
                 {},
                 Q::kDecrypt,
                 Certainty::kUndetermined,
                 Reach::kEveryKeyBelow},
        TrapCase{"custom_role_not_in_input",
                 {{kProject, "projects/acme/roles/missing"}},
                 {},
                 Q::kDecrypt,
                 Certainty::kUndetermined,
                 Reach::kEveryKeyBelow},
        TrapCase{"disabled_custom_role_undetermined",
                 {{kProject, "projects/acme/roles/keyReader"}},
                 {Custom("projects/acme/roles/keyReader",
                         {"cloudkms.cryptoKeyVersions.useToDecrypt"}, false, "DISABLED")},
                 Q::kDecrypt,
                 Certainty::kUndetermined,
                 Reach::kEveryKeyBelow},
        TrapCase{"known_grant_wins_over_unknown_role",
                 {{kProject, "roles/cloudkms.brandNewRole"},
                  {kRing, "roles/cloudkms.cryptoKeyDecrypter"}},
                 {},
                 Q::kDecrypt,
                 Certainty::kGranted,
                 Reach::kEveryKeyInRing}),
    [](const ::testing::TestParamInfo<TrapCase>& param) { return std::string(param.param.name); });

TEST(FindGrantsTest, EveryMemberKindIsReported) {
  const std::vector<std::string> members = {
      "user:a@example.com",
      "group:g@example.com",
      "serviceAccount:sa@acme.iam.gserviceaccount.com",
      "domain:example.com",
      "allUsers",
      "allAuthenticatedUsers",
      "principal://iam.googleapis.com/locations/global/workforcePools/p/subject/s",
      "principalSet://iam.googleapis.com/locations/global/workforcePools/p/*",
      "deleted:user:old@example.com?uid=123",
      "projectOwner:acme",
      "somethingNew:x"};
  const Inventory inventory =
      MakeInventory({{kProject, "roles/cloudkms.cryptoKeyDecrypter", members}});
  const RoleResolver roles = MakeRoleResolver(inventory);
  const GrantReport report = FindGrants(inventory, roles, DecryptQuestion());
  ASSERT_EQ(report.grants.size(), members.size());
  std::vector<MemberKind> kinds;
  for (const ScopedGrant& g : report.grants) {
    EXPECT_EQ(g.scope.name, kProject);
    EXPECT_EQ(g.scope.kind, ScopeKind::kProject);
    EXPECT_EQ(g.reach, Reach::kEveryKeyBelow);
    EXPECT_EQ(g.certainty, Certainty::kGranted);
    EXPECT_THAT(g.keys_below, ElementsAre(kKey));
    ASSERT_EQ(g.via.size(), 1u);
    EXPECT_EQ(g.via[0].role, "roles/cloudkms.cryptoKeyDecrypter");
    EXPECT_THAT(g.via[0].permissions, ElementsAre("cloudkms.cryptoKeyVersions.useToDecrypt"));
    EXPECT_EQ(g.via[0].source.ToString(), "test.ndjson#/iam_policy/bindings/0");
    kinds.push_back(g.member.kind);
  }
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), MemberKind::kUnknown), 1);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), MemberKind::kAllUsers), 1);
}

TEST(FindGrantsTest, ConditionIsCarriedNotEvaluated) {
  const Inventory inventory =
      MakeInventory({{kProject, "roles/cloudkms.cryptoKeyDecrypter", {kMember}, RingOnly()}});
  const GrantReport report = FindGrants(inventory, MakeRoleResolver(inventory), DecryptQuestion());
  ASSERT_EQ(report.grants.size(), 1u);
  EXPECT_EQ(report.grants[0].certainty, Certainty::kConditional);
  EXPECT_EQ(report.grants[0].via[0].condition_title, "ring only");
  EXPECT_THAT(report.grants[0].via[0].condition_expression, HasSubstr("startsWith"));
}

TEST(FindGrantsTest, UnreadableBindingsAreNoted) {
  Inventory inventory = MakeInventory({{kProject, "roles/owner"}});
  inventory.policies[0].problems.push_back("/iam_policy/bindings/1: a member is not a string");
  const RoleResolver roles = MakeRoleResolver(inventory);
  const GrantReport report = FindGrants(inventory, roles, DecryptQuestion());
  ASSERT_EQ(report.notes.size(), 1u);
  EXPECT_THAT(report.notes[0], HasSubstr("may hold grants not listed"));
  const KeyAccess access = AnalyzeKey(inventory, roles, DecryptQuestion(), kKey);
  EXPECT_FALSE(access.complete);
  EXPECT_THAT(access.members, ::testing::SizeIs(1));
}

TEST(AnalyzeKeyTest, UnionOverTheAncestryNearestFirst) {
  const Inventory inventory = MakeInventory({{kOrg, "roles/owner"},
                                             {kFolder, "roles/cloudkms.cryptoKeyDecrypter"},
                                             {kKeyFull, "roles/cloudkms.cryptoOperator"}});
  const KeyAccess access =
      AnalyzeKey(inventory, MakeRoleResolver(inventory), DecryptQuestion(), kKey);
  EXPECT_TRUE(access.complete);
  EXPECT_THAT(access.notes, IsEmpty());
  ASSERT_EQ(access.members.size(), 1u);
  std::vector<std::string> scopes;
  for (const GrantVia& via : access.members[0].via) scopes.push_back(via.scope);
  EXPECT_THAT(scopes, ElementsAre(kKey, kFolder, kOrg));
  EXPECT_EQ(access.members[0].reach, Reach::kEveryKeyBelow);
}

TEST(AnalyzeKeyTest, MissingAncestryIsSaid) {
  const Inventory inventory = MakeInventory({}, {}, false);
  const KeyAccess access =
      AnalyzeKey(inventory, MakeRoleResolver(inventory), DecryptQuestion(), kKey);
  EXPECT_FALSE(access.complete);
  ASSERT_EQ(access.notes.size(), 1u);
  EXPECT_THAT(access.notes[0], HasSubstr("projects/acme was not seen"));
}

// The index answers what FindGrants answers, by scope, once per list of permissions.
TEST(GrantIndexTest, AnswersAsFindGrantsByScopeOncePerPermissionList) {
  const Inventory inventory = MakeInventory({{kProject, "roles/owner"},
                                             {kRing, "roles/cloudkms.admin"},
                                             {kKeyFull, "roles/cloudkms.cryptoKeyDecrypter"}});
  const GrantIndex index(inventory);
  const GrantIndex::Answer& decrypt = index.For(DecryptQuestion());
  const GrantReport direct = FindGrants(inventory, MakeRoleResolver(inventory), DecryptQuestion());
  ASSERT_EQ(decrypt.report.grants.size(), direct.grants.size());
  for (std::size_t i = 0; i < direct.grants.size(); ++i) {
    EXPECT_EQ(decrypt.report.grants[i].scope.name, direct.grants[i].scope.name);
    EXPECT_EQ(decrypt.report.grants[i].member.text, direct.grants[i].member.text);
  }
  // Owner on the project and the decrypter on the key decrypt; cloudkms.admin on the ring does not.
  ASSERT_EQ(decrypt.by_scope.size(), 2u);
  EXPECT_TRUE(decrypt.by_scope.contains(kProject));
  EXPECT_TRUE(decrypt.by_scope.contains(kKey));
  // Asked again, under another name: the same answer, not a second computation.
  PermissionQuestion renamed = DecryptQuestion();
  renamed.name = "another rule";
  EXPECT_EQ(&index.For(renamed), &decrypt);
  // Another list of permissions: its own answer (the ring's admin escalates).
  const GrantIndex::Answer& escalation = index.For(EscalationQuestion());
  EXPECT_NE(&escalation, &decrypt);
  EXPECT_TRUE(escalation.by_scope.contains("projects/acme/locations/eu/keyRings/ring"));
}

TEST(PermissionActsAtOrBelowTest, APermissionActsOnItsTypeAndBelowOnly) {
  struct Row {
    const char* permission;
    ScopeKind scope;
    bool acts;
  };
  for (const Row& row : std::vector<Row>{
           {"resourcemanager.organizations.setIamPolicy", ScopeKind::kOrganization, true},
           {"resourcemanager.organizations.setIamPolicy", ScopeKind::kFolder, false},
           {"resourcemanager.folders.setIamPolicy", ScopeKind::kOrganization, true},
           {"resourcemanager.folders.setIamPolicy", ScopeKind::kFolder, true},
           {"resourcemanager.folders.setIamPolicy", ScopeKind::kProject, false},
           {"resourcemanager.projects.setIamPolicy", ScopeKind::kProject, true},
           {"resourcemanager.projects.setIamPolicy", ScopeKind::kKeyRing, false},
           {"cloudkms.keyRings.setIamPolicy", ScopeKind::kKeyRing, true},
           {"cloudkms.keyRings.setIamPolicy", ScopeKind::kCryptoKey, false},
           {"cloudkms.cryptoKeys.setIamPolicy", ScopeKind::kOrganization, true},
           {"cloudkms.cryptoKeys.setIamPolicy", ScopeKind::kCryptoKey, true},
           {"cloudkms.cryptoKeyVersions.useToDecrypt", ScopeKind::kCryptoKey, true},
           {"cloudkms.cryptoKeyVersions.useToDecrypt", ScopeKind::kFolder, true},
           // Not one of the hierarchy's types: acts wherever it is bound.
           {"cloudkms.importJobs.useToImport", ScopeKind::kCryptoKey, true},
           // A prefix must end at the type's dot.
           {"cloudkms.keyRingsX.setIamPolicy", ScopeKind::kCryptoKey, true},
       }) {
    EXPECT_EQ(PermissionActsAtOrBelow(row.permission, row.scope), row.acts)
        << row.permission << " on " << ScopeKindName(row.scope);
  }
}

// A finding's account: the project id when the join maps the number, else as the name holds it
// (an id stays an id; a number the join never saw, and a folder's empty account, are unchanged).
TEST(ProjectAccountTest, NamesAJoinedProjectByIdAndLeavesTheRestAsWritten) {
  const Inventory joined = MakeInventory({});
  EXPECT_EQ(ProjectAccount(joined, "731"), "acme");
  EXPECT_EQ(ProjectAccount(joined, "acme"), "acme");
  EXPECT_EQ(ProjectAccount(joined, "732"), "732");
  EXPECT_EQ(ProjectAccount(joined, ""), "");
  const Inventory alone = MakeInventory({}, {}, /*join=*/false);
  EXPECT_EQ(ProjectAccount(alone, "731"), "731");
}

TEST(CheckQuestionTest, RefusesWhatTheCatalogCannotAnswer) {
  const Inventory inventory;
  const RoleResolver roles = MakeRoleResolver(inventory);
  EXPECT_TRUE(CheckQuestion(DecryptQuestion(), roles).ok());
  EXPECT_TRUE(CheckQuestion(StrictDecryptQuestion(), roles).ok());
  EXPECT_TRUE(CheckQuestion(EscalationQuestion(), roles).ok());
  EXPECT_TRUE(CheckQuestion({"destroy", {"cloudkms.cryptoKeyVersions.destroy"}}, roles).ok());
  const absl::Status outside = CheckQuestion({"read", {"storage.objects.get"}}, roles);
  EXPECT_EQ(outside.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(outside.message(), HasSubstr("storage.objects.get"));
  EXPECT_FALSE(CheckQuestion({"none", {}}, roles).ok());
}

}  // namespace
}  // namespace kmsguard::gcp
