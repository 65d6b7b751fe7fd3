// Azure input adapters (az CLI / ARM REST / Resource Graph, ARM templates,
// Terraform azurerm) -> the normalized Azure documents of
// docs/resource-model.md: the shared reference samples
// (../shared/samples/multicloud) and inline fixtures of each shape, with their
// errors.
#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/adapters/azure_cli.h"
#include "sdk/adapters/snapshot.h"
#include "tests/sdk/adapters/adapter_test_support.h"

namespace kmsguard::adapters {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Json = nlohmann::json;

const std::filesystem::path kSamples =
    std::filesystem::path(KMSGUARD_SHARED_DIR) / "samples" / "multicloud";

// --- az CLI, ARM GET, REST and Resource Graph
// ---------------------------------------------------

TEST(AzureCliTest, DemistoVaultWithoutTheRbacFlagKeepsItAbsent) {
  std::string text;
  if (!test::ReadFile(kSamples / "azure-keyvault-get.access-policy.demisto.json", &text)) {
    GTEST_SKIP() << "reference sample not found in " << kSamples;
  }
  EXPECT_EQ(DetectInputFormat(text), InputFormat::kAzureCli);
  const AdapterResult result = ReadSnapshot(text, "get_key_vault.json");
  ASSERT_THAT(result.diagnostics, IsEmpty()) << test::Describe(result.diagnostics);
  ASSERT_EQ(result.resources.size(), 1u);
  const model::Resource& vault = result.resources[0];
  EXPECT_EQ(vault.provider, "azure");
  EXPECT_EQ(vault.type, "Microsoft.KeyVault/vaults");
  EXPECT_EQ(vault.id,
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/"
            "sample-resource-group/providers/Microsoft.KeyVault/vaults/sample-vault");
  EXPECT_EQ(vault.account, "00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(vault.region, "westus");
  EXPECT_EQ(vault.source.file, "get_key_vault.json");
  EXPECT_EQ(vault.source.line, 1);
  const Json& doc = vault.document;
  EXPECT_EQ(doc["origin"], Json::parse(R"({"kind":"live","format":"azure-cli","api_version":""})"));
  EXPECT_FALSE(doc["properties"].contains("enableRbacAuthorization"));
  EXPECT_EQ(doc["properties"]["tenantId"], "00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(doc["properties"]["enabledForDiskEncryption"], true);
  ASSERT_EQ(doc["properties"]["accessPolicies"].size(), 1u);
  const Json& policy = doc["properties"]["accessPolicies"][0];
  EXPECT_EQ(policy["objectId"], "00000000-0000-0000-0000-000000000000");
  const std::vector<std::string> keys = policy["permissions"]["keys"];
  EXPECT_THAT(keys, ::testing::Contains("decrypt"));
  EXPECT_THAT(keys, ::testing::Contains("unwrapKey"));
  EXPECT_EQ(keys.size(), 16u);
  EXPECT_THAT(doc["unknown"], IsEmpty());
  EXPECT_THAT(doc["problems"], IsEmpty());
}

constexpr char kRoleAssignments[] = R"([
  {"id": "/subscriptions/1111AAAA-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleAssignments/9f0c",
   "name": "9f0c", "principalId": "5a5a", "principalName": "etl-app",
   "principalType": "ServicePrincipal",
   "roleDefinitionId": "/subscriptions/1111AAAA-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/12338af0-0e69-4776-bea7-57ae8d297424",
   "roleDefinitionName": "Key Vault Crypto User",
   "scope": "/subscriptions/1111AAAA-0000-0000-0000-000000000000/resourceGroups/data-rg",
   "condition": null, "conditionVersion": null, "canDelegate": null, "description": null,
   "type": "Microsoft.Authorization/roleAssignments"},
  {"id": "/providers/Microsoft.Management/managementGroups/mg1/providers/Microsoft.Authorization/roleAssignments/77",
   "name": "77", "principalId": "6b6b", "principalType": "Group",
   "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/00482a5a-887f-4fb3-b363-3b7fe8e74483",
   "scope": "/providers/Microsoft.Management/managementGroups/mg1",
   "condition": "@Resource[x] StringEquals 'y'", "conditionVersion": "2.0",
   "type": "Microsoft.Authorization/roleAssignments"}
])";

TEST(AzureCliTest, RoleAssignmentListMovesFieldsUnderProperties) {
  EXPECT_EQ(DetectInputFormat(kRoleAssignments), InputFormat::kAzureCli);
  const AdapterResult result = ReadSnapshot(kRoleAssignments, "ra.json");
  ASSERT_THAT(result.diagnostics, IsEmpty()) << test::Describe(result.diagnostics);
  ASSERT_EQ(result.resources.size(), 2u);
  const model::Resource& first = result.resources[0];
  EXPECT_EQ(first.type, "Microsoft.Authorization/roleAssignments");
  EXPECT_EQ(first.name, "9f0c");
  EXPECT_EQ(first.account, "1111aaaa-0000-0000-0000-000000000000");
  EXPECT_EQ(first.source.json_pointer, "/0");
  EXPECT_EQ(first.source.line, 2);
  const Json& p = first.document["properties"];
  EXPECT_EQ(p["roleDefinitionId"],
            "/subscriptions/1111AAAA-0000-0000-0000-000000000000/providers/"
            "Microsoft.Authorization/roleDefinitions/"
            "12338af0-0e69-4776-bea7-57ae8d297424");
  EXPECT_EQ(p["roleDefinitionName"], "Key Vault Crypto User");
  EXPECT_EQ(p["principalName"], "etl-app");
  EXPECT_EQ(p["principalType"], "ServicePrincipal");
  EXPECT_EQ(p["scope"],
            "/subscriptions/1111AAAA-0000-0000-0000-000000000000/"
            "resourceGroups/data-rg");
  EXPECT_FALSE(p.contains("condition"));
  EXPECT_FALSE(first.document.contains("principalId"));
  const model::Resource& second = result.resources[1];
  EXPECT_EQ(second.account, "");
  EXPECT_EQ(second.document["properties"]["scope"],
            "/providers/Microsoft.Management/managementGroups/mg1");
  EXPECT_EQ(second.document["properties"]["condition"], "@Resource[x] StringEquals 'y'");
  EXPECT_EQ(second.document["properties"]["conditionVersion"], "2.0");
}

TEST(AzureCliTest, RoleDefinitionListCustomRoleAndPowerShellVariant) {
  constexpr char kAz[] = R"([{"name": "7d1e", "roleName": "kv-decrypt-all",
    "roleType": "CustomRole", "assignableScopes": ["/subscriptions/1111"],
    "permissions": [{"actions": [], "notActions": [],
                     "dataActions": ["Microsoft.KeyVault/vaults/keys/*"],
                     "notDataActions": ["Microsoft.KeyVault/vaults/keys/Delete"]}]}])";
  EXPECT_EQ(DetectInputFormat(kAz), InputFormat::kAzureCli);
  AdapterResult result = ReadSnapshot(kAz, "rd.json");
  ASSERT_THAT(result.diagnostics, IsEmpty()) << test::Describe(result.diagnostics);
  ASSERT_EQ(result.resources.size(), 1u);
  const model::Resource& role = result.resources[0];
  EXPECT_EQ(role.type, "Microsoft.Authorization/roleDefinitions");
  EXPECT_EQ(role.id, "/providers/Microsoft.Authorization/roleDefinitions/7d1e");
  EXPECT_EQ(role.document["properties"]["roleName"], "kv-decrypt-all");
  EXPECT_EQ(role.document["properties"]["type"], "CustomRole");
  EXPECT_EQ(role.document["properties"]["assignableScopes"], Json::array({"/subscriptions/1111"}));
  EXPECT_EQ(role.document["properties"]["permissions"][0]["notDataActions"],
            Json::array({"Microsoft.KeyVault/vaults/keys/Delete"}));  // case kept

  constexpr char kPowerShell[] =
      R"([{"Name": "kv-decrypt-all", "Id": "7d1e", "IsCustom": true,
    "Actions": [], "NotActions": [], "DataActions": ["Microsoft.KeyVault/vaults/keys/decrypt/action"],
    "NotDataActions": ["Microsoft.KeyVault/vaults/keys/delete"],
    "AssignableScopes": ["/subscriptions/1111"]}])";
  EXPECT_EQ(DetectInputFormat(kPowerShell), InputFormat::kAzureCli);
  result = ReadSnapshot(kPowerShell, "rd.ps.json");
  ASSERT_THAT(result.diagnostics, IsEmpty()) << test::Describe(result.diagnostics);
  ASSERT_EQ(result.resources.size(), 1u);
  const Json& p = result.resources[0].document["properties"];
  EXPECT_EQ(result.resources[0].id, "/providers/Microsoft.Authorization/roleDefinitions/7d1e");
  EXPECT_EQ(p["roleName"], "kv-decrypt-all");
  EXPECT_EQ(p["type"], "CustomRole");
  EXPECT_EQ(p["permissions"][0]["dataActions"],
            Json::array({"Microsoft.KeyVault/vaults/keys/decrypt/action"}));
  EXPECT_EQ(p["permissions"][0]["notDataActions"],
            Json::array({"Microsoft.KeyVault/vaults/keys/delete"}));
  EXPECT_EQ(p["assignableScopes"], Json::array({"/subscriptions/1111"}));
}

TEST(AzureCliTest, RestValueWrapperAndNullVersusAbsentFlag) {
  constexpr char kList[] = R"({"value": [
    {"id": "/subscriptions/2222/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/a",
     "name": "a", "type": "Microsoft.KeyVault/vaults", "location": "westeurope",
     "properties": {"tenantId": "t", "enableRbacAuthorization": null, "accessPolicies": []}},
    {"id": "/subscriptions/2222/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/b",
     "name": "b", "type": "Microsoft.KeyVault/vaults", "location": "westeurope",
     "properties": {"tenantId": "t"}},
    {"id": "/subscriptions/2222/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/c",
     "name": "c", "type": "Microsoft.KeyVault/vaults", "location": "westeurope",
     "properties": {"tenantId": "t", "enableRbacAuthorization": true}}
  ], "nextLink": null})";
  EXPECT_EQ(DetectInputFormat(kList), InputFormat::kAzureCli);
  const AdapterResult result = ReadSnapshot(kList, "list.json");
  ASSERT_THAT(result.diagnostics, IsEmpty()) << test::Describe(result.diagnostics);
  ASSERT_EQ(result.resources.size(), 3u);
  const Json& a = result.resources[0].document["properties"];
  ASSERT_TRUE(a.contains("enableRbacAuthorization"));
  EXPECT_TRUE(a["enableRbacAuthorization"].is_null());
  EXPECT_EQ(a["accessPolicies"], Json::array());
  EXPECT_FALSE(result.resources[1].document["properties"].contains("enableRbacAuthorization"));
  EXPECT_EQ(result.resources[2].document["properties"]["enableRbacAuthorization"], true);
  EXPECT_EQ(result.resources[1].source.json_pointer, "/value/1");
  EXPECT_EQ(result.resources[1].source.line, 5);
  EXPECT_EQ(result.resources[1].account, "2222");
}

TEST(AzureCliTest, ResourceGraphWrapperWithLowerCaseTypes) {
  constexpr char kGraph[] = R"({"count": 3, "data": [
    {"id": "/subscriptions/3333/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
     "name": "kv", "type": "microsoft.keyvault/vaults", "location": "eastus",
     "subscriptionId": "3333",
     "properties": {"tenantId": "t", "enableRbacAuthorization": false,
       "accessPolicies": [{"tenantId": "t", "objectId": "o1",
                           "permissions": {"keys": ["Get", "UnwrapKey", "WrapKey"], "secrets": []}}]}},
    {"id": "/subscriptions/3333/providers/microsoft.authorization/roleassignments/ra1",
     "name": "ra1", "type": "microsoft.authorization/roleassignments",
     "properties": {"principalId": "p", "principalType": "User",
       "roleDefinitionId": "/subscriptions/3333/providers/Microsoft.Authorization/roleDefinitions/12338af0-0e69-4776-bea7-57ae8d297424",
       "scope": "/subscriptions/3333"}},
    {"id": "/subscriptions/3333/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/s",
     "name": "s", "type": "microsoft.storage/storageaccounts", "properties": {}}
  ], "skip_token": null, "total_records": 3})";
  EXPECT_EQ(DetectInputFormat(kGraph), InputFormat::kAzureCli);
  const AdapterResult result = ReadSnapshot(kGraph, "graph.json");
  ASSERT_EQ(result.resources.size(), 2u);
  EXPECT_EQ(result.resources[0].type, "Microsoft.KeyVault/vaults");
  EXPECT_EQ(result.resources[0].document["type"], "Microsoft.KeyVault/vaults");
  EXPECT_EQ(result.resources[0].document["properties"]["accessPolicies"][0]["permissions"]["keys"],
            Json::array({"Get", "UnwrapKey", "WrapKey"}));
  EXPECT_EQ(result.resources[1].type, "Microsoft.Authorization/roleAssignments");
  EXPECT_EQ(result.resources[1].document["properties"]["principalId"], "p");
  EXPECT_EQ(result.resources[1].document["properties"]["scope"], "/subscriptions/3333");
  // The storage account is not read, and one warning says so.
  ASSERT_EQ(result.diagnostics.size(), 1u) << test::Describe(result.diagnostics);
  EXPECT_EQ(result.diagnostics[0].severity, core::DiagnosticSeverity::kWarning);
  EXPECT_EQ(result.diagnostics[0].location.json_pointer, "/data/2");
}

TEST(AzureCliTest, AMalformedElementIsADiagnosticAndItsSiblingsLoad) {
  constexpr char kMixed[] = R"([
  {"name": "ok1", "roleName": "r1", "roleType": "CustomRole", "permissions": []},
  42,
  {"id": "/subscriptions/4444/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/v",
   "name": "v", "type": "Microsoft.KeyVault/vaults",
   "properties": {"tenantId": 7, "enableRbacAuthorization": "yes",
     "accessPolicies": [{"objectId": "o", "permissions": "all"}, {"objectId": "o2",
       "permissions": {"keys": ["decrypt"]}}]}},
  {"hello": "world"}
])";
  EXPECT_EQ(DetectInputFormat(kMixed), InputFormat::kAzureCli);
  const AdapterResult result = ReadSnapshot(kMixed, "mixed.json");
  ASSERT_EQ(result.resources.size(), 2u);
  EXPECT_EQ(result.resources[0].name, "ok1");
  const model::Resource& vault = result.resources[1];
  EXPECT_EQ(vault.name, "v");
  const Json& doc = vault.document;
  EXPECT_EQ(doc["problems"], Json::array({"/properties/tenantId: tenantId is not a string",
                                          "/properties/enableRbacAuthorization: "
                                          "enableRbacAuthorization is not a "
                                          "boolean",
                                          "/properties/accessPolicies/0/permissions: "
                                          "permissions is not an object"}));
  EXPECT_FALSE(doc["properties"].contains("enableRbacAuthorization"));
  EXPECT_EQ(doc["properties"]["accessPolicies"][0]["objectId"], "o");
  EXPECT_EQ(doc["properties"]["accessPolicies"][1]["permissions"]["keys"],
            Json::array({"decrypt"}));
  std::vector<std::string> where;
  for (const core::Diagnostic& d : result.diagnostics) {
    where.push_back(d.location.json_pointer);
    EXPECT_EQ(d.location.file, "mixed.json");
    EXPECT_EQ(d.severity, core::DiagnosticSeverity::kError);
  }
  EXPECT_THAT(where,
              ElementsAre("/1", "/2/properties/tenantId", "/2/properties/enableRbacAuthorization",
                          "/2/properties/accessPolicies/0/permissions", "/3"));
  EXPECT_EQ(result.diagnostics[0].location.line,
            3);  // the element itself has a position
}

TEST(AzureCliTest, AFlatAssignmentFieldOfTheWrongTypeNamesTheFlatPointer) {
  constexpr char kBad[] =
      R"([{"id": "/subscriptions/5/providers/Microsoft.Authorization/roleAssignments/x",
    "principalId": ["p"], "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/r",
    "scope": "/subscriptions/5"}])";
  const AdapterResult result = ReadSnapshot(kBad, "bad.json");
  ASSERT_EQ(result.resources.size(), 1u);
  EXPECT_EQ(result.resources[0].document["problems"],
            Json::array({"/properties/principalId: principalId is not a string"}));
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_EQ(result.diagnostics[0].location.json_pointer, "/0/principalId");
}

// --- Detection
// ----------------------------------------------------------------------------------

TEST(AzureDetectTest, NamesAndExistingFormatsUnchanged) {
  InputFormat format = InputFormat::kAuto;
  ASSERT_TRUE(ParseInputFormat("azure-cli", &format));
  EXPECT_EQ(format, InputFormat::kAzureCli);
  EXPECT_EQ(InputFormatName(InputFormat::kAzureCli), "azure-cli");
  ASSERT_TRUE(ParseInputFormat("gcp-cai", &format));
  EXPECT_EQ(format, InputFormat::kGcpAssetInventory);

  EXPECT_EQ(DetectInputFormat(R"({"UserDetailList": [], "RoleDetailList": [], "Policies": []})"),
            InputFormat::kAuthorizationDetails);
  EXPECT_EQ(
      DetectInputFormat(
          R"({"name": "//cloudresourcemanager.googleapis.com/projects/p", "asset_type": "cloudresourcemanager.googleapis.com/Project"})"
          "\n"),
      InputFormat::kGcpAssetInventory);
  EXPECT_EQ(DetectInputFormat(R"([{"resourceType": "AWS::IAM::Role", "configuration": {}}])"),
            InputFormat::kConfig);
  EXPECT_EQ(DetectInputFormat(R"({"format_version": "1.2", "planned_values": {}})"),
            InputFormat::kTerraform);
  EXPECT_EQ(DetectInputFormat(R"({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}})"),
            InputFormat::kCloudFormation);
  // Lists and objects of nothing Azure stay undetected (an ARM parameters file
  // is no snapshot).
  EXPECT_EQ(
      DetectInputFormat(
          R"({"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", "parameters": {}})"),
      InputFormat::kAuto);
  EXPECT_EQ(DetectInputFormat(
                R"([{"id": "x", "type": "Microsoft.Storage/storageAccounts",
                                   "properties": {}}])"),
            InputFormat::kAuto);
  EXPECT_EQ(DetectInputFormat(R"({"value": []})"), InputFormat::kAuto);
  EXPECT_EQ(DetectInputFormat(R"({"type": "Microsoft.KeyVault/vaults"})"), InputFormat::kAuto);
  EXPECT_EQ(DetectInputFormat(R"([1, 2])"), InputFormat::kAuto);
}

}  // namespace
}  // namespace kmsguard::adapters
