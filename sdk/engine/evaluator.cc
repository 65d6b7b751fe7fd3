#include "sdk/engine/evaluator.h"

#include <exception>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/engine/builtins.h"
#include "sdk/remediation/specific_remediation.h"
#include "sdk/rules/builtins.h"
#include "sdk/rules/template.h"

namespace kmsguard::engine {

namespace {

// "AWS::IAM::Role" -> "role": the word the AWS CLI and Terraform use for the principal type.
std::string ResourceKind(std::string_view type) {
  const std::size_t colons = type.rfind("::");
  return absl::AsciiStrToLower(
      std::string(colons == std::string_view::npos ? type : type.substr(colons + 2)));
}

std::string ParamText(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::vector<std::string> items;
    for (const nlohmann::json& item : value) items.push_back(ParamText(item));
    return absl::StrJoin(items, ", ");
  }
  return value.is_null() ? "" : value.dump();
}

rules::TemplateValues TemplateValuesFor(const rules::Rule& rule, const model::Resource& resource,
                                        const Outcome& outcome) {
  rules::TemplateValues values = {
      {"resource.name", resource.name},
      {"resource.id", resource.id},
      {"resource.type", resource.type},
      {"resource.kind", ResourceKind(resource.type)},
      {"resource.partition", resource.partition.empty() ? "aws" : resource.partition},
      {"resource.account", resource.account},
      {"resource.region", resource.region},
      {"policy.names", absl::StrJoin(outcome.failing_policies, ", ")},
      {"policy.version", outcome.policy_version},
      {"evidence.actions", absl::StrJoin(outcome.actions, ", ")},
      {"evidence.resources", absl::StrJoin(outcome.resources, ", ")},
  };
  for (const rules::Param& param : rule.params) {
    values[absl::StrCat("param.", param.name)] = ParamText(rule.ParamValue(param.name));
  }
  return values;
}

Outcome RunBuiltin(const rules::Rule& rule, const model::Resource& resource) {
  const rules::BuiltinSpec* spec = rules::FindBuiltin(rule.violation.builtin);
  const BuiltinFn fn = FindImplementation(rule.violation.builtin);
  Outcome outcome;
  if (spec == nullptr || fn == nullptr) {
    outcome.status = model::Status::kError;
    outcome.errors.push_back(absl::StrCat("rule calls operator \"", rule.violation.builtin,
                                          "\", which has no implementation"));
    return outcome;
  }
  try {
    return fn(rule, *spec, resource);
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

// No finding when the rule does not apply to the resource (Outcome::not_applicable).
std::optional<model::Finding> EvaluateRule(const rules::Rule& rule,
                                           const model::Resource& resource) {
  Outcome outcome = RunBuiltin(rule, resource);
  if (outcome.not_applicable) return std::nullopt;
  model::Finding finding;
  finding.rule_id = rule.id;
  finding.rule_version = rule.version;
  finding.title = rule.title;
  finding.severity = rule.severity;
  finding.resource_id = resource.id;
  finding.resource_type = resource.type;
  finding.resource_name = resource.name;
  finding.provider = resource.provider;
  finding.partition = resource.partition;
  finding.account = resource.account;
  finding.region = resource.region;
  finding.compliance = rule.compliance;
  finding.source = resource.source;

  finding.status = outcome.status;
  finding.conditional = outcome.conditional;
  finding.evidence = std::move(outcome.evidence);
  finding.exposed_to = std::move(outcome.exposed_to);
  finding.exposure = std::move(outcome.exposure);
  finding.explanation = std::move(outcome.explanation);

  const std::string principal = absl::StrCat(ResourceKind(resource.type), " ", resource.name);
  const std::string errors = absl::StrJoin(outcome.errors, "; ");
  switch (finding.status) {
    case model::Status::kFail:
    case model::Status::kWarning: {
      const rules::TemplateValues values = TemplateValuesFor(rule, resource, outcome);
      finding.message = rules::RenderTemplate(rule.message, values);
      if (finding.conditional) {
        absl::StrAppend(&finding.message, " Every such grant depends on a Condition.");
      }
      if (!errors.empty()) absl::StrAppend(&finding.message, " Not evaluated: ", errors, ".");
      if (!outcome.severity_raise.empty() && Raised(rule.severity) != rule.severity) {
        finding.severity = Raised(rule.severity);
        const std::string raise = absl::StrCat(
            "Severity raised from ", std::string(model::SeverityName(rule.severity)), " to ",
            std::string(model::SeverityName(finding.severity)), ": ", outcome.severity_raise, ".");
        absl::StrAppend(&finding.message, " ", raise);
        finding.explanation.push_back(raise);
      }
      // Block scalars end in a newline; renderers add their own separators.
      const auto render = [&values](const std::string& text) {
        return std::string(absl::StripTrailingAsciiWhitespace(rules::RenderTemplate(text, values)));
      };
      finding.remediation.summary = render(rule.remediation.summary);
      finding.remediation.console = render(rule.remediation.console);
      finding.remediation.cli = render(rule.remediation.cli);
      finding.remediation.terraform = render(rule.remediation.terraform);
      remediation::AddSpecificRemediation(resource, outcome.policy_fixes, finding.compliance,
                                          &finding.remediation);
      break;
    }
    case model::Status::kError:
      finding.message = absl::StrCat(principal, " could not be evaluated: ", errors);
      break;
    case model::Status::kPass:
      finding.message = absl::StrCat(principal, " ", outcome.pass_detail, ".");
      break;
  }
  return finding;
}

}  // namespace

Evaluator::Evaluator(std::shared_ptr<const rules::RuleSet> rule_set)
    : rule_set_(std::move(rule_set)) {}

std::vector<model::Finding> Evaluator::Evaluate(const model::Resource& resource) const {
  std::vector<model::Finding> findings;
  if (rule_set_ == nullptr) return findings;
  for (const rules::Rule* rule : rule_set_->ForType(resource.type)) {
    if (std::optional<model::Finding> f = EvaluateRule(*rule, resource)) {
      findings.push_back(std::move(*f));
    }
  }
  return findings;
}

}  // namespace kmsguard::engine
