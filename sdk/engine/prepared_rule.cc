#include "sdk/engine/prepared_rule.h"

#include <algorithm>
#include <cassert>
#include <exception>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/core/json_text.h"
#include "sdk/rules/builtins.h"
#include "sdk/rules/template.h"

namespace kmsguard::engine {

namespace {

// The variables in slot order: rules::TemplateVariables() (the one list of them, which the loader
// checks templates against), then item.key, then the parameters. Slots lists FindingValues'
// fields in the same order.
const std::vector<std::string_view>& FixedSlotNames() {
  static const auto* const kNames = [] {
    auto* names = new std::vector<std::string_view>(rules::TemplateVariables());
    names->push_back("item.key");
    return names;
  }();
  return *kNames;
}

std::string ParamText(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::vector<std::string> items;
    for (const nlohmann::json& item : value) items.push_back(ParamText(item));
    return absl::StrJoin(items, ", ");
  }
  return value.is_null() ? "" : core::DumpJson(value);
}

int SlotOf(const rules::Rule& rule, std::string_view name) {
  const std::vector<std::string_view>& fixed = FixedSlotNames();
  if (auto it = std::find(fixed.begin(), fixed.end(), name); it != fixed.end()) {
    return static_cast<int>(it - fixed.begin());
  }
  if (name.substr(0, 6) == "param.") {
    for (std::size_t i = 0; i < rule.params.size(); ++i) {
      if (rule.params[i].name == name.substr(6)) {
        return static_cast<int>(fixed.size() + i);
      }
    }
  }
  return -1;
}

}  // namespace

PreparedRule::PreparedRule(const rules::Rule& rule) {
  const auto compile = [&rule](const std::string& text) {
    return rules::CompiledTemplate(text,
                                   [&rule](std::string_view name) { return SlotOf(rule, name); });
  };
  message = compile(rule.message);
  summary = compile(rule.remediation.summary);
  console = compile(rule.remediation.console);
  cli = compile(rule.remediation.cli);
  terraform = compile(rule.remediation.terraform);
  for (const rules::Param& param : rule.params) {
    param_texts.push_back(ParamText(rule.ParamValue(param.name)));
  }
  if (rule.condition != nullptr || rule.violation.builtin.empty()) return;
  const rules::BuiltinSpec* spec = rules::FindBuiltin(rule.violation.builtin);
  builtin = spec != nullptr ? FindImplementation(rule.violation.builtin) : nullptr;
  if (builtin == nullptr) return;
  try {
    builtin_args = builtin->prepare(rule, rule.violation.args, *spec);
  } catch (const std::exception& e) {
    // Only third-party calls (nlohmann) can throw; each resource gets the ERROR.
    builtin_failure = absl::StrCat("evaluation failed: ", e.what());
  }
}

std::vector<std::string_view> PreparedRule::Slots(const FindingValues& values) const {
  std::vector<std::string_view> slots = {values.resource_name,      values.resource_id,
                                         values.resource_type,      values.resource_kind,
                                         values.resource_partition, values.resource_account,
                                         values.resource_region,    values.policy_names,
                                         values.policy_version,     values.evidence_actions,
                                         values.evidence_resources, values.evidence_command,
                                         values.evidence_terraform, values.item_key};
  assert(slots.size() == FixedSlotNames().size());
  slots.insert(slots.end(), param_texts.begin(), param_texts.end());
  return slots;
}

}  // namespace kmsguard::engine
