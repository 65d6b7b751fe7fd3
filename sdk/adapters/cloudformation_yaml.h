// What the template reader (cloudformation.cc) shares with the YAML stage (cloudformation_yaml.cc),
// whose entry point, CloudFormationYamlToJson, is public (cloudformation.h). Internal to
// sdk/adapters.
#pragma once

namespace kmsguard::adapters::internal {

// Positions are kept for the first levels only: enough for /Resources/ID/Properties/Policies/N/...
// That is, how deep below the root a template's values have their line and column recorded, read
// from YAML (yaml-cpp's marks, cloudformation_yaml.cc) or from JSON (the JSON parser's callback,
// cloudformation.cc); a value deeper down is located at its nearest recorded ancestor.
inline constexpr int kCloudFormationPositionDepth = 6;

}  // namespace kmsguard::adapters::internal
