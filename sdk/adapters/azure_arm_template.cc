// ARM templates -> normalized Azure resources. Each resource of interest is evaluated
// (azure_arm_expression.h), given the id ARM would give it, put in the ARM REST shape and
// normalized (azure_common.h); the unknown pointers of the evaluation follow the values into the
// document.
#include "sdk/adapters/azure_arm_template.h"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sdk/adapters/adapter_support.h"
#include "sdk/adapters/azure_arm_expression.h"
#include "sdk/adapters/azure_common.h"
#include "sdk/core/json_text.h"

namespace kmsguard::adapters {
namespace {

using azure_internal::ArmDeployment;
using azure_internal::ArmIssue;
using azure_internal::ArmScope;
using azure_internal::ArmValue;
using azure_internal::Lower;
using azure_internal::TextOf;
using internal::AddDiagnostic;
using internal::PointerLocation;
using Json = nlohmann::json;
constexpr auto kError = core::DiagnosticSeverity::kError;
constexpr auto kWarning = core::DiagnosticSeverity::kWarning;

// Positions are kept this deep: a resource of a template nested in a deployment nested in a
// deployment is at /resources/i/properties/template/resources/j/properties/template/resources/k.
constexpr int kPositionDepth = 14;

std::string AssignmentSource(const std::string& pointer) {
  return pointer == "/properties/scope" ? std::string("/scope") : pointer;
}

// The deployment's target scope, from the template's $schema.
ArmDeployment DeploymentOf(const Json& root) {
  ArmDeployment deployment;
  const std::string schema = Lower(internal::StringField(root, "$schema"));
  if (schema.find("subscriptiondeploymenttemplate") != std::string::npos) {
    deployment.target_scope = "/subscriptions/{subscriptionId}";
  } else if (schema.find("managementgroupdeploymenttemplate") != std::string::npos) {
    deployment.target_scope =
        "/providers/Microsoft.Management/managementGroups/{managementGroupName}";
  } else if (schema.find("tenantdeploymenttemplate") != std::string::npos) {
    deployment.target_scope = "/";
  }
  return deployment;
}

// A parent resource, for child resources nested in its `resources`.
struct Parent {
  std::string type;
  ArmValue name;
};

class TemplateReader {
 public:
  TemplateReader(std::string_view file, const internal::JsonPositions* positions)
      : file_(file), positions_(positions) {}

  AdapterResult Read(const Json& root, const CloudFormationParameters& given) {
    if (!root.is_object()) {
      AddDiagnostic(&result_.diagnostics, kError, PointerLocation(file_, ""),
                    absl::StrCat("expected an ARM template object, got ", root.type_name()));
      return std::move(result_);
    }
    std::map<std::string, ArmValue> values;
    const auto declarations = root.find("parameters");
    for (const auto& [name, text] : given) {
      const Json* declaration = nullptr;
      if (declarations != root.end() && declarations->is_object()) {
        for (const auto& [declared, d] : declarations->items()) {
          if (Lower(declared) == Lower(name)) declaration = &d;
        }
      }
      if (declaration == nullptr) {
        AddDiagnostic(&result_.diagnostics, kWarning, PointerLocation(file_, "/parameters"),
                      absl::StrCat("parameter '", name,
                                   "' is given a value but the template declares no such "
                                   "parameter; ignored"));
        continue;
      }
      values[name] = {
          azure_internal::ParameterFromText(text, internal::StringField(*declaration, "type")), {}};
    }
    ArmScope scope(root, std::move(values), DeploymentOf(root));
    ReadResources(root, "", scope);
    return std::move(result_);
  }

 private:
  core::SourceLocation Located(const std::string& pointer) const {
    return PointerLocation(file_, pointer, positions_);
  }

  void Report(const std::string& at, std::vector<ArmIssue>* issues) {
    for (ArmIssue& issue : *issues) {
      AddDiagnostic(&result_.diagnostics, kError, Located(at + issue.pointer),
                    std::move(issue.message));
    }
    issues->clear();
  }

  ArmValue Evaluate(ArmScope& scope, const Json& value, const std::string& at) {
    std::vector<ArmIssue> issues;
    ArmValue out = scope.Evaluate(value, &issues);
    Report(at, &issues);
    return out;
  }

  void ReadResources(const Json& tmpl, const std::string& at, ArmScope& scope,
                     const Parent* parent = nullptr) {
    const auto resources = tmpl.find("resources");
    if (resources == tmpl.end() || resources->is_null()) return;
    const std::string pointer = at + "/resources";
    if (resources->is_array()) {
      for (std::size_t i = 0; i < resources->size(); ++i) {
        ReadResource((*resources)[i], absl::StrCat(pointer, "/", i), scope, parent);
      }
    } else if (resources->is_object()) {  // languageVersion 2.0: symbolic names
      for (const auto& [name, resource] : resources->items()) {
        ReadResource(resource, absl::StrCat(pointer, "/", core::PointerToken(name)), scope, parent);
      }
    } else {
      AddDiagnostic(&result_.diagnostics, kError, Located(pointer),
                    absl::StrCat("resources is not a list, got ", resources->type_name()));
    }
  }

  void ReadResource(const Json& resource, const std::string& at, ArmScope& scope,
                    const Parent* parent) {
    if (!resource.is_object()) {
      AddDiagnostic(
          &result_.diagnostics, kError, Located(at),
          absl::StrCat("a resource is not an object (got ", resource.type_name(), "); skipped"));
      return;
    }
    if (const auto condition = resource.find("condition"); condition != resource.end()) {
      const ArmValue value = Evaluate(scope, *condition, at + "/condition");
      if (value.unknown.empty() && value.value.is_boolean() && !value.value.get<bool>()) return;
    }
    std::string type = internal::StringField(resource, "type");
    if (parent != nullptr && type.find('/') == std::string::npos) {
      type = absl::StrCat(parent->type, "/", type);
    }
    if (Lower(type) == "microsoft.resources/deployments") {
      NestedDeployment(resource, at, scope);
      return;
    }
    const std::string_view canonical = azure_internal::CanonicalType(type);
    ArmValue name;
    if (const auto it = resource.find("name"); it != resource.end()) {
      name = Evaluate(scope, *it, at + "/name");
    }
    if (parent != nullptr) {
      const bool unknown = parent->name.WhollyUnknown() || name.WhollyUnknown();
      name = {absl::StrCat(TextOf(parent->name.value), "/", TextOf(name.value)), {}};
      if (unknown) name.unknown.insert("");
    }
    if (!canonical.empty()) Resource(resource, at, scope, canonical, name);
    if (resource.contains("resources")) {
      const Parent child_parent{type, name};
      ReadResources(resource, at, scope, &child_parent);
    }
  }

  // Microsoft.Resources/deployments with an inline template: its resources are read in the
  // template's scope ("inner": its own parameters, bound to the values passed) or in this one.
  void NestedDeployment(const Json& resource, const std::string& at, ArmScope& scope) {
    const auto properties = resource.find("properties");
    if (properties == resource.end() || !properties->is_object()) return;
    const auto inline_template = properties->find("template");
    if (inline_template == properties->end() || !inline_template->is_object()) {
      if (properties->contains("templateLink")) {
        AddDiagnostic(&result_.diagnostics, kWarning, Located(at),
                      "a nested deployment of a linked template (templateLink): the linked "
                      "template is not read");
      }
      return;
    }
    const std::string template_at = at + "/properties/template";
    std::string evaluation;
    if (const auto options = properties->find("expressionEvaluationOptions");
        options != properties->end() && options->is_object()) {
      evaluation = Lower(internal::StringField(*options, "scope"));
    }
    if (evaluation != "inner") {
      ReadResources(*inline_template, template_at, scope);
      return;
    }
    std::map<std::string, ArmValue> given;
    if (const auto parameters = properties->find("parameters");
        parameters != properties->end() && parameters->is_object()) {
      for (const auto& [name, entry] : parameters->items()) {
        const std::string entry_at =
            absl::StrCat(at, "/properties/parameters/", core::PointerToken(name));
        if (entry.is_object() && entry.contains("value")) {
          given[name] = Evaluate(scope, entry.at("value"), entry_at + "/value");
        } else if (entry.is_object() && entry.contains("reference")) {
          given[name] = {"(a Key Vault reference)", {""}};
        } else {
          AddDiagnostic(&result_.diagnostics, kError, Located(entry_at),
                        "a deployment parameter is an object with a \"value\"");
        }
      }
    }
    ArmScope inner(*inline_template, std::move(given), scope.deployment());
    ReadResources(*inline_template, template_at, inner);
  }

  // One resource of the four types: evaluated, given its id, normalized.
  void Resource(const Json& resource, const std::string& at, ArmScope& scope,
                std::string_view canonical, const ArmValue& name) {
    Json fields = Json::object();
    for (const char* key : {"apiVersion", "location", "scope", "properties"}) {
      if (const auto it = resource.find(key); it != resource.end()) fields[key] = *it;
    }
    ArmValue evaluated = Evaluate(scope, fields, at);
    const Json& e = evaluated.value;
    const std::string name_text = TextOf(name.value);
    const bool name_unknown = !name.unknown.empty();
    const std::string& target = scope.deployment().target_scope;
    const std::string in_target = target == "/" ? "" : target;

    // The document's unknown pointers: the evaluated fields keep their places, except `scope`.
    std::set<std::string> unknown;
    for (const std::string& p : evaluated.unknown) {
      if (p == "/scope" || p.starts_with("/scope/")) {
        unknown.insert("/properties" + p);
      } else {
        unknown.insert(p);
      }
    }
    if (name_unknown) unknown.insert({"/name", "/id"});

    Json arm = {{"name", name_text}};
    if (const auto it = e.find("location"); it != e.end()) arm["location"] = *it;
    Json properties = Json::object();
    if (const auto it = e.find("properties"); it != e.end()) properties = *it;
    // Property loops ("copy" inside properties: accessPolicies made per element of a parameter)
    // are not evaluated: the list they make is unknown, never an empty one.
    if (properties.is_object() && properties.contains("copy")) {
      for (const Json& loop : properties["copy"].is_array() ? properties["copy"] : Json::array()) {
        const std::string looped =
            loop.is_object() && loop.contains("name") && loop["name"].is_string()
                ? loop["name"].get<std::string>()
                : std::string("?");
        // The pointer must hold a value for the document to list it as unknown.
        if (looped != "?" && !properties.contains(looped)) properties[looped] = Json::array();
        unknown.insert("/properties/" + core::PointerToken(looped));
      }
      properties.erase("copy");
    }
    azure_internal::NormalizeContext context;
    if (canonical == azure_internal::kAzureVault) {
      arm["id"] = absl::StrCat(in_target, "/providers/Microsoft.KeyVault/vaults/", name_text);
    } else if (canonical == azure_internal::kAzureVaultAccessPolicies) {
      const std::size_t slash = name_text.rfind('/');
      const std::string vault = slash == std::string::npos ? "" : name_text.substr(0, slash);
      const std::string operation = name_text.substr(slash == std::string::npos ? 0 : slash + 1);
      const std::string lower = Lower(operation);
      if (lower != "add" && lower != "replace" && lower != "remove") {
        AddDiagnostic(&result_.diagnostics, kError, Located(at + "/name"),
                      absl::StrCat("the name of a Microsoft.KeyVault/vaults/accessPolicies "
                                   "resource is VAULT/add, VAULT/replace or VAULT/remove, not '",
                                   name_text, "'"));
        unknown.insert("/properties/operation");
      }
      const std::string vault_id =
          absl::StrCat(in_target, "/providers/Microsoft.KeyVault/vaults/", vault);
      arm["id"] = absl::StrCat(vault_id, "/accessPolicies/", operation);
      if (properties.is_object()) {
        properties["vaultId"] = vault_id;
        properties["operation"] =
            lower == "add" || lower == "replace" || lower == "remove" ? lower : operation;
      }
      if (name_unknown) unknown.insert("/properties/vaultId");
    } else if (canonical == azure_internal::kAzureRoleAssignment) {
      std::string scope_text = in_target;
      const auto written = e.find("scope");
      if (written != e.end() && written->is_string() && !written->get<std::string>().empty()) {
        const std::string s = written->get<std::string>();
        // A relative extension scope ("Microsoft.KeyVault/vaults/kv") is a resource of the
        // deployment's resource group; an id, or an unknown value, stays as it is.
        scope_text =
            s.front() == '/' || s.front() == '[' ? s : absl::StrCat(in_target, "/providers/", s);
      } else if (properties.is_object() && properties.contains("scope")) {
        scope_text = TextOf(properties["scope"]);
      }
      if (properties.is_object()) properties["scope"] = scope_text;
      arm["id"] = absl::StrCat(scope_text == "/" ? "" : scope_text,
                               "/providers/Microsoft.Authorization/roleAssignments/", name_text);
      if (unknown.contains("/properties/scope")) unknown.insert("/id");
      context.source_of = AssignmentSource;
    } else if (canonical == azure_internal::kAzureRoleDefinition) {
      const std::string prefix =
          target.starts_with("/subscriptions/") ? "/subscriptions/{subscriptionId}" : "";
      arm["id"] =
          absl::StrCat(prefix, "/providers/Microsoft.Authorization/roleDefinitions/", name_text);
    }
    arm["properties"] = std::move(properties);
    std::string api_version;
    if (const auto it = e.find("apiVersion"); it != e.end() && it->is_string()) {
      api_version = it->get<std::string>();
    }
    context.file = file_;
    context.source_pointer = at;
    context.unknown = &unknown;
    context.diagnostics = &result_.diagnostics;
    Json document = azure_internal::NormalizeDocument(
        canonical, arm, azure_internal::Origin("template", "arm-template", api_version), context);
    result_.resources.push_back(azure_internal::MakeResource(std::move(document), at, Located(at)));
  }

  std::string_view file_;
  const internal::JsonPositions* positions_;
  AdapterResult result_;
};

}  // namespace

bool LooksLikeArmTemplate(const nlohmann::json& root) {
  if (!root.is_object()) return false;
  return Lower(internal::StringField(root, "$schema")).find("deploymenttemplate.json") !=
         std::string::npos;
}

AdapterResult ReadArmTemplateJson(const nlohmann::json& root, std::string_view source_name,
                                  const CloudFormationParameters& parameters) {
  return TemplateReader(source_name, nullptr).Read(root, parameters);
}

AdapterResult ReadArmTemplate(std::string_view text, std::string_view source_name,
                              const CloudFormationParameters& parameters) {
  return azure_internal::ReadJsonText(
      text, source_name, kPositionDepth, "resource",
      [&](const Json& root, const internal::JsonPositions* positions) {
        return TemplateReader(source_name, positions).Read(root, parameters);
      });
}

bool ReadArmParameters(std::string_view text, std::string_view source_name,
                       CloudFormationParameters* out, core::Diagnostics* diagnostics) {
  Json root;
  bool lossy = false;
  if (!internal::ParseJsonText(text, internal::JsonOrigin{source_name, ""}, &root, diagnostics,
                               &lossy)) {
    return false;
  }
  const auto parameters = root.is_object() ? root.find("parameters") : root.end();
  if (!root.is_object() || parameters == root.end() || !parameters->is_object()) {
    AddDiagnostic(diagnostics, kError, PointerLocation(source_name, ""),
                  "not an ARM parameters file: expected {\"parameters\": {\"name\": {\"value\": "
                  "...}}}");
    return false;
  }
  for (const auto& [name, entry] : parameters->items()) {
    const std::string at = "/parameters/" + core::PointerToken(name);
    if (entry.is_object() && entry.contains("value")) {
      const Json& value = entry.at("value");
      (*out)[name] = value.is_string() ? value.get<std::string>() : core::DumpJson(value);
    } else if (entry.is_object() && entry.contains("reference")) {
      AddDiagnostic(diagnostics, kWarning, PointerLocation(source_name, at),
                    absl::StrCat("parameter '", name,
                                 "' is a Key Vault reference, which is not resolved; it keeps "
                                 "its default (or stays unknown)"));
    } else {
      AddDiagnostic(diagnostics, kError, PointerLocation(source_name, at),
                    absl::StrCat("parameter '", name, "' needs a \"value\""));
    }
  }
  return true;
}

}  // namespace kmsguard::adapters
