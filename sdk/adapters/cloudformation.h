// Input adapter: AWS CloudFormation templates (JSON or YAML) -> normalized principals and managed
// policies, evaluated before the stack is deployed.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "sdk/adapters/authorization_details.h"

namespace kmsguard::adapters {

// Values for a template's Parameters by name, as `aws cloudformation deploy --parameter-overrides`
// takes them (a list parameter's value is comma-separated). Each takes the place of the
// parameter's Default where policies use it.
using CloudFormationParameters = std::map<std::string, std::string, std::less<>>;

// Reads a template given as JSON or YAML text (YAML short-form tags such as `!Sub`, `!Ref`,
// `!GetAtt`, `!Join`, `!If` are read as their long forms). Principals: AWS::IAM::User, Group and
// Role (`Policies`, `ManagedPolicyArns`, `AssumeRolePolicyDocument`); AWS::IAM::Policy and
// AWS::IAM::RolePolicy / UserPolicy / GroupPolicy join, as inline policies, the principals they
// name (a `Ref` to a template resource, or a literal name); AWS::IAM::ManagedPolicy gives a
// managed policy resource; AWS::KMS::Key gives a KMS key (its KeyPolicy, EnableKeyRotation,
// KeySpec, KeyUsage, Origin, Enabled, MultiRegion, Description). Intrinsic functions in policy
// documents are resolved where literal (Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::FindInMap on
// literals; parameters take their `parameters` value, else their Default); a policy holding
// `Fn::If` is judged once per combination of its conditions (each a policy "NAME (if COND)");
// anything else becomes a `${...}` policy variable, one specific unknown value, never a wildcard,
// and a parameter left without a value is reported (docs/input-formats.md states the rules).
// Resource ids are "cloudformation:LOGICAL_ID"; sources carry the logical id and the line.
// Problems are diagnostics with positions; the rest still loads. Never throws.
AdapterResult ReadCloudFormationTemplate(std::string_view text, std::string_view source_name,
                                         const CloudFormationParameters& parameters = {});

// Line and column (1-based) of YAML nodes by JSON pointer, for source locations.
using TemplatePositions = std::map<std::string, std::pair<int, int>, std::less<>>;

// Same, on a template already parsed as JSON; `positions` may be null.
AdapterResult ReadCloudFormationJson(const nlohmann::json& root, std::string_view source_name,
                                     const TemplatePositions* positions = nullptr,
                                     const CloudFormationParameters& parameters = {});

// Converts YAML template text to JSON (short-form tags to long forms, plain scalars typed as
// YAML 1.2 core schema does, except that numbers with leading zeros stay text), recording node
// positions. Returns false (with a diagnostic naming line and column) when the text is not YAML
// or not UTF-8. Containers nested deeper than 128 levels and raw control characters (which YAML
// does not allow) are replaced by U+FFFD text, reported, and `*lossy` (optional) is set. A
// second YAML document in the text is reported as an error and not read.
bool CloudFormationYamlToJson(std::string_view text, std::string_view source_name,
                              nlohmann::json* out, TemplatePositions* positions,
                              core::Diagnostics* diagnostics, bool* lossy = nullptr);

}  // namespace kmsguard::adapters
