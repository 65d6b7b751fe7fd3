// Input adapter: Azure Resource Manager templates (JSON, as written or compiled from Bicep) ->
// normalized Azure resources (provider "azure"), evaluated before anything is deployed. The
// document shape is docs/resource-model.md, "Azure resources (provider `azure`)"; every
// resource's origin is {"kind": "template", "format": "arm-template", "api_version": the
// resource's apiVersion}.
//
// Template format: https://learn.microsoft.com/azure/azure-resource-manager/templates/syntax;
// expressions and functions:
// https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions (the subset
// azure_arm_expression.h lists).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "sdk/adapters/authorization_details.h"
#include "sdk/adapters/cloudformation.h"

namespace kmsguard::adapters {

// True when `root` is an object whose "$schema" names a deployment template
// ("…/deploymentTemplate.json#", or the subscription, management-group or tenant variants).
bool LooksLikeArmTemplate(const nlohmann::json& root);

// Reads an ARM template. Resources read: Microsoft.KeyVault/vaults (properties.accessPolicies,
// enableRbacAuthorization, ...), Microsoft.KeyVault/vaults/accessPolicies (the name ends in
// add|replace|remove: the operation; the parent vault's id), Microsoft.Authorization/
// roleAssignments (an extension `scope` such as "Microsoft.KeyVault/vaults/NAME" is that resource
// in the deployment's resource group; without `scope` the assignment is at the deployment's target,
// "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}" for a resource-group
// deployment) and Microsoft.Authorization/roleDefinitions; child resources nested in their parent;
// nested Microsoft.Resources/deployments with an inline `template` (with
// expressionEvaluationOptions.scope "inner" the inner template's parameters take the values the
// deployment passes). A resource whose `condition` is false is left out.
// `parameters` (name -> value text, e.g. from ReadArmParameters) take the place of defaults;
// text is converted to the parameter's type (bool, int, array, object).
// Ids are built as ARM builds them, with the deployment's context written "{subscriptionId}",
// "{resourceGroupName}"; a value the template does not determine (a parameter without value or
// default, reference(), list*()) is readable text ("[parameters('objectId')]") and its pointer is
// listed in the document's "unknown". Sources are the file, the resource's JSON pointer and its
// line:col. An expression that cannot be read, or names an undeclared parameter or variable, is an
// error diagnostic (the value is then unknown); a field of the wrong type is a "problems" entry.
// Never throws.
AdapterResult ReadArmTemplate(std::string_view text, std::string_view source_name,
                              const CloudFormationParameters& parameters = {});

// Same, on a template already parsed (sources then have pointers but no line:col).
AdapterResult ReadArmTemplateJson(const nlohmann::json& root, std::string_view source_name,
                                  const CloudFormationParameters& parameters = {});

// Reads an ARM parameters file ({"parameters": {"name": {"value": ...}}},
// https://learn.microsoft.com/azure/azure-resource-manager/templates/parameter-files) into
// `out`: a string value as is, any other value as its JSON text. Key Vault references cannot be
// resolved and are skipped with a warning. Returns false (with a diagnostic) when the text is
// not such a file. Never throws.
bool ReadArmParameters(std::string_view text, std::string_view source_name,
                       CloudFormationParameters* out, core::Diagnostics* diagnostics);

}  // namespace kmsguard::adapters
