// azurerm resources of a Terraform plan -> normalized Azure resources: the snake_case arguments
// are put in the ARM REST shape (camelCase, under "properties") and normalized (azure_common.h).
#include "sdk/adapters/azure_terraform.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sdk/adapters/adapter_support.h"
#include "sdk/adapters/azure_common.h"

namespace kmsguard::adapters {
namespace {

using Json = nlohmann::json;

constexpr char kKnownAfterApply[] = "(known after apply)";

// Builds the ARM shape of one instance, collecting the pointers of values known after apply.
class Builder {
 public:
  explicit Builder(const AzurermInstance& instance) : in_(instance) {}

  // The attribute `key` of a block (`values`, `unknown` its after_unknown part) whose value goes
  // to the document pointer `at`: kKnownAfterApply (and `at` listed) when the plan says so, else
  // its value; null when not set (or an empty string, Terraform's "not set" for optional text).
  Json Attr(const Json* values, const Json* unknown, std::string_view key, const std::string& at) {
    if (IsUnknown(unknown, key)) {
      unknown_.insert(at);
      return kKnownAfterApply;
    }
    if (values != nullptr && values->is_object()) {
      const auto it = values->find(key);
      if (it != values->end() && !it->is_null() &&
          !(it->is_string() && it->get_ref<const std::string&>().empty())) {
        return *it;
      }
    }
    return nullptr;
  }
  Json Attr(std::string_view key, const std::string& at) {
    return Attr(in_.values, in_.after_unknown, key, at);
  }

  static bool IsUnknown(const Json* unknown, std::string_view key) {
    if (unknown == nullptr || !unknown->is_object()) return false;
    const auto it = unknown->find(key);
    return it != unknown->end() && it->is_boolean() && it->get<bool>();
  }

  // The after_unknown part of element `i` of the block list `key` (null when none).
  static const Json* BlockUnknown(const Json* unknown, std::string_view key, std::size_t i) {
    if (unknown == nullptr || !unknown->is_object()) return nullptr;
    const auto it = unknown->find(key);
    if (it == unknown->end() || !it->is_array() || i >= it->size()) return nullptr;
    return &(*it)[i];
  }

  static void Set(Json* object, const char* key, Json value) {
    if (!value.is_null()) (*object)[key] = std::move(value);
  }

  // An id-valued attribute: as planned; else the plan's resource the configuration refers to;
  // else known after apply.
  Json Reference(std::string_view key, const std::string& at) {
    const bool unknown = IsUnknown(in_.after_unknown, key);
    Json value = unknown ? Json() : Attr(key, at);
    if (!value.is_null()) return value;
    if (in_.referenced_id) {
      if (std::string id = in_.referenced_id(key); !id.empty()) return id;
    }
    return unknown ? Attr(key, at) : Json();
  }

  // One access policy entry from a block with tenant_id, object_id, application_id and the
  // *_permissions lists.
  Json AccessPolicy(const Json* values, const Json* unknown, const std::string& at) {
    Json entry = Json::object();
    Set(&entry, "tenantId", Attr(values, unknown, "tenant_id", at + "/tenantId"));
    Set(&entry, "objectId", Attr(values, unknown, "object_id", at + "/objectId"));
    Set(&entry, "applicationId", Attr(values, unknown, "application_id", at + "/applicationId"));
    Json permissions = Json::object();
    for (const auto& [tf, arm] :
         {std::pair{"key_permissions", "keys"}, std::pair{"secret_permissions", "secrets"},
          std::pair{"certificate_permissions", "certificates"},
          std::pair{"storage_permissions", "storage"}}) {
      Set(&permissions, arm, Attr(values, unknown, tf, absl::StrCat(at, "/permissions/", arm)));
    }
    entry["permissions"] = std::move(permissions);
    return entry;
  }

  Json Vault() {
    Json properties = Json::object();
    Set(&properties, "tenantId", Attr("tenant_id", "/properties/tenantId"));
    // azurerm 4.42 renamed enable_rbac_authorization to rbac_authorization_enabled; a plan may
    // hold both (one of them computed): a known value wins over an unknown one.
    const std::string flag_at = "/properties/enableRbacAuthorization";
    Json flag;
    bool flag_unknown = false;
    for (const char* key : {"rbac_authorization_enabled", "enable_rbac_authorization"}) {
      if (IsUnknown(in_.after_unknown, key)) {
        flag_unknown = true;
      } else if (const Json v = Attr(key, flag_at); !v.is_null() && flag.is_null()) {
        flag = v;
      }
    }
    if (flag.is_null() && flag_unknown) {
      unknown_.insert(flag_at);
      flag = kKnownAfterApply;
    }
    Set(&properties, "enableRbacAuthorization", std::move(flag));
    const std::string policies_at = "/properties/accessPolicies";
    if (IsUnknown(in_.after_unknown, "access_policy")) {
      unknown_.insert(policies_at);
      properties["accessPolicies"] = kKnownAfterApply;
    } else if (const Json* blocks = Block("access_policy"); blocks != nullptr) {
      Json entries = Json::array();
      for (std::size_t i = 0; i < blocks->size(); ++i) {
        entries.push_back(AccessPolicy(&(*blocks)[i],
                                       BlockUnknown(in_.after_unknown, "access_policy", i),
                                       absl::StrCat(policies_at, "/", i)));
      }
      properties["accessPolicies"] = std::move(entries);
    }
    Set(&properties, "enabledForDiskEncryption",
        Attr("enabled_for_disk_encryption", "/properties/enabledForDiskEncryption"));
    return Resource(std::move(properties));
  }

  Json AccessPolicies() {
    Json properties = Json::object();
    Set(&properties, "vaultId", Reference("key_vault_id", "/properties/vaultId"));
    properties["operation"] = "add";
    properties["accessPolicies"] =
        Json::array({AccessPolicy(in_.values, in_.after_unknown, "/properties/accessPolicies/0")});
    return Resource(std::move(properties));
  }

  Json RoleAssignment() {
    Json properties = Json::object();
    Set(&properties, "scope", Reference("scope", "/properties/scope"));
    Set(&properties, "roleDefinitionId",
        Attr("role_definition_id", "/properties/roleDefinitionId"));
    Set(&properties, "roleDefinitionName",
        Attr("role_definition_name", "/properties/roleDefinitionName"));
    Set(&properties, "principalId", Attr("principal_id", "/properties/principalId"));
    Set(&properties, "principalType", Attr("principal_type", "/properties/principalType"));
    Set(&properties, "condition", Attr("condition", "/properties/condition"));
    Set(&properties, "conditionVersion", Attr("condition_version", "/properties/conditionVersion"));
    return Resource(std::move(properties));
  }

  Json RoleDefinition() {
    Json properties = Json::object();
    Set(&properties, "roleName", Attr("name", "/properties/roleName"));
    properties["type"] = "CustomRole";
    const std::string at = "/properties/permissions";
    if (IsUnknown(in_.after_unknown, "permissions")) {
      unknown_.insert(at);
      properties["permissions"] = kKnownAfterApply;
    } else if (const Json* blocks = Block("permissions"); blocks != nullptr) {
      Json list = Json::array();
      for (std::size_t i = 0; i < blocks->size(); ++i) {
        const Json* unknown = BlockUnknown(in_.after_unknown, "permissions", i);
        Json block = Json::object();
        for (const auto& [tf, arm] :
             {std::pair{"actions", "actions"}, std::pair{"not_actions", "notActions"},
              std::pair{"data_actions", "dataActions"},
              std::pair{"not_data_actions", "notDataActions"}}) {
          Set(&block, arm, Attr(&(*blocks)[i], unknown, tf, absl::StrCat(at, "/", i, "/", arm)));
        }
        list.push_back(std::move(block));
      }
      properties["permissions"] = std::move(list);
    }
    Set(&properties, "assignableScopes", Attr("assignable_scopes", "/properties/assignableScopes"));
    Json resource = Resource(std::move(properties), /*use_id=*/false);
    // azurerm's `id` is "ROLE_ID|SCOPE"; the ARM id is role_definition_resource_id, or is made
    // from the GUID (role_definition_id) and the scope's subscription.
    const Json guid = Attr("role_definition_id", "/name");
    if (!guid.is_null()) resource["name"] = guid;
    if (const Json id = Attr("role_definition_resource_id", "/id");
        id.is_string() && id != kKnownAfterApply) {
      resource["id"] = id;
    } else if (guid.is_string() && guid != kKnownAfterApply) {
      unknown_.erase("/id");
      const std::string subscription =
          azure_internal::SubscriptionOf(internal::StringField(*in_.values, "scope"));
      resource["id"] = absl::StrCat(subscription.empty() ? "" : "/subscriptions/" + subscription,
                                    "/providers/Microsoft.Authorization/roleDefinitions/",
                                    guid.get<std::string>());
    } else {
      unknown_.erase("/id");
    }
    return resource;
  }

  const std::set<std::string>& unknown() const { return unknown_; }

 private:
  const Json* Block(std::string_view key) const {
    if (in_.values == nullptr || !in_.values->is_object()) return nullptr;
    const auto it = in_.values->find(key);
    return it != in_.values->end() && it->is_array() ? &*it : nullptr;
  }

  // id (the ARM id when planned), name, location around `properties`.
  Json Resource(Json properties, bool use_id = true) {
    Json resource = {{"properties", std::move(properties)}};
    if (use_id) {
      // An id known only after the apply is left out: the address stands for it.
      if (const Json id = Attr("id", "/id"); id.is_string() && id != kKnownAfterApply) {
        resource["id"] = id;
      }
      unknown_.erase("/id");
      Set(&resource, "name", Attr("name", "/name"));
    }
    Set(&resource, "location", Attr("location", "/location"));
    return resource;
  }

  const AzurermInstance& in_;
  std::set<std::string> unknown_;
};

std::string_view TypeOf(std::string_view terraform_type) {
  if (terraform_type == "azurerm_key_vault") return azure_internal::kAzureVault;
  if (terraform_type == "azurerm_key_vault_access_policy") {
    return azure_internal::kAzureVaultAccessPolicies;
  }
  if (terraform_type == "azurerm_role_assignment") return azure_internal::kAzureRoleAssignment;
  if (terraform_type == "azurerm_role_definition") return azure_internal::kAzureRoleDefinition;
  return {};
}

}  // namespace

bool IsAzurermType(std::string_view type) { return !TypeOf(type).empty(); }

void ReadAzurermResource(const AzurermInstance& instance, std::string_view file,
                         AdapterResult* result, const internal::JsonPositions* positions) {
  const std::string_view type = TypeOf(instance.type);
  if (type.empty()) return;
  static const Json* const kEmpty = new Json(Json::object());
  AzurermInstance in = instance;
  if (in.values == nullptr) in.values = kEmpty;
  Builder builder(in);
  Json arm;
  if (type == azure_internal::kAzureVault) {
    arm = builder.Vault();
  } else if (type == azure_internal::kAzureVaultAccessPolicies) {
    arm = builder.AccessPolicies();
  } else if (type == azure_internal::kAzureRoleAssignment) {
    arm = builder.RoleAssignment();
  } else {
    arm = builder.RoleDefinition();
  }
  azure_internal::NormalizeContext context;
  context.file = file;
  context.source_pointer = in.pointer;
  context.unknown = &builder.unknown();
  context.diagnostics = &result->diagnostics;
  Json document = azure_internal::NormalizeDocument(
      type, arm, azure_internal::Origin("plan", "terraform", ""), context);
  const bool named = internal::StringField(document, "name") != kKnownAfterApply &&
                     !internal::StringField(document, "name").empty();
  model::Resource resource = azure_internal::MakeResource(
      std::move(document), in.address,
      internal::PointerLocation(file, in.pointer, std::string(in.address), positions));
  if (!named) resource.name = std::string(in.address);
  result->resources.push_back(std::move(resource));
}

}  // namespace kmsguard::adapters
