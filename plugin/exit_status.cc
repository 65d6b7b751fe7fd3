#include "plugin/exit_status.h"

namespace kmsguard::plugin {

std::optional<FailOn> ParseFailOn(std::string_view name) {
  if (name == "fail") return FailOn::kFail;
  if (name == "warning") return FailOn::kWarning;
  if (name == "never") return FailOn::kNever;
  if (name == "new") return FailOn::kNew;
  return std::nullopt;
}

int ExitStatus(const ScanOutcome& outcome, FailOn fail_on) {
  bool failed = false;
  switch (fail_on) {
    case FailOn::kFail:
      failed = outcome.fail > 0;
      break;
    case FailOn::kWarning:
      failed = outcome.fail > 0 || outcome.warning > 0;
      break;
    case FailOn::kNever:
      break;
    case FailOn::kNew:
      failed = outcome.new_open > 0;
      break;
  }
  const bool incomplete = !outcome.finished || outcome.problems > 0;
  return (failed ? kExitFailed : 0) | (incomplete ? kExitIncomplete : 0);
}

}  // namespace kmsguard::plugin
