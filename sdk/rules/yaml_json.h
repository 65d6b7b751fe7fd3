// YAML -> JSON as a rule author means it, shared by the rule loader and the rule test runner.
#pragma once

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

namespace kmsguard::rules {

// Quoted scalars stay strings; plain scalars that read as true/false, null or a number become
// those; maps and sequences recurse. Never throws.
nlohmann::json YamlToJson(const YAML::Node& node);

}  // namespace kmsguard::rules
