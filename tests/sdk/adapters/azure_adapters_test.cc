// Azure input adapters (az CLI / ARM REST / Resource Graph, ARM templates, Terraform azurerm) ->
// the normalized Azure documents of docs/resource-model.md: the shared reference samples
// (../shared/samples/multicloud) and inline fixtures of each shape, with their errors.
#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/adapters/azure_arm_expression.h"
#include "sdk/adapters/azure_arm_template.h"
#include "sdk/adapters/azure_cli.h"
#include "sdk/adapters/snapshot.h"
#include "sdk/adapters/terraform.h"
#include "tests/sdk/adapters/adapter_test_support.h"

namespace kmsguard::adapters {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Json = nlohmann::json;

const std::filesystem::path kSamples =
    std::filesystem::path(KMSGUARD_SHARED_DIR) / "samples" / "multicloud";

// --- az CLI, ARM GET, REST and Resource Graph ---------------------------------------------------

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
            "Microsoft.Authorization/roleDefinitions/12338af0-0e69-4776-bea7-57ae8d297424");
  EXPECT_EQ(p["roleDefinitionName"], "Key Vault Crypto User");
  EXPECT_EQ(p["principalName"], "etl-app");
  EXPECT_EQ(p["principalType"], "ServicePrincipal");
  EXPECT_EQ(p["scope"],
            "/subscriptions/1111AAAA-0000-0000-0000-000000000000/resourceGroups/data-rg");
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

  constexpr char kPowerShell[] = R"([{"Name": "kv-decrypt-all", "Id": "7d1e", "IsCustom": true,
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
  EXPECT_EQ(
      doc["problems"],
      Json::array({"/properties/tenantId: tenantId is not a string",
                   "/properties/enableRbacAuthorization: enableRbacAuthorization is not a "
                   "boolean",
                   "/properties/accessPolicies/0/permissions: permissions is not an object"}));
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
  EXPECT_EQ(result.diagnostics[0].location.line, 3);  // the element itself has a position
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

// --- ARM templates ------------------------------------------------------------------------------

constexpr char kSubscriptionRg[] =
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}";

std::vector<std::string> Unknown(const model::Resource& r) {
  return r.document["unknown"].get<std::vector<std::string>>();
}

class AzureQuickstartTemplateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::ReadFile(kSamples / "azure-arm-kv-rbac-vault-scope.quickstart.json", &text_)) {
      GTEST_SKIP() << "reference sample not found in " << kSamples;
    }
  }
  std::string text_;
};

TEST_F(AzureQuickstartTemplateTest, DefaultsResolveAndParametersWithoutDefaultsStayUnknown) {
  EXPECT_EQ(DetectInputFormat(text_), InputFormat::kArmTemplate);
  const AdapterResult result = ReadSnapshot(text_, "azuredeploy.json");
  ASSERT_THAT(result.diagnostics, IsEmpty()) << test::Describe(result.diagnostics);
  ASSERT_EQ(result.resources.size(), 2u);  // the secret is not a resource of the model

  const model::Resource& vault = result.resources[0];
  const std::string vault_id = std::string(kSubscriptionRg) +
                               "/providers/Microsoft.KeyVault/vaults/[parameters('keyVaultName')]";
  EXPECT_EQ(vault.type, "Microsoft.KeyVault/vaults");
  EXPECT_EQ(vault.provider, "azure");
  EXPECT_EQ(vault.id, vault_id);
  EXPECT_EQ(vault.account, "");
  EXPECT_EQ(vault.region, "");  // "{location}": the resource group's, unknown here
  EXPECT_EQ(vault.source.json_pointer, "/resources/0");
  EXPECT_EQ(vault.source.line, 114);
  const Json& v = vault.document;
  EXPECT_EQ(v["origin"], Json::parse(R"({"kind": "template", "format": "arm-template",
                                         "api_version": "2021-04-01-preview"})"));
  EXPECT_EQ(v["name"], "[parameters('keyVaultName')]");
  EXPECT_EQ(v["location"], "{location}");
  EXPECT_EQ(v["properties"]["enableRbacAuthorization"], true);
  EXPECT_EQ(v["properties"]["tenantId"], "{tenantId}");
  EXPECT_EQ(v["properties"]["enabledForDiskEncryption"], false);  // a bool parameter, as a bool
  EXPECT_THAT(Unknown(vault), ElementsAre("/id", "/name"));
  EXPECT_THAT(v["problems"], IsEmpty());

  const model::Resource& assignment = result.resources[1];
  EXPECT_EQ(assignment.type, "Microsoft.Authorization/roleAssignments");
  EXPECT_EQ(assignment.source.json_pointer, "/resources/2");
  const Json& p = assignment.document["properties"];
  EXPECT_EQ(p["scope"], vault_id);  // the shape of a vault scope, its name unknown
  EXPECT_EQ(p["roleDefinitionId"],
            "/subscriptions/{subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/"
            "4633458b-17de-408a-b874-0445c86b69e6");  // Key Vault Secrets User, the default
  EXPECT_EQ(p["principalId"], "[parameters('objectId')]");
  EXPECT_EQ(p["principalType"], "ServicePrincipal");
  EXPECT_THAT(Unknown(assignment),
              ElementsAre("/id", "/name", "/properties/principalId", "/properties/scope"));
  EXPECT_THAT(assignment.document["name"].get<std::string>(),
              HasSubstr("4633458b-17de-408a-b874-0445c86b69e6"));
  EXPECT_EQ(assignment.document["origin"]["api_version"], "2020-04-01-preview");
}

TEST_F(AzureQuickstartTemplateTest, ParameterValuesFromAParametersFile) {
  constexpr char kParameters[] = R"({
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
    "contentVersion": "1.0.0.0",
    "parameters": {"keyVaultName": {"value": "kv-prod"}, "objectId": {"value": "5a5a"},
                   "roleName": {"value": "Key Vault Crypto Officer"},
                   "enabledForDiskEncryption": {"value": true},
                   "secretValue": {"reference": {"keyVault": {"id": "x"}, "secretName": "s"}}}})";
  CloudFormationParameters parameters;
  core::Diagnostics diagnostics;
  ASSERT_TRUE(
      ReadArmParameters(kParameters, "azuredeploy.parameters.json", &parameters, &diagnostics));
  ASSERT_EQ(diagnostics.size(), 1u);  // the Key Vault reference
  EXPECT_EQ(diagnostics[0].severity, core::DiagnosticSeverity::kWarning);
  EXPECT_EQ(parameters.at("enabledForDiskEncryption"), "true");

  const AdapterResult result =
      ReadSnapshot(text_, "azuredeploy.json", InputFormat::kAuto, parameters);
  ASSERT_THAT(result.diagnostics, IsEmpty()) << test::Describe(result.diagnostics);
  ASSERT_EQ(result.resources.size(), 2u);
  const std::string vault_id =
      std::string(kSubscriptionRg) + "/providers/Microsoft.KeyVault/vaults/kv-prod";
  EXPECT_EQ(result.resources[0].id, vault_id);
  EXPECT_EQ(result.resources[0].document["properties"]["enabledForDiskEncryption"], true);
  EXPECT_THAT(Unknown(result.resources[0]), IsEmpty());
  const Json& p = result.resources[1].document["properties"];
  EXPECT_EQ(p["scope"], vault_id);
  EXPECT_EQ(p["roleDefinitionId"],
            "/subscriptions/{subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/"
            "14b46e9e-c2b7-41b4-b07b-48a6ebf60603");
  EXPECT_EQ(p["principalId"], "5a5a");
  EXPECT_THAT(Unknown(result.resources[1]), IsEmpty());
  EXPECT_EQ(result.resources[1].id, vault_id +
                                        "/providers/Microsoft.Authorization/roleAssignments/" +
                                        result.resources[1].document["name"].get<std::string>());
}

TEST(AzureArmTemplateTest, AccessPolicyChangesAssignmentScopesAndRoleDefinitions) {
  constexpr char kTemplate[] = R"({
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "parameters": {"principal": {"type": "string", "defaultValue": "p-1"}},
  "variables": {"cryptoUser": "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', variables('roles').crypto.user)]",
                "roles": {"crypto": {"user": "12338af0-0e69-4776-bea7-57ae8d297424"}}},
  "resources": [
    {"type": "Microsoft.KeyVault/vaults/accessPolicies", "apiVersion": "2023-07-01",
     "name": "kv1/add",
     "properties": {"accessPolicies": [{"tenantId": "[subscription().tenantId]",
        "objectId": "[parameters('principal')]", "permissions": {"keys": ["Decrypt"]}}]}},
    {"type": "Microsoft.Authorization/roleAssignments", "apiVersion": "2022-04-01",
     "name": "[guid(resourceGroup().id, parameters('principal'))]",
     "properties": {"roleDefinitionId": "[variables('cryptoUser')]",
                    "principalId": "[parameters('principal')]"}},
    {"type": "Microsoft.Authorization/roleAssignments", "apiVersion": "2022-04-01",
     "name": "ra2", "scope": "[resourceId('Microsoft.KeyVault/vaults', 'kv1')]",
     "properties": {"roleDefinitionId": "[reference('x').roleId]", "principalId": "[[literal]"}},
    {"type": "Microsoft.Authorization/roleDefinitions", "apiVersion": "2022-04-01",
     "name": "[guid('custom')]",
     "properties": {"roleName": "kv-decrypt", "type": "customRole",
                    "permissions": [{"actions": [], "dataActions": ["Microsoft.KeyVault/vaults/keys/decrypt/action"]}],
                    "assignableScopes": ["[resourceGroup().id]"]}},
    {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2019-09-01", "name": "kv2",
     "location": "[resourceGroup().location]", "properties": {"tenantId": "t"},
     "resources": [{"type": "accessPolicies", "apiVersion": "2019-09-01", "name": "replace",
                    "properties": {"accessPolicies": []}}]},
    {"condition": "[equals(parameters('principal'), 'other')]",
     "type": "Microsoft.KeyVault/vaults", "apiVersion": "2019-09-01", "name": "skipped",
     "properties": {}}
  ]})";
  EXPECT_EQ(DetectInputFormat(kTemplate), InputFormat::kArmTemplate);
  const AdapterResult result = ReadSnapshot(kTemplate, "t.json");
  ASSERT_THAT(result.diagnostics, IsEmpty()) << test::Describe(result.diagnostics);
  ASSERT_EQ(result.resources.size(), 6u);
  const std::string rg = kSubscriptionRg;

  const model::Resource& add = result.resources[0];
  EXPECT_EQ(add.type, "Microsoft.KeyVault/vaults/accessPolicies");
  EXPECT_EQ(add.id, rg + "/providers/Microsoft.KeyVault/vaults/kv1/accessPolicies/add");
  EXPECT_EQ(add.document["properties"]["vaultId"], rg + "/providers/Microsoft.KeyVault/vaults/kv1");
  EXPECT_EQ(add.document["properties"]["operation"], "add");
  EXPECT_EQ(add.document["properties"]["accessPolicies"][0],
            Json::parse(R"({"tenantId": "{tenantId}", "objectId": "p-1",
                            "permissions": {"keys": ["Decrypt"]}})"));

  const model::Resource& at_group = result.resources[1];
  EXPECT_EQ(at_group.document["properties"]["scope"], rg);  // no `scope`: the resource group
  EXPECT_EQ(at_group.document["properties"]["roleDefinitionId"],
            "/subscriptions/{subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/"
            "12338af0-0e69-4776-bea7-57ae8d297424");
  EXPECT_EQ(at_group.document["name"], "guid(" + rg + ", p-1)");
  EXPECT_THAT(Unknown(at_group), IsEmpty());

  const model::Resource& at_vault = result.resources[2];
  EXPECT_EQ(at_vault.document["properties"]["scope"],
            rg + "/providers/Microsoft.KeyVault/vaults/kv1");
  EXPECT_EQ(at_vault.id, rg + "/providers/Microsoft.KeyVault/vaults/kv1/providers/"
                              "Microsoft.Authorization/roleAssignments/ra2");
  EXPECT_EQ(at_vault.document["properties"]["roleDefinitionId"], "[reference('x').roleId]");
  EXPECT_EQ(at_vault.document["properties"]["principalId"], "[literal]");
  EXPECT_THAT(Unknown(at_vault), ElementsAre("/properties/roleDefinitionId"));

  const model::Resource& role = result.resources[3];
  EXPECT_EQ(role.id,
            "/subscriptions/{subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/"
            "guid(custom)");
  EXPECT_EQ(role.document["properties"]["roleName"], "kv-decrypt");
  EXPECT_EQ(role.document["properties"]["permissions"][0]["dataActions"],
            Json::array({"Microsoft.KeyVault/vaults/keys/decrypt/action"}));
  EXPECT_EQ(role.document["properties"]["assignableScopes"], Json::array({rg}));

  EXPECT_EQ(result.resources[4].id, rg + "/providers/Microsoft.KeyVault/vaults/kv2");
  const model::Resource& replace = result.resources[5];
  EXPECT_EQ(replace.id, rg + "/providers/Microsoft.KeyVault/vaults/kv2/accessPolicies/replace");
  EXPECT_EQ(replace.document["properties"]["operation"], "replace");
  EXPECT_EQ(replace.document["properties"]["accessPolicies"], Json::array());
}

TEST(AzureArmTemplateTest, NestedDeploymentRebindsItsOwnParameters) {
  constexpr char kTemplate[] = R"({
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "parameters": {"vaultName": {"type": "string", "defaultValue": "outer-kv"},
                 "who": {"type": "string"},
                 "rbac": {"type": "bool", "defaultValue": false},
                 "keyPerms": {"type": "array", "defaultValue": ["get", "unwrapKey"]}},
  "variables": {"name": "outer-variable"},
  "resources": [{
    "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "inner",
    "properties": {
      "mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
      "parameters": {"name": {"value": "[concat(parameters('vaultName'), '-2')]"},
                     "rbac": {"value": "[parameters('rbac')]"},
                     "perms": {"value": "[parameters('keyPerms')]"},
                     "principal": {"value": "[parameters('who')]"}},
      "template": {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "parameters": {"name": {"type": "string"}, "rbac": {"type": "bool", "defaultValue": true},
                       "perms": {"type": "array"},
                       "principal": {"type": "string", "defaultValue": "nobody"}},
        "variables": {"name": "inner-variable"},
        "resources": [{
          "type": "Microsoft.KeyVault/vaults", "apiVersion": "2026-02-01",
          "name": "[parameters('name')]", "location": "westeurope",
          "tags": {"v": "[variables('name')]"},
          "properties": {"tenantId": "[subscription().tenantId]",
                         "enableRbacAuthorization": "[parameters('rbac')]",
                         "accessPolicies": [{"tenantId": "[subscription().tenantId]",
                                             "objectId": "[parameters('principal')]",
                                             "permissions": {"keys": "[parameters('perms')]"}}]}}]}}}]})";
  const AdapterResult result = ReadSnapshot(kTemplate, "nested.json");
  ASSERT_THAT(result.diagnostics, IsEmpty()) << test::Describe(result.diagnostics);
  ASSERT_EQ(result.resources.size(), 1u);
  const model::Resource& vault = result.resources[0];
  EXPECT_EQ(vault.name, "outer-kv-2");
  EXPECT_EQ(vault.region, "westeurope");
  EXPECT_EQ(vault.source.json_pointer, "/resources/0/properties/template/resources/0");
  EXPECT_GT(vault.source.line, 0);
  const Json& p = vault.document["properties"];
  EXPECT_EQ(p["enableRbacAuthorization"], false);  // the outer default, not the inner one
  EXPECT_EQ(p["accessPolicies"][0]["permissions"]["keys"], Json::array({"get", "unwrapKey"}));
  EXPECT_EQ(p["accessPolicies"][0]["objectId"], "[parameters('who')]");
  EXPECT_THAT(Unknown(vault), ElementsAre("/properties/accessPolicies/0/objectId"));
  EXPECT_EQ(vault.document["origin"]["api_version"], "2026-02-01");
}

TEST(AzureArmTemplateTest, UnresolvedAndUnreadableExpressions) {
  constexpr char kTemplate[] = R"({
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "parameters": {"rbac": {"type": "bool"}},
  "resources": [
    {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2026-02-01", "name": "kv",
     "properties": {"tenantId": "[parameters('nope')]",
                    "enableRbacAuthorization": "[parameters('rbac')]",
                    "accessPolicies": "[concat('a']"}},
    {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2026-02-01", "name": "kv-ok",
     "properties": {"tenantId": "t", "accessPolicies": [{"objectId": 5}]}}]})";
  AdapterResult result = ReadSnapshot(kTemplate, "u.json");
  ASSERT_EQ(result.resources.size(), 2u);
  const model::Resource& vault = result.resources[0];
  const Json& p = vault.document["properties"];
  EXPECT_EQ(p["enableRbacAuthorization"], "[parameters('rbac')]");
  EXPECT_EQ(p["tenantId"], "[parameters('nope')]");
  EXPECT_EQ(p["accessPolicies"], "[concat('a']");
  EXPECT_THAT(Unknown(vault),
              ElementsAre("/properties/accessPolicies", "/properties/enableRbacAuthorization",
                          "/properties/tenantId"));
  EXPECT_THAT(vault.document["problems"], IsEmpty());
  EXPECT_EQ(result.resources[1].document["problems"],
            Json::array({"/properties/accessPolicies/0/objectId: objectId is not a string"}));
  std::vector<std::string> where;
  for (const core::Diagnostic& d : result.diagnostics) where.push_back(d.location.json_pointer);
  EXPECT_THAT(where, ElementsAre("/resources/0/properties/accessPolicies",
                                 "/resources/0/properties/tenantId",
                                 "/resources/1/properties/accessPolicies/0/objectId"))
      << test::Describe(result.diagnostics);
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("could not be read"));
  EXPECT_THAT(result.diagnostics[1].message, HasSubstr("'nope' is not declared"));
  EXPECT_GT(result.diagnostics[0].location.line, 0);

  // A value given for the bool parameter arrives as a bool.
  result = ReadSnapshot(kTemplate, "u.json", InputFormat::kArmTemplate, {{"rbac", "true"}});
  ASSERT_EQ(result.resources.size(), 2u);
  EXPECT_EQ(result.resources[0].document["properties"]["enableRbacAuthorization"], true);
}

TEST(AzureArmTemplateTest, HostileNestingIsUnknownNotACrash) {
  std::string deep = "[";
  for (int i = 0; i < 5000; ++i) deep += "concat(";
  deep += "'a'";
  for (int i = 0; i < 5000; ++i) deep += ")";
  deep += "]";
  Json tmpl = {{"$schema",
                "https://schema.management.azure.com/schemas/2019-04-01/"
                "deploymentTemplate.json#"},
               {"variables", Json::object()}};
  for (int i = 0; i < 1000; ++i) {
    tmpl["variables"]["v" + std::to_string(i)] = "[variables('v" + std::to_string(i + 1) + "')]";
  }
  tmpl["variables"]["v1000"] = "end";
  tmpl["resources"] = {{{"type", "Microsoft.KeyVault/vaults"},
                        {"name", "kv"},
                        {"properties", {{"tenantId", deep}, {"vaultUri", "x"}}}},
                       {{"type", "Microsoft.KeyVault/vaults"},
                        {"name", "[variables('v0')]"},
                        {"properties", Json::object()}}};
  const AdapterResult result = ReadArmTemplateJson(tmpl, "deep.json");
  ASSERT_EQ(result.resources.size(), 2u);
  EXPECT_EQ(result.resources[0].document["properties"]["tenantId"], deep);
  EXPECT_THAT(Unknown(result.resources[0]), ElementsAre("/properties/tenantId"));
  EXPECT_THAT(Unknown(result.resources[1]), ElementsAre("/id", "/name"));
  ASSERT_EQ(result.diagnostics.size(), 2u) << test::Describe(result.diagnostics);
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("nests deeper than 64 levels"));
  EXPECT_THAT(result.diagnostics[1].message, HasSubstr("more than 64 levels deep"));
  EXPECT_EQ(result.diagnostics[1].location.json_pointer, "/resources/1/name");
}

// --- Terraform azurerm --------------------------------------------------------------------------

const model::Resource* ById(const AdapterResult& result, std::string_view id) {
  for (const model::Resource& r : result.resources) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

Json PlanResource(const std::string& type, const std::string& name, Json values) {
  return {{"address", type + "." + name},
          {"mode", "managed"},
          {"type", type},
          {"name", name},
          {"values", std::move(values)}};
}

Json Change(const std::string& type, const std::string& name, Json after, Json after_unknown) {
  return {{"address", type + "." + name},
          {"mode", "managed"},
          {"type", type},
          {"name", name},
          {"change",
           {{"actions", {"create"}},
            {"after", std::move(after)},
            {"after_unknown", std::move(after_unknown)}}}};
}

TEST(AzureTerraformTest, PlanWithBothFlagNamesAndAnUnknownPrincipal) {
  const Json old_vault = {{"name", "kv-old"},
                          {"location", "westeurope"},
                          {"resource_group_name", "rg"},
                          {"tenant_id", "t1"},
                          {"enable_rbac_authorization", true},
                          {"enabled_for_disk_encryption", false},
                          {"access_policy", Json::array()}};
  const Json new_vault = Json::parse(R"({"name": "kv-new", "location": "westeurope",
    "resource_group_name": "rg", "tenant_id": "t1", "rbac_authorization_enabled": false,
    "access_policy": [{"tenant_id": "t1", "object_id": "o1", "application_id": "",
      "key_permissions": ["Get", "UnwrapKey", "Decrypt"], "secret_permissions": [],
      "certificate_permissions": [], "storage_permissions": []}]})");
  const Json policy = Json::parse(R"({"tenant_id": "t1", "object_id": "o2", "application_id": "",
    "key_permissions": ["Decrypt"], "secret_permissions": null})");
  const Json assignment = Json::parse(R"({"role_definition_name": "Key Vault Crypto User",
    "condition": null, "condition_version": null, "description": null})");
  const Json definition = Json::parse(R"({"name": "kv-decrypt", "scope": "/subscriptions/AAAA",
    "description": "", "assignable_scopes": ["/subscriptions/AAAA"], "role_definition_id": "0b3f",
    "permissions": [{"actions": [], "not_actions": [],
      "data_actions": ["Microsoft.KeyVault/vaults/keys/*"],
      "not_data_actions": ["Microsoft.KeyVault/vaults/keys/delete"]}]})");
  const Json role = Json::parse(R"({"name": "app", "path": "/", "assume_role_policy": "{}",
                                    "inline_policy": []})");
  Json plan = {{"format_version", "1.2"}};
  plan["planned_values"]["root_module"]["resources"] = {
      PlanResource("aws_iam_role", "app", role),
      PlanResource("azurerm_key_vault", "old", old_vault),
      PlanResource("azurerm_key_vault", "new", new_vault),
      PlanResource("azurerm_key_vault_access_policy", "app", policy),
      PlanResource("azurerm_role_assignment", "kv_crypto", assignment),
      PlanResource("azurerm_role_definition", "custom", definition)};
  plan["resource_changes"] = {Change("azurerm_key_vault", "new", new_vault, {{"id", true}}),
                              Change("azurerm_key_vault_access_policy", "app", policy,
                                     {{"id", true}, {"key_vault_id", true}}),
                              Change("azurerm_role_assignment", "kv_crypto", assignment,
                                     Json::parse(R"({"id": true, "name": true, "principal_id": true,
                             "principal_type": true, "role_definition_id": true,
                             "scope": true})"))};
  plan["configuration"]["root_module"]["resources"] = Json::parse(R"([
    {"address": "azurerm_key_vault_access_policy.app",
     "expressions": {"key_vault_id": {"references": ["azurerm_key_vault.new.id", "azurerm_key_vault.new"]}}},
    {"address": "azurerm_role_assignment.kv_crypto",
     "expressions": {"scope": {"references": ["azurerm_key_vault.new.id", "azurerm_key_vault.new"]},
                     "principal_id": {"references": ["azurerm_user_assigned_identity.app.principal_id",
                                                      "azurerm_user_assigned_identity.app"]}}}])");
  const std::string text = plan.dump(2);
  EXPECT_EQ(DetectInputFormat(text), InputFormat::kTerraform);
  const AdapterResult result = ReadSnapshot(text, "plan.json");
  ASSERT_THAT(result.diagnostics, IsEmpty()) << test::Describe(result.diagnostics);
  ASSERT_EQ(result.resources.size(), 6u);
  EXPECT_EQ(result.resources[0].type, "AWS::IAM::Role");  // AWS first, as before

  const model::Resource* old_kv = ById(result, "azurerm_key_vault.old");
  ASSERT_NE(old_kv, nullptr);
  EXPECT_EQ(old_kv->provider, "azure");
  EXPECT_EQ(old_kv->type, "Microsoft.KeyVault/vaults");
  EXPECT_EQ(old_kv->name, "kv-old");
  EXPECT_EQ(old_kv->region, "westeurope");
  EXPECT_EQ(old_kv->document["properties"]["enableRbacAuthorization"], true);
  EXPECT_EQ(old_kv->document["origin"],
            Json::parse(R"({"kind": "plan", "format": "terraform", "api_version": ""})"));
  EXPECT_EQ(old_kv->source.resource_id, "azurerm_key_vault.old");

  const model::Resource* new_kv = ById(result, "azurerm_key_vault.new");
  ASSERT_NE(new_kv, nullptr);
  EXPECT_EQ(new_kv->source.json_pointer, "/planned_values/root_module/resources/2");
  const Json& nv = new_kv->document["properties"];
  EXPECT_EQ(nv["enableRbacAuthorization"], false);
  EXPECT_EQ(nv["accessPolicies"],
            Json::parse(R"([{"tenantId": "t1", "objectId": "o1", "permissions": {
                "keys": ["Get", "UnwrapKey", "Decrypt"], "secrets": [], "certificates": [],
                "storage": []}}])"));
  EXPECT_THAT(Unknown(*new_kv), IsEmpty());

  const model::Resource* add = ById(result, "azurerm_key_vault_access_policy.app");
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(add->type, "Microsoft.KeyVault/vaults/accessPolicies");
  EXPECT_EQ(add->document["properties"]["vaultId"], "azurerm_key_vault.new");  // the plan's vault
  EXPECT_EQ(add->document["properties"]["operation"], "add");
  EXPECT_EQ(add->document["properties"]["accessPolicies"],
            Json::parse(R"([{"tenantId": "t1", "objectId": "o2",
                             "permissions": {"keys": ["Decrypt"]}}])"));

  const model::Resource* ra = ById(result, "azurerm_role_assignment.kv_crypto");
  ASSERT_NE(ra, nullptr);
  EXPECT_EQ(ra->name, "azurerm_role_assignment.kv_crypto");
  const Json& rp = ra->document["properties"];
  EXPECT_EQ(rp["scope"], "azurerm_key_vault.new");
  EXPECT_EQ(rp["roleDefinitionName"], "Key Vault Crypto User");
  EXPECT_EQ(rp["roleDefinitionId"], "(known after apply)");
  EXPECT_EQ(rp["principalId"], "(known after apply)");
  EXPECT_FALSE(rp.contains("condition"));
  EXPECT_THAT(Unknown(*ra),
              ElementsAre("/name", "/properties/principalId", "/properties/principalType",
                          "/properties/roleDefinitionId"));

  const model::Resource* rd =
      ById(result, "/subscriptions/aaaa/providers/Microsoft.Authorization/roleDefinitions/0b3f");
  ASSERT_NE(rd, nullptr);
  EXPECT_EQ(rd->account, "aaaa");
  EXPECT_EQ(rd->name, "0b3f");
  const Json& dp = rd->document["properties"];
  EXPECT_EQ(dp["roleName"], "kv-decrypt");
  EXPECT_EQ(dp["type"], "CustomRole");
  EXPECT_EQ(dp["assignableScopes"], Json::array({"/subscriptions/AAAA"}));
  EXPECT_EQ(dp["permissions"], Json::parse(R"([{"actions": [], "notActions": [],
                             "dataActions": ["Microsoft.KeyVault/vaults/keys/*"],
                             "notDataActions": ["Microsoft.KeyVault/vaults/keys/delete"]}])"));
}

TEST(AzureTerraformTest, TheRenamedFlagWinsWhenKnownAndAnUnknownFlagIsListed) {
  Json plan = {{"format_version", "1.2"}};
  plan["resource_changes"] = {
      Change("azurerm_key_vault", "a",
             {{"name", "a"},
              {"enable_rbac_authorization", nullptr},
              {"rbac_authorization_enabled", true}},
             {{"enable_rbac_authorization", true}}),
      Change("azurerm_key_vault", "b", {{"name", "b"}},
             {{"rbac_authorization_enabled", true}, {"access_policy", true}})};
  const AdapterResult result = ReadTerraformPlanJson(plan, "plan.json");
  ASSERT_THAT(result.diagnostics, IsEmpty()) << test::Describe(result.diagnostics);
  ASSERT_EQ(result.resources.size(), 2u);
  EXPECT_EQ(result.resources[0].document["properties"]["enableRbacAuthorization"], true);
  EXPECT_THAT(Unknown(result.resources[0]), IsEmpty());
  EXPECT_EQ(result.resources[1].document["properties"]["enableRbacAuthorization"],
            "(known after apply)");
  EXPECT_THAT(Unknown(result.resources[1]),
              ElementsAre("/properties/accessPolicies", "/properties/enableRbacAuthorization"));
  EXPECT_EQ(result.resources[1].source.json_pointer, "/resource_changes/1/change/after");
}

// --- Detection ----------------------------------------------------------------------------------

TEST(AzureDetectTest, NamesAndExistingFormatsUnchanged) {
  InputFormat format = InputFormat::kAuto;
  ASSERT_TRUE(ParseInputFormat("azure-cli", &format));
  EXPECT_EQ(format, InputFormat::kAzureCli);
  EXPECT_EQ(InputFormatName(InputFormat::kAzureCli), "azure-cli");
  ASSERT_TRUE(ParseInputFormat("arm-template", &format));
  EXPECT_EQ(format, InputFormat::kArmTemplate);
  EXPECT_EQ(InputFormatName(InputFormat::kArmTemplate), "arm-template");
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
  EXPECT_EQ(
      DetectInputFormat(
          R"({"$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#", "resources": []})"),
      InputFormat::kArmTemplate);
  EXPECT_EQ(DetectInputFormat(R"({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}})"),
            InputFormat::kCloudFormation);
  // Lists and objects of nothing Azure stay undetected (an ARM parameters file is no snapshot).
  EXPECT_EQ(
      DetectInputFormat(
          R"({"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", "parameters": {}})"),
      InputFormat::kAuto);
  EXPECT_EQ(DetectInputFormat(R"([{"id": "x", "type": "Microsoft.Storage/storageAccounts",
                                   "properties": {}}])"),
            InputFormat::kAuto);
  EXPECT_EQ(DetectInputFormat(R"({"value": []})"), InputFormat::kAuto);
  EXPECT_EQ(DetectInputFormat(R"({"type": "Microsoft.KeyVault/vaults"})"), InputFormat::kAuto);
  EXPECT_EQ(DetectInputFormat(R"([1, 2])"), InputFormat::kAuto);
  // `az keyvault list`: vaults by id, type and name, no properties. Read, so that the scan says
  // their access policies are not in it, rather than "unknown format".
  EXPECT_EQ(
      DetectInputFormat(
          R"([{"id": "/subscriptions/1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
                                   "name": "kv", "type": "Microsoft.KeyVault/vaults",
                                   "location": "westeurope", "resourceGroup": "rg", "tags": {}}])"),
      InputFormat::kAzureCli);
  // Without an ARM id, a type alone says too little.
  EXPECT_EQ(DetectInputFormat(R"([{"id": "kv", "type": "Microsoft.KeyVault/vaults"}])"),
            InputFormat::kAuto);
}

// `--parameter NAME=a,b` is the command line's list form (scan --help): an array parameter
// takes the strings between commas; JSON text is read as JSON.
TEST(AzureArmParameterTest, CommaSeparatedValueOfAnArrayParameterIsAList) {
  EXPECT_EQ(azure_internal::ParameterFromText("get,unwrapKey", "array"),
            nlohmann::json::array({"get", "unwrapKey"}));
  EXPECT_EQ(azure_internal::ParameterFromText(R"(["get","unwrapKey"])", "Array"),
            nlohmann::json::array({"get", "unwrapKey"}));
  EXPECT_EQ(azure_internal::ParameterFromText("get", "array"), nlohmann::json::array({"get"}));
  EXPECT_EQ(azure_internal::ParameterFromText("a,b", "string"), "a,b");
}

// A property loop ("copy" in properties) is not evaluated: the list it makes is unknown, never
// an empty list (a user's trial found the vault reported as granting nobody).
TEST(AzureArmTemplateTest, APropertyCopyLoopLeavesItsListUnknown) {
  const AdapterResult r = ReadArmTemplate(R"({
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "parameters": {"ids": {"type": "array", "defaultValue": ["a", "b"]}},
    "resources": [{"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01",
      "name": "kv-copy", "properties": {"tenantId": "t", "enableRbacAuthorization": false,
      "copy": [{"name": "accessPolicies", "count": "[length(parameters('ids'))]",
        "input": {"tenantId": "t", "objectId": "[parameters('ids')[copyIndex('accessPolicies')]]",
                  "permissions": {"keys": ["unwrapKey"]}}}]}}]})",
                                          "t.json");
  ASSERT_EQ(r.resources.size(), 1u);
  const nlohmann::json doc = model::DocumentJson(r.resources[0]);
  EXPECT_FALSE(doc["properties"].contains("copy"));
  EXPECT_THAT(doc["unknown"], ::testing::Contains("/properties/accessPolicies")) << doc.dump();
}

}  // namespace
}  // namespace kmsguard::adapters
