// `kmsguard scan -` reads standard input (issue 18), in every form a FILE may take: an
// authorization-details export (streamed), gzip, a template (read whole).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/plugin/test_support.h"

namespace kmsguard {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;
using testing::DescribeRun;
using testing::Shell;
using testing::BundledExample;

const std::string kBinary = KMSGUARD_BINARY;

TEST(ScanStdinTest, DashReadsStandardInputInEveryForm) {
  const std::string example = BundledExample();
  for (const std::string& command :
       {"'" + kBinary + "' scan - < '" + example + "'",
        "cat '" + example + "' | '" + kBinary + "' scan -",
        "gzip -c '" + example + "' | '" + kBinary + "' scan -"}) {
    const ProcessResult r = Shell(command);
    EXPECT_EQ(r.exit_code, 1) << command << "\n" << DescribeRun(r);
    EXPECT_THAT(r.out, HasSubstr("7 FAIL")) << command;
  }
  // Findings name standard input as <stdin>.
  const ProcessResult jsonl =
      Shell("cat '" + example + "' | '" + kBinary + "' scan --format jsonl -");
  EXPECT_EQ(jsonl.exit_code, 1) << DescribeRun(jsonl);
  EXPECT_THAT(jsonl.out, HasSubstr(R"("file":"<stdin>")"));
}

TEST(ScanStdinTest, ATemplateOnStandardInputIsReadWhole) {
  const std::string templ =
      "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  AppRole:\n    Type: AWS::IAM::Role\n"
      "    Properties:\n      RoleName: app\n      AssumeRolePolicyDocument:\n"
      "        Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, "
      "Action: 'sts:AssumeRole'}]\n      Policies:\n        - PolicyName: all-keys\n"
      "          PolicyDocument:\n            Statement: [{Effect: Allow, Action: 'kms:Decrypt', "
      "Resource: '*'}]\n";
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string file = dir.Write("template.yaml", templ);
  const ProcessResult r = Shell("'" + kBinary + "' scan - < '" + file + "'");
  EXPECT_EQ(r.exit_code, 1) << DescribeRun(r);
  EXPECT_THAT(r.out, HasSubstr("role/app"));
}

TEST(ScanStdinTest, DashTwiceIsAnError) {
  const ProcessResult r = Shell("'" + kBinary + "' scan - - < '" + BundledExample() + "'");
  EXPECT_EQ(r.exit_code, 3) << DescribeRun(r);  // the FAILs, and an input not read
  EXPECT_THAT(r.err, HasSubstr("<stdin>: error: standard input (\"-\") is given more than once"));
}

}  // namespace
}  // namespace kmsguard
