// The reference verdict cases in ../shared/cases/kms-decrypt-all-keys.json (read in place, never
// copied): each case is one named test.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sdk/iam/grant_analysis.h"

namespace kmsguard::iam {
namespace {

struct SharedCase {
  std::string id;
  nlohmann::json policy;
  std::string expect;
  std::string reason;
};

std::string CasesPath() { return std::string(KMSGUARD_SHARED_DIR) + "/cases/kms-decrypt-all-keys.json"; }

std::vector<SharedCase> LoadCases() {
  std::ifstream in(CasesPath());
  if (!in) return {SharedCase{"missing", {}, "", ""}};
  std::vector<SharedCase> cases;
  for (const auto& c : nlohmann::json::parse(in)) {
    cases.push_back({c.at("id").get<std::string>(), c.at("policy"), c.at("expect").get<std::string>(),
                     c.value("reason", "")});
  }
  return cases;
}

class SharedCasesTest : public ::testing::TestWithParam<SharedCase> {};

TEST_P(SharedCasesTest, Verdict) {
  const SharedCase& c = GetParam();
  if (c.id == "missing") GTEST_SKIP() << "reference cases not found at " << CasesPath();
  auto doc = ParsePolicyDocument(c.policy);
  ASSERT_TRUE(doc.ok()) << doc.status();
  const GrantVerdict verdict = AnalyzeGrant(*doc, GrantQuery{});
  EXPECT_EQ(verdict.granted ? "FAIL" : "PASS", c.expect) << c.reason;
}

INSTANTIATE_TEST_SUITE_P(Cases, SharedCasesTest, ::testing::ValuesIn(LoadCases()),
                         [](const ::testing::TestParamInfo<SharedCase>& param_info) {
                           std::string name;
                           for (const char ch : param_info.param.id) name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
                           return name;
                         });

}  // namespace
}  // namespace kmsguard::iam
