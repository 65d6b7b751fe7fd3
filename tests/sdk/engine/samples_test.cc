// End to end on real and bundled exports: adapter -> evaluator with the built-in rules.
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/adapters/authorization_details.h"
#include "sdk/engine/evaluator.h"
#include "tests/sdk/engine/engine_test_support.h"

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

using test::BuiltinRule;
using test::kBroadRule;
using test::kManagedRule;

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
    // Assumed by Systems Manager only: inside the account's control, severity unchanged.
    EXPECT_THAT(f.exposed_to, ElementsAre("service ssm.amazonaws.com"));
    EXPECT_EQ(f.severity, model::Severity::kMedium);
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
    // Its trust policy trusts {"AWS": "*"}: anyone, so the finding is raised to high.
    EXPECT_EQ(f.severity, model::Severity::kHigh);
    EXPECT_THAT(f.exposed_to, ElementsAre("anyone (AWS: \"*\")"));
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

// Exposure on the bundled example: who holds each KMS.2 grant; the role another account can
// assume is raised to high.
TEST(SamplesTest, BundledExampleExposure) {
  std::string text;
  ASSERT_TRUE(ReadFile(std::filesystem::path(KMSGUARD_SOURCE_DIR) / "docs" / "examples" /
                           "account-authorization-details.json",
                       &text));
  const ScanResult scan = Scan(text, "account-authorization-details.json", BuiltinRule());
  std::map<std::string, const model::Finding*> by_name;
  for (const model::Finding& f : scan.findings) by_name[f.resource_name] = &f;
  ASSERT_EQ(by_name.count("Developers"), 1u);
  EXPECT_THAT(by_name["Developers"]->exposed_to, UnorderedElementsAre("user/alice", "user/bob"));
  EXPECT_EQ(by_name["Developers"]->exposure, "inherited by 2 member users: alice, bob");
  EXPECT_THAT(by_name["bob"]->exposed_to, ElementsAre("user/bob"));
  const model::Finding& partner = *by_name["partner-audit-access"];
  EXPECT_EQ(partner.severity, model::Severity::kHigh);
  EXPECT_THAT(partner.exposed_to,
              ElementsAre("other-account 444455556666 (arn:aws:iam::444455556666:root) "
                          "[conditional: StringEquals:sts:ExternalId]"));
  EXPECT_THAT(partner.message, ::testing::HasSubstr("Severity raised from medium to high"));
  const model::Finding& ec2 = *by_name["ec2-app-server"];
  EXPECT_EQ(ec2.severity, model::Severity::kMedium);
  EXPECT_THAT(ec2.exposed_to, ElementsAre("service ec2.amazonaws.com"));
  // PASS findings carry no exposure.
  EXPECT_THAT(by_name["public-report-reader"]->exposed_to, IsEmpty());
  EXPECT_EQ(by_name["public-report-reader"]->severity, model::Severity::kMedium);
}

// The expectations of docs/examples/README.md for KMS.1 and the strict tier.
TEST(SamplesTest, BundledExampleManagedPoliciesAndStrictTier) {
  std::string text;
  ASSERT_TRUE(ReadFile(std::filesystem::path(KMSGUARD_SOURCE_DIR) / "docs" / "examples" /
                           "account-authorization-details.json",
                       &text));
  rules::Rule managed = BuiltinRule(kManagedRule);
  ScanResult scan = Scan(text, "account-authorization-details.json", managed);
  EXPECT_THAT(scan.diagnostics, IsEmpty());
  // AdministratorAccess (AWS managed) and WorkloadPermissionsBoundary (boundary only): none.
  EXPECT_THAT(scan.findings, SizeIs(2));
  EXPECT_THAT(With(scan, model::Status::kFail), ElementsAre("Policy/KmsDecryptAllKeys-Managed"));
  EXPECT_THAT(With(scan, model::Status::kPass), ElementsAre("Policy/ReadOnlyS3Reports"));
  for (const model::Finding& f : scan.findings) {
    if (f.status != model::Status::kFail) continue;
    EXPECT_EQ(f.message,
              "customer managed policy KmsDecryptAllKeys-Managed (default version v2) allows "
              "kms:Decrypt on all KMS keys (Resource \"*\").");
    EXPECT_EQ(f.exposure, "attached to 1 IAM identity");
  }
  managed.param_values["skip_boundary_only"] = false;
  scan = Scan(text, "account-authorization-details.json", managed);
  EXPECT_THAT(With(scan, model::Status::kFail),
              UnorderedElementsAre("Policy/KmsDecryptAllKeys-Managed",
                                   "Policy/WorkloadPermissionsBoundary"));

  scan = Scan(text, "account-authorization-details.json", BuiltinRule(kBroadRule));
  EXPECT_THAT(scan.findings, SizeIs(17));
  EXPECT_THAT(With(scan, model::Status::kFail), ElementsAre("Role/glue-data-pipeline"));
  EXPECT_THAT(With(scan, model::Status::kPass), SizeIs(16));
  for (const model::Finding& f : scan.findings) {
    if (f.status != model::Status::kFail) continue;
    EXPECT_EQ(f.severity, model::Severity::kLow);
    ASSERT_THAT(f.evidence, SizeIs(1));
    EXPECT_EQ(f.evidence[0].policy_name, "pipeline-kms-account-keys");
    EXPECT_EQ(f.evidence[0].sid, "DecryptWithAccountKeys");
    EXPECT_THAT(f.exposed_to, ElementsAre("service glue.amazonaws.com"));
  }
}

// KMS.1 on the shared samples. cloudsplaining: 84 managed policies, 38 AWS managed (no finding);
// of the 46 customer managed ones, four allow kms:Decrypt on "*" in their default (and only)
// version: three with Action "*" and one with NotAction [iam:Update*, iam:Create*, iam:Attach*].
// deny-all (Deny "*" on "*") and the rest pass.
TEST(SamplesTest, CloudsplainingExampleManagedPolicies) {
  std::string text;
  LOAD_SHARED_SAMPLE(text, "aws-gaad_cloudsplaining_example.json");
  const ScanResult scan = Scan(text, "example.json", BuiltinRule(kManagedRule));
  EXPECT_THAT(scan.diagnostics, IsEmpty());
  EXPECT_THAT(scan.findings, SizeIs(46));
  EXPECT_THAT(With(scan, model::Status::kFail),
              UnorderedElementsAre(
                  "Policy/privesc-high-priv-service-policy", "Policy/fp2-allow-all",
                  "Policy/privesc-AssumeRole-high-priv-policy", "Policy/fn4-exploitableNotAction"));
  EXPECT_THAT(With(scan, model::Status::kPass), SizeIs(42));
  EXPECT_THAT(With(scan, model::Status::kError), IsEmpty());

  // No inline policy grants decryption on every key of an account or region.
  const ScanResult strict = Scan(text, "example.json", BuiltinRule(kBroadRule));
  EXPECT_THAT(strict.findings, SizeIs(44 + 5 + 78));
  EXPECT_THAT(With(strict, model::Status::kFail), IsEmpty());
  EXPECT_THAT(With(strict, model::Status::kError), IsEmpty());
}

TEST(SamplesTest, CloudmapperDemoManagedPolicies) {
  std::string text;
  LOAD_SHARED_SAMPLE(text, "aws-gaad_cloudmapper_demo.json");
  const ScanResult scan = Scan(text, "demo.json", BuiltinRule(kManagedRule));
  EXPECT_THAT(scan.diagnostics, IsEmpty());
  // AmazonEC2RoleforSSM is AWS managed; BAD_MFA_POLICY grants IAM actions only (and a
  // conditional Deny of everything but IAM).
  EXPECT_THAT(With(scan, model::Status::kPass), ElementsAre("Policy/BAD_MFA_POLICY"));
  EXPECT_THAT(scan.findings, SizeIs(1));

  const ScanResult strict = Scan(text, "demo.json", BuiltinRule(kBroadRule));
  EXPECT_THAT(With(strict, model::Status::kFail), IsEmpty());
  EXPECT_THAT(strict.findings, SizeIs(2 + 1 + 4));
}

}  // namespace
}  // namespace kmsguard::engine
