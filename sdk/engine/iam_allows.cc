// iam.allows: does an identity policy allow the blocked actions on the key scope?
//
// `policies: inline_policies` reads each inline policy of a user, group or role, each judged on
// its own, as Security Hub KMS.2 does: a Deny in one inline policy does not cancel a grant in
// another. `policies: default_version` reads the default version of a managed policy (KMS.1);
// `skip_aws_managed` and `skip_boundary_only` make the rule not apply (no finding) to AWS managed
// policies and to policies attached to nobody but used as permissions boundaries.
//
// A policy that cannot be judged (bad JSON, wrong shape, a resource policy) is an error, never a
// pass; it does not stop the other policies from being judged. Status, strongest first: FAIL (some
// policy grants unconditionally, or on_condition is fail), ERROR (nothing FAILs but something
// could not be judged: a broken policy might hold an unconditional grant, so a WARNING or PASS
// would claim too much), WARNING (every grant depends on a Condition and on_condition is warn),
// PASS. The errors of a FAIL stay in its message and evidence.
//
// A FAIL or WARNING also carries the grant's effective exposure (engine/exposure.h); a role that
// can be assumed from outside its account has its severity raised one level.
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/core/json_text.h"
#include "sdk/engine/builtins.h"
#include "sdk/engine/exposure.h"
#include "sdk/iam/grant_analysis.h"
#include "sdk/iam/policy_document.h"
#include "sdk/iam/policy_memo.h"

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
std::string EnumArg(const rules::Rule& rule, const nlohmann::json& args,
                    const rules::BuiltinSpec& spec, std::string_view name,
                    std::vector<std::string>* errors) {
  const rules::ArgSpec* arg = FindArg(spec, name);
  const nlohmann::json value = arg ? rules::ResolveArg(rule, args, *arg) : nlohmann::json();
  if (arg && value.is_string() &&
      std::find(arg->allowed.begin(), arg->allowed.end(), value.get<std::string>()) !=
          arg->allowed.end()) {
    return value.get<std::string>();
  }
  std::string allowed;
  for (std::string_view a : arg ? arg->allowed : std::vector<std::string_view>()) {
    allowed += (allowed.empty() ? "" : ", ") + std::string(a);
  }
  errors->push_back("argument \"" + std::string(name) + "\" of " + std::string(spec.name) + " is " +
                    core::DumpJson(value) + "; allowed: " + allowed);
  return "";
}

// A kBool argument; false (with an error recorded) when an override gave something else.
bool BoolArg(const rules::Rule& rule, const nlohmann::json& args, const rules::BuiltinSpec& spec,
             std::string_view name, std::vector<std::string>* errors) {
  const rules::ArgSpec* arg = FindArg(spec, name);
  const nlohmann::json value = arg ? rules::ResolveArg(rule, args, *arg) : nlohmann::json();
  if (value.is_boolean()) return value.get<bool>();
  errors->push_back("argument \"" + std::string(name) + "\" of " + std::string(spec.name) + " is " +
                    core::DumpJson(value) + "; expected true or false");
  return false;
}

std::string Quoted(const std::vector<std::string>& items) {
  return absl::StrCat("[\"", absl::StrJoin(items, "\", \""), "\"]");
}

std::string DescribePatterns(const std::vector<std::string>& patterns, bool negated) {
  return absl::StrCat(negated ? "NotResource " : "", "\"", absl::StrJoin(patterns, "\", \""), "\"");
}

std::vector<std::string> ConditionKeys(const std::vector<iam::ConditionKey>& conditions) {
  std::vector<std::string> out;
  for (const iam::ConditionKey& c : conditions) out.push_back(absl::StrCat(c.op, ":", c.key));
  return out;
}

// `statement 0 "Sid"` or `statement 0 (no Sid)`.
std::string StatementLabel(int index, const std::string& sid) {
  return absl::StrCat("statement ", index,
                      sid.empty() ? " (no Sid)" : absl::StrCat(" \"", sid, "\""));
}

// The call's arguments, read once per call site (PrepareIamAllows).
struct IamAllowsArgs : PreparedArgs {
  std::vector<std::string> errors;  // arguments that could not be read: every outcome is an ERROR
  std::string spec_name;            // "iam.allows"
  iam::GrantQuery query;            // without the partition, which is the resource's
  bool warn_on_condition = false;
  std::string policies;  // "inline_policies" or "default_version"
  bool managed = false;  // policies: default_version
  bool skip_aws_managed = false;
  bool skip_boundary_only = false;
  std::vector<std::string> managed_errors;  // of the two arguments above, read for managed only
  std::string pass_what;  // "kms:Decrypt, kms:ReEncryptFrom on all KMS keys", for a PASS message
};

// The query that every policy of the resource is judged by.
struct Judge {
  iam::GrantQuery query;
  std::string query_key;    // iam::QueryKey(query), made once per resource
  std::string explain_key;  // the explanation lines' key in AnalyzedPolicy::Derived
  bool warn_on_condition = false;
  bool explain = true;  // build explanation lines (EvaluationOptions::explanation)
  iam::PolicyAnalyses* analyses = nullptr;  // the resource's (ResourceView::analyses)
  // Out, for the account-or-region-wide tier: the policies whose grant reaches every key, which
  // that tier leaves to the every-key one; its PASS message names them instead of saying the
  // actions are not allowed (a reader saw "does not allow" beside the every-key FAIL).
  struct EveryKeyGrants {
    std::vector<std::string> policies;
    std::vector<std::string> actions;  // first-seen order
  };
  EveryKeyGrants* left_to_every_key_tier = nullptr;
};

// One policy to judge: `name` names it in messages and evidence, `label` in explanations.
struct PolicyRef {
  std::string name;
  std::string evidence_name;  // inline policy name, or the managed policy's ARN
  std::string label;          // `inline policy "x"`, `default version v2`
  std::string pointer;        // JSON pointer of the document in the resource document
};

// One Evidence per statement that grants, denies, or is set aside for a queried action in this
// policy. The verdict lists grants only for granted actions, so a policy whose grants a Deny
// cancels adds nothing.
void AddEvidence(const PolicyRef& policy, const iam::GrantVerdict& verdict, Outcome* out) {
  std::map<int, model::Evidence> by_statement;
  const auto evidence_for = [&](const iam::StatementRole& role) -> model::Evidence& {
    model::Evidence& e = by_statement[role.statement_index];
    if (e.statement_index < 0) {
      e.policy_name = policy.evidence_name;
      e.statement_index = role.statement_index;
      e.sid = role.sid();
      e.effect = role.effect() == iam::Effect::kAllow ? "Allow" : "Deny";
      e.action_patterns = role.action_patterns;
      e.not_action = role.not_action();
      e.resource_patterns = role.resource_patterns();
      e.not_resource = role.not_resource();
      e.condition_keys = ConditionKeys(role.conditions());
    }
    if (e.note.empty()) e.note = role.why;
    return e;
  };
  for (const iam::ActionVerdict& action : verdict.actions) {
    for (const iam::StatementRole& role : action.grants) {
      AddUnique(&evidence_for(role).actions, action.action);
    }
    for (const iam::StatementRole& role : action.denies) {
      AddUnique(&evidence_for(role).actions, action.action);
    }
    // A conditional Deny matters only where it would have cancelled a grant.
    if (!action.granted) continue;
    for (const iam::StatementRole& role : action.ignored_denies) {
      AddUnique(&evidence_for(role).actions, action.action);
    }
  }
  for (auto& [index, e] : by_statement) out->evidence.push_back(std::move(e));
}

// The explanation lines of one judged policy, each without the policy's label that starts it:
// per action the verdict and its reason (the key a pattern set leaves out, or why it covers every
// key), then per statement what it did.
std::vector<std::string> ExplanationTails(const iam::GrantVerdict& verdict) {
  std::vector<std::string> out;
  enum Kind { kAllow, kDeny, kIgnoredDeny };
  struct StatementLine {
    const iam::StatementRole* role = nullptr;
    std::vector<std::string> actions;
    std::string why;
  };
  std::vector<std::string> untouched;                        // actions no statement mentions
  std::map<std::pair<int, Kind>, StatementLine> statements;  // (index, kind) -> line
  const auto note = [&](Kind kind, const iam::StatementRole& role, const std::string& action) {
    StatementLine& line = statements[{role.statement_index, kind}];
    if (line.role == nullptr) line.role = &role;
    AddUnique(&line.actions, action);
    if (line.why.empty()) line.why = role.why;
  };
  for (const iam::ActionVerdict& av : verdict.actions) {
    if (av.allows.empty() && av.denies.empty() && av.ignored_denies.empty()) {
      untouched.push_back(av.action);
      continue;
    }
    out.push_back(
        absl::StrCat(": ", av.action, av.granted ? " granted: " : " not granted: ", av.why));
    for (const iam::StatementRole& role : av.grants) note(kAllow, role, av.action);
    for (const iam::StatementRole& role : av.allows) note(kAllow, role, av.action);
    for (const iam::StatementRole& role : av.denies) note(kDeny, role, av.action);
    for (const iam::StatementRole& role : av.ignored_denies) note(kIgnoredDeny, role, av.action);
  }
  for (const auto& [key, line] : statements) {
    const iam::StatementRole& role = *line.role;
    const Kind kind = key.second;
    const std::string conditions = absl::StrJoin(ConditionKeys(role.conditions()), ", ");
    std::string text = absl::StrCat(
        ": ", StatementLabel(role.statement_index, role.sid()), " (",
        kind == kAllow ? "Allow " : "Deny ", absl::StrJoin(line.actions, ", "),
        role.not_action() ? " through NotAction" : "", " on ",
        role.not_resource() ? "NotResource " : "Resource ",
        role.resource_patterns().empty() ? "(none)" : Quoted(role.resource_patterns()), ")");
    if (kind == kIgnoredDeny) {
      absl::StrAppend(&text, ": set aside: its Condition (", conditions,
                      ") is not evaluated, and conditional_deny: ignore keeps a conditional Deny "
                      "from cancelling grants");
      out.push_back(std::move(text));
      continue;
    }
    if (!line.why.empty()) absl::StrAppend(&text, ": ", line.why);
    if (!conditions.empty()) {
      absl::StrAppend(&text, "; Condition ", conditions,
                      kind == kAllow ? " set aside (conditions are not evaluated)"
                                     : " honored (conditional_deny: honor)");
    }
    out.push_back(std::move(text));
  }
  if (!untouched.empty()) {
    out.push_back(absl::StrCat(": no statement allows or denies ", absl::StrJoin(untouched, ", ")));
  }
  return out;
}

// The explanation lines of one judged policy (ExplanationTails after its label), made once per
// analyzed document and query: a document repeated over many principals is explained once.
void Explain(const PolicyRef& policy, const iam::AnalyzedPolicy& analysis,
             const std::string& explain_key, const iam::GrantVerdict& verdict, Outcome* out) {
  const auto& tails = analysis.Derived<std::vector<std::string>>(explain_key,
      [&verdict] { return ExplanationTails(verdict); });
  for (const std::string& tail : tails) out->explanation.push_back(absl::StrCat(policy.label, tail));
}

// An error that concerns one policy: recorded for the message, as evidence and in the
// explanation.
void PolicyError(const PolicyRef& policy, std::string message, Outcome* out) {
  model::Evidence e;
  e.policy_name = policy.evidence_name;
  e.note = absl::StrCat("not evaluated: ", message);
  out->evidence.push_back(std::move(e));
  out->explanation.push_back(absl::StrCat(policy.label, ": not evaluated: ", message));
  out->errors.push_back(std::move(message));
}

// Judges one policy document. Returns whether it grants; sets `*conditional` when every grant
// depends on a Condition.
bool JudgePolicy(const PolicyRef& policy, const simdjson::dom::element& text, const Judge& judge,
                 const std::string& what, bool* conditional, Outcome* out) {
  const std::shared_ptr<const iam::AnalyzedPolicy> analysis =
      judge.analyses != nullptr ? judge.analyses->Get(text) : iam::AnalyzePolicy(text);
  if (!analysis->document().ok()) {
    PolicyError(policy,
                absl::StrCat(what, " (", policy.pointer,
                             ") does not parse: ", analysis->document().status().message()),
                out);
    return false;
  }
  if (analysis->document()->is_resource_policy) {
    PolicyError(policy,
                absl::StrCat(what,
                             " has a Principal element: a resource-based policy, not "
                             "evaluated as an identity policy"),
                out);
    return false;
  }
  const iam::GrantVerdict& verdict = analysis->Verdict(judge.query, judge.query_key);
  if (judge.explain) Explain(policy, *analysis, judge.explain_key, verdict, out);
  if (!verdict.granted) {
    if (judge.left_to_every_key_tier != nullptr) {
      Judge::EveryKeyGrants& every_key = *judge.left_to_every_key_tier;
      bool any = false;
      for (const iam::ActionVerdict& action : verdict.actions) {
        if (!action.left_to_every_key_tier) continue;
        any = true;
        AddUnique(&every_key.actions, action.action);
      }
      if (any) every_key.policies.push_back(policy.name);
    }
    return false;
  }
  AddEvidence(policy, verdict, out);
  out->failing_policies.push_back(policy.name);
  *conditional = verdict.conditional;
  // A set beside the list: a policy of thousands of granting statements stays linear.
  absl::flat_hash_set<std::string> resources(out->resources.begin(), out->resources.end());
  for (const iam::ActionVerdict& action : verdict.actions) {
    if (!action.granted) continue;
    AddUnique(&out->actions, action.action);
    // When some patterns reach every key on their own, those are what the message names; a
    // narrower pattern granted beside them is not "on all KMS keys" (issue 15, item 8).
    const bool alone = std::any_of(action.grants.begin(), action.grants.end(),
                                   [](const iam::StatementRole& r) {
                                     return !r.reaching_patterns.empty();
                                   });
    for (const iam::StatementRole& role : action.grants) {
      if (alone && role.reaching_patterns.empty()) continue;
      std::string described = DescribePatterns(
          alone ? role.reaching_patterns : role.resource_patterns(), role.not_resource());
      if (resources.insert(described).second) out->resources.push_back(std::move(described));
    }
  }
  return true;
}

// "/: the resource document is array, not an object", or "" when the document is an object.
std::string RootProblem(const model::IamDocument& document) {
  if (!document.parse_problem.empty()) {
    return absl::StrCat("/: the resource document is not JSON: ", document.parse_problem);
  }
  if (!document.root_type_problem.empty()) {
    return absl::StrCat("/: the resource document is ", document.root_type_problem,
                        ", not an object");
  }
  return "";
}

// The inline policies of a user, group or role. Returns how many there are (for the PASS
// message), or -1 when the resource document is garbled (errors recorded).
int JudgeInlinePolicies(const model::Resource& resource, const model::IamDocument& document,
                        const Judge& judge, bool* granted, bool* all_conditional, Outcome* out) {
  if (std::string problem = RootProblem(document); !problem.empty()) {
    out->errors.push_back(std::move(problem));
  } else if (!document.inline_policies_problem.empty()) {
    out->errors.push_back(absl::StrCat("/inline_policies: ", document.inline_policies_problem));
  }
  if (!out->errors.empty()) return -1;

  for (std::size_t i = 0; i < document.inline_policies.size(); ++i) {
    const model::InlinePolicy& entry = document.inline_policies[i];
    PolicyRef policy;
    policy.pointer = absl::StrCat("/inline_policies/", i, "/document");
    policy.name = entry.name;
    // Where the document is in the user's own file, when the adapter knows it.
    if (!entry.source_pointer.empty()) {
      policy.pointer = absl::StrCat(resource.source.file, resource.source.file.empty() ? "" : "#",
                                    resource.source.json_pointer, entry.source_pointer);
    }
    policy.evidence_name = policy.name;
    policy.label = absl::StrCat("inline policy \"", policy.name, "\"");
    if (!entry.is_object) {
      PolicyError(policy,
                  absl::StrCat("/inline_policies/", i,
                               ": expected an object with \"name\" and \"document\", got ",
                               core::Sv(entry.entry ? core::TypeName(*entry.entry) : "null")),
                  out);
      continue;
    }
    if (!entry.document) {
      PolicyError(policy, absl::StrCat(policy.label, ": ", policy.pointer, ": missing"), out);
      continue;
    }
    bool conditional = false;
    if (JudgePolicy(policy, *entry.document, judge, policy.label, &conditional, out)) {
      *granted = true;
      *all_conditional = *all_conditional && conditional;
    }
  }
  if (document.inline_policies.empty()) out->explanation.push_back("no inline policy to judge");
  return static_cast<int>(document.inline_policies.size());
}

// The default version of a managed policy. Returns false when the rule does not apply to it.
bool JudgeDefaultVersion(const IamAllowsArgs& args, const model::Resource& resource,
                         const model::IamDocument& document, const Judge& judge, bool* granted,
                         bool* all_conditional, Outcome* out) {
  const bool skip_aws_managed = args.skip_aws_managed;
  const bool skip_boundary_only = args.skip_boundary_only;
  out->errors = args.managed_errors;
  if (std::string problem = RootProblem(document); !problem.empty()) {
    out->errors.push_back(std::move(problem));
  }
  if (!out->errors.empty()) return true;

  // The adapter's flag, or the ARN itself for hosts that leave the flag out.
  const std::size_t iam = resource.id.find(":iam::aws:policy/");
  const bool aws_managed = document.aws_managed ||
                           (resource.id.rfind("arn:", 0) == 0 && iam != std::string::npos &&
                            resource.id.find(':', 4) == iam);
  if (skip_aws_managed && aws_managed) return false;
  if (skip_boundary_only && document.attachment_count == 0 &&
      document.permissions_boundary_usage_count > 0) {
    return false;
  }

  PolicyRef policy;
  policy.name = resource.name;
  policy.evidence_name = resource.id;
  policy.pointer = "/document";
  out->policy_version = document.default_version_id;
  policy.label = out->policy_version.empty()
                     ? std::string("default version")
                     : absl::StrCat("default version ", out->policy_version);
  if (!document.document) {
    std::string why = "missing";
    if (!document.document_problem.empty()) {
      why = absl::StrCat("missing: ", document.document_problem);
    }
    PolicyError(policy, absl::StrCat(policy.label, ": ", policy.pointer, ": ", why), out);
    return true;
  }
  bool conditional = false;
  if (JudgePolicy(policy, *document.document, judge, policy.label, &conditional, out)) {
    *granted = true;
    *all_conditional = conditional;
  }
  return true;
}

// Exposure of a grant, and the severity raise when anyone outside the account holds it.
void AddExposure(const model::Resource& resource, const model::IamDocument& document,
                 Outcome* out) {
  Exposure exposure = ExposureOf(resource, document);
  out->exposed_to = std::move(exposure.exposed_to);
  out->exposure = std::move(exposure.summary);
  if (exposure.outside_account) out->severity_raise = std::move(exposure.outside_reason);
  for (std::string& note : exposure.notes) {
    out->explanation.push_back(absl::StrCat("exposure: ", std::move(note)));
  }
}

}  // namespace

std::shared_ptr<const PreparedArgs> PrepareIamAllows(const rules::Rule& rule,
                                                     const nlohmann::json& args,
                                                     const rules::BuiltinSpec& spec) {
  auto out = std::make_shared<IamAllowsArgs>();
  out->spec_name = std::string(spec.name);
  out->query.actions.clear();
  if (const rules::ArgSpec* arg = FindArg(spec, "actions")) {
    const nlohmann::json actions = rules::ResolveArg(rule, args, *arg);
    if (actions.is_array()) {
      for (const nlohmann::json& a : actions) {
        if (a.is_string()) out->query.actions.push_back(a.get<std::string>());
      }
    }
    if (out->query.actions.empty() || !actions.is_array() ||
        out->query.actions.size() != actions.size()) {
      out->errors.push_back(absl::StrCat("argument \"actions\" of ", out->spec_name,
                                         " must be a non-empty list of strings, got ",
                                         core::DumpJson(actions)));
    }
  }
  const std::string scope = EnumArg(rule, args, spec, "resources", &out->errors);
  out->query.scope = scope == "account_or_region_wide_kms_keys"
                         ? iam::KeyScope::kAccountOrRegionWide
                         : iam::KeyScope::kEveryKey;
  out->warn_on_condition = EnumArg(rule, args, spec, "on_condition", &out->errors) == "warn";
  out->query.honor_conditional_deny =
      EnumArg(rule, args, spec, "conditional_deny", &out->errors) == "honor";
  out->policies = EnumArg(rule, args, spec, "policies", &out->errors);
  out->managed = out->policies == "default_version";
  if (out->managed) {
    out->skip_aws_managed = BoolArg(rule, args, spec, "skip_aws_managed", &out->managed_errors);
    out->skip_boundary_only = BoolArg(rule, args, spec, "skip_boundary_only", &out->managed_errors);
  }
  out->pass_what = absl::StrCat(absl::StrJoin(out->query.actions, ", "), " on ",
                                out->query.scope == iam::KeyScope::kEveryKey
                                    ? "all KMS keys"
                                    : "every key of one account or one region");
  return out;
}

Outcome IamAllows(const PreparedArgs& prepared, const ResourceView& view) {
  const auto& args = static_cast<const IamAllowsArgs&>(prepared);
  const model::Resource& resource = view.resource();
  Outcome out;
  if (!args.errors.empty()) {
    out.errors = args.errors;
    out.status = model::Status::kError;
    return out;
  }
  Judge judge;
  judge.explain = view.explanation();
  judge.analyses = &view.analyses();
  judge.query = args.query;
  judge.query.partition = resource.partition;
  judge.query_key = iam::QueryKey(judge.query);
  judge.explain_key = absl::StrCat("engine.explanation|", judge.query_key);
  judge.warn_on_condition = args.warn_on_condition;
  Judge::EveryKeyGrants left_to_every_key_tier;
  if (judge.query.scope == iam::KeyScope::kAccountOrRegionWide) {
    judge.left_to_every_key_tier = &left_to_every_key_tier;
  }
  const bool managed = args.managed;
  // The loader checks rule resource types against `policies`; a resource of another type can
  // still arrive when a deployment overrides a parameter.
  if (managed != (resource.type == model::kIamManagedPolicy)) {
    out.errors.push_back(absl::StrCat("argument \"policies\" of ", args.spec_name, " is \"",
                                      args.policies, "\", which cannot read a ", resource.type));
    out.status = model::Status::kError;
    return out;
  }

  bool granted = false;
  bool all_conditional = true;
  int inline_count = 0;
  if (managed) {
    if (!JudgeDefaultVersion(args, resource, view.iam(), judge, &granted, &all_conditional,
                             &out)) {
      Outcome skipped;
      skipped.not_applicable = true;
      return skipped;
    }
  } else {
    inline_count =
        JudgeInlinePolicies(resource, view.iam(), judge, &granted, &all_conditional, &out);
    if (inline_count < 0) {
      out.status = model::Status::kError;
      return out;
    }
  }

  if (granted) {
    out.conditional = all_conditional;
    if (!all_conditional || !judge.warn_on_condition) {
      out.status = model::Status::kFail;
    } else {
      // A policy that could not be judged might hold an unconditional grant.
      out.status = out.errors.empty() ? model::Status::kWarning : model::Status::kError;
    }
    if (out.status != model::Status::kError) {
      AddExposure(resource, view.iam(), &out);
      out.fixes.push_back({out.failing_policies, judge.query});
    }
  } else if (!out.errors.empty()) {
    out.status = model::Status::kError;
  } else {
    out.status = model::Status::kPass;
    const std::string& what = args.pass_what;
    if (!left_to_every_key_tier.policies.empty()) {
      // Not "does not allow": the grant is broader than this tier, and the every-key rule
      // reports it.
      const std::vector<std::string>& names = left_to_every_key_tier.policies;
      const bool one = names.size() == 1;
      out.pass_detail = absl::StrCat(
          managed ? "has a default version"
          : one   ? "has an inline policy"
                  : "has inline policies",
          managed ? "" : absl::StrCat(" (", absl::StrJoin(names, ", "), ")"),
          one || managed ? " that allows " : " that allow ",
          absl::StrJoin(left_to_every_key_tier.actions, ", "),
          " on every KMS key, which the every-key rule reports; this rule reports only grants on "
          "every key of one account or one region, and there is none");
    } else if (managed) {
      out.pass_detail = absl::StrCat(
          "has a default version", out.policy_version.empty() ? "" : " (", out.policy_version,
          out.policy_version.empty() ? "" : ")", " that does not allow ", what);
    } else {
      out.pass_detail =
          inline_count == 0 ? "has no inline policy"
          : inline_count == 1
              ? absl::StrCat("has 1 inline policy, which does not allow ", what)
              : absl::StrCat("has ", inline_count, " inline policies, none of which allows ", what);
    }
  }
  return out;
}

}  // namespace kmsguard::engine
