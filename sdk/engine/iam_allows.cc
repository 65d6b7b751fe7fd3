// iam.allows: does an inline policy of the principal allow the blocked actions on the key scope?
//
// Each inline policy is judged on its own, as Security Hub KMS.2 does: a Deny in one inline policy
// does not cancel a grant in another. A policy that cannot be judged (bad JSON, wrong shape, a
// resource policy) is an error, never a pass; it does not stop the other policies from being
// judged. Status, strongest first: FAIL (some policy grants unconditionally, or on_condition is
// fail), ERROR (nothing FAILs but something could not be judged: a broken policy might hold an
// unconditional grant, so a WARNING or PASS would claim too much), WARNING (every grant depends
// on a Condition and on_condition is warn), PASS. The errors of a FAIL stay in its message and
// evidence.
#include <algorithm>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/engine/builtins.h"
#include "sdk/iam/grant_analysis.h"
#include "sdk/iam/policy_document.h"

namespace kmsguard::engine {

namespace {

void AddUnique(std::vector<std::string>* list, const std::string& value) {
  if (std::find(list->begin(), list->end(), value) == list->end()) list->push_back(value);
}

const rules::ArgSpec* FindArg(const rules::BuiltinSpec& spec, std::string_view name) {
  for (const rules::ArgSpec& arg : spec.args) {
    if (arg.name == name) return &arg;
  }
  return nullptr;
}

// The argument's value as one of its allowed strings; an empty string (with an error recorded)
// when a deployment override gave something else.
std::string EnumArg(const rules::Rule& rule, const rules::BuiltinSpec& spec, std::string_view name,
                    Outcome* out) {
  const rules::ArgSpec* arg = FindArg(spec, name);
  const nlohmann::json value = arg ? rules::ResolveArg(rule, *arg) : nlohmann::json();
  if (arg && value.is_string() &&
      std::find(arg->allowed.begin(), arg->allowed.end(), value.get<std::string>()) !=
          arg->allowed.end()) {
    return value.get<std::string>();
  }
  std::string allowed;
  for (std::string_view a : arg ? arg->allowed : std::vector<std::string_view>()) {
    allowed += (allowed.empty() ? "" : ", ") + std::string(a);
  }
  out->errors.push_back("argument \"" + std::string(name) + "\" of " + std::string(spec.name) +
                        " is " + value.dump() + "; allowed: " + allowed);
  return "";
}

std::string DescribePatterns(const std::vector<std::string>& patterns, bool negated) {
  return absl::StrCat(negated ? "NotResource " : "", "\"", absl::StrJoin(patterns, "\", \""), "\"");
}

std::vector<std::string> ConditionKeys(const std::vector<iam::ConditionKey>& conditions) {
  std::vector<std::string> out;
  for (const iam::ConditionKey& c : conditions) out.push_back(absl::StrCat(c.op, ":", c.key));
  return out;
}

// One Evidence per statement that grants or denies a queried action in this policy. The verdict
// lists grants only for granted actions, so a policy whose grants a Deny cancels adds nothing.
void AddEvidence(const std::string& policy_name, const iam::GrantVerdict& verdict, Outcome* out) {
  std::map<int, model::Evidence> by_statement;
  const auto evidence_for = [&](const iam::StatementRole& role) -> model::Evidence& {
    model::Evidence& e = by_statement[role.statement_index];
    if (e.statement_index < 0) {
      e.policy_name = policy_name;
      e.statement_index = role.statement_index;
      e.sid = role.sid;
      e.effect = role.effect == iam::Effect::kAllow ? "Allow" : "Deny";
      e.action_patterns = role.action_patterns;
      e.not_action = role.not_action;
      e.resource_patterns = role.resource_patterns;
      e.not_resource = role.not_resource;
      e.condition_keys = ConditionKeys(role.conditions);
      e.note = role.why;
    }
    return e;
  };
  for (const iam::ActionVerdict& action : verdict.actions) {
    for (const iam::StatementRole& role : action.grants) {
      AddUnique(&evidence_for(role).actions, action.action);
    }
    for (const iam::StatementRole& role : action.denies) {
      AddUnique(&evidence_for(role).actions, action.action);
    }
  }
  for (auto& [index, e] : by_statement) out->evidence.push_back(std::move(e));
}

// An error that concerns one policy: recorded for the message and as evidence.
void PolicyError(const std::string& policy_name, std::string message, Outcome* out) {
  model::Evidence e;
  e.policy_name = policy_name;
  e.note = absl::StrCat("not evaluated: ", message);
  out->evidence.push_back(std::move(e));
  out->errors.push_back(std::move(message));
}

}  // namespace

Outcome IamAllows(const rules::Rule& rule, const rules::BuiltinSpec& spec,
                  const model::Resource& resource) {
  Outcome out;
  iam::GrantQuery query;
  query.partition = resource.partition;
  query.actions.clear();
  if (const rules::ArgSpec* arg = FindArg(spec, "actions")) {
    const nlohmann::json actions = rules::ResolveArg(rule, *arg);
    if (actions.is_array()) {
      for (const nlohmann::json& a : actions) {
        if (a.is_string()) query.actions.push_back(a.get<std::string>());
      }
    }
    if (query.actions.empty() || !actions.is_array() || query.actions.size() != actions.size()) {
      out.errors.push_back(absl::StrCat("argument \"actions\" of ", std::string(spec.name),
                                        " must be a non-empty list of strings, got ",
                                        actions.dump()));
    }
  }
  const std::string scope = EnumArg(rule, spec, "resources", &out);
  query.scope = scope == "account_or_region_wide_kms_keys" ? iam::KeyScope::kAccountOrRegionWide
                                                           : iam::KeyScope::kEveryKey;
  const bool warn_on_condition = EnumArg(rule, spec, "on_condition", &out) == "warn";
  query.honor_conditional_deny = EnumArg(rule, spec, "conditional_deny", &out) == "honor";
  if (EnumArg(rule, spec, "policies", &out) != "inline_policies" || !out.errors.empty()) {
    out.status = model::Status::kError;
    return out;
  }

  const nlohmann::json& document = resource.document;
  const auto inline_policies =
      document.is_object() ? document.find("inline_policies") : document.end();
  if (!document.is_object()) {
    out.errors.push_back(
        absl::StrCat("/: the resource document is ", document.type_name(), ", not an object"));
  } else if (inline_policies == document.end()) {
    out.errors.push_back("/inline_policies: missing");
  } else if (!inline_policies->is_array()) {
    out.errors.push_back(
        absl::StrCat("/inline_policies: expected a list, got ", inline_policies->type_name()));
  }
  if (!out.errors.empty()) {
    out.status = model::Status::kError;
    return out;
  }

  bool all_conditional = true;
  for (std::size_t i = 0; i < inline_policies->size(); ++i) {
    const nlohmann::json& entry = (*inline_policies)[i];
    const std::string pointer = absl::StrCat("/inline_policies/", i);
    std::string name = absl::StrCat("#", i);  // until the entry names itself
    if (!entry.is_object()) {
      PolicyError(name,
                  absl::StrCat(pointer, ": expected an object with \"name\" and \"document\", got ",
                               entry.type_name()),
                  &out);
      continue;
    }
    if (auto it = entry.find("name"); it != entry.end() && it->is_string()) {
      name = it->get<std::string>();
    }
    const auto text = entry.find("document");
    if (text == entry.end() || text->is_null()) {
      PolicyError(name,
                  absl::StrCat("inline policy \"", name, "\": ", pointer, "/document: missing"),
                  &out);
      continue;
    }
    absl::StatusOr<iam::PolicyDocument> policy = iam::ParsePolicyDocument(*text);
    if (!policy.ok()) {
      PolicyError(name,
                  absl::StrCat("inline policy \"", name, "\" (", pointer,
                               "/document) does not parse: ", policy.status().message()),
                  &out);
      continue;
    }
    if (policy->is_resource_policy) {
      PolicyError(name,
                  absl::StrCat("inline policy \"", name,
                               "\" has a Principal element: a resource-based policy, not "
                               "evaluated as an identity policy"),
                  &out);
      continue;
    }
    const iam::GrantVerdict verdict = iam::AnalyzeGrant(*policy, query);
    if (!verdict.granted) continue;
    AddEvidence(name, verdict, &out);
    out.failing_policies.push_back(name);
    all_conditional = all_conditional && verdict.conditional;
    for (const iam::ActionVerdict& action : verdict.actions) {
      if (!action.granted) continue;
      AddUnique(&out.actions, action.action);
      for (const iam::StatementRole& role : action.grants) {
        AddUnique(&out.resources, DescribePatterns(role.resource_patterns, role.not_resource));
      }
    }
  }

  if (!out.failing_policies.empty()) {
    out.conditional = all_conditional;
    if (!all_conditional || !warn_on_condition) {
      out.status = model::Status::kFail;
    } else {
      // A policy that could not be judged might hold an unconditional grant.
      out.status = out.errors.empty() ? model::Status::kWarning : model::Status::kError;
    }
  } else if (!out.errors.empty()) {
    out.status = model::Status::kError;
  } else {
    out.status = model::Status::kPass;
    const std::size_t n = inline_policies->size();
    const std::string what =
        absl::StrCat(absl::StrJoin(query.actions, ", "), " on ",
                     query.scope == iam::KeyScope::kEveryKey ? "all KMS keys"
                                                             : "account- or region-wide KMS keys");
    out.pass_detail =
        n == 0   ? "has no inline policy"
        : n == 1 ? absl::StrCat("has 1 inline policy, which does not allow ", what)
                 : absl::StrCat("has ", n, " inline policies, none of which allows ", what);
  }
  return out;
}

}  // namespace kmsguard::engine
