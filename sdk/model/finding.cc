#include "sdk/model/finding.h"

namespace kmsguard::model {

namespace {
constexpr std::string_view kSeverityNames[] = {"informational", "low", "medium", "high",
                                               "critical"};
}  // namespace

std::string_view SeverityName(Severity severity) {
  return kSeverityNames[static_cast<int>(severity)];
}

bool ParseSeverity(std::string_view text, Severity* out) {
  for (int i = 0; i < 5; ++i) {
    if (kSeverityNames[i] == text) {
      *out = static_cast<Severity>(i);
      return true;
    }
  }
  return false;
}

std::string_view StatusName(Status status) {
  switch (status) {
    case Status::kPass:
      return "PASS";
    case Status::kWarning:
      return "WARNING";
    case Status::kFail:
      return "FAIL";
    case Status::kError:
      return "ERROR";
    case Status::kSuppressed:
      return "SUPPRESSED";
  }
  return "ERROR";
}

}  // namespace kmsguard::model
