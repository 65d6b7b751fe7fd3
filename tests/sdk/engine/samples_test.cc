// End to end on real and bundled exports: adapter -> evaluator with the built-in rules.
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/adapters/authorization_details.h"
#include "sdk/engine/evaluator.h"

namespace kmsguard::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

struct ScanResult {
  std::vector<model::Finding> findings;
  core::Diagnostics diagnostics;
};

bool ReadFile(const std::filesystem::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  *out = text.str();
  return true;
}

ScanResult Scan(const std::string& text, const std::string& name, rules::Rule rule) {
  std::vector<rules::Rule> rules;
  rules.push_back(std::move(rule));
  const Evaluator evaluator(std::make_shared<const rules::RuleSet>(std::move(rules)));
  adapters::AdapterResult resources = adapters::ReadAuthorizationDetails(text, name);
  ScanResult result;
  result.diagnostics = std::move(resources.diagnostics);
  for (const model::Resource& r : resources.resources) {
    for (model::Finding& f : evaluator.Evaluate(r)) result.findings.push_back(std::move(f));
  }
  return result;
}

rules::Rule BuiltinRule() {
  rules::LoadResult loaded = rules::LoadBuiltinRules();
  EXPECT_THAT(loaded.diagnostics, IsEmpty());
  EXPECT_THAT(loaded.rules, SizeIs(1));
  return loaded.rules.empty() ? rules::Rule() : loaded.rules[0];
}

// "type/name" of every finding with `status`.
std::vector<std::string> With(const ScanResult& scan, model::Status status) {
  std::vector<std::string> out;
  for (const model::Finding& f : scan.findings) {
    if (f.status == status) out.push_back(f.resource_type.substr(10) + "/" + f.resource_name);
  }
  return out;
}

#define LOAD_SHARED_SAMPLE(text, file)                                            \
  const std::filesystem::path sample_path =                                       \
      std::filesystem::path(KMSGUARD_SHARED_DIR) / "samples" / (file);            \
  if (!ReadFile(sample_path, &(text))) {                                          \
    GTEST_SKIP() << "reference sample not found: " << sample_path                 \
                 << " (the shared reference folder is not beside this checkout)"; \
  }

TEST(SamplesTest, CloudsplainingExampleHasSixteenQuickSetupRoles) {
  std::string text;
  LOAD_SHARED_SAMPLE(text, "aws-gaad_cloudsplaining_example.json");
  const ScanResult scan = Scan(text, "example.json", BuiltinRule());
  EXPECT_THAT(scan.diagnostics, IsEmpty());
  EXPECT_THAT(scan.findings, SizeIs(44 + 5 + 78));  // one per principal
  EXPECT_THAT(With(scan, model::Status::kError), IsEmpty());
  EXPECT_THAT(With(scan, model::Status::kWarning), IsEmpty());
  const std::vector<std::string> failing = With(scan, model::Status::kFail);
  std::set<std::string> expected;
  for (const char* region :
       {"ap-northeast-1", "ap-northeast-2", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
        "ca-central-1", "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3",
        "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2"}) {
    expected.insert(std::string("Role/AWS-QuickSetup-EnableCRecording-1clff_") + region);
  }
  EXPECT_EQ(std::set<std::string>(failing.begin(), failing.end()), expected);
  EXPECT_THAT(failing, SizeIs(16));
  for (const model::Finding& f : scan.findings) {
    if (f.status != model::Status::kFail) continue;
    ASSERT_THAT(f.evidence, SizeIs(1)) << f.resource_name;
    EXPECT_EQ(
        f.evidence[0].policy_name.rfind("AWS-QuickSetup-CFGRecording-PolicyForAutomation-", 0), 0u);
    EXPECT_THAT(f.evidence[0].actions, ElementsAre("kms:Decrypt", "kms:ReEncryptFrom"));
    EXPECT_THAT(f.evidence[0].resource_patterns, ElementsAre("*"));
    EXPECT_EQ(f.account, "200611803367");
  }
}

TEST(SamplesTest, CloudmapperDemoHasOnlyBadRole) {
  std::string text;
  LOAD_SHARED_SAMPLE(text, "aws-gaad_cloudmapper_demo.json");
  const ScanResult scan = Scan(text, "demo.json", BuiltinRule());
  EXPECT_THAT(scan.diagnostics, IsEmpty());
  EXPECT_THAT(With(scan, model::Status::kFail), ElementsAre("Role/bad_role"));
  EXPECT_THAT(With(scan, model::Status::kError), IsEmpty());
  EXPECT_THAT(With(scan, model::Status::kPass), SizeIs(2 + 1 + 3));
  for (const model::Finding& f : scan.findings) {
    if (f.status != model::Status::kFail) continue;
    ASSERT_THAT(f.evidence, SizeIs(1));
    EXPECT_EQ(f.evidence[0].policy_name, "dostuff");
    EXPECT_THAT(f.evidence[0].action_patterns, ElementsAre("*"));
  }
}

// The expectations of docs/examples/README.md.
TEST(SamplesTest, BundledExampleFailsExactlyTheDocumentedPrincipals) {
  std::string text;
  ASSERT_TRUE(ReadFile(std::filesystem::path(KMSGUARD_SOURCE_DIR) / "docs" / "examples" /
                           "account-authorization-details.json",
                       &text));
  rules::Rule rule = BuiltinRule();
  ScanResult scan = Scan(text, "account-authorization-details.json", rule);
  EXPECT_THAT(scan.diagnostics, IsEmpty());
  EXPECT_THAT(scan.findings, SizeIs(17));
  EXPECT_THAT(With(scan, model::Status::kFail),
              UnorderedElementsAre("User/bob", "User/erin", "Group/Developers",
                                   "Role/ec2-app-server", "Role/partner-audit-access"));
  EXPECT_THAT(With(scan, model::Status::kPass), SizeIs(12));
  EXPECT_THAT(With(scan, model::Status::kError), IsEmpty());
  for (const model::Finding& f : scan.findings) {
    EXPECT_EQ(f.conditional, f.resource_name == "partner-audit-access") << f.resource_name;
    EXPECT_EQ(f.account, "111122223333");
  }

  rule.param_values["on_condition"] = "warn";
  scan = Scan(text, "account-authorization-details.json", rule);
  EXPECT_THAT(With(scan, model::Status::kWarning), ElementsAre("Role/partner-audit-access"));
  EXPECT_THAT(With(scan, model::Status::kFail), SizeIs(4));
}

}  // namespace
}  // namespace kmsguard::engine
