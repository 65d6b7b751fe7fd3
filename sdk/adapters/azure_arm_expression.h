// A small evaluator of ARM template expressions ("[concat(parameters('a'), 'b')]"), for the ARM
// template adapter (azure_arm_template.h). Internal to sdk/adapters; not a public API.
//
// Grammar
// (https://learn.microsoft.com/azure/azure-resource-manager/templates/template-expressions): string
// literals '...' ('' escapes a quote), integers, function calls, `.property` access and
// `[index]` indexing. A string value that starts with '[' and ends with ']' is an expression;
// "[[" starts a literal "[". Functions
// (https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions):
// parameters, variables, concat, format, resourceId, subscriptionResourceId, tenantResourceId,
// extensionResourceId, subscription, resourceGroup, toLower, toUpper, guid, uniqueString, if,
// createArray, createObject, union, string, equals, not, and, or, empty, coalesce, true, false,
// null. Any other function (reference, list*, deployment, copyIndex, ...) gives an unknown value.
//
// A value the input does not determine (a parameter without a value or default, an unsupported
// function) is never guessed: it is readable text standing in its place ("[parameters('x')]"),
// and its pointer is listed in ArmValue::unknown. Text built from it embeds that text
// ("Microsoft.KeyVault/vaults/[parameters('x')]"), so the shape of an id stays visible. The
// deployment's context is written "{subscriptionId}", "{resourceGroupName}", "{tenantId}",
// "{location}": known shapes, not unknown values.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace kmsguard::adapters::azure_internal {

// A value an expression produced. `unknown` holds JSON pointers (relative to `value`) of the parts
// the input does not determine; "" means all of it.
struct ArmValue {
  nlohmann::json value;
  std::set<std::string> unknown;
  bool WhollyUnknown() const { return unknown.contains(""); }
};

// An expression that could not be read, or a name that is not declared.
struct ArmIssue {
  std::string pointer;  // relative to the value being evaluated
  std::string message;
};

// What the deployment targets: the scope a resource without `scope` lands in.
struct ArmDeployment {
  // "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}" for a resource-group
  // deployment, "/subscriptions/{subscriptionId}" for a subscription deployment, ...
  std::string target_scope = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}";
};

// The parameters and variables of one template (an inline nested template with
// expressionEvaluationOptions.scope "inner" has its own).
class ArmScope {
 public:
  // `given` are the values the deployment passes, by parameter name (case-insensitive).
  ArmScope(const nlohmann::json& template_root, std::map<std::string, ArmValue> given,
           ArmDeployment deployment);

  // Evaluates every string in `value` that is an expression (object keys are not evaluated).
  ArmValue Evaluate(const nlohmann::json& value, std::vector<ArmIssue>* issues);
  ArmValue EvaluateText(std::string_view text, std::vector<ArmIssue>* issues);

  // A parameter's value: given, else its defaultValue (evaluated), else unknown.
  ArmValue Parameter(std::string_view name, std::vector<ArmIssue>* issues);
  ArmValue Variable(std::string_view name, std::vector<ArmIssue>* issues);

  const ArmDeployment& deployment() const { return deployment_; }

 private:
  const nlohmann::json& template_;
  std::map<std::string, ArmValue> given_;  // by lower-case name
  ArmDeployment deployment_;
  std::map<std::string, ArmValue> parameters_;  // evaluated, by lower-case name
  std::map<std::string, ArmValue> variables_;
  std::set<std::string> evaluating_;  // "p:name" / "v:name": cycles
};

// A parameter value given as text (a command line's name=value) as the JSON value of the
// parameter's declared `type` (bool, int, array, object; string otherwise). Text that does not
// fit the type stays text.
nlohmann::json ParameterFromText(std::string_view text, std::string_view type);

// The text that stands for `value` inside a string: a string as is, a boolean as "True"/"False"
// (as ARM's string() writes it), anything else as JSON.
std::string TextOf(const nlohmann::json& value);

}  // namespace kmsguard::adapters::azure_internal
