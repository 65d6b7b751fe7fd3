// The Azure traps of issue 16 and docs/azure-keyvault-semantics.md, one case each, through the
// whole join (normalized resources -> azure::BuildInventory -> the decision). Expected values come
// from the providers' documentation: built-in role contents from the Azure built-in roles page
// (Security section: Key Vault roles; Owner's actions "*" hold no data action), data-action
// matching from "Azure role definitions" (wildcards, case, notDataActions per block), scopes from
// "Understand scope for Azure RBAC", the permission model from "Azure RBAC vs. access policies" and
// "Azure Key Vault: default access control".
#include "sdk/azure/key_access.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/azure/inventory.h"
#include "tests/sdk/azure/azure_test_support.h"

namespace kmsguard::azure {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

using test::Absent;
using test::Assignment;
using test::BuiltinId;
using test::CustomRole;
using test::kAdministrator;
using test::kContributor;
using test::kCryptoOfficer;
using test::kCryptoUser;
using test::kCustom;
using test::kDataAccessAdministrator;
using test::kKeyVaultContributor;
using test::kMg;
using test::kOwner;
using test::kReader;
using test::kRg;
using test::kSecretsUser;
using test::kServiceEncryptionUser;
using test::kServiceReleaseUser;
using test::kSub;
using test::kUserAccessAdministrator;
using test::kVault;
using test::Make;
using test::VaultResource;

AssignmentAnswer JudgeFirst(const std::vector<model::Resource>& resources) {
  const InventoryResult joined = BuildInventory(resources);
  // (A warning that inherited assignments were not seen is expected: these inputs have none.)
  for (const core::Diagnostic& d : joined.diagnostics) {
    EXPECT_EQ(d.severity, core::DiagnosticSeverity::kWarning) << d.message;
  }
  const RoleResolver roles = MakeRoleResolver(joined.inventory);
  return JudgeAssignment(joined.inventory, roles, DecryptQuestion(),
                         joined.inventory.assignments.at(0));
}

// --- role expansion: names that look dangerous but grant no data action, and the reverse ---

TEST(AzureAssignmentTest, OwnerAndContributorHoldNoDataActionDespiteActionsStar) {
  for (const char* role : {kOwner, kContributor}) {
    const AssignmentAnswer a = JudgeFirst({Assignment(kSub, BuiltinId(role))});
    EXPECT_EQ(a.certainty, Certainty::kNone) << role;
    EXPECT_EQ(a.role.state, RoleState::kKnown) << role;
  }
}

TEST(AzureAssignmentTest, CryptoUserAtResourceGroupReachesEveryKeyBelow) {
  const AssignmentAnswer a =
      JudgeFirst({Assignment(kRg, BuiltinId(kCryptoUser)), VaultResource(true)});
  EXPECT_EQ(a.certainty, Certainty::kGranted);
  EXPECT_EQ(a.reach, Reach::kEveryKeyBelow);
  EXPECT_THAT(a.data_actions, ElementsAre("Microsoft.KeyVault/vaults/keys/decrypt/action",
                                          "Microsoft.KeyVault/vaults/keys/unwrap/action"));
  EXPECT_EQ(a.role.display, "Key Vault Crypto User");
  EXPECT_THAT(a.vaults_below, ElementsAre(kVault));
}

TEST(AzureAssignmentTest, AdministratorGrantsThroughVaultsWildcardAtVaultScope) {
  const AssignmentAnswer a =
      JudgeFirst({Assignment(kVault, BuiltinId(kAdministrator)), VaultResource(true)});
  EXPECT_EQ(a.certainty, Certainty::kGranted);
  EXPECT_EQ(a.reach, Reach::kEveryKeyInVault);
  EXPECT_THAT(a.patterns, ElementsAre("Microsoft.KeyVault/vaults/*"));
}

TEST(AzureAssignmentTest, CryptoOfficerGrantsThroughKeysWildcard) {
  const AssignmentAnswer a = JudgeFirst({Assignment(kSub, BuiltinId(kCryptoOfficer))});
  EXPECT_EQ(a.certainty, Certainty::kGranted);
  EXPECT_THAT(a.patterns, ElementsAre("Microsoft.KeyVault/vaults/keys/*"));
}

TEST(AzureAssignmentTest, ServiceEncryptionUserUnwrapsOnly) {
  const AssignmentAnswer a = JudgeFirst({Assignment(kRg, BuiltinId(kServiceEncryptionUser))});
  EXPECT_EQ(a.certainty, Certainty::kGranted);
  EXPECT_THAT(a.data_actions, ElementsAre("Microsoft.KeyVault/vaults/keys/unwrap/action"));
}

TEST(AzureAssignmentTest, ReleaseUserAndSecretsUserDoNotDecrypt) {
  for (const char* role : {kServiceReleaseUser, kSecretsUser}) {
    EXPECT_EQ(JudgeFirst({Assignment(kRg, BuiltinId(role))}).certainty, Certainty::kNone) << role;
  }
}

TEST(AzureAssignmentTest, RoleIdWithOrWithoutSubscriptionPrefixIsTheSameRole) {
  EXPECT_EQ(JudgeFirst({Assignment(kRg, BuiltinId(kCryptoUser, false))}).certainty,
            Certainty::kGranted);
  // Mixed case, as portals and templates sometimes write it.
  EXPECT_EQ(JudgeFirst({Assignment(kRg,
                                   "/Subscriptions/X/Providers/Microsoft.Authorization/"
                                   "RoleDefinitions/12338AF0-0E69-4776-BEA7-57AE8D297424")})
                .certainty,
            Certainty::kGranted);
}

// --- custom roles: wildcards, notDataActions, the Actions trap ---

TEST(AzureAssignmentTest, CustomRoleNotDataActionsSubtractWithinTheirBlock) {
  const json both_removed = json::array({{{"dataActions", {"Microsoft.KeyVault/vaults/keys/*"}},
                                          {"notDataActions",
                                           {"Microsoft.KeyVault/vaults/keys/decrypt/action",
                                            "Microsoft.KeyVault/vaults/keys/unwrap/action"}}}});
  EXPECT_EQ(JudgeFirst({Assignment(kRg, BuiltinId(kCustom)), CustomRole(both_removed)}).certainty,
            Certainty::kNone);
  const json decrypt_removed =
      json::array({{{"dataActions", {"Microsoft.KeyVault/vaults/keys/*"}},
                    {"notDataActions", {"microsoft.keyvault/vaults/keys/DECRYPT/action"}}}});
  const AssignmentAnswer a =
      JudgeFirst({Assignment(kRg, BuiltinId(kCustom)), CustomRole(decrypt_removed)});
  EXPECT_EQ(a.certainty, Certainty::kGranted);
  EXPECT_THAT(a.data_actions, ElementsAre("Microsoft.KeyVault/vaults/keys/unwrap/action"));
}

TEST(AzureAssignmentTest, NotDataActionsOfAnotherBlockDoNotSubtract) {
  const json blocks =
      json::array({{{"dataActions", {"Microsoft.KeyVault/vaults/keys/decrypt/action"}}},
                   {{"dataActions", json::array()},
                    {"notDataActions", {"Microsoft.KeyVault/vaults/keys/decrypt/action"}}}});
  EXPECT_EQ(JudgeFirst({Assignment(kRg, BuiltinId(kCustom)), CustomRole(blocks)}).certainty,
            Certainty::kGranted);
}

TEST(AzureAssignmentTest, KeyWildcardsInActionsGrantNoDataAction) {
  const json blocks = json::array({{{"actions", {"Microsoft.KeyVault/vaults/keys/*", "*"}}}});
  EXPECT_EQ(JudgeFirst({Assignment(kRg, BuiltinId(kCustom)), CustomRole(blocks)}).certainty,
            Certainty::kNone);
}

TEST(AzureAssignmentTest, WildcardInTheMiddleAndAnyCaseMatch) {
  const json blocks =
      json::array({{{"dataActions", {"MICROSOFT.KEYVAULT/vaults/*/decrypt/action"}}}});
  const AssignmentAnswer a = JudgeFirst({Assignment(kRg, BuiltinId(kCustom)), CustomRole(blocks)});
  EXPECT_EQ(a.certainty, Certainty::kGranted);
  EXPECT_THAT(a.data_actions, ElementsAre("Microsoft.KeyVault/vaults/keys/decrypt/action"));
}

TEST(AzureAssignmentTest, UnknownRoleIsUndeterminedNeverNoGrant) {
  const AssignmentAnswer a = JudgeFirst({Assignment(kRg, BuiltinId(kCustom))});
  EXPECT_EQ(a.certainty, Certainty::kUndetermined);
  EXPECT_THAT(a.notes.front(), HasSubstr("permissions are unknown"));
}

TEST(AzureAssignmentTest, RoleByNameWhenNoIdIsGiven) {
  model::Resource r = Assignment(kRg, "");
  r.document["properties"]["roleDefinitionName"] = "key vault crypto officer";
  EXPECT_EQ(JudgeFirst({r}).certainty, Certainty::kGranted);
}

TEST(AzureAssignmentTest, RoleTheTemplateDoesNotDetermineIsUndetermined) {
  model::Resource r = Assignment(kRg, "[parameters('roleId')]");
  r.document["unknown"] = {"/properties/roleDefinitionId"};
  EXPECT_EQ(JudgeFirst({r}).certainty, Certainty::kUndetermined);
}

// --- scopes and the vault's model ---

TEST(AzureAssignmentTest, ReachFollowsTheScope) {
  EXPECT_EQ(JudgeFirst({Assignment(kMg, BuiltinId(kCryptoUser))}).reach, Reach::kEveryKeyBelow);
  EXPECT_EQ(JudgeFirst({Assignment("/", BuiltinId(kCryptoUser))}).reach, Reach::kEveryKeyBelow);
  EXPECT_EQ(JudgeFirst({Assignment(kSub, BuiltinId(kCryptoUser))}).reach, Reach::kEveryKeyBelow);
  EXPECT_EQ(
      JudgeFirst({Assignment(std::string(kVault) + "/keys/k1", BuiltinId(kCryptoUser))}).reach,
      Reach::kOneKey);
}

// An assignment reaches its scope and what is below it ("Understand scope for Azure RBAC"): a
// resource of another type, a vault's secret or certificate holds no vault key; a key's version
// is part of one key. Scopes that are not well-formed, or other children of a vault, stay unknown.
TEST(AzureAssignmentTest, ResourceScopesThatHoldNoVaultKeyReachNone) {
  const auto reach = [](const std::string& scope) {
    return JudgeFirst({Assignment(scope, BuiltinId(kCryptoUser))}).reach;
  };
  EXPECT_EQ(reach(std::string(kRg) + "/providers/Microsoft.Storage/storageAccounts/sa1"),
            Reach::kNoKey);
  EXPECT_EQ(reach(std::string(kRg) + "/providers/Microsoft.Storage/storageAccounts/sa1/"
                                     "blobServices/default"),
            Reach::kNoKey);
  EXPECT_EQ(reach(std::string(kRg) + "/providers/Microsoft.KeyVault/managedHSMs/hsm1"),
            Reach::kNoKey);
  EXPECT_EQ(reach(std::string(kVault) + "/secrets/s1"), Reach::kNoKey);
  EXPECT_EQ(reach(std::string(kVault) + "/certificates/c1"), Reach::kNoKey);
  EXPECT_EQ(reach(std::string(kVault) + "/keys/k1/versions/abc"), Reach::kOneKey);
  EXPECT_EQ(reach(std::string(kVault) + "/providers/Microsoft.Insights/diagnosticSettings/d"),
            Reach::kUnknown);
  EXPECT_EQ(reach("//subscriptions//s6"), Reach::kUnknown);
  EXPECT_EQ(reach(std::string(kRg) + "/providers/Microsoft.Storage/storageAccounts"),
            Reach::kUnknown);
}

TEST(AzureAssignmentTest, VaultInTheAccessPolicyModelIgnoresRoleAssignments) {
  // The scope written in another case than the vault's id: ids compare case-insensitively.
  std::string scope = kVault;
  for (char& c : scope) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const AssignmentAnswer a =
      JudgeFirst({Assignment(scope, BuiltinId(kCryptoUser)), VaultResource(false)});
  EXPECT_TRUE(a.ignored_by_vault_model);
  EXPECT_EQ(a.certainty, Certainty::kNone);
}

TEST(AzureAssignmentTest, ConditionIsReportedNotEvaluated) {
  const AssignmentAnswer a = JudgeFirst(
      {Assignment(kRg, BuiltinId(kCryptoUser), "p", {{"condition", "@Resource[x] == 'y'"}})});
  EXPECT_EQ(a.certainty, Certainty::kConditional);
}

// --- the permission model: null versus absent, live versus template ---

PermissionModel ModelOf(json flag, json origin) {
  const InventoryResult joined =
      BuildInventory({VaultResource(std::move(flag), std::move(origin))});
  return joined.inventory.vaults.at(0).model;
}

TEST(AzureVaultModelTest, NullOrAbsentOnAnExistingVaultIsAccessPolicies) {
  EXPECT_EQ(ModelOf(nullptr, {{"kind", "live"}}), PermissionModel::kAccessPolicies);
  EXPECT_EQ(ModelOf(Absent(), {{"kind", "live"}}), PermissionModel::kAccessPolicies);
  EXPECT_EQ(ModelOf(true, {{"kind", "live"}}), PermissionModel::kRbac);
  EXPECT_EQ(ModelOf(false, {{"kind", "template"}}), PermissionModel::kAccessPolicies);
}

TEST(AzureVaultModelTest, AbsentInATemplateDependsOnTheApiVersion) {
  EXPECT_EQ(ModelOf(Absent(), {{"kind", "template"}, {"api_version", "2023-07-01"}}),
            PermissionModel::kAccessPolicies);
  EXPECT_EQ(ModelOf(Absent(), {{"kind", "template"}, {"api_version", "2026-02-01"}}),
            PermissionModel::kRbac);
  EXPECT_EQ(ModelOf(nullptr, {{"kind", "template"}, {"api_version", "2026-05-01-preview"}}),
            PermissionModel::kRbac);
  EXPECT_EQ(ModelOf(Absent(), {{"kind", "plan"}}), PermissionModel::kUndetermined);
}

TEST(AzureVaultModelTest, FlagTheInputDoesNotDetermineIsUndetermined) {
  model::Resource vault = VaultResource("[parameters('rbac')]", {{"kind", "template"}});
  vault.document["unknown"] = {"/properties/enableRbacAuthorization"};
  EXPECT_EQ(BuildInventory({vault}).inventory.vaults.at(0).model, PermissionModel::kUndetermined);
}

// --- access policies ---

VaultAnswer Policies(json keys, json flag = false) {
  static InventoryResult joined;  // the answer points into it
  joined = BuildInventory({VaultResource(std::move(flag), {{"kind", "live"}}, std::move(keys))});
  const Vault& vault = joined.inventory.vaults.at(0);
  return JudgeAccessPolicies(DecryptQuestion(), vault.model, vault.access_policies);
}

TEST(AzureAccessPolicyTest, DecryptUnwrapKeyOrAllInAnyCaseGrant) {
  for (const char* permission : {"decrypt", "Decrypt", "UNWRAPKEY", "unwrapKey", "all", "All"}) {
    const VaultAnswer a = Policies({"get", permission});
    EXPECT_EQ(a.certainty, Certainty::kGranted) << permission;
    ASSERT_EQ(a.grants.size(), 1u) << permission;
    EXPECT_THAT(a.grants[0].permissions, ElementsAre(permission));
    EXPECT_THAT(a.grants[0].remaining, ElementsAre("get"));
  }
}

TEST(AzureAccessPolicyTest, EncryptWrapAndReleaseDoNotDecrypt) {
  EXPECT_EQ(Policies({"encrypt", "wrapKey", "release", "unwrap"}).certainty, Certainty::kNone);
}

TEST(AzureAccessPolicyTest, RbacVaultIgnoresItsAccessPolicies) {
  const VaultAnswer a = Policies({"decrypt"}, true);
  EXPECT_EQ(a.certainty, Certainty::kNone);
  EXPECT_THAT(a.notes.at(0), HasSubstr("ignores access policies"));
}

TEST(AzureAccessPolicyTest, ChildResourcesAddAndReplaceEntries) {
  const auto change = [](const std::string& op, json keys) {
    static int n = 0;
    return Make(
        "Microsoft.KeyVault/vaults/accessPolicies",
        std::string(kVault) + "/accessPolicies/" + op + std::to_string(++n),
        {{"properties",
          {{"vaultId", std::string(kVault)},
           {"operation", op},
           {"accessPolicies", {{{"objectId", "obj-2"}, {"permissions", {{"keys", keys}}}}}}}}});
  };
  InventoryResult joined =
      BuildInventory({VaultResource(false), change("add", {"UnwrapKey", "Get"})});
  ASSERT_EQ(joined.inventory.vaults.at(0).access_policies.size(), 2u);
  joined = BuildInventory(
      {VaultResource(false, {{"kind", "live"}}, {"decrypt"}), change("replace", {"get"})});
  ASSERT_EQ(joined.inventory.vaults.at(0).access_policies.size(), 1u);
  EXPECT_EQ(joined.inventory.vaults.at(0).access_policies.at(0).object_id, "obj-2");
  // A change to a vault not in the scan is kept apart, not lost.
  joined = BuildInventory({change("add", {"decrypt"})});
  EXPECT_THAT(joined.inventory.vaults, IsEmpty());
  ASSERT_EQ(joined.inventory.detached.size(), 1u);
  EXPECT_EQ(joined.inventory.detached[0].entries.at(0).keys.at(0), "decrypt");
}

TEST(AzureAccessPolicyTest, AnUnreadableEntryIsADiagnosticAndItsSiblingsLoad) {
  model::Resource vault = VaultResource(false, {{"kind", "live"}}, {"decrypt"});
  vault.document["properties"]["accessPolicies"].push_back(
      {{"objectId", "obj-3"}, {"permissions", {{"keys", "decrypt"}}}});
  const InventoryResult joined = BuildInventory({vault});
  ASSERT_EQ(joined.diagnostics.size(), 1u);
  EXPECT_EQ(joined.diagnostics[0].location.json_pointer, "/properties/accessPolicies/1");
  EXPECT_EQ(joined.inventory.vaults.at(0).access_policies.size(), 2u);
  EXPECT_THAT(joined.inventory.vaults.at(0).access_policies.at(0).keys, ElementsAre("decrypt"));
}

// --- what a user's trial found (2026-12-05): plans, unreadable parts, template ordering ---

TEST(AzureTrialTest, PlanRoleNameIsUsedWhenItsIdIsKnownOnlyAfterApply) {
  model::Resource r = Assignment(kRg, "(known after apply)");
  r.document["properties"]["roleDefinitionName"] = "Key Vault Crypto Officer";
  r.document["unknown"] = {"/properties/roleDefinitionId"};
  EXPECT_EQ(JudgeFirst({r}).certainty, Certainty::kGranted);
}

TEST(AzureTrialTest, PlanCustomRoleWithoutAGuidIsFoundByName) {
  model::Resource role = Make(
      "Microsoft.Authorization/roleDefinitions", "azurerm_role_definition.unwrapper",
      {{"properties",
        {{"roleName", "tf-unwrapper"},
         {"type", "CustomRole"},
         {"permissions", {{{"dataActions", {"Microsoft.KeyVault/vaults/keys/unwrap/action"}}}}}}}});
  model::Resource r = Assignment(kSub, "");
  r.document["properties"]["roleDefinitionName"] = "tf-unwrapper";
  const AssignmentAnswer a = JudgeFirst({r, role});
  EXPECT_EQ(a.certainty, Certainty::kGranted);
  EXPECT_THAT(a.data_actions, ElementsAre("Microsoft.KeyVault/vaults/keys/unwrap/action"));
}

TEST(AzureTrialTest, ScopeNamingAVaultOfTheScanByItsAddressIsThatVault) {
  const AssignmentAnswer a = JudgeFirst(
      {Assignment("azurerm_key_vault.rbac", BuiltinId(kCryptoUser)),
       VaultResource(true, {{"kind", "plan"}}, json::array({"get"}), "azurerm_key_vault.rbac")});
  EXPECT_EQ(a.reach, Reach::kEveryKeyInVault);
  EXPECT_EQ(a.certainty, Certainty::kGranted);
}

TEST(AzureTrialTest, ARoleDefinitionTheAdapterCouldNotReadWholeIsUndetermined) {
  model::Resource role = CustomRole(json::array({{{"actions", json::array()}}}));
  role.document["problems"] = {"/properties/permissions/0/dataActions: not a list of strings"};
  EXPECT_EQ(JudgeFirst({Assignment(kRg, BuiltinId(kCustom)), role}).certainty,
            Certainty::kUndetermined);
}

TEST(AzureTrialTest, AnUnreadableFlagIsUndeterminedNeverAbsent) {
  model::Resource vault = VaultResource(Absent());
  vault.document["problems"] = {"/properties/enableRbacAuthorization: not a boolean"};
  EXPECT_EQ(BuildInventory({vault}).inventory.vaults.at(0).model, PermissionModel::kUndetermined);
}

TEST(AzureTrialTest, UnreadableOrUndeterminedAccessPoliciesMakeTheVaultIncomplete) {
  model::Resource bad_keys = VaultResource(false);
  bad_keys.document["properties"]["accessPolicies"][0]["permissions"]["keys"] = "Get,Decrypt";
  EXPECT_THAT(BuildInventory({bad_keys}).inventory.vaults.at(0).incomplete,
              ElementsAre(HasSubstr("/properties/accessPolicies/0 could not be read")));
  model::Resource bad_permissions = VaultResource(false);
  bad_permissions.document["properties"]["accessPolicies"][0]["permissions"] = json::array();
  EXPECT_THAT(BuildInventory({bad_permissions}).inventory.vaults.at(0).incomplete, SizeIs(1));
  model::Resource loop =
      VaultResource(false, {{"kind", "template"}, {"api_version", "2023-07-01"}});
  loop.document["unknown"] = {"/properties/accessPolicies"};
  EXPECT_THAT(BuildInventory({loop}).inventory.vaults.at(0).incomplete,
              ElementsAre(HasSubstr("does not determine")));
}

// A live vault whose access policies the input does not show is never "no entry grants": a
// listing through the resources API (`az keyvault list`) has no properties at all (model and
// policies unknown), and a GET response always holds accessPolicies, so one without it is
// incomplete too; an RBAC vault ignores access policies, and a template's vault declares its own.
TEST(AzureTrialTest, AccessPoliciesTheInputDoesNotShowMakeTheVaultIncomplete) {
  model::Resource listed = VaultResource(false);
  listed.document.erase("properties");
  const Vault listed_vault = BuildInventory({listed}).inventory.vaults.at(0);
  EXPECT_EQ(listed_vault.model, PermissionModel::kUndetermined);
  EXPECT_THAT(listed_vault.model_reason, HasSubstr("az keyvault show"));
  EXPECT_THAT(listed_vault.incomplete, ElementsAre(HasSubstr("access policies not seen")));
  listed.document["properties"] = json::object();
  EXPECT_EQ(BuildInventory({listed}).inventory.vaults.at(0).model, PermissionModel::kUndetermined);

  for (const json& flag : {json(false), json(nullptr), Absent()}) {
    model::Resource bare = VaultResource(flag);
    bare.document["properties"].erase("accessPolicies");
    bare.document["properties"]["tenantId"] = "t";
    EXPECT_THAT(BuildInventory({bare}).inventory.vaults.at(0).incomplete,
                ElementsAre(HasSubstr("no properties.accessPolicies")))
        << flag.dump();
  }
  // A list the adapter could not read is said as such, not as a listing or a missing list.
  model::Resource unread = VaultResource(false);
  unread.document["properties"].erase("accessPolicies");
  unread.document["problems"] = {"/properties/accessPolicies: accessPolicies is not a list"};
  EXPECT_THAT(BuildInventory({unread}).inventory.vaults.at(0).incomplete,
              ElementsAre(HasSubstr("not read: /properties/accessPolicies")));
  model::Resource rbac = VaultResource(true);
  rbac.document["properties"].erase("accessPolicies");
  EXPECT_THAT(BuildInventory({rbac}).inventory.vaults.at(0).incomplete, IsEmpty());
  model::Resource templated =
      VaultResource(false, {{"kind", "template"}, {"api_version", "2023-07-01"}});
  templated.document["properties"].erase("accessPolicies");
  EXPECT_THAT(BuildInventory({templated}).inventory.vaults.at(0).incomplete, IsEmpty());
}

TEST(AzureTrialTest, ARemoveChangeIsNotAppliedSinceItsOrderIsNotFixed) {
  const model::Resource remove = Make(
      "Microsoft.KeyVault/vaults/accessPolicies", std::string(kVault) + "/accessPolicies/remove",
      {{"properties",
        {{"vaultId", std::string(kVault)},
         {"operation", "remove"},
         {"accessPolicies",
          {{{"objectId", "obj-1"}, {"permissions", {{"keys", {"decrypt"}}}}}}}}}});
  const InventoryResult joined =
      BuildInventory({remove, VaultResource(false, {{"kind", "live"}}, {"decrypt"})});
  const Vault& vault = joined.inventory.vaults.at(0);
  EXPECT_THAT(vault.access_policies.at(0).keys, ElementsAre("decrypt"));
  EXPECT_THAT(vault.notes, ElementsAre(HasSubstr("was not applied")));
}

// The operator finds a resource's part of the joined picture by the resource's id, even when its
// document names another id (a host's own ids), without reading the document again.
TEST(AzureInventoryTest, PartsAreFoundByTheResourceTheyWereReadFrom) {
  model::Resource a1 = Assignment(kRg, BuiltinId(kCryptoUser), "p1");
  model::Resource a2 = Assignment(kSub, BuiltinId(kOwner), "p2");
  a2.id = "host-id-2";
  model::Resource vault = VaultResource(false);
  vault.id = "host-vault";
  const InventoryResult joined = BuildInventory({a1, a2, vault});
  ASSERT_NE(joined.inventory.AssignmentOf("host-id-2"), nullptr);
  EXPECT_EQ(joined.inventory.AssignmentOf("host-id-2")->principal_id, "p2");
  EXPECT_EQ(joined.inventory.AssignmentOf(a1.id)->principal_id, "p1");
  ASSERT_NE(joined.inventory.VaultOf("host-vault"), nullptr);
  EXPECT_EQ(joined.inventory.VaultOf("host-vault")->id, kVault);
  EXPECT_EQ(joined.inventory.AssignmentOf("nothing"), nullptr);
  ASSERT_NE(joined.inventory.roles, nullptr);
  EXPECT_EQ(joined.inventory.roles->Resolve(BuiltinId(kCryptoUser), "").display,
            "Key Vault Crypto User");
}

// What the input cannot have shown is said, never taken for "no grant": no role assignment at
// all, or live ones none of which is above a subscription (az lists management-group and root
// assignments only with --include-inherited, "List Azure role assignments using Azure CLI").
// Template and plan assignments are never inherited ones and do not count.
TEST(AzureInventoryTest, AssignmentsTheInputCannotHaveShownAreSaid) {
  const auto note = [](const std::vector<model::Resource>& resources) {
    return BuildInventory(resources).inventory.unseen_assignments_note;
  };
  EXPECT_THAT(note({VaultResource(true)}), HasSubstr("the input holds no role assignment"));
  EXPECT_THAT(note({VaultResource(true), Assignment(kSub, BuiltinId(kOwner)),
                    Assignment(kRg, BuiltinId(kCryptoUser))}),
              HasSubstr("none of the input's 2 live role assignments is at a management group or "
                        "the tenant root"));
  EXPECT_EQ(note({Assignment(kSub, BuiltinId(kOwner)), Assignment(kMg, BuiltinId(kReader))}), "");
  EXPECT_EQ(note({Assignment(kRg, BuiltinId(kOwner)), Assignment("/", BuiltinId(kReader))}), "");
  model::Resource planned = Assignment(kRg, BuiltinId(kCryptoUser));
  planned.document["origin"] = {{"kind", "plan"}};
  EXPECT_EQ(note({planned, VaultResource(true, {{"kind", "plan"}})}), "");
  // A live vault beside planned assignments only: its live assignments were not seen.
  EXPECT_THAT(note({planned, VaultResource(true)}),
              HasSubstr("role assignments all come from templates or plans"));
  // A live one beside it counts: an export of the same tenant without its inherited scopes.
  EXPECT_THAT(note({planned, Assignment(kSub, BuiltinId(kOwner))}),
              HasSubstr("1 live role assignment is"));

  // An export that cannot have seen inherited scopes is also a warning of the scan, at its first
  // live assignment (the issue: "warn when an export cannot have seen inherited scopes"); the
  // other cases are said on the vaults they concern only.
  model::Resource first = Assignment(kRg, BuiltinId(kCryptoUser));
  first.source = {"assignments.json", 3, 5, "/0", first.id};
  const InventoryResult unseen =
      BuildInventory({planned, first, Assignment(kSub, BuiltinId(kOwner))});
  ASSERT_EQ(unseen.diagnostics.size(), 1u);
  EXPECT_EQ(unseen.diagnostics[0].severity, core::DiagnosticSeverity::kWarning);
  EXPECT_EQ(unseen.diagnostics[0].location.file, "assignments.json");
  EXPECT_EQ(unseen.diagnostics[0].location.line, 3);
  EXPECT_THAT(unseen.diagnostics[0].message,
              HasSubstr("none of the input's 2 live role assignments is at a management group"));
  EXPECT_THAT(BuildInventory({VaultResource(true)}).diagnostics, IsEmpty());
  EXPECT_THAT(
      BuildInventory({Assignment(kRg, BuiltinId(kOwner)), Assignment(kMg, BuiltinId(kReader))})
          .diagnostics,
      IsEmpty());
}

// --- the escalation question: control-plane actions (issue 16's escalation tier) ---

Question EscalationQuestion() {
  return {.name = "escalation",
          .data_actions = {},
          .key_permissions = {},
          .actions = {"Microsoft.Authorization/roleAssignments/write",
                      "Microsoft.KeyVault/vaults/write",
                      "Microsoft.KeyVault/vaults/accessPolicies/write"}};
}

AssignmentAnswer JudgeEscalation(const std::vector<model::Resource>& resources) {
  const InventoryResult joined = BuildInventory(resources);
  const RoleResolver roles = MakeRoleResolver(joined.inventory);
  return JudgeAssignment(joined.inventory, roles, EscalationQuestion(),
                         joined.inventory.assignments.at(0));
}

// Actions match like data actions, on actions/notActions: Owner's "*" holds all three;
// Contributor's notActions take Microsoft.Authorization/*/Write away (in another letter case);
// User Access Administrator and Key Vault Data Access Administrator hold roleAssignments/write
// only; Key Vault Contributor the Key Vault ones only; Reader none (Azure built-in roles page).
TEST(AzureEscalationTest, ActionsExpandWithNotActionsWithinTheirBlock) {
  const auto held = [](const char* guid) {
    return JudgeEscalation({Assignment(kSub, BuiltinId(guid))}).actions;
  };
  EXPECT_THAT(held(kOwner), ElementsAre("Microsoft.Authorization/roleAssignments/write",
                                        "Microsoft.KeyVault/vaults/write",
                                        "Microsoft.KeyVault/vaults/accessPolicies/write"));
  EXPECT_THAT(held(kContributor), ElementsAre("Microsoft.KeyVault/vaults/write",
                                              "Microsoft.KeyVault/vaults/accessPolicies/write"));
  EXPECT_THAT(held(kUserAccessAdministrator),
              ElementsAre("Microsoft.Authorization/roleAssignments/write"));
  EXPECT_THAT(held(kDataAccessAdministrator),
              ElementsAre("Microsoft.Authorization/roleAssignments/write"));
  EXPECT_THAT(held(kKeyVaultContributor),
              ElementsAre("Microsoft.KeyVault/vaults/write",
                          "Microsoft.KeyVault/vaults/accessPolicies/write"));
  EXPECT_THAT(held(kReader), IsEmpty());
  EXPECT_THAT(held(kCryptoUser), IsEmpty());  // data actions are no power over access
  EXPECT_EQ(JudgeEscalation({Assignment(kSub, BuiltinId(kOwner))}).certainty, Certainty::kGranted);
}

// Access-policy changes count only where access policies are read ("Azure RBAC vs. access
// policies"); writing role assignments counts whatever the model.
TEST(AzureEscalationTest, AccessPolicyActionsCountOnlyOnVaultsThatUseAccessPolicies) {
  const AssignmentAnswer on_rbac =
      JudgeEscalation({Assignment(kVault, BuiltinId(kKeyVaultContributor)), VaultResource(true)});
  EXPECT_EQ(on_rbac.certainty, Certainty::kNone);
  EXPECT_TRUE(on_rbac.ignored_by_vault_model);
  EXPECT_THAT(on_rbac.notes, ElementsAre(HasSubstr("uses RBAC")));
  const AssignmentAnswer on_policies =
      JudgeEscalation({Assignment(kVault, BuiltinId(kKeyVaultContributor)), VaultResource(false)});
  EXPECT_EQ(on_policies.certainty, Certainty::kGranted);
  EXPECT_FALSE(on_policies.ignored_by_vault_model);
  const AssignmentAnswer undetermined =
      JudgeEscalation({Assignment(kVault, BuiltinId(kKeyVaultContributor)),
                       VaultResource(Absent(), {{"kind", "plan"}})});
  EXPECT_EQ(undetermined.certainty, Certainty::kUndetermined);
  EXPECT_THAT(undetermined.notes, ElementsAre(HasSubstr("grants only if it uses access policies")));
  const AssignmentAnswer not_in_scan =
      JudgeEscalation({Assignment(kVault, BuiltinId(kKeyVaultContributor))});
  EXPECT_EQ(not_in_scan.certainty, Certainty::kUndetermined);
  EXPECT_THAT(not_in_scan.notes, ElementsAre(HasSubstr("if it uses RBAC")));
  for (const bool rbac : {true, false}) {
    const AssignmentAnswer owner = JudgeEscalation(
        {Assignment(kVault, BuiltinId(kDataAccessAdministrator)), VaultResource(rbac)});
    EXPECT_EQ(owner.certainty, Certainty::kGranted) << rbac;
    EXPECT_FALSE(owner.ignored_by_vault_model) << rbac;
  }
  // Below a resource group: the vaults on which it counts, by their model.
  const std::string other_vault = std::string(kRg) + "/providers/Microsoft.KeyVault/vaults/kv-rbac";
  const std::vector<model::Resource> vaults = {
      VaultResource(false),
      VaultResource(true, {{"kind", "live"}}, json::array({"get"}), other_vault)};
  std::vector<model::Resource> scan = {Assignment(kRg, BuiltinId(kContributor))};
  scan.insert(scan.end(), vaults.begin(), vaults.end());
  EXPECT_THAT(JudgeEscalation(scan).vaults_below, ElementsAre(kVault));
  EXPECT_EQ(JudgeEscalation(scan).certainty, Certainty::kGranted);
  // Only RBAC vaults below, or none in the input: no vault is known on which it counts.
  EXPECT_EQ(JudgeEscalation({scan[0], vaults[1]}).certainty, Certainty::kUndetermined);
  EXPECT_THAT(JudgeEscalation({scan[0], vaults[1]}).notes,
              ElementsAre(HasSubstr("no vault of the input below it is known to use access "
                                    "policies")));
  EXPECT_EQ(JudgeEscalation({scan[0]}).certainty, Certainty::kUndetermined);
  scan[0] = Assignment(kRg, BuiltinId(kOwner));
  EXPECT_THAT(JudgeEscalation(scan).vaults_below, ElementsAre(kVault, other_vault));
}

// --- scope parsing ---

TEST(AzureScopeTest, KindsAndCanonicalForm) {
  EXPECT_EQ(ParseScope("/").kind, ScopeKind::kTenantRoot);
  EXPECT_EQ(ParseScope(kMg).kind, ScopeKind::kManagementGroup);
  EXPECT_EQ(ParseScope(kSub).kind, ScopeKind::kSubscription);
  EXPECT_EQ(ParseScope(std::string(kRg) + "/").kind, ScopeKind::kResourceGroup);
  const Scope vault = ParseScope(kVault);
  EXPECT_EQ(vault.kind, ScopeKind::kVault);
  EXPECT_EQ(vault.name, "kv-data");
  EXPECT_EQ(vault.subscription, "11111111-2222-3333-4444-555555555555");
  const Scope key = ParseScope(std::string(kVault) + "/keys/K1");
  EXPECT_EQ(key.kind, ScopeKind::kKey);
  EXPECT_EQ(key.vault, vault.canonical);
  EXPECT_EQ(key.name, "K1");
  EXPECT_EQ(ParseScope(std::string(kVault) + "/keys/k/versions/v").kind, ScopeKind::kOther);
  EXPECT_EQ(ParseScope(std::string(kRg) + "/providers/Microsoft.Storage/storageAccounts/s").kind,
            ScopeKind::kOther);
  EXPECT_EQ(ParseScope("kv-data").kind, ScopeKind::kOther);
  EXPECT_TRUE(Covers(ParseScope(kRg), ParseScope(kVault)));
  EXPECT_FALSE(Covers(ParseScope(kRg), ParseScope(std::string(kRg) + "2")));
  EXPECT_TRUE(Covers(ParseScope("/"), ParseScope(kVault)));
}

TEST(AzureScopeTest, RoleDefinitionGuid) {
  EXPECT_EQ(RoleDefinitionGuid(BuiltinId(kCryptoUser)), kCryptoUser);
  EXPECT_EQ(RoleDefinitionGuid("12338AF0-0E69-4776-BEA7-57AE8D297424"), kCryptoUser);
  EXPECT_EQ(RoleDefinitionGuid("/providers/x/roleDefinitions/not-a-guid"), "");
  EXPECT_EQ(RoleDefinitionGuid(BuiltinId(kCryptoUser) + "/"), kCryptoUser);  // as ParseScope does
}

TEST(AzureCatalogTest, ShippedCatalogReadsAndKnowsTheKeyVaultRoles) {
  ASSERT_TRUE(BuiltinRolesStatus().ok()) << BuiltinRolesStatus();
  EXPECT_GE(BuiltinRoles().size(), 900u);
  ASSERT_NE(BuiltinRoles().Find(kCryptoUser), nullptr);
  EXPECT_EQ(BuiltinRoles().Find(kCryptoUser)->role_name, "Key Vault Crypto User");
  EXPECT_EQ(BuiltinRoles().FindByName("KEY VAULT CRYPTO USER"), BuiltinRoles().Find(kCryptoUser));
  EXPECT_TRUE(CheckQuestion(DecryptQuestion(), BuiltinRoles()).ok());
  const auto check = [](std::vector<std::string> data_actions, std::vector<std::string> actions) {
    return CheckQuestion({.name = "x",
                          .data_actions = std::move(data_actions),
                          .key_permissions = {},
                          .actions = std::move(actions)},
                         BuiltinRoles());
  };
  EXPECT_FALSE(
      check({"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"}, {}).ok());
  EXPECT_FALSE(check({"Microsoft.KeyVault/vaults/keys/*"}, {}).ok());
  EXPECT_FALSE(check({}, {}).ok());
  EXPECT_TRUE(check({}, {"Microsoft.Authorization/roleAssignments/write"}).ok());
  EXPECT_FALSE(check({}, {"Microsoft.Authorization/*"}).ok());
  EXPECT_FALSE(check({}, {"Microsoft.Compute/virtualMachines/write"}).ok());
}

TEST(AzureCatalogTest, CatalogErrorsNameThePointer) {
  const absl::StatusOr<RoleCatalog> bad = RoleCatalog::FromJson(
      R"({"source":"s","source_commit":"c","source_date":"d","operation_filter":["Microsoft.KeyVault/"],
          "roles":{"12338af0-0e69-4776-bea7-57ae8d297424":{"roleName":"r","permissions":[{"dataActions":"x"}]}}})",
      "cat.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("cat.json#/roles/12338af0-0e69-4776-bea7-57ae8d297424/permissions/0"));
}

}  // namespace
}  // namespace kmsguard::azure
