#include "sdk/engine/prepared_rule.h"

#include <algorithm>
#include <exception>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/core/json_text.h"
#include "sdk/rules/builtins.h"

namespace kmsguard::engine {

namespace {

// The variables in slot order: FindingValues' fields as Slots lists them, then the parameters.
constexpr std::string_view kSlotNames[] = {
    "resource.name",      "resource.id",       "resource.type",      "resource.kind",
    "resource.partition", "resource.account",  "resource.region",    "policy.names",
    "policy.version",     "evidence.actions",  "evidence.resources", "item.key",
    "evidence.command",   "evidence.terraform"};
constexpr int kFixedSlots = static_cast<int>(std::size(kSlotNames));

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
  if (auto it = std::find(std::begin(kSlotNames), std::end(kSlotNames), name);
      it != std::end(kSlotNames)) {
    return static_cast<int>(it - std::begin(kSlotNames));
  }
  if (name.substr(0, 6) == "param.") {
    for (std::size_t i = 0; i < rule.params.size(); ++i) {
      if (rule.params[i].name == name.substr(6)) return kFixedSlots + static_cast<int>(i);
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
  std::vector<std::string_view> slots = {
      values.resource_name,    values.resource_id,        values.resource_type,
      values.resource_kind,    values.resource_partition, values.resource_account,
      values.resource_region,  values.policy_names,       values.policy_version,
      values.evidence_actions, values.evidence_resources, values.item_key,
      values.evidence_command, values.evidence_terraform};
  slots.insert(slots.end(), param_texts.begin(), param_texts.end());
  return slots;
}

}  // namespace kmsguard::engine
