#include "sdk/adapters/azure_common.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "sdk/adapters/adapter_support.h"

namespace kmsguard::adapters::azure_internal {
namespace {

using internal::AddDiagnostic;
using Json = nlohmann::json;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Builds one normalized document; collects problems as it goes.
class Normalizer {
 public:
  explicit Normalizer(const NormalizeContext& context) : context_(context) {}

  Json Build(std::string_view type, const Json& arm, const Json& origin) {
    Json doc = Json::object();
    if (!arm.is_object()) {
      Problem("", "the resource is not an object");
      return Finish(std::move(doc), type, origin);
    }
    for (const char* key : {"id", "name", "location"}) CopyString(arm, key, "", &doc);
    doc["type"] = std::string(type);
    const auto properties = arm.find("properties");
    Json out = Json::object();
    if (properties != arm.end() && !properties->is_null()) {
      if (!properties->is_object()) {
        Problem("/properties", "properties is not an object");
      } else if (type == kAzureVault) {
        Vault(*properties, &out);
      } else if (type == kAzureVaultAccessPolicies) {
        CopyString(*properties, "vaultId", "/properties", &out);
        CopyString(*properties, "operation", "/properties", &out);
        AccessPolicies(*properties, &out);
      } else if (type == kAzureRoleAssignment) {
        for (const char* key :
             {"scope", "roleDefinitionId", "roleDefinitionName", "principalId", "principalType",
              "principalName", "condition", "conditionVersion"}) {
          CopyString(*properties, key, "/properties", &out);
        }
      } else if (type == kAzureRoleDefinition) {
        RoleDefinition(*properties, &out);
      }
    }
    doc["properties"] = std::move(out);
    return Finish(std::move(doc), type, origin);
  }

 private:
  bool IsUnknown(const std::string& pointer) const {
    return context_.unknown != nullptr && context_.unknown->contains(pointer);
  }

  void Problem(const std::string& pointer, const std::string& message) {
    problems_.push_back(absl::StrCat(pointer, ": ", message));
    if (context_.diagnostics == nullptr) return;
    const std::string source =
        context_.source_of != nullptr ? context_.source_of(pointer) : pointer;
    AddDiagnostic(context_.diagnostics, core::DiagnosticSeverity::kError,
                  internal::PointerLocation(context_.file, context_.source_pointer + source),
                  message);
  }

  // Copies the string member `key` of `from` (whose document pointer is `at`) into `to`; null
  // and absent members are left out, other types are problems.
  void CopyString(const Json& from, const char* key, const std::string& at, Json* to) {
    const auto it = from.find(key);
    if (it == from.end() || it->is_null()) return;
    const std::string pointer = absl::StrCat(at, "/", key);
    if (it->is_string() || IsUnknown(pointer)) {
      (*to)[key] = *it;
    } else {
      Problem(pointer, absl::StrCat(key, " is not a string"));
    }
  }

  void CopyBool(const Json& from, const char* key, const std::string& at, Json* to,
                bool keep_null) {
    const auto it = from.find(key);
    if (it == from.end() || (it->is_null() && !keep_null)) return;
    const std::string pointer = absl::StrCat(at, "/", key);
    if (it->is_boolean() || it->is_null() || IsUnknown(pointer)) {
      (*to)[key] = *it;
    } else {
      Problem(pointer, absl::StrCat(key, " is not a boolean"));
    }
  }

  // A list of strings at `value` (document pointer `pointer`), or a problem and nothing.
  bool StringList(const Json& value, const std::string& pointer, const std::string& what,
                  Json* out) {
    if (IsUnknown(pointer)) {
      *out = value;
      return true;
    }
    if (!value.is_array()) {
      Problem(pointer, absl::StrCat(what, " is not a list"));
      return false;
    }
    Json list = Json::array();
    for (std::size_t i = 0; i < value.size(); ++i) {
      const std::string element = absl::StrCat(pointer, "/", i);
      if (!value[i].is_string() && !IsUnknown(element)) {
        Problem(element, absl::StrCat("an entry of ", what, " is not a string"));
        continue;
      }
      list.push_back(value[i]);
    }
    *out = std::move(list);
    return true;
  }

  void Vault(const Json& properties, Json* out) {
    CopyString(properties, "tenantId", "/properties", out);
    // Absent stays absent and null stays null: the two mean different things in a template.
    CopyBool(properties, "enableRbacAuthorization", "/properties", out, /*keep_null=*/true);
    AccessPolicies(properties, out);
    CopyBool(properties, "enabledForDiskEncryption", "/properties", out, /*keep_null=*/false);
  }

  void AccessPolicies(const Json& properties, Json* out) {
    const auto list = properties.find("accessPolicies");
    if (list == properties.end() || list->is_null()) return;
    const std::string at = "/properties/accessPolicies";
    if (IsUnknown(at)) {
      (*out)["accessPolicies"] = *list;
      return;
    }
    if (!list->is_array()) {
      Problem(at, "accessPolicies is not a list");
      return;
    }
    Json entries = Json::array();
    for (std::size_t i = 0; i < list->size(); ++i) {
      const Json& entry = (*list)[i];
      const std::string pointer = absl::StrCat(at, "/", i);
      Json normalized = Json::object();
      // Entries that cannot be read stay as {} so that every pointer keeps its index.
      if (IsUnknown(pointer)) {
        normalized = entry;
      } else if (!entry.is_object()) {
        Problem(pointer, "an access policy is not an object");
      } else {
        for (const char* key : {"tenantId", "objectId", "applicationId"}) {
          CopyString(entry, key, pointer, &normalized);
        }
        Permissions(entry, pointer, &normalized);
      }
      entries.push_back(std::move(normalized));
    }
    (*out)["accessPolicies"] = std::move(entries);
  }

  void Permissions(const Json& entry, const std::string& at, Json* out) {
    const auto permissions = entry.find("permissions");
    if (permissions == entry.end() || permissions->is_null()) return;
    const std::string pointer = at + "/permissions";
    if (IsUnknown(pointer)) {
      (*out)["permissions"] = *permissions;
      return;
    }
    if (!permissions->is_object()) {
      Problem(pointer, "permissions is not an object");
      return;
    }
    Json kept = Json::object();
    for (const char* key : {"keys", "secrets", "certificates", "storage"}) {
      const auto list = permissions->find(key);
      if (list == permissions->end() || list->is_null()) continue;
      Json value;
      if (StringList(*list, absl::StrCat(pointer, "/", key), absl::StrCat("permissions.", key),
                     &value)) {
        kept[key] = std::move(value);
      }
    }
    (*out)["permissions"] = std::move(kept);
  }

  void RoleDefinition(const Json& properties, Json* out) {
    CopyString(properties, "roleName", "/properties", out);
    CopyString(properties, "type", "/properties", out);
    if (const auto scopes = properties.find("assignableScopes");
        scopes != properties.end() && !scopes->is_null()) {
      Json value;
      if (StringList(*scopes, "/properties/assignableScopes", "assignableScopes", &value)) {
        (*out)["assignableScopes"] = std::move(value);
      }
    }
    const auto permissions = properties.find("permissions");
    if (permissions == properties.end() || permissions->is_null()) return;
    const std::string at = "/properties/permissions";
    if (IsUnknown(at)) {
      (*out)["permissions"] = *permissions;
      return;
    }
    if (!permissions->is_array()) {
      Problem(at, "permissions is not a list");
      return;
    }
    Json blocks = Json::array();
    for (std::size_t i = 0; i < permissions->size(); ++i) {
      const Json& block = (*permissions)[i];
      const std::string pointer = absl::StrCat(at, "/", i);
      Json normalized = Json::object();
      if (!block.is_object()) {
        Problem(pointer, "a permissions entry is not an object");
      } else {
        // az writes camelCase; PowerShell's objects PascalCase.
        for (const auto& [camel, pascal] :
             {std::pair{"actions", "Actions"}, std::pair{"notActions", "NotActions"},
              std::pair{"dataActions", "DataActions"},
              std::pair{"notDataActions", "NotDataActions"}}) {
          const bool has_camel = block.contains(camel);
          const char* key = has_camel ? camel : pascal;
          const auto list = block.find(key);
          if (list == block.end() || list->is_null()) continue;
          Json value;
          if (StringList(*list, absl::StrCat(pointer, "/", key), camel, &value)) {
            normalized[camel] = std::move(value);
          }
        }
      }
      blocks.push_back(std::move(normalized));
    }
    (*out)["permissions"] = std::move(blocks);
  }

  Json Finish(Json doc, std::string_view type, const Json& origin) {
    doc["type"] = std::string(type);
    doc["origin"] = origin;
    Json unknown = Json::array();
    if (context_.unknown != nullptr) {
      for (const std::string& pointer : *context_.unknown) {
        bool held = false;
        try {
          held = doc.contains(Json::json_pointer(pointer));
        } catch (const std::exception&) {
          held = false;
        }
        if (held) unknown.push_back(pointer);
      }
    }
    doc["unknown"] = std::move(unknown);
    doc["problems"] = std::move(problems_);
    return doc;
  }

  const NormalizeContext& context_;
  Json problems_ = Json::array();
};

}  // namespace

std::string_view CanonicalType(std::string_view type) {
  for (const char* canonical :
       {kAzureVault, kAzureVaultAccessPolicies, kAzureRoleAssignment, kAzureRoleDefinition}) {
    if (EqualsIgnoreCase(type, canonical)) return canonical;
  }
  return {};
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

std::string SubscriptionOf(std::string_view id) {
  const std::string lower = Lower(id);
  constexpr std::string_view kPrefix = "/subscriptions/";
  const std::size_t at = lower.find(kPrefix);
  if (at == std::string::npos) return {};
  const std::size_t start = at + kPrefix.size();
  const std::size_t end = lower.find('/', start);
  std::string sub = lower.substr(start, end == std::string::npos ? end : end - start);
  if (sub.empty() || sub.front() == '{' || sub.front() == '[') return {};
  return sub;
}

nlohmann::json Origin(std::string_view kind, std::string_view format,
                      std::string_view api_version) {
  return {{"kind", std::string(kind)},
          {"format", std::string(format)},
          {"api_version", std::string(api_version)}};
}

nlohmann::json NormalizeDocument(std::string_view canonical_type, const nlohmann::json& arm,
                                 const nlohmann::json& origin, const NormalizeContext& context) {
  return Normalizer(context).Build(canonical_type, arm, origin);
}

model::Resource MakeResource(nlohmann::json document, std::string_view fallback_id,
                             core::SourceLocation source) {
  model::Resource r;
  r.provider = "azure";
  r.type = internal::StringField(document, "type");
  r.id = internal::StringField(document, "id");
  if (r.id.empty()) r.id = std::string(fallback_id);
  r.name = internal::StringField(document, "name");
  if (r.name.empty()) r.name = r.id.substr(r.id.rfind('/') + 1);
  r.account = SubscriptionOf(r.id);
  const Json empty = Json::object();
  const auto properties = document.find("properties");
  const Json& props = properties != document.end() && properties->is_object() ? *properties : empty;
  for (const char* key : {"scope", "vaultId"}) {
    if (r.account.empty()) r.account = SubscriptionOf(internal::StringField(props, key));
  }
  r.region = internal::StringField(document, "location");
  // A template's "{location}" or "[parameters('location')]" is no region.
  if (!r.region.empty() &&
      (r.region.front() == '{' || r.region.front() == '[' || r.region.front() == '(')) {
    r.region.clear();
  }
  if (r.region.empty() && r.type.starts_with("Microsoft.Authorization/")) r.region = "global";
  if (source.resource_id.empty()) source.resource_id = r.id;
  r.source = std::move(source);
  r.document = std::move(document);
  return r;
}

}  // namespace kmsguard::adapters::azure_internal
