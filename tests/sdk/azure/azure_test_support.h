// What the Azure tests share: ids of one subscription, resource group, vault and management
// group; built-in role GUIDs (Azure built-in roles page); and normalized Azure resources in the
// shape the adapters produce (docs/resource-model.md, "Azure resources").
#pragma once

#include <string>
#include <utility>

#include "nlohmann/json.hpp"
#include "sdk/model/resource.h"

namespace kmsguard::azure::test {

using nlohmann::json;

inline constexpr char kSub[] = "/subscriptions/11111111-2222-3333-4444-555555555555";
inline constexpr char kRg[] =
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/data-rg";
inline constexpr char kVault[] =
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/data-rg/providers/"
    "Microsoft.KeyVault/vaults/kv-data";
inline constexpr char kMg[] = "/providers/Microsoft.Management/managementGroups/corp";
// Built-in role GUIDs (Azure built-in roles page).
inline constexpr char kCryptoUser[] = "12338af0-0e69-4776-bea7-57ae8d297424";
inline constexpr char kCryptoOfficer[] = "14b46e9e-c2b7-41b4-b07b-48a6ebf60603";
inline constexpr char kAdministrator[] = "00482a5a-887f-4fb3-b363-3b7fe8e74483";
inline constexpr char kServiceEncryptionUser[] = "e147488a-f6f5-4113-8e2d-b22465e65bf6";
inline constexpr char kServiceReleaseUser[] = "08bbd89e-9f13-488c-ac41-acfcb10c90ab";
inline constexpr char kOwner[] = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
inline constexpr char kContributor[] = "b24988ac-6180-42a0-ab88-20f7382dd24c";
inline constexpr char kReader[] = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
inline constexpr char kUserAccessAdministrator[] = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9";
inline constexpr char kDataAccessAdministrator[] = "8b54135c-b56d-4d72-a534-26097cfdc8d8";
inline constexpr char kKeyVaultContributor[] = "f25e0fa2-a7c8-4377-a976-54943a77a395";
inline constexpr char kSecretsUser[] = "4633458b-17de-408a-b874-0445c86b69e6";
inline constexpr char kCustom[] = "7d1e0000-0000-4000-8000-000000000001";

inline model::Resource Make(const std::string& type, const std::string& id, json document) {
  model::Resource r;
  r.provider = "azure";
  r.type = type;
  r.id = id;
  document["id"] = id;
  document["type"] = type;
  r.document = std::move(document);
  r.source.file = "test.json";
  return r;
}

inline model::Resource Assignment(
    const std::string& scope, const std::string& role_definition_id,
    const std::string& principal = "5a5a0000-0000-0000-0000-000000000001",
    json extra = json::object()) {
  json properties = {{"scope", scope},
                     {"roleDefinitionId", role_definition_id},
                     {"principalId", principal},
                     {"principalType", "ServicePrincipal"}};
  properties.update(extra);
  static int n = 0;
  return Make("Microsoft.Authorization/roleAssignments",
              scope + "/providers/Microsoft.Authorization/roleAssignments/a" + std::to_string(++n),
              {{"properties", properties}});
}

inline std::string BuiltinId(const char* guid, bool subscription_prefix = true) {
  return std::string(subscription_prefix ? kSub : "") +
         "/providers/Microsoft.Authorization/roleDefinitions/" + guid;
}

inline model::Resource CustomRole(json permissions) {
  return Make(
      "Microsoft.Authorization/roleDefinitions",
      std::string(kSub) + "/providers/Microsoft.Authorization/roleDefinitions/" + kCustom,
      {{"name", kCustom},
       {"properties",
        {{"roleName", "kv-custom"}, {"type", "CustomRole"}, {"permissions", permissions}}}});
}

inline model::Resource VaultResource(json flag, json origin = {{"kind", "live"}},
                                     json keys = json::array({"get"}),
                                     const std::string& id = kVault) {
  json properties = {
      {"accessPolicies",
       {{{"tenantId", "t"}, {"objectId", "obj-1"}, {"permissions", {{"keys", keys}}}}}}};
  if (!flag.is_discarded()) properties["enableRbacAuthorization"] = flag;
  return Make("Microsoft.KeyVault/vaults", id,
              {{"name", "kv-data"}, {"properties", properties}, {"origin", origin}});
}

inline json Absent() { return json(json::value_t::discarded); }

}  // namespace kmsguard::azure::test
