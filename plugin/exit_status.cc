#include "plugin/exit_status.h"

#include <cstddef>
#include <string>

namespace kmsguard::plugin {

namespace {

std::optional<FailOn> ParseLevel(std::string_view name) {
  if (name == "fail") return FailOn::kFail;
  if (name == "warning") return FailOn::kWarning;
  if (name == "never") return FailOn::kNever;
  if (name == "new") return FailOn::kNew;
  return std::nullopt;
}

std::optional<model::Severity> ParseSeverityName(std::string_view name) {
  model::Severity severity;
  if (!model::ParseSeverity(name, &severity)) return std::nullopt;
  return severity;
}

std::int64_t AtOrAbove(const SeverityCounts& counts, model::Severity least) {
  std::int64_t sum = 0;
  for (std::size_t i = static_cast<std::size_t>(least); i < counts.size(); ++i) sum += counts[i];
  return sum;
}

}  // namespace

std::optional<FailRule> ParseFailRule(std::string_view text) {
  FailRule rule;
  bool have_level = false;
  bool have_severity = false;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view term = text.substr(0, comma);
    if (const std::optional<FailOn> level = ParseLevel(term); level && !have_level) {
      rule.on = *level;
      have_level = true;
    } else if (const std::optional<model::Severity> severity = ParseSeverityName(term);
               severity && !have_severity) {
      rule.at_least = *severity;
      have_severity = true;
    } else {
      return std::nullopt;
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  if (rule.on == FailOn::kNever && have_severity) return std::nullopt;
  return rule;
}

int ExitStatus(const ScanOutcome& outcome, const FailRule& fail_on) {
  const bool every_severity = fail_on.at_least == model::Severity::kInformational;
  const std::int64_t fail =
      every_severity ? outcome.fail : AtOrAbove(outcome.fail_by_severity, fail_on.at_least);
  const std::int64_t warning =
      every_severity ? outcome.warning : AtOrAbove(outcome.warning_by_severity, fail_on.at_least);
  const std::int64_t new_open =
      every_severity ? outcome.new_open : AtOrAbove(outcome.new_open_by_severity, fail_on.at_least);
  bool failed = false;
  switch (fail_on.on) {
    case FailOn::kFail:
      failed = fail > 0;
      break;
    case FailOn::kWarning:
      failed = fail > 0 || warning > 0;
      break;
    case FailOn::kNever:
      break;
    case FailOn::kNew:
      failed = new_open > 0;
      break;
  }
  const bool incomplete = !outcome.finished || outcome.problems > 0;
  return (failed ? kExitFailed : 0) | (incomplete ? kExitIncomplete : 0);
}

}  // namespace kmsguard::plugin
