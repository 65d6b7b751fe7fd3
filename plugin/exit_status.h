// The exit status of `kmsguard scan`, decided in one place so that CI can rely on it. Two bits:
//   1  a finding at the --fail-on level (default: a FAIL, of any severity) was reported;
//   2  the scan is incomplete: something was not scanned or not judged (a FILE, snapshot entry or
//      resource that could not be read, an ERROR finding, a rule file that did not load, the
//      plugin failing mid-scan), or nothing was scanned at all, or a usage error.
// So 0 is a complete scan with nothing failing, 1 a complete scan with failures, 2 an incomplete
// scan without a known failure and 3 an incomplete scan with failures: neither hides the other
// (`status & 1` asks "did anything fail?", `status & 2` "was anything left out?"). Scanners users
// know split these too (Checkov's --soft-fail/--hard-fail-on, Semgrep's --error and its fatal
// codes, Trivy's --exit-code); here both answers fit in one status.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "sdk/model/finding.h"

namespace kmsguard::plugin {

// Which findings set bit 1 (`--fail-on`).
enum class FailOn {
  kFail,     // FAIL findings (the default)
  kWarning,  // FAIL or WARNING findings
  kNever,    // none: only an incomplete scan is a non-zero status
  kNew,      // FAIL or WARNING findings that are NEW against the --baseline (only with one)
};

// `--fail-on`'s whole value: which findings, and from which severity up. The severity is the
// finding's own `severity` (the effective one, raised by exposure where a rule says so), the
// one every output shows. `--fail-on high` asks for a FAIL of severity high or critical (as
// Checkov's --hard-fail-on HIGH, Trivy's --severity with --exit-code); `warning,high` for a FAIL
// or WARNING of that severity; `new,critical` for a NEW critical one.
struct FailRule {
  FailOn on = FailOn::kFail;
  model::Severity at_least = model::Severity::kInformational;  // every severity
};

// A level ("fail", "warning", "never", "new"), a severity ("informational", "low", "medium",
// "high", "critical": FAIL findings of that severity or above), or a level and a severity
// separated by a comma ("warning,high"). std::nullopt for anything else: other names, upper
// case, two levels, two severities, "never" with a severity (it would mean nothing).
std::optional<FailRule> ParseFailRule(std::string_view text);

// Counts of findings per severity, indexed by model::Severity.
using SeverityCounts = std::array<std::int64_t, 5>;

// What the scan saw, as counts.
struct ScanOutcome {
  std::int64_t fail = 0;     // FAIL findings that arrived (suppressed ones are not FAIL)
  std::int64_t warning = 0;  // WARNING findings
  std::int64_t new_open = 0;  // FAIL or WARNING findings NEW against the baseline (--baseline)
  // The same three counts by severity, for a --fail-on that names one (their sums may be below
  // the totals above, which also take the plugin's summary into account).
  SeverityCounts fail_by_severity{};
  SeverityCounts warning_by_severity{};
  SeverityCounts new_open_by_severity{};
  // Problems that left something unscanned, unjudged or unwritten: unreadable files, entries or
  // resources, ERROR findings, rule files with errors, findings the output format could not hold.
  std::int64_t problems = 0;
  // False when the scan did not run to its end (nothing to scan, the plugin failed, the output
  // could not be written, a usage error).
  bool finished = true;
};

inline constexpr int kExitFailed = 1;
inline constexpr int kExitIncomplete = 2;

// 0..3 as above.
int ExitStatus(const ScanOutcome& outcome, const FailRule& fail_on);

}  // namespace kmsguard::plugin
