// YAML read the way rule files are, for the rule test runner and the configuration file.
#pragma once

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "sdk/core/diagnostic.h"
#include "sdk/rules/rule.h"

namespace kmsguard::rules {

// Quoted scalars stay strings; plain scalars that read as true/false, null or a number become
// those; maps and sequences recurse. Never throws.
nlohmann::json YamlToJson(const YAML::Node& node);

// Reads a configuration file's list of rule overrides, each
//   {rule: ID, severity: LEVEL?, params: {NAME: VALUE}?, exceptions: [...]?}
// (the `kind: Override` document without api_version/kind; docs/rule-authoring.md#overrides).
// Problems go to `diagnostics` with `file_name` and the node positions; entries with problems are
// left out. Apply the result with rules::ApplyOverrides. Never throws.
std::vector<Override> ReadOverrides(const YAML::Node& list, std::string_view file_name,
                                    core::Diagnostics* diagnostics);

// Reads the older form of a configuration file's parameter changes, a map
//   {RULE_ID: {NAME: VALUE, ...}, ...}
// into one Override per rule, each read exactly as an override's `params` are (value types,
// positions: the rule id's for the override, each value's for its parameter). A rule id given
// twice is an error. Never throws.
std::vector<Override> ReadParamOverrides(const YAML::Node& map, std::string_view file_name,
                                         core::Diagnostics* diagnostics);

}  // namespace kmsguard::rules
