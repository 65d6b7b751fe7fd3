// ASFF output, checked against the AwsSecurityFinding shape of the Security Hub API model.
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/sdk/render/render_test_support.h"

namespace kmsguard::render {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using test::Json;

constexpr char kModel[] = "asff-securityhub-2018-10-26.botocore-service-2.json";

model::Finding Fail() {
  model::Finding f;
  f.rule_id = "aws-iam-inline-kms-decrypt-all-keys";
  f.rule_version = "1.0.0";
  f.title = "IAM principals should not have IAM inline policies that allow decryption on all keys";
  f.severity = model::Severity::kMedium;
  f.status = model::Status::kFail;
  f.resource_id = "arn:aws:iam::111122223333:role/app";
  f.resource_type = model::kIamRole;
  f.resource_name = "app";
  f.partition = "aws";
  f.account = "111122223333";
  f.message = "role app has inline policies (kms-all) that allow kms:Decrypt on all KMS keys.";
  f.remediation.summary = "Scope the kms:Decrypt statements of kms-all to the keys role app needs.";
  f.compliance = {{"AWS Foundational Security Best Practices", "KMS.2"}};
  model::Evidence e;
  e.policy_name = "kms-all";
  e.statement_index = 0;
  e.effect = "Allow";
  e.actions = {"kms:Decrypt"};
  e.action_patterns = {"kms:*"};
  e.resource_patterns = {"*"};
  f.evidence = {e};
  return f;
}

class AsffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string text;
    if (!test::ReadFile(test::SchemaPath(kModel), &text)) {
      GTEST_SKIP() << "Security Hub API model not found at " << test::SchemaPath(kModel);
    }
    validator_ = std::make_unique<test::BotocoreShapeValidator>(Json::parse(text));
  }

  // Every finding fits AwsSecurityFinding, carries the 12 attributes the user guide requires, has
  // ISO 8601 timestamps and stays under the 240 KB a finding may have; the batches of 100 fit
  // BatchImportFindingsRequest.
  void ExpectImportable(const Json& findings) {
    ASSERT_TRUE(findings.is_array());
    const std::regex timestamp(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
    for (const Json& f : findings) {
      EXPECT_THAT(validator_->Validate(f, "AwsSecurityFinding"), IsEmpty()) << f.dump(2);
      for (const char* name : {"SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId",
                               "CreatedAt", "UpdatedAt", "Title", "Description", "Resources",
                               "Severity", "Types"}) {
        EXPECT_TRUE(f.contains(name)) << name;
      }
      for (const char* name : {"CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt"}) {
        EXPECT_TRUE(std::regex_match(f.value(name, ""), timestamp)) << name;
      }
      EXPECT_LT(f.dump().size(), 240u * 1024u);
    }
    for (std::size_t i = 0; i < findings.size(); i += 100) {
      Json batch = Json::array();
      for (std::size_t j = i; j < findings.size() && j < i + 100; ++j) batch.push_back(findings[j]);
      EXPECT_THAT(validator_->Validate({{"Findings", batch}}, "BatchImportFindingsRequest"),
                  IsEmpty());
    }
  }

  std::unique_ptr<test::BotocoreShapeValidator> validator_;
};

TEST_F(AsffTest, BundledExampleIsImportable) {
  const test::Scan scan = test::ScanBundledExample();
  ASSERT_FALSE(scan.findings.empty());
  const Json out = Json::parse(RenderAsff(scan.findings, test::FixedOptions()));
  EXPECT_EQ(out.size(), scan.findings.size());
  ExpectImportable(out);
}

TEST_F(AsffTest, FailFindingMapping) {
  const Json f = Json::parse(RenderAsff({Fail()}, test::FixedOptions()))[0];
  EXPECT_EQ(f["SchemaVersion"], "2018-10-08");
  EXPECT_EQ(f["Id"], FindingUid(Fail()));
  EXPECT_EQ(f["ProductArn"],
            "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default");
  EXPECT_EQ(f["GeneratorId"], "aws-iam-inline-kms-decrypt-all-keys");
  EXPECT_EQ(f["AwsAccountId"], "111122223333");
  EXPECT_EQ(f["Types"], Json({"Software and Configuration Checks/AWS Security Best Practices"}));
  EXPECT_EQ(f["CreatedAt"], "2024-05-01T12:00:00.000Z");
  EXPECT_EQ(f["UpdatedAt"], "2024-05-01T12:00:00.000Z");
  EXPECT_EQ(f["Severity"], Json({{"Label", "MEDIUM"}, {"Original", "MEDIUM"}}));
  EXPECT_EQ(f["FindingProviderFields"]["Severity"], f["Severity"]);
  EXPECT_EQ(f["FindingProviderFields"]["Types"], f["Types"]);
  EXPECT_EQ(f["Title"], Fail().title);
  EXPECT_EQ(f["Description"], Fail().message);
  EXPECT_EQ(f["Remediation"]["Recommendation"]["Text"], Fail().remediation.summary);
  EXPECT_EQ(f["Remediation"]["Recommendation"]["Url"],
            "https://docs.aws.amazon.com/securityhub/latest/userguide/kms-controls.html#kms-2");
  ASSERT_THAT(f["Resources"], SizeIs(1));
  EXPECT_EQ(f["Resources"][0]["Type"], "AwsIamRole");
  EXPECT_EQ(f["Resources"][0]["Id"], "arn:aws:iam::111122223333:role/app");
  EXPECT_EQ(f["Resources"][0]["Partition"], "aws");
  EXPECT_EQ(f["Resources"][0]["Region"], "us-east-1");  // IAM is global: the importing region
  EXPECT_EQ(f["Resources"][0]["Details"]["AwsIamRole"]["RoleName"], "app");
  EXPECT_EQ(f["Resources"][0]["Details"]["AwsIamRole"]["RolePolicyList"][0]["PolicyName"],
            "kms-all");
  EXPECT_EQ(f["Compliance"]["Status"], "FAILED");
  EXPECT_EQ(f["Compliance"]["SecurityControlId"], "KMS.2");
  EXPECT_EQ(f["Compliance"]["RelatedRequirements"],
            Json({"AWS Foundational Security Best Practices KMS.2"}));
  EXPECT_EQ(f["Compliance"]["AssociatedStandards"][0]["StandardsId"],
            "standards/aws-foundational-security-best-practices/v/1.0.0");
  EXPECT_EQ(f["RecordState"], "ACTIVE");
  EXPECT_EQ(f["Workflow"]["Status"], "NEW");
  EXPECT_EQ(f["ProductFields"]["kmsguard/RuleVersion"], "1.0.0");
  EXPECT_THAT(f["ProductFields"]["kmsguard/Evidence/0"].get<std::string>(),
              HasSubstr("kms-all statement 0: Allow kms:Decrypt (Action [\"kms:*\"]) on "
                        "Resource [\"*\"]"));
  ExpectImportable(Json::array({f}));
}

TEST_F(AsffTest, StatusesUsersGroupsPoliciesAndPartitions) {
  std::vector<model::Finding> findings(4, Fail());
  findings[0].status = model::Status::kPass;
  findings[0].resource_type = model::kIamUser;
  findings[1].status = model::Status::kWarning;
  findings[1].severity = model::Severity::kHigh;
  findings[1].resource_type = model::kIamGroup;
  findings[2].status = model::Status::kError;
  findings[2].resource_type = model::kIamManagedPolicy;
  findings[3].partition = "aws-us-gov";
  findings[3].region = "us-gov-west-1";
  RenderOptions options = test::FixedOptions();
  options.aws_region = "us-gov-west-1";
  const Json out = Json::parse(RenderAsff(findings, options));
  ASSERT_THAT(out, SizeIs(4));
  ExpectImportable(out);
  EXPECT_EQ(out[0]["Compliance"]["Status"], "PASSED");
  EXPECT_EQ(out[0]["Severity"]["Label"], "INFORMATIONAL");
  EXPECT_EQ(out[0]["Severity"]["Original"], "MEDIUM");
  EXPECT_EQ(out[0]["Workflow"]["Status"], "RESOLVED");
  EXPECT_EQ(out[0]["Resources"][0]["Type"], "AwsIamUser");
  EXPECT_EQ(out[1]["Compliance"]["Status"], "WARNING");
  EXPECT_EQ(out[1]["Severity"]["Label"], "HIGH");
  EXPECT_EQ(out[1]["Resources"][0]["Type"], "AwsIamGroup");
  EXPECT_EQ(out[2]["Compliance"]["Status"], "NOT_AVAILABLE");
  EXPECT_EQ(out[2]["Compliance"]["StatusReasons"][0]["ReasonCode"], "KMSGUARD_EVALUATION_ERROR");
  EXPECT_EQ(out[2]["Resources"][0]["Type"], "AwsIamPolicy");
  EXPECT_EQ(out[3]["ProductArn"],
            "arn:aws-us-gov:securityhub:us-gov-west-1:111122223333:product/111122223333/default");
  EXPECT_EQ(out[3]["Resources"][0]["Region"], "us-gov-west-1");
}

TEST_F(AsffTest, LengthLimitsAndMissingAccount) {
  model::Finding f = Fail();
  f.message = std::string(1500, 'm');
  f.title = std::string(300, 't') + "\xC3\xA9";  // a two-byte character past the cut
  f.remediation.summary = std::string(600, 'r');
  f.evidence.assign(60, f.evidence[0]);  // more evidence than ProductFields holds
  model::Finding no_account = Fail();
  no_account.account = "";
  const Json out = Json::parse(RenderAsff({f, no_account}, test::FixedOptions()));
  ASSERT_THAT(out, SizeIs(1));  // ASFF cannot express a finding without its account
  ExpectImportable(out);
  EXPECT_EQ(test::CodePoints(out[0]["Description"]), 1024u);
  EXPECT_THAT(out[0]["Description"].get<std::string>(), ::testing::EndsWith("..."));
  EXPECT_EQ(test::CodePoints(out[0]["Title"]), 256u);
  EXPECT_EQ(test::CodePoints(out[0]["Remediation"]["Recommendation"]["Text"]), 512u);
  EXPECT_EQ(out[0]["ProductFields"].size(), 50u);
}

// Findings of other clouds are not AWS findings: a Google Cloud project number is 12 digits, yet
// never an AwsAccountId. Without an importing account they are left out and said, by cloud; with
// one (--aws-account-id) they are written under it, with resource type Other, the cloud, its
// account and location in Details.Other and ProductFields, and the importing AWS region.
TEST_F(AsffTest, OtherCloudsOnlyUnderAnImportingAccountGivenExplicitly) {
  model::Finding gcp = Fail();
  gcp.provider = "gcp";
  gcp.account = "123456789012";  // a project number
  gcp.resource_type = "cloudresourcemanager.googleapis.com/Project";
  gcp.resource_id = "//cloudresourcemanager.googleapis.com/projects/123456789012";
  gcp.region = "global";
  model::Finding azure = Fail();
  azure.provider = "azure";
  azure.status = model::Status::kPass;
  azure.account = "11111111-2222-3333-4444-555555555555";
  azure.resource_type = "Microsoft.KeyVault/vaults";
  azure.resource_id =
      "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/"
      "Microsoft.KeyVault/vaults/kv1";
  azure.region = "westeurope";
  const std::vector<model::Finding> findings = {gcp, azure, Fail()};

  std::ostringstream without;
  const std::unique_ptr<FindingWriter> writer = OpenAsffWriter(without, test::FixedOptions());
  for (const model::Finding& f : findings) writer->Write(f);
  ASSERT_TRUE(writer->Finish({}).ok());
  const Json aws_only = Json::parse(without.str());
  ASSERT_THAT(aws_only, SizeIs(1));
  EXPECT_EQ(aws_only[0]["AwsAccountId"], "111122223333");
  EXPECT_THAT(writer->notices(),
              ElementsAre(HasSubstr("1 finding(s) (0 FAIL) of Azure are not in the ASFF output"),
                          HasSubstr("1 finding(s) (1 FAIL) of Google Cloud are not in the ASFF "
                                    "output: ASFF holds findings of an AWS account; to import "
                                    "them into Security Hub anyway, give the importing account "
                                    "with --aws-account-id")));

  RenderOptions options = test::FixedOptions();
  options.aws_account_id = "444455556666";
  options.aws_region = "eu-west-1";
  const Json out = Json::parse(RenderAsff(findings, options));
  ASSERT_THAT(out, SizeIs(3));
  ExpectImportable(out);
  for (int i : {0, 1}) {
    const Json& f = out[i];
    EXPECT_EQ(f["AwsAccountId"], "444455556666");
    EXPECT_EQ(f["ProductArn"],
              "arn:aws:securityhub:eu-west-1:444455556666:product/444455556666/default");
    EXPECT_EQ(f["Resources"][0]["Type"], "Other");
    EXPECT_EQ(f["Resources"][0]["Partition"], "aws");
    EXPECT_EQ(f["Resources"][0]["Region"], "eu-west-1");
    EXPECT_EQ(f["Resources"][0]["Id"], findings[i].resource_id);
    EXPECT_EQ(f["Resources"][0]["Details"]["Other"]["Type"], findings[i].resource_type);
    EXPECT_EQ(f["Resources"][0]["Details"]["Other"]["CloudAccount"], findings[i].account);
    EXPECT_EQ(f["ProductFields"]["kmsguard/CloudAccount"], findings[i].account);
  }
  EXPECT_EQ(out[0]["Resources"][0]["Details"]["Other"]["Cloud"], "Google Cloud");
  // Not an AWS best practice: the type taxonomy's namespace alone.
  EXPECT_EQ(out[0]["Types"], Json({"Software and Configuration Checks"}));
  EXPECT_EQ(out[1]["FindingProviderFields"]["Types"], Json({"Software and Configuration Checks"}));
  EXPECT_EQ(out[2]["Types"],
            Json({"Software and Configuration Checks/AWS Security Best Practices"}));
  EXPECT_EQ(out[0]["ProductFields"]["kmsguard/Cloud"], "Google Cloud");
  EXPECT_EQ(out[1]["Resources"][0]["Details"]["Other"]["Cloud"], "Azure");
  EXPECT_EQ(out[1]["Resources"][0]["Details"]["Other"]["CloudLocation"], "westeurope");
  EXPECT_EQ(out[1]["Compliance"]["Status"], "PASSED");
  EXPECT_EQ(out[2]["AwsAccountId"], "111122223333");  // an AWS finding keeps its own account
  EXPECT_FALSE(out[2]["ProductFields"].contains("kmsguard/Cloud"));
}

TEST_F(AsffTest, TheValidatorCatchesMistakes) {
  Json bad = Json::parse(RenderAsff({Fail()}, test::FixedOptions()))[0];
  bad.erase("Title");                                  // required
  bad["AwsAccountId"] = "1111";                        // Length Constraints: 12
  bad["Severity"]["Label"] = "SEVERE";                 // enum
  bad["Compliance"]["Status"] = "FAIL";                // enum
  bad["Resources"][0]["Partition"] = "aws-mars";       // enum
  bad["Description"] = std::string(1025, 'd');         // Maximum length of 1024
  bad["Resources"][0]["Owner2"] = "x";                 // not a member
  bad["Remediation"]["Recommendation"]["Text"] = " ";  // NonEmptyString pattern
  EXPECT_THAT(validator_->Validate(bad, "AwsSecurityFinding"), SizeIs(8));
}

}  // namespace
}  // namespace kmsguard::render
