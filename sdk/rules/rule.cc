#include "sdk/rules/rule.h"

namespace kmsguard::rules {

nlohmann::json Rule::ParamValue(std::string_view name) const {
  if (auto it = param_values.find(std::string(name)); it != param_values.end()) return it->second;
  for (const Param& param : params) {
    if (param.name == name) return param.default_value;
  }
  return nullptr;
}

RuleSet::RuleSet(std::vector<Rule> rules) : rules_(std::move(rules)) {
  // Built after rules_ is final: the index holds pointers into it.
  for (const Rule& rule : rules_) {
    for (const std::string& type : rule.resource_types) by_type_[type].push_back(&rule);
  }
}

const std::vector<const Rule*>& RuleSet::ForType(std::string_view resource_type) const {
  static const auto* const kNone = new std::vector<const Rule*>();
  auto it = by_type_.find(resource_type);
  return it == by_type_.end() ? *kNone : it->second;
}

}  // namespace kmsguard::rules
