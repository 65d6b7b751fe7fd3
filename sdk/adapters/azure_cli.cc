// Live Azure exports -> normalized Azure resources. Each element is recognized by its own shape
// (az's flat role assignments and definitions, PowerShell's role definitions, the ARM GET shape of
// REST and Resource Graph), turned into the ARM REST shape, then normalized (azure_common.h).
#include "sdk/adapters/azure_cli.h"

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "sdk/adapters/adapter_support.h"
#include "sdk/adapters/azure_common.h"

namespace kmsguard::adapters {
namespace {

using azure_internal::CanonicalType;
using internal::AddDiagnostic;
using internal::PointerLocation;
using Json = nlohmann::json;

enum class Shape {
  kNone,                  // not an Azure resource this adapter knows
  kOtherType,             // an ARM resource of another type (skipped)
  kArm,                   // ARM GET shape of one of the four types (id, name, type, properties)
  kFlatAssignment,        // az role assignment list
  kFlatDefinition,        // az role definition list
  kPowerShellDefinition,  // Get-AzRoleDefinition | ConvertTo-Json
};

bool Has(const Json& object, const char* key) { return object.is_object() && object.contains(key); }

struct Classified {
  Shape shape = Shape::kNone;
  std::string_view type;  // canonical, for kArm
};

Classified Classify(const Json& element) {
  if (!element.is_object()) return {};
  const std::string type = internal::StringField(element, "type");
  const auto properties = element.find("properties");
  const bool has_properties = properties != element.end() && properties->is_object();
  if (const std::string_view canonical = CanonicalType(type); !canonical.empty()) {
    // az prints role assignments and definitions flat, with their ARM type beside the fields.
    if (canonical == azure_internal::kAzureRoleAssignment && !has_properties) {
      return {Shape::kFlatAssignment, canonical};
    }
    if (canonical == azure_internal::kAzureRoleDefinition && !has_properties) {
      return {Shape::kFlatDefinition, canonical};
    }
    return {Shape::kArm, canonical};
  }
  if (has_properties && Has(*properties, "roleDefinitionId") && Has(*properties, "principalId")) {
    return {Shape::kArm, azure_internal::kAzureRoleAssignment};
  }
  if (has_properties && Has(*properties, "roleName") && Has(*properties, "permissions")) {
    return {Shape::kArm, azure_internal::kAzureRoleDefinition};
  }
  if (Has(element, "roleDefinitionId") && Has(element, "principalId")) {
    return {Shape::kFlatAssignment, azure_internal::kAzureRoleAssignment};
  }
  if (Has(element, "roleName") && (Has(element, "permissions") || Has(element, "roleType"))) {
    return {Shape::kFlatDefinition, azure_internal::kAzureRoleDefinition};
  }
  if (Has(element, "Name") && Has(element, "Actions") &&
      (Has(element, "IsCustom") || Has(element, "AssignableScopes"))) {
    return {Shape::kPowerShellDefinition, azure_internal::kAzureRoleDefinition};
  }
  if (!type.empty()) return {Shape::kOtherType, {}};
  return {};
}

// The elements of `root` and the pointer of the list that holds them ("" for a bare list; a
// single object is a list of one, at pointer "").
struct Elements {
  const Json* list = nullptr;  // null: `root` itself is the only element
  std::string pointer;
};

Elements ElementsOf(const Json& root) {
  if (root.is_array()) return {&root, ""};
  if (root.is_object()) {
    for (const char* key : {"value", "data"}) {
      if (const auto it = root.find(key); it != root.end() && it->is_array()) {
        return {&*it, absl::StrCat("/", key)};
      }
    }
  }
  return {nullptr, ""};
}

// Document pointer -> source pointer, for the flat shapes.
std::string FlatSource(const std::string& pointer) {
  constexpr std::string_view kProperties = "/properties";
  if (pointer.starts_with(kProperties)) return pointer.substr(kProperties.size());
  return pointer;
}

std::string AzDefinitionSource(const std::string& pointer) {
  if (pointer == "/properties/type") return "/roleType";
  return FlatSource(pointer);
}

std::string PowerShellSource(const std::string& pointer) {
  // /properties/permissions/0/dataActions -> /DataActions
  constexpr std::string_view kBlock = "/properties/permissions/0/";
  if (pointer.starts_with(kBlock)) {
    std::string key(pointer.substr(kBlock.size()));
    if (!key.empty()) key[0] = static_cast<char>(key[0] - 32 * (key[0] >= 'a' && key[0] <= 'z'));
    return "/" + key;
  }
  if (pointer.starts_with("/properties/assignableScopes")) {
    return "/AssignableScopes" + pointer.substr(28);
  }
  if (pointer == "/properties/roleName") return "/Name";
  return FlatSource(pointer);
}

// The ARM REST shape of an element, and how its pointers map back.
struct ArmShape {
  Json arm;
  std::string (*source_of)(const std::string&) = nullptr;
};

ArmShape ToArm(const Json& element, Shape shape) {
  ArmShape out;
  switch (shape) {
    case Shape::kArm:
      out.arm = element;
      break;
    case Shape::kFlatAssignment: {
      out.arm = {{"properties", Json::object()}};
      for (const auto& [key, value] : element.items()) {
        if (key == "id" || key == "name" || key == "type") {
          out.arm[key] = value;
        } else {
          out.arm["properties"][key] = value;
        }
      }
      out.source_of = FlatSource;
      break;
    }
    case Shape::kFlatDefinition: {
      Json properties = Json::object();
      for (const char* key : {"roleName", "permissions", "assignableScopes"}) {
        if (const auto it = element.find(key); it != element.end()) properties[key] = *it;
      }
      if (const auto it = element.find("roleType"); it != element.end()) properties["type"] = *it;
      out.arm = {{"properties", std::move(properties)}};
      for (const char* key : {"id", "name"}) {
        if (const auto it = element.find(key); it != element.end()) out.arm[key] = *it;
      }
      out.source_of = AzDefinitionSource;
      break;
    }
    case Shape::kPowerShellDefinition: {
      Json block = Json::object();
      for (const char* key : {"Actions", "NotActions", "DataActions", "NotDataActions"}) {
        if (const auto it = element.find(key); it != element.end()) block[key] = *it;
      }
      Json properties = {{"permissions", Json::array({std::move(block)})}};
      if (const auto it = element.find("Name"); it != element.end()) properties["roleName"] = *it;
      if (const auto it = element.find("AssignableScopes"); it != element.end()) {
        properties["assignableScopes"] = *it;
      }
      if (const auto it = element.find("IsCustom"); it != element.end() && it->is_boolean()) {
        properties["type"] = it->get<bool>() ? "CustomRole" : "BuiltInRole";
      }
      out.arm = {{"properties", std::move(properties)}};
      if (const auto it = element.find("Id"); it != element.end()) out.arm["name"] = *it;
      out.source_of = PowerShellSource;
      break;
    }
    case Shape::kNone:
    case Shape::kOtherType:
      break;
  }
  // A role definition listed without its id (the iann0036 dump, PowerShell) is the tenant-wide
  // built-in or custom role named by its GUID.
  if (shape == Shape::kFlatDefinition || shape == Shape::kPowerShellDefinition) {
    const std::string name = internal::StringField(out.arm, "name");
    if (internal::StringField(out.arm, "id").empty() && !name.empty()) {
      out.arm["id"] = absl::StrCat("/providers/Microsoft.Authorization/roleDefinitions/", name);
    }
  }
  return out;
}

class CliReader {
 public:
  CliReader(std::string_view file, const internal::JsonPositions* positions)
      : file_(file), positions_(positions) {}

  AdapterResult Read(const Json& root) {
    const Elements elements = ElementsOf(root);
    if (elements.list == nullptr) {
      ReadElement(root, "");
    } else {
      for (std::size_t i = 0; i < elements.list->size(); ++i) {
        ReadElement((*elements.list)[i], absl::StrCat(elements.pointer, "/", i));
      }
    }
    if (skipped_ > 0) {
      AddDiagnostic(&result_.diagnostics, core::DiagnosticSeverity::kWarning,
                    Located(first_skipped_),
                    absl::StrCat(skipped_, skipped_ == 1 ? " element is" : " elements are",
                                 " of another Azure type (not a Key Vault, role assignment or role "
                                 "definition) and not read; the first is here"));
    }
    return std::move(result_);
  }

 private:
  core::SourceLocation Located(const std::string& pointer) const {
    return PointerLocation(file_, pointer, positions_);
  }

  void ReadElement(const Json& element, const std::string& pointer) {
    const Classified classified = Classify(element);
    if (classified.shape == Shape::kOtherType) {
      if (skipped_++ == 0) first_skipped_ = pointer;
      return;
    }
    if (classified.shape == Shape::kNone) {
      AddDiagnostic(&result_.diagnostics, core::DiagnosticSeverity::kError, Located(pointer),
                    element.is_object()
                        ? "not an Azure resource this reader knows (a Key Vault, an access-policy "
                          "change, a role assignment or a role definition, as az or the ARM REST "
                          "API writes them); skipped"
                        : absl::StrCat("expected an Azure resource object, got ",
                                       element.type_name(), "; skipped"));
      return;
    }
    ArmShape shape = ToArm(element, classified.shape);
    azure_internal::NormalizeContext context;
    context.file = file_;
    context.source_pointer = pointer;
    context.source_of = shape.source_of;
    context.diagnostics = &result_.diagnostics;
    Json document = azure_internal::NormalizeDocument(
        classified.type, shape.arm, azure_internal::Origin("live", "azure-cli", ""), context);
    result_.resources.push_back(
        azure_internal::MakeResource(std::move(document), pointer, Located(pointer)));
  }

  std::string_view file_;
  const internal::JsonPositions* positions_;
  AdapterResult result_;
  int skipped_ = 0;
  std::string first_skipped_;
};

}  // namespace

bool LooksLikeAzureCliOutput(const nlohmann::json& root) {
  const Elements elements = ElementsOf(root);
  const Json* first = &root;
  if (elements.list != nullptr) {
    if (elements.list->empty()) return false;
    first = &elements.list->front();
  }
  const Classified classified = Classify(*first);
  switch (classified.shape) {
    case Shape::kArm: {
      // A GET shape needs its properties (a bare {"type": ...} says too little), or an ARM id:
      // a listing through the resources API (`az keyvault list`) names vaults by id, type and
      // name only, and reading it says that their access policies are not in it.
      if (first->contains("properties")) return true;
      const std::string id = absl::AsciiStrToLower(internal::StringField(*first, "id"));
      return id.starts_with("/subscriptions/") && id.find("/providers/") != std::string::npos;
    }
    case Shape::kFlatAssignment:
      return Has(*first, "scope") || Has(*first, "roleDefinitionId");
    case Shape::kFlatDefinition:
    case Shape::kPowerShellDefinition:
      return true;
    case Shape::kNone:
    case Shape::kOtherType:
      break;
  }
  return false;
}

AdapterResult ReadAzureCliJson(const nlohmann::json& root, std::string_view source_name) {
  return CliReader(source_name, nullptr).Read(root);
}

AdapterResult ReadAzureCli(std::string_view text, std::string_view source_name) {
  return azure_internal::ReadJsonText(
      text, source_name, 2, "element",
      [&](const Json& root, const internal::JsonPositions* positions) {
        return CliReader(source_name, positions).Read(root);
      });
}

}  // namespace kmsguard::adapters
