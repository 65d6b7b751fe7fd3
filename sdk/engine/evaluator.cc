#include "sdk/engine/evaluator.h"

#include <exception>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "sdk/engine/builtins.h"
#include "sdk/engine/expr_eval.h"
#include "sdk/engine/prepared_rule.h"
#include "sdk/engine/resource_view.h"
#include "sdk/remediation/specific_remediation.h"
#include "sdk/rules/builtins.h"

namespace kmsguard::engine {

namespace {

// "AWS::IAM::Role" -> "role": the word the AWS CLI and Terraform use for the principal type.
std::string ResourceKind(std::string_view type) {
  const std::size_t colons = type.rfind("::");
  return absl::AsciiStrToLower(
      std::string(colons == std::string_view::npos ? type : type.substr(colons + 2)));
}

Outcome RunBuiltin(const rules::Rule& rule, const PreparedRule& prepared,
                   const ResourceView& resource) {
  Outcome outcome;
  if (prepared.builtin == nullptr) {
    outcome.status = model::Status::kError;
    outcome.errors.push_back(absl::StrCat("rule calls operator \"", rule.violation.builtin,
                                          "\", which has no implementation"));
    return outcome;
  }
  if (!prepared.builtin_failure.empty()) {
    outcome.status = model::Status::kError;
    outcome.errors.push_back(prepared.builtin_failure);
    return outcome;
  }
  try {
    return prepared.builtin->run(*prepared.builtin_args, resource);
  } catch (const std::exception& e) {
    // Only third-party calls (nlohmann) can throw; the resource is reported, not the scan lost.
    outcome.status = model::Status::kError;
    outcome.errors.push_back(absl::StrCat("evaluation failed: ", e.what()));
  }
  return outcome;
}

// One level up, at most critical.
model::Severity Raised(model::Severity severity) {
  return severity == model::Severity::kCritical
             ? severity
             : static_cast<model::Severity>(static_cast<int>(severity) + 1);
}

// The finding for `outcome` (a built-in's verdict, or a generic condition's turned into one).
model::Finding MakeFinding(const rules::Rule& rule, const PreparedRule& prepared,
                           const ResourceView& view, Outcome outcome, const std::string& sub_key,
                           const EvaluationOptions& options) {
  const model::Resource& resource = view.resource();
  model::Finding finding;
  finding.rule_id = rule.id;
  finding.rule_version = rule.version;
  finding.title = rule.title;
  finding.severity = rule.severity;
  finding.severity_changes = rule.severity_changes;  // the overrides (none: no allocation)
  // The finding names its resource and item (for Azure, a principal's object id) in their
  // canonical form, so one assignment exported in two spellings is one finding uid, and OCSF's
  // resource uid is the lower-cased ARM id (docs/azure-keyvault-semantics.md). Messages keep the
  // input's spelling.
  finding.resource_id = model::CanonicalId(resource.provider, resource.id);
  finding.sub_key = model::CanonicalId(resource.provider, sub_key);
  finding.resource_type = resource.type;
  finding.resource_name = resource.name;
  finding.provider = resource.provider;
  finding.partition = resource.partition;
  finding.account = resource.account;
  finding.organization = resource.organization;
  finding.organizational_unit = resource.organizational_unit;
  finding.region = resource.region;
  finding.compliance = rule.compliance;
  finding.source = outcome.source ? std::move(*outcome.source) : resource.source;

  finding.status = outcome.status;
  finding.conditional = outcome.conditional;
  finding.evidence = std::move(outcome.evidence);
  finding.exposed_to = std::move(outcome.exposed_to);
  finding.exposure = std::move(outcome.exposure);
  finding.explanation = std::move(outcome.explanation);

  // An item key that is itself a parenthesized note (azure.grants' "(principal not given)") is
  // not wrapped a second time.
  const bool noted = sub_key.size() > 1 && sub_key.front() == '(' && sub_key.back() == ')';
  const std::string principal = absl::StrCat(
      ResourceKind(resource.type), " ", resource.name,
      sub_key.empty() ? ""
                      : (noted ? absl::StrCat(" ", sub_key) : absl::StrCat(" (", sub_key, ")")));
  const std::string errors = absl::StrJoin(outcome.errors, "; ");
  switch (finding.status) {
    case model::Status::kFail:
    case model::Status::kWarning: {
      const std::string kind = ResourceKind(resource.type);
      const std::string policy_names = absl::StrJoin(outcome.failing_policies, ", ");
      const std::string actions = absl::StrJoin(outcome.actions, ", ");
      const std::string resources = absl::StrJoin(outcome.resources, ", ");
      FindingValues values;
      values.resource_name = resource.name;
      values.resource_id = resource.id;
      values.resource_type = resource.type;
      values.resource_kind = kind;
      values.resource_partition =
          resource.partition.empty() ? std::string_view("aws") : std::string_view(resource.partition);
      values.resource_account = resource.account;
      values.resource_region = resource.region;
      values.policy_names = policy_names;
      values.policy_version = outcome.policy_version;
      values.evidence_actions = actions;
      values.evidence_resources = resources;
      values.item_key = sub_key;
      values.evidence_command = outcome.command;
      values.evidence_terraform = outcome.terraform;
      const std::vector<std::string_view> slots = prepared.Slots(values);
      finding.message = prepared.message.Render(slots);
      if (finding.conditional) {
        absl::StrAppend(&finding.message, " Every such grant depends on a Condition.");
      }
      if (finding.status == model::Status::kWarning && !outcome.undetermined.empty()) {
        absl::StrAppend(&finding.message,
                        " Not determined: ", absl::StripSuffix(outcome.undetermined, "."), ".");
      }
      if (!errors.empty()) absl::StrAppend(&finding.message, " Not evaluated: ", errors, ".");
      if (!outcome.severity_raise.empty() && Raised(rule.severity) != rule.severity) {
        finding.severity = Raised(rule.severity);
        const std::string raise = absl::StrCat(
            "Severity raised from ", std::string(model::SeverityName(rule.severity)), " to ",
            std::string(model::SeverityName(finding.severity)), ": ", outcome.severity_raise, ".");
        absl::StrAppend(&finding.message, " ", raise);
        finding.explanation.push_back(raise);
        finding.severity_changes.push_back(
            {rule.severity, finding.severity, absl::StrCat("raised: ", outcome.severity_raise)});
      }
      // Block scalars end in a newline; renderers add their own separators.
      const auto render = [&slots](const rules::CompiledTemplate& text) {
        std::string out = text.Render(slots);
        out.resize(absl::StripTrailingAsciiWhitespace(out).size());
        return out;
      };
      finding.remediation.summary = render(prepared.summary);
      finding.remediation.console = render(prepared.console);
      finding.remediation.cli = render(prepared.cli);
      finding.remediation.terraform = render(prepared.terraform);
      if (options.specific_remediation) {
        std::vector<remediation::PolicyFix> fixes;
        for (const Outcome::FixRequest& request : outcome.fixes) {
          for (remediation::PolicyFix& fix :
               remediation::FixPolicies(resource, view.iam(), request.policy_names,
                                        request.query, &view.analyses())) {
            fixes.push_back(std::move(fix));
          }
        }
        remediation::AddSpecificRemediation(resource, fixes, finding.compliance,
                                            &finding.remediation);
      }
      break;
    }
    case model::Status::kError:
      finding.message = absl::StrCat(principal, " could not be evaluated: ", errors);
      break;
    case model::Status::kPass:
      finding.message = absl::StrCat(principal, " ", outcome.pass_detail, ".");
      break;
    case model::Status::kSuppressed:  // set after evaluation, by ApplyExceptions
      break;
  }
  return finding;
}


// Exceptions: a FAIL or WARNING that an unexpired exception matches becomes SUPPRESSED; an expired
// one that matches is named in the finding, so the owner sees the acceptance has lapsed.
void ApplyExceptions(const rules::Rule& rule, const ResourceView& resource,
                     const nlohmann::json& envelope, const nlohmann::json* item,
                     const std::string& today, model::Finding* finding) {
  if (rule.exceptions.empty() ||
      (finding->status != model::Status::kFail && finding->status != model::Status::kWarning)) {
    return;
  }
  for (const rules::Exception& exception : rule.exceptions) {
    EvalScope scope;
    scope.rule = &rule;
    scope.resource = &resource;
    scope.envelope = &envelope;
    scope.item = item;
    if (exception.match == nullptr || !EvaluateExpr(*exception.match, scope)) continue;
    if (exception.ExpiredOn(today)) {
      const std::string note =
          absl::StrCat("An exception (", exception.reason, "; owner ", exception.owner, "; at ",
                       exception.location.ToString(), ") expired on ", exception.expires,
                       " and no longer applies.");
      absl::StrAppend(&finding->message, " ", note);
      finding->explanation.push_back(note);
      continue;
    }
    finding->suppression.status = finding->status;
    finding->suppression.reason = exception.reason;
    finding->suppression.owner = exception.owner;
    finding->suppression.expires = exception.expires;
    finding->status = model::Status::kSuppressed;
    finding->explanation.push_back(absl::StrCat(
        "suppressed by the exception at ", exception.location.ToString(), ": ", exception.reason,
        " (owner ", exception.owner, ", expires ", exception.expires, ")"));
    return;
  }
}

// A generic condition's verdict on the resource (or one item of it), as an Outcome.
Outcome JudgeCondition(const rules::Rule& rule, EvalScope& scope) {
  std::vector<std::string> trace;
  std::vector<Outcome> outcomes;
  scope.trace = &trace;
  scope.outcomes = &outcomes;
  const bool held = EvaluateExpr(*rule.condition, scope);
  Outcome out;
  if (!scope.error.empty()) {
    out.status = model::Status::kError;
    out.errors.push_back(scope.error);
    return out;
  }
  out.explanation.push_back("violation (the bad state):");
  for (std::string& line : trace) out.explanation.push_back("  " + std::move(line));
  if (!held) {
    out.status = model::Status::kPass;
    // The rule's title states the good state ("... should not ..."): the PASS says it is met,
    // which a reader understands without knowing the rule's condition (issue 18).
    out.pass_detail = absl::StrCat("meets the rule: ", absl::StripSuffix(rule.title, "."));
    return out;
  }
  // A built-in that held inside the condition lends its evidence and message values; WARNING
  // only when every built-in that held said WARNING.
  out.status = model::Status::kFail;
  if (!outcomes.empty()) {
    bool all_warning = true;
    for (Outcome& o : outcomes) {
      all_warning = all_warning && o.status == model::Status::kWarning;
      out.conditional = out.conditional || o.conditional;
      for (auto& e : o.evidence) out.evidence.push_back(std::move(e));
      for (auto& p : o.failing_policies) out.failing_policies.push_back(std::move(p));
      for (auto& a : o.actions) out.actions.push_back(std::move(a));
      for (auto& r : o.resources) out.resources.push_back(std::move(r));
      for (auto& x : o.explanation) out.explanation.push_back(std::move(x));
      for (auto& f : o.fixes) out.fixes.push_back(std::move(f));
      if (out.policy_version.empty()) out.policy_version = o.policy_version;
      if (out.exposure.empty()) {
        out.exposure = o.exposure;
        out.exposed_to = o.exposed_to;
      }
    }
    if (all_warning) out.status = model::Status::kWarning;
  }
  return out;
}

std::vector<model::Finding> EvaluateRule(const rules::Rule& rule, const PreparedRule& prepared,
                                         const ResourceView& resource, const std::string& today,
                                         const EvaluationOptions& options) {
  std::vector<model::Finding> findings;
  // Only generic conditions read the envelope; the lone built-in rules skip building it.
  nlohmann::json envelope;
  if (rule.when != nullptr || rule.condition != nullptr || !rule.exceptions.empty()) {
    envelope = ResourceEnvelope(resource.resource());
  }
  const auto new_scope = [&](const nlohmann::json* item) {
    EvalScope scope;
    scope.rule = &rule;
    scope.resource = &resource;
    scope.envelope = &envelope;
    scope.item = item;
    return scope;
  };
  if (rule.when != nullptr) {
    EvalScope scope = new_scope(nullptr);
    const bool applies = EvaluateExpr(*rule.when, scope);
    if (!scope.error.empty()) {
      Outcome error;
      error.status = model::Status::kError;
      error.errors.push_back(absl::StrCat("when: ", scope.error));
      findings.push_back(MakeFinding(rule, prepared, resource, std::move(error), "", options));
      return findings;
    }
    if (!applies) return findings;
  }
  if (rule.condition == nullptr) {
    // A lone built-in call: its verdict, untouched.
    Outcome outcome = RunBuiltin(rule, prepared, resource);
    if (outcome.not_applicable) return findings;
    if (!outcome.items.empty()) {
      std::vector<OutcomeItem> items = std::move(outcome.items);
      for (OutcomeItem& item : items) {
        findings.push_back(
            MakeFinding(rule, prepared, resource, std::move(item.outcome), item.key, options));
        ApplyExceptions(rule, resource, envelope, nullptr, today, &findings.back());
      }
      return findings;
    }
    findings.push_back(MakeFinding(rule, prepared, resource, std::move(outcome), "", options));
    ApplyExceptions(rule, resource, envelope, nullptr, today, &findings.back());
    return findings;
  }
  if (rule.for_each == nullptr) {
    EvalScope scope = new_scope(nullptr);
    findings.push_back(MakeFinding(rule, prepared, resource, JudgeCondition(rule, scope), "", options));
    ApplyExceptions(rule, resource, envelope, nullptr, today, &findings.back());
    return findings;
  }
  // One finding per item, the item's key as sub_key. No items: nothing to judge, no finding.
  EvalScope list_scope = new_scope(nullptr);
  const std::vector<const nlohmann::json*> items = SelectPath(rule.for_each->path, list_scope);
  std::set<std::string> keys_used;
  for (std::size_t i = 0; i < items.size(); ++i) {
    EvalScope scope = new_scope(items[i]);
    const std::vector<const nlohmann::json*> keys = SelectPath(rule.for_each->key, scope);
    std::string key = absl::StrCat("#", i);  // an item without a key still gets a stable one
    if (!keys.empty() && keys[0]->is_string()) {
      key = keys[0]->get<std::string>();
    } else if (!keys.empty() && !keys[0]->is_null()) {
      key = keys[0]->dump();
    }
    // Two items with one key (two policies of the same name in an IaC input) would share a
    // finding uid, and a dashboard would keep one verdict for both.
    if (!keys_used.insert(key).second) key = absl::StrCat(key, "#", i);
    findings.push_back(MakeFinding(rule, prepared, resource, JudgeCondition(rule, scope), key, options));
    ApplyExceptions(rule, resource, envelope, items[i], today, &findings.back());
  }
  return findings;
}

}  // namespace

Evaluator::Evaluator(std::shared_ptr<const rules::RuleSet> rule_set, std::string today,
                     EvaluationOptions options)
    : rule_set_(std::move(rule_set)),
      today_(today.empty() ? rules::TodayUtc() : std::move(today)),
      options_(options) {
  if (rule_set_ == nullptr) return;
  prepared_.reserve(rule_set_->rules().size());
  for (const rules::Rule& rule : rule_set_->rules()) {
    prepared_.push_back(std::make_shared<const PreparedRule>(rule));
  }
}

std::vector<model::Finding> Evaluator::Evaluate(const model::Resource& resource,
                                                const ScanJoins& joins) const {
  std::vector<model::Finding> findings;
  if (rule_set_ == nullptr) return findings;
  ResourceView view(resource, options_.explanation);
  view.set_joins(joins);
  for (const rules::Rule* rule : rule_set_->ForType(resource.type)) {
    // ForType points into rules(), which prepared_ follows index for index.
    const PreparedRule& prepared = *prepared_[static_cast<std::size_t>(rule - rule_set_->rules().data())];
    for (model::Finding& f : EvaluateRule(*rule, prepared, view, today_, options_)) {
      if (!options_.explanation) f.explanation.clear();
      findings.push_back(std::move(f));
    }
  }
  return findings;
}

}  // namespace kmsguard::engine
