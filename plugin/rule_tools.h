// Shared by the rule authoring subcommands (check, test, eval): rule sets loaded from directories
// and resources written by hand.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "plugin/rule_loader.h"
#include "sdk/model/resource.h"
#include "sdk/rules/rule.h"

namespace kmsguard::plugin {

struct ToolRules {
  RuleSources sources;
  rules::LoadResult loaded;
  int errors = 0;  // error diagnostics (printed to the log)
};

// Loads `dirs` (plus the built-in rules as context, see CollectRuleSources) and prints every
// error to `log` with its source line. Fails only when a directory cannot be listed.
absl::StatusOr<ToolRules> LoadToolRules(const std::vector<std::string>& dirs, std::ostream& log);

// A resource written as {type, id?, name?, account?, partition?, region?, document}: the form of
// rule test cases and `kmsguard eval --input`. Missing id/name/partition get defaults from the
// document ("arn"/"name") and "aws". On error returns nullopt with `error` set.
std::optional<model::Resource> ResourceFromJson(const nlohmann::json& value, std::string* error);

}  // namespace kmsguard::plugin
