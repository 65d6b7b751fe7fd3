// The progress line of a long `kmsguard scan` (plugin/scan_progress.h): what it says, that it is
// drawn in place and erased, that problems written through it stand on their own line; and,
// through the binary, that it appears only on a terminal and never with --quiet.
#include "plugin/scan_progress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>

#include "tests/plugin/test_support.h"

namespace kmsguard::plugin {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr std::uint64_t kMiB = 1024 * 1024;

TEST(ProgressLineTest, SaysBytesOfTheTotalCountsRateAndTimeLeft) {
  ProgressCounts counts;
  counts.bytes = 50 * kMiB;
  counts.total_bytes = 200 * kMiB;
  counts.resources = 33161;
  counts.findings = 1066322;
  counts.fail = 27915;
  EXPECT_EQ(ProgressLine(counts, seconds(2)),
            "kmsguard scan: 50.0 of 200.0 MiB (25%), 33,161 resources, 1,066,322 findings "
            "(27,915 FAIL), 25.0 MiB/s, about 6 s left");
  // Minutes once it is long; no rate before half a second (it would say nothing yet).
  counts.total_bytes = 50 * kMiB + 3000 * kMiB;
  EXPECT_THAT(ProgressLine(counts, seconds(2)), EndsWith("25.0 MiB/s, about 2 min left"));
  EXPECT_EQ(ProgressLine(counts, milliseconds(100)),
            "kmsguard scan: 50.0 of 3050.0 MiB (1%), 33,161 resources, 1,066,322 findings "
            "(27,915 FAIL)");
}

TEST(ProgressLineTest, WithoutATotalSaysWhatWasReadAndNoTimeLeft) {
  ProgressCounts counts;
  counts.bytes = 3 * kMiB / 2;
  counts.resources = 999;
  counts.findings = 1000;
  EXPECT_EQ(ProgressLine(counts, seconds(3)),
            "kmsguard scan: 1.5 MiB read, 999 resources, 1,000 findings (0 FAIL), 0.5 MiB/s");
  // Past the end of a total (a file that grew while read): 100%, no time left.
  counts.total_bytes = kMiB;
  EXPECT_EQ(ProgressLine(counts, seconds(3)),
            "kmsguard scan: 1.5 of 1.0 MiB (100%), 999 resources, 1,000 findings (0 FAIL), "
            "0.5 MiB/s");
}

// Polls until the line was drawn `n` times (the drawing thread's pace is the machine's).
void WaitForDraws(ScanProgress& progress, int n) {
  const auto deadline = std::chrono::steady_clock::now() + seconds(20);
  while (progress.draws() < n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  ASSERT_GE(progress.draws(), n);
}

TEST(ScanProgressTest, RedrawsInPlaceWritesProblemsOnTheirOwnLineAndErasesAtTheEnd) {
  std::ostringstream out;
  ScanProgress::Options options;
  options.enabled = true;
  options.total_bytes = 4 * kMiB;
  options.first = milliseconds(0);
  options.interval = milliseconds(5);
  ScanProgress progress(out, options);
  progress.AddBytes(kMiB);
  progress.AddResource();
  progress.AddFinding(true);
  progress.AddFinding(false);
  WaitForDraws(progress, 2);
  progress.Write("snapshot.json#/RoleDetailList/3: error: broken [x]\n");
  WaitForDraws(progress, progress.draws() + 1);
  progress.Stop();
  progress.Stop();  // once is enough
  const std::string text = out.str();
  // The drawing thread starts with the object: its first lines may come before the counts.
  EXPECT_THAT(text, StartsWith("\rkmsguard scan: "));
  // The line is erased before the problem, so it starts a line of its own; the line drawn after
  // it has every count.
  EXPECT_THAT(text, HasSubstr("\x1b[K\r\x1b[Ksnapshot.json#/RoleDetailList/3: error: broken [x]\n"
                              "\rkmsguard scan: 1.0 of 4.0 MiB (25%), 1 resources, 2 findings "
                              "(1 FAIL)"));
  EXPECT_THAT(text, EndsWith("\x1b[K\r\x1b[K"));
}

TEST(ScanProgressTest, DisabledItCountsAndNeverDrawsAndWritesPlainly) {
  std::ostringstream out;
  ScanProgress::Options options;
  options.first = milliseconds(0);
  options.interval = milliseconds(1);
  ScanProgress progress(out, options);
  progress.AddBytes(kMiB);
  std::this_thread::sleep_for(milliseconds(30));
  progress.Write("a problem\n");
  progress.Stop();
  EXPECT_EQ(progress.draws(), 0);
  EXPECT_EQ(out.str(), "a problem\n");
}

TEST(ScanProgressTest, ALineWiderThanTheTerminalIsCutSoItNeverWraps) {
  std::ostringstream out;
  ScanProgress::Options options;
  options.enabled = true;
  options.width = 30;
  options.first = milliseconds(0);
  options.interval = milliseconds(5);
  ScanProgress progress(out, options);
  WaitForDraws(progress, 1);
  progress.Stop();
  // 29 characters: the last column stays free (a line that fills it wraps on some terminals).
  EXPECT_THAT(out.str(), StartsWith("\rkmsguard scan: 0.0 MiB read, \x1b[K"));
}

// Through the binary: an export fed to a FIFO in two parts, two seconds apart, so the scan is
// still running when the first line is due. `script` gives the scan a terminal for stdin, stdout
// and stderr; stdout goes to a file inside it, so what `script` prints is stderr.
class ScanProgressBinaryTest : public ::testing::Test {
 protected:
  std::string Export() {
    std::string json = R"({"RoleDetailList": [)";
    for (int i = 0; i < 2000; ++i) {
      if (i > 0) json += ",";
      json += R"({"RoleName": "role-)" + std::to_string(i) +
              R"(", "Arn": "arn:aws:iam::111122223333:role/role-)" + std::to_string(i) +
              R"(", "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version":
              "2012-10-17", "Statement": {"Effect": "Allow", "Action": "kms:*", "Resource":
              "*"}}}]})";
    }
    return json + "]}";
  }

  // The shell command that scans a FIFO fed in two parts; `flags` go to kmsguard scan.
  // The findings go to findings.out in `dir`.
  std::string ScanOfASlowFifo(const testing::TempDir& dir, const std::string& flags) {
    const std::string file = dir.Write("export.json", Export());
    const std::string fifo = dir.File("fifo");
    // mkfifo runs before the scan starts: `mkfifo && { ... } > fifo &` put it in the background
    // job too, and under load the scan could open the path before it existed (a flake).
    return "mkfifo " + fifo + " || exit 2; { head -c 100000 " + file +
           "; sleep 2; tail -c +100001 " + file + "; } > " + fifo + " & " + KMSGUARD_BINARY +
           " scan " + flags + " " + fifo + " > " + dir.File("findings.out");
  }

  testing::TempDir dir_;
};

TEST_F(ScanProgressBinaryTest, ATerminalSeesTheLineAndItIsErasedBeforeTheSummary) {
  ASSERT_TRUE(dir_.ok());
  const testing::ProcessResult r = testing::Run(
      {"/usr/bin/script", "-qfec", ScanOfASlowFifo(dir_, "--format jsonl"), "/dev/null"});
  ASSERT_EQ(r.exit_code, 1) << testing::DescribeRun(r);  // the FAILs
  EXPECT_THAT(r.out, HasSubstr("\rkmsguard scan: "));
  EXPECT_THAT(r.out, HasSubstr(" MiB read, "));
  EXPECT_THAT(r.out, HasSubstr(" resources, "));
  EXPECT_THAT(r.out, HasSubstr("\r\x1b[K"));  // erased
  EXPECT_THAT(r.out, HasSubstr("rule(s) loaded"));
  // The findings are whole: every role FAILs the every-key rule.
  const std::string findings = testing::ReadFile(dir_.File("findings.out"));
  EXPECT_THAT(findings, HasSubstr("role-1999"));
}

TEST_F(ScanProgressBinaryTest, QuietOrNotATerminalDrawsNothing) {
  ASSERT_TRUE(dir_.ok());
  const testing::ProcessResult quiet = testing::Run(
      {"/usr/bin/script", "-qfec", ScanOfASlowFifo(dir_, "--quiet --format jsonl"), "/dev/null"});
  ASSERT_EQ(quiet.exit_code, 1) << testing::DescribeRun(quiet);
  EXPECT_THAT(quiet.out, Not(HasSubstr("kmsguard scan: ")));  // no progress, no rule count
  EXPECT_THAT(quiet.out, Not(HasSubstr("\x1b[K")));

  testing::TempDir other;
  ASSERT_TRUE(other.ok());
  const testing::ProcessResult plain = testing::Shell(ScanOfASlowFifo(other, "--format jsonl"));
  ASSERT_EQ(plain.exit_code, 1) << testing::DescribeRun(plain);
  EXPECT_THAT(plain.err, Not(HasSubstr("MiB read")));
  EXPECT_THAT(plain.err, Not(HasSubstr("\x1b[K")));
  EXPECT_THAT(plain.err, HasSubstr("rule(s) loaded"));
}

}  // namespace
}  // namespace kmsguard::plugin
