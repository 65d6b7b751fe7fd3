// The shared reference samples (../shared/samples, SOURCES.md) through format detection, the
// adapters and the evaluator with every built-in rule: the findings SOURCES.md lists.
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/model/iam_document.h"
#include "sdk/adapters/snapshot.h"
#include "tests/sdk/adapters/adapter_test_support.h"

namespace kmsguard::adapters {
namespace {

using test::Describe;
using test::kInlineRule;
using test::kManagedRule;
using test::WithStatus;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

std::vector<model::Finding> Failing(const std::vector<model::Finding>& findings) {
  std::vector<model::Finding> out;
  for (const model::Finding& f : findings) {
    if (f.status == model::Status::kFail) out.push_back(f);
  }
  return out;
}

TEST(AdapterSamplesTest, RegulaPlanFailsTheThreeInvalidInlinePolicies) {
  std::string text;
  KMSGUARD_LOAD_SHARED_SAMPLE(text, "tfplan_regula_admin_policy_infra.json");
  ASSERT_EQ(DetectInputFormat(text), InputFormat::kTerraform);
  const AdapterResult result = ReadSnapshot(text, "admin_policy_infra.json");
  EXPECT_EQ(test::Errors(result.diagnostics), 0) << Describe(result.diagnostics);
  const std::vector<model::Finding> findings = test::EvaluateAll(result);
  // `group` and `role` are unknown at plan time and Terraform 0.13 references do not say which
  // attribute they use: the principals stay unknown, named after the policy resources.
  EXPECT_THAT(WithStatus(findings, kInlineRule, model::Status::kFail),
              UnorderedElementsAre("Group/<unknown: aws_iam_group_policy.invalid_group_policy>",
                                   "Role/<unknown: aws_iam_role_policy.invalid_role_policy>",
                                   "User/my_test_user"));
  EXPECT_THAT(WithStatus(findings, kInlineRule, model::Status::kError), IsEmpty());
  for (const model::Finding& f : findings) {
    if (f.rule_id != kInlineRule || f.status != model::Status::kFail) continue;
    ASSERT_THAT(f.evidence, SizeIs(1)) << f.resource_name;
    EXPECT_THAT(f.evidence[0].policy_name, HasSubstr("invalid_"));
    EXPECT_THAT(f.evidence[0].action_patterns, ElementsAre("*"));
    if (f.resource_name == "my_test_user") {
      EXPECT_EQ(f.resource_id, "terraform:aws_iam_user.my_test_user");
      EXPECT_EQ(f.evidence[0].policy_name, "invalid_user_policy");
    } else {
      EXPECT_EQ(f.source.resource_id, f.resource_type == model::kIamGroup
                                          ? "aws_iam_group_policy.invalid_group_policy"
                                          : "aws_iam_role_policy.invalid_role_policy");
      EXPECT_THAT(f.source.json_pointer, HasSubstr("/planned_values/root_module/resources/"));
    }
  }
  // The plan's unattached customer managed policy with Action "*" is KMS.1's (not in SOURCES.md,
  // which counts principals); the Deny-only one passes.
  EXPECT_THAT(WithStatus(findings, kManagedRule, model::Status::kFail),
              ElementsAre("Policy/test_invalid_policy"));
  EXPECT_THAT(WithStatus(findings, kManagedRule, model::Status::kPass),
              ElementsAre("Policy/test_valid_deny_policy"));
}

TEST(AdapterSamplesTest, CheckovPlanHasNoFinding) {
  std::string text;
  KMSGUARD_LOAD_SHARED_SAMPLE(text, "tfplan_checkov_plan_with_iam_policies.json");
  ASSERT_EQ(DetectInputFormat(text), InputFormat::kTerraform);
  const AdapterResult result = ReadSnapshot(text, "tfplan.json");
  EXPECT_THAT(result.diagnostics, IsEmpty()) << Describe(result.diagnostics);
  EXPECT_THAT(test::TypeNames(result),
              UnorderedElementsAre("AWS::IAM::Group/example",
                                   "AWS::IAM::Role/<unknown: aws_iam_role.example>",
                                   "AWS::IAM::User/example", "AWS::IAM::Policy/policy_pass"));
  // The role's policy joins it through `aws_iam_role.example.id` although its name is unknown.
  const model::Resource* role = test::Find(result, "<unknown: aws_iam_role.example>");
  ASSERT_NE(role, nullptr);
  EXPECT_THAT(test::InlinePolicyNames(*role), ElementsAre("example"));
  const std::vector<model::Finding> findings = test::EvaluateAll(result);
  EXPECT_THAT(Failing(findings), IsEmpty());
  EXPECT_THAT(WithStatus(findings, kInlineRule, model::Status::kError), IsEmpty())
      << "the CRLF group policy parses";
  EXPECT_THAT(WithStatus(findings, kInlineRule, model::Status::kPass), SizeIs(3));
}

TEST(AdapterSamplesTest, CfnNagTemplateHasNoFindingAndItsPolicyParses) {
  std::string text;
  KMSGUARD_LOAD_SHARED_SAMPLE(text, "cfn_cfn-nag_iam_policy_on_user.json");
  ASSERT_EQ(DetectInputFormat(text), InputFormat::kCloudFormation);
  const AdapterResult result = ReadSnapshot(text, "iam_policy_on_user.json");
  EXPECT_THAT(result.diagnostics, IsEmpty()) << Describe(result.diagnostics);
  ASSERT_THAT(test::TypeNames(result), ElementsAre("AWS::IAM::User/TestUser"));
  const nlohmann::json policy = model::NormalizedDocument(result.resources[0])["inline_policies"][0];
  EXPECT_EQ(policy["name"], "somePolicy");
  EXPECT_EQ(policy["document"]["Statement"][0]["Resource"],
            "arn:aws:rds:${AWS::Region}:${AWS::AccountId}:db:test*");
  EXPECT_EQ(policy["document"]["Statement"][1]["NotAction"], "rds:CreateDBInstance");
  const std::vector<model::Finding> findings = test::EvaluateAll(result);
  EXPECT_THAT(Failing(findings), IsEmpty());
  // NotAction reaches kms:Decrypt, but only on RDS ARNs: evaluated, and a PASS.
  EXPECT_THAT(WithStatus(findings, kInlineRule, model::Status::kPass),
              ElementsAre("User/TestUser"));
}

TEST(AdapterSamplesTest, RdkConfigItemHasNoFinding) {
  std::string text;
  KMSGUARD_LOAD_SHARED_SAMPLE(text, "aws-config-ci_rdk_AWS_IAM_User.json");
  ASSERT_EQ(DetectInputFormat(text), InputFormat::kConfig);
  const AdapterResult result = ReadSnapshot(text, "AWS_IAM_User.json");
  EXPECT_EQ(test::Errors(result.diagnostics), 0) << Describe(result.diagnostics);
  EXPECT_THAT(Describe(result.diagnostics), HasSubstr("list of 1 document"));
  ASSERT_THAT(test::TypeNames(result), ElementsAre("AWS::IAM::User/johndoe"));
  const model::Resource& user = result.resources[0];
  EXPECT_EQ(user.id, "arn:aws:iam::112233445566:user/johndoe");
  EXPECT_EQ(user.account, "112233445566");
  EXPECT_EQ(model::NormalizedDocument(user)["group_memberships"], nlohmann::json::array({"MyTestGroup"}));
  EXPECT_THAT(model::NormalizedDocument(user)["attached_managed_policies"], SizeIs(3));
  EXPECT_THAT(test::InlinePolicyNames(user), ElementsAre("policygen-johndoe-201611060951"));
  const std::vector<model::Finding> findings = test::EvaluateAll(result);
  EXPECT_THAT(Failing(findings), IsEmpty());
  EXPECT_THAT(WithStatus(findings, kInlineRule, model::Status::kPass), ElementsAre("User/johndoe"));
}

// The authorization-details samples read through detection exactly as through their adapter.
TEST(AdapterSamplesTest, GaadSamplesThroughDetection) {
  std::string text;
  KMSGUARD_LOAD_SHARED_SAMPLE(text, "aws-gaad_cloudsplaining_example.json");
  ASSERT_EQ(DetectInputFormat(text), InputFormat::kAuthorizationDetails);
  AdapterResult result = ReadSnapshot(text, "example.json");
  EXPECT_EQ(test::Errors(result.diagnostics), 0) << Describe(result.diagnostics);
  std::vector<model::Finding> findings = test::EvaluateAll(result);
  EXPECT_THAT(WithStatus(findings, kInlineRule, model::Status::kFail), SizeIs(16));

  std::string demo;
  ASSERT_TRUE(test::ReadFile(sample_path.parent_path() / "aws-gaad_cloudmapper_demo.json", &demo));
  result = ReadSnapshot(demo, "demo.json");
  findings = test::EvaluateAll(result);
  EXPECT_THAT(WithStatus(findings, kInlineRule, model::Status::kFail),
              ElementsAre("Role/bad_role"));
}

}  // namespace
}  // namespace kmsguard::adapters
