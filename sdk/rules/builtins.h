// The built-in operators a rule's `violation` may call, declared in one table: the loader checks a
// call against it (name, arguments, their types and values), the engine looks up the
// implementation by the same name (sdk/engine/builtins.cc). Adding an operator means adding one
// entry here and one implementation there.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "sdk/rules/rule.h"

namespace kmsguard::rules {

enum class ArgKind {
  kEnum,        // one string of `allowed`, or "${params.x}" naming a string parameter
  kStringList,  // a list of strings, or "${params.x}" naming a list parameter
  kBool,        // true or false, or "${params.x}" naming a bool parameter
};

// For an enum argument: the resource types a rule may name when the argument has this value
// (e.g. iam.allows with `policies: default_version` reads managed policies only).
struct ValueResourceTypes {
  std::string_view value;
  std::vector<std::string_view> resource_types;
};

struct ArgSpec {
  std::string_view name;
  ArgKind kind = ArgKind::kEnum;
  bool required = true;
  std::vector<std::string_view> allowed = {};  // kEnum only
  // kEnum and kBool ("true"/"false"), used when an optional argument is absent.
  std::string_view default_value = {};
  std::string_view doc = {};
  std::vector<ValueResourceTypes> resource_types_by_value = {};  // kEnum only
};

struct BuiltinSpec {
  std::string_view name;
  std::string_view doc;
  std::vector<std::string_view> resource_types;  // the resource types the operator can read
  std::vector<ArgSpec> args;
  // The operator gives one finding per item (its key is `item.key`), as `for_each` does.
  bool per_item = false;
};

// Every built-in operator, in the order they are documented.
const std::vector<BuiltinSpec>& Builtins();

// The operator called `name`, or nullptr.
const BuiltinSpec* FindBuiltin(std::string_view name);

// If `value` is a parameter reference "${params.NAME}", sets `*param_name` and returns true.
bool ParseParamRef(const nlohmann::json& value, std::string* param_name);

// The value of argument `arg` of `rule.violation` with parameter references replaced by the
// parameter's current value and the default applied when an optional argument is absent (a kBool
// default is returned as a JSON bool; the loader stores literal kBool arguments as JSON bools).
// Returns null when the argument is absent and has no default (the loader rejects such rules).
nlohmann::json ResolveArg(const Rule& rule, const ArgSpec& arg);
// The same for a call's own arguments `args` (a built-in called inside a generic condition).
nlohmann::json ResolveArg(const Rule& rule, const nlohmann::json& args, const ArgSpec& arg);

}  // namespace kmsguard::rules
