// The exit status's decision table (plugin/exit_status.h): bit 1 a failing finding at the
// --fail-on level, bit 2 an incomplete scan; neither masks the other.
#include "plugin/exit_status.h"

#include <gtest/gtest.h>

namespace kmsguard::plugin {
namespace {

struct Case {
  const char* name;
  ScanOutcome outcome;
  FailOn fail_on;
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
      {"clean", Outcome(0, 0, 0), FailOn::kFail, 0},
      {"a FAIL", Outcome(2, 0, 0), FailOn::kFail, 1},
      {"a problem", Outcome(0, 0, 1), FailOn::kFail, 2},
      {"a FAIL and a problem", Outcome(1, 0, 3), FailOn::kFail, 3},
      {"stopped early, no FAIL yet", Outcome(0, 0, 0, false), FailOn::kFail, 2},
      {"stopped early after a FAIL", Outcome(1, 0, 0, false), FailOn::kFail, 3},
      {"a WARNING at the default level", Outcome(0, 4, 0), FailOn::kFail, 0},
      {"a WARNING with --fail-on warning", Outcome(0, 4, 0), FailOn::kWarning, 1},
      {"a FAIL with --fail-on warning", Outcome(1, 0, 0), FailOn::kWarning, 1},
      {"a FAIL with --fail-on never", Outcome(5, 5, 0), FailOn::kNever, 0},
      {"a FAIL and a problem with --fail-on never", Outcome(5, 0, 1), FailOn::kNever, 2},
      {"stopped early with --fail-on never", Outcome(1, 0, 0, false), FailOn::kNever, 2},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ExitStatus(c.outcome, c.fail_on), c.expected) << c.name;
  }
}

TEST(ExitStatusTest, FailOnNames) {
  EXPECT_EQ(ParseFailOn("fail"), FailOn::kFail);
  EXPECT_EQ(ParseFailOn("warning"), FailOn::kWarning);
  EXPECT_EQ(ParseFailOn("never"), FailOn::kNever);
  EXPECT_FALSE(ParseFailOn("FAIL"));
  EXPECT_FALSE(ParseFailOn("high"));
  EXPECT_FALSE(ParseFailOn(""));
}

}  // namespace
}  // namespace kmsguard::plugin
