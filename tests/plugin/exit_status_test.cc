// The exit status's decision table (plugin/exit_status.h): bit 1 a failing finding at the
// --fail-on level, bit 2 an incomplete scan; neither masks the other.
#include "plugin/exit_status.h"

#include <gtest/gtest.h>

namespace kmsguard::plugin {
namespace {

struct Case {
  const char* name;
  ScanOutcome outcome;
  FailRule fail_on;
  int expected;
};

ScanOutcome Outcome(std::int64_t fail, std::int64_t warning, std::int64_t problems,
                    bool finished = true) {
  ScanOutcome o;
  o.fail = fail;
  o.warning = warning;
  o.problems = problems;
  o.finished = finished;
  return o;
}

TEST(ExitStatusTest, EveryCombinationOfFailuresProblemsAndLevel) {
  const Case cases[] = {
      {"clean", Outcome(0, 0, 0), {FailOn::kFail}, 0},
      {"a FAIL", Outcome(2, 0, 0), {FailOn::kFail}, 1},
      {"a problem", Outcome(0, 0, 1), {FailOn::kFail}, 2},
      {"a FAIL and a problem", Outcome(1, 0, 3), {FailOn::kFail}, 3},
      {"stopped early, no FAIL yet", Outcome(0, 0, 0, false), {FailOn::kFail}, 2},
      {"stopped early after a FAIL", Outcome(1, 0, 0, false), {FailOn::kFail}, 3},
      {"a WARNING at the default level", Outcome(0, 4, 0), {FailOn::kFail}, 0},
      {"a WARNING with --fail-on warning", Outcome(0, 4, 0), {FailOn::kWarning}, 1},
      {"a FAIL with --fail-on warning", Outcome(1, 0, 0), {FailOn::kWarning}, 1},
      {"a FAIL with --fail-on never", Outcome(5, 5, 0), {FailOn::kNever}, 0},
      {"a FAIL and a problem with --fail-on never", Outcome(5, 0, 1), {FailOn::kNever}, 2},
      {"stopped early with --fail-on never", Outcome(1, 0, 0, false), {FailOn::kNever}, 2},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ExitStatus(c.outcome, c.fail_on), c.expected) << c.name;
  }
}

// Findings at each severity: a FAIL and a WARNING at medium, a NEW FAIL at high.
ScanOutcome BySeverity() {
  ScanOutcome o;
  o.fail = 2;
  o.warning = 1;
  o.new_open = 1;
  o.fail_by_severity[static_cast<int>(model::Severity::kMedium)] = 1;
  o.fail_by_severity[static_cast<int>(model::Severity::kHigh)] = 1;
  o.warning_by_severity[static_cast<int>(model::Severity::kMedium)] = 1;
  o.new_open_by_severity[static_cast<int>(model::Severity::kHigh)] = 1;
  return o;
}

TEST(ExitStatusTest, ASeverityCountsOnlyFindingsAtOrAboveIt) {
  using model::Severity;
  const ScanOutcome o = BySeverity();
  EXPECT_EQ(ExitStatus(o, {FailOn::kFail, Severity::kLow}), 1);
  EXPECT_EQ(ExitStatus(o, {FailOn::kFail, Severity::kHigh}), 1);
  EXPECT_EQ(ExitStatus(o, {FailOn::kFail, Severity::kCritical}), 0);
  EXPECT_EQ(ExitStatus(o, {FailOn::kNew, Severity::kHigh}), 1);
  EXPECT_EQ(ExitStatus(o, {FailOn::kNew, Severity::kCritical}), 0);

  ScanOutcome only_warning;
  only_warning.warning = 1;
  only_warning.warning_by_severity[static_cast<int>(Severity::kMedium)] = 1;
  EXPECT_EQ(ExitStatus(only_warning, {FailOn::kFail, Severity::kLow}), 0);
  EXPECT_EQ(ExitStatus(only_warning, {FailOn::kWarning, Severity::kMedium}), 1);
  EXPECT_EQ(ExitStatus(only_warning, {FailOn::kWarning, Severity::kHigh}), 0);

  // A severity never hides the incomplete bit.
  ScanOutcome incomplete = BySeverity();
  incomplete.problems = 1;
  EXPECT_EQ(ExitStatus(incomplete, {FailOn::kFail, Severity::kCritical}), 2);
  EXPECT_EQ(ExitStatus(incomplete, {FailOn::kFail, Severity::kHigh}), 3);
}

TEST(ExitStatusTest, FailOnNames) {
  using model::Severity;
  const auto rule = [](std::string_view text) { return ParseFailRule(text); };
  ASSERT_TRUE(rule("fail"));
  EXPECT_EQ(rule("fail")->on, FailOn::kFail);
  EXPECT_EQ(rule("fail")->at_least, Severity::kInformational);
  EXPECT_EQ(rule("warning")->on, FailOn::kWarning);
  EXPECT_EQ(rule("never")->on, FailOn::kNever);
  EXPECT_EQ(rule("new")->on, FailOn::kNew);
  ASSERT_TRUE(rule("high"));
  EXPECT_EQ(rule("high")->on, FailOn::kFail);
  EXPECT_EQ(rule("high")->at_least, Severity::kHigh);
  ASSERT_TRUE(rule("warning,critical"));
  EXPECT_EQ(rule("warning,critical")->on, FailOn::kWarning);
  EXPECT_EQ(rule("warning,critical")->at_least, Severity::kCritical);
  ASSERT_TRUE(rule("low,new"));
  EXPECT_EQ(rule("low,new")->on, FailOn::kNew);
  EXPECT_EQ(rule("low,new")->at_least, Severity::kLow);
  for (std::string_view wrong : {"FAIL", "High", "", ",", "high,", ",high", "fail,never",
                                 "high,low", "never,high", "high,high", "fail,high,new"}) {
    EXPECT_FALSE(rule(wrong)) << wrong;
  }
}

}  // namespace
}  // namespace kmsguard::plugin
