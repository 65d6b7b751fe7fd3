// `kmsguard scan --format ...` with the real binary: every renderer is reachable, the exit code
// does not depend on the format, and ASFF takes its region from AWS_REGION.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/plugin/test_support.h"

namespace kmsguard {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::ProcessResult;
using testing::BundledExample;

ProcessResult Scan(const std::string& format) {
  return testing::Run({KMSGUARD_BINARY, "scan", BundledExample(), "--format", format});
}

TEST(ScanFormatsTest, EveryFormatRendersTheSameFindings) {
  const ProcessResult json = Scan("json");
  ASSERT_EQ(json.exit_code, 1) << json.err;  // FAILs in the example, whatever the format
  const nlohmann::json doc = nlohmann::json::parse(json.out);
  const std::size_t n = doc["findings"].size();
  ASSERT_GT(n, 0u);
  EXPECT_EQ(doc["summary"]["fail"].get<std::size_t>() + doc["summary"]["pass"].get<std::size_t>() +
                doc["summary"]["warning"].get<std::size_t>() +
                doc["summary"]["error"].get<std::size_t>(),
            n);
  EXPECT_EQ(doc["tool"]["name"], "kmsguard");

  const ProcessResult jsonl = Scan("jsonl");
  ASSERT_EQ(jsonl.exit_code, 1) << jsonl.err;
  std::istringstream lines(jsonl.out);
  std::string line;
  std::size_t count = 0;
  while (std::getline(lines, line)) ++count;
  EXPECT_EQ(count, n + 1);

  const ProcessResult ocsf = Scan("ocsf");
  ASSERT_EQ(ocsf.exit_code, 1) << ocsf.err;
  EXPECT_EQ(nlohmann::json::parse(ocsf.out).size(), n);

  const ProcessResult sarif = Scan("sarif");
  ASSERT_EQ(sarif.exit_code, 1) << sarif.err;
  const nlohmann::json log = nlohmann::json::parse(sarif.out);
  EXPECT_EQ(log["version"], "2.1.0");
  EXPECT_EQ(log["runs"][0]["results"].size(), doc["summary"]["fail"].get<std::size_t>() +
                                                  doc["summary"]["warning"].get<std::size_t>());

  const ProcessResult html = Scan("html");
  ASSERT_EQ(html.exit_code, 1) << html.err;
  EXPECT_THAT(html.out, StartsWith("<!DOCTYPE html>"));
  EXPECT_THAT(html.out, HasSubstr("</html>"));
}

TEST(ScanFormatsTest, AsffUsesTheRegionOfTheEnvironment) {
  ASSERT_EQ(setenv("AWS_REGION", "eu-west-1", 1), 0);
  const ProcessResult asff = Scan("asff");
  unsetenv("AWS_REGION");
  ASSERT_EQ(asff.exit_code, 1) << asff.err;
  const nlohmann::json findings = nlohmann::json::parse(asff.out);
  ASSERT_TRUE(findings.is_array());
  ASSERT_FALSE(findings.empty());
  for (const nlohmann::json& f : findings) {
    EXPECT_THAT(f["ProductArn"].get<std::string>(),
                StartsWith("arn:aws:securityhub:eu-west-1:111122223333:product/"));
  }
}

TEST(ScanFormatsTest, UnknownFormatIsAUsageError) {
  const ProcessResult r = Scan("xml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--format"));
}

}  // namespace
}  // namespace kmsguard
