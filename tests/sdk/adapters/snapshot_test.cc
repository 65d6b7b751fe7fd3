#include "sdk/adapters/snapshot.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/adapters/gzip.h"
#include "tests/sdk/adapters/adapter_test_support.h"

namespace kmsguard::adapters {
namespace {

using test::Describe;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// gzip of {"UserDetailList": [{"UserName": "gz", "Arn": "arn:aws:iam::111122223333:user/gz"}]}.
constexpr unsigned char kGzipped[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xab, 0x56, 0x0a, 0x2d, 0x4e, 0x2d,
    0x72, 0x49, 0x2d, 0x49, 0xcc, 0xcc, 0xf1, 0xc9, 0x2c, 0x2e, 0x51, 0xb2, 0x52, 0x88, 0xae, 0x06,
    0x8b, 0xf9, 0x25, 0xe6, 0xa6, 0x02, 0x79, 0x4a, 0xe9, 0x55, 0x4a, 0x3a, 0x0a, 0x4a, 0x8e, 0x45,
    0x79, 0x20, 0x4e, 0x62, 0x51, 0x9e, 0x55, 0x62, 0x79, 0xb1, 0x55, 0x66, 0x62, 0xae, 0x95, 0x95,
    0x21, 0x10, 0x18, 0x01, 0x81, 0x31, 0x10, 0x58, 0x95, 0x02, 0xb5, 0xe8, 0x03, 0xd5, 0xd6, 0xc6,
    0xd6, 0x02, 0x00, 0xc6, 0x02, 0x17, 0x37, 0x54, 0x00, 0x00, 0x00};

std::string Gzipped() {
  return std::string(reinterpret_cast<const char*>(kGzipped), sizeof(kGzipped));
}

constexpr char kGaad[] = R"({"RoleDetailList": [{"RoleName": "r",
  "Arn": "arn:aws:iam::111122223333:role/r", "RolePolicyList": []}]})";
constexpr char kConfig[] = R"({"fileVersion": "1.0", "configurationItems": []})";
constexpr char kConfigItem[] = R"({"resourceType": "AWS::IAM::User", "configuration": {}})";
constexpr char kEvent[] = R"({"invokingEvent": "{}", "ruleParameters": "{}"})";
constexpr char kPlan[] = R"({"format_version": "1.1", "terraform_version": "1.5.0",
  "planned_values": {"root_module": {}}})";
constexpr char kState[] = R"({"format_version": "1.0", "values": {"root_module": {}}})";
constexpr char kTemplateJson[] = R"({"Resources": {"U": {"Type": "AWS::IAM::User"}}})";
constexpr char kTemplateYaml[] = "# a comment\nResources:\n  U:\n    Type: AWS::IAM::User\n";

TEST(DetectInputFormatTest, FromTheContent) {
  EXPECT_EQ(DetectInputFormat(kGaad), InputFormat::kAuthorizationDetails);
  EXPECT_EQ(DetectInputFormat(R"({"IsTruncated": false, "Policies": []})"),
            InputFormat::kAuthorizationDetails);
  EXPECT_EQ(DetectInputFormat(kConfig), InputFormat::kConfig);
  EXPECT_EQ(DetectInputFormat(kConfigItem), InputFormat::kConfig);
  EXPECT_EQ(DetectInputFormat(std::string("[") + kConfigItem + "]"), InputFormat::kConfig);
  EXPECT_EQ(DetectInputFormat(kEvent), InputFormat::kConfig);
  EXPECT_EQ(DetectInputFormat(kPlan), InputFormat::kTerraform);
  EXPECT_EQ(DetectInputFormat(kState), InputFormat::kTerraform);
  EXPECT_EQ(DetectInputFormat(kTemplateJson), InputFormat::kCloudFormation);
  EXPECT_EQ(DetectInputFormat(R"({"AWSTemplateFormatVersion": "2010-09-09"})"),
            InputFormat::kCloudFormation);
  EXPECT_EQ(DetectInputFormat(kTemplateYaml), InputFormat::kCloudFormation);
  EXPECT_EQ(DetectInputFormat("\xEF\xBB\xBF" + std::string(kGaad)),
            InputFormat::kAuthorizationDetails);
  EXPECT_EQ(DetectInputFormat(Gzipped()), InputFormat::kAuthorizationDetails);
  EXPECT_EQ(DetectInputFormat(R"({"Resources": {"B": {"Type": "Custom::Thing"}}})"),
            InputFormat::kCloudFormation);
  EXPECT_EQ(DetectInputFormat(R"({"Resources": {}, "Other": 1})"), InputFormat::kAuto);
  EXPECT_EQ(DetectInputFormat(R"({"users": []})"), InputFormat::kAuto);
  EXPECT_EQ(DetectInputFormat("[1, 2]"), InputFormat::kAuto);
  EXPECT_EQ(DetectInputFormat("plain: yaml\n"), InputFormat::kAuto);
  EXPECT_EQ(DetectInputFormat(""), InputFormat::kAuto);
}

TEST(InputFormatTest, NamesRoundTrip) {
  for (InputFormat f :
       {InputFormat::kAuto, InputFormat::kAuthorizationDetails, InputFormat::kConfig,
        InputFormat::kTerraform, InputFormat::kCloudFormation}) {
    InputFormat parsed = InputFormat::kAuto;
    ASSERT_TRUE(ParseInputFormat(InputFormatName(f), &parsed));
    EXPECT_EQ(parsed, f);
  }
  InputFormat parsed;
  EXPECT_FALSE(ParseInputFormat("xml", &parsed));
}

TEST(ReadSnapshotTest, DispatchesOnTheDetectedFormat) {
  EXPECT_THAT(test::TypeNames(ReadSnapshot(kGaad, "g.json")), ElementsAre("AWS::IAM::Role/r"));
  EXPECT_THAT(test::TypeNames(ReadSnapshot(kTemplateYaml, "t.yaml")),
              ElementsAre("AWS::IAM::User/U"));
  EXPECT_THAT(test::TypeNames(ReadSnapshot(kTemplateJson, "t.json")),
              ElementsAre("AWS::IAM::User/U"));
  const AdapterResult gz = ReadSnapshot(Gzipped(), "snapshot.json.gz");
  EXPECT_THAT(gz.diagnostics, IsEmpty()) << Describe(gz.diagnostics);
  EXPECT_THAT(test::TypeNames(gz), ElementsAre("AWS::IAM::User/gz"));
  // An explicit format wins over detection.
  const AdapterResult forced = ReadSnapshot(kGaad, "g.json", InputFormat::kTerraform);
  EXPECT_THAT(forced.resources, IsEmpty());
  EXPECT_THAT(Describe(forced.diagnostics), HasSubstr("not a Terraform plan"));
}

TEST(ReadSnapshotTest, UnknownFormatsAreDiagnosticsNotEmptyAccounts) {
  // JSON with none of the lists used to read as an empty account (0 resources, exit 0).
  AdapterResult result = ReadSnapshot(R"({"users": [], "roles": []})", "other.json");
  EXPECT_THAT(result.resources, IsEmpty());
  ASSERT_EQ(test::Errors(result.diagnostics), 1);
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("unknown snapshot format"));
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("roles, users"));
  EXPECT_EQ(result.diagnostics[0].location.file, "other.json");

  result = ReadSnapshot(R"({"users": []})", "other.json", InputFormat::kAuthorizationDetails);
  ASSERT_EQ(test::Errors(result.diagnostics), 1);
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("none of UserDetailList"));

  result = ReadSnapshot("plain: yaml\n", "x.yaml");
  ASSERT_EQ(test::Errors(result.diagnostics), 1);
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("not a CloudFormation template"));

  result = ReadSnapshot("  \n", "empty.json");
  ASSERT_EQ(test::Errors(result.diagnostics), 1);
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("empty"));

  result = ReadSnapshot("\x01\x02 binary: [", "bin");
  ASSERT_EQ(test::Errors(result.diagnostics), 1);
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("neither JSON nor YAML"));

  result = ReadSnapshot("[1, 2]", "list.json");
  EXPECT_THAT(Describe(result.diagnostics), HasSubstr("JSON list"));
}

TEST(ReadSnapshotTest, TruncatedAndCorruptInput) {
  // Truncated JSON: one error with line and column, nothing loaded.
  AdapterResult result = ReadSnapshot("{\n  \"RoleDetailList\": [\n    {\"RoleName\": ", "t.json");
  ASSERT_EQ(test::Errors(result.diagnostics), 1);
  EXPECT_EQ(result.diagnostics[0].location.line, 3);
  EXPECT_GT(result.diagnostics[0].location.column, 0);
  result = ReadSnapshot("{\n  \"planned_values\": {\"root_module\": ", "t.json");
  ASSERT_EQ(test::Errors(result.diagnostics), 1);
  EXPECT_EQ(result.diagnostics[0].location.line, 2);
  // Truncated gzip.
  result = ReadSnapshot(Gzipped().substr(0, 40), "t.json.gz");
  ASSERT_EQ(test::Errors(result.diagnostics), 1);
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("truncated"));
  // Corrupt gzip.
  std::string corrupt = Gzipped();
  corrupt[12] = '\xff';
  corrupt[13] = '\xff';
  result = ReadSnapshot(corrupt, "c.json.gz");
  ASSERT_EQ(test::Errors(result.diagnostics), 1);
}

// UTF-16 (PowerShell's `>` writes it) was "neither JSON nor YAML": the message names the encoding.
TEST(ReadSnapshotTest, Utf16IsNamedAsSuch) {
  for (const std::string& bom : {std::string("\xFF\xFE"), std::string("\xFE\xFF")}) {
    std::string text = bom;
    for (const char c : std::string(R"({"RoleDetailList": []})")) {
      text += bom[0] == '\xFF' ? std::string{c, '\0'} : std::string{'\0', c};
    }
    const AdapterResult result = ReadSnapshot(text, "ps.json");
    ASSERT_EQ(test::Errors(result.diagnostics), 1);
    EXPECT_THAT(result.diagnostics[0].message, HasSubstr("the file is UTF-16"));
  }
}

// What `kmsguard scan` reads goes through ReadSnapshot: a JSON template's resources must carry
// their line and column there too, not only through ReadCloudFormationTemplate (they were 0).
TEST(ReadSnapshotTest, JsonTemplatesKeepLinesAndColumns) {
  const std::string text = "{\n  \"Resources\": {\n    \"R\": {\n      \"Type\": \"AWS::IAM::Role\",\n"
                           "      \"Properties\": {\"RoleName\": \"r1\"}\n    }\n  }\n}\n";
  for (const InputFormat format : {InputFormat::kAuto, InputFormat::kCloudFormation}) {
    const AdapterResult result = ReadSnapshot(text, "t.json", format);
    ASSERT_THAT(result.resources, SizeIs(1)) << Describe(result.diagnostics);
    EXPECT_EQ(result.resources[0].source.json_pointer, "/Resources/R");
    EXPECT_EQ(result.resources[0].source.line, 3);
    EXPECT_EQ(result.resources[0].source.column, 5);
  }
}

TEST(GunzipTest, SizeLimitAndMultipleMembers) {
  EXPECT_TRUE(IsGzip(Gzipped()));
  EXPECT_FALSE(IsGzip("{}"));
  const absl::StatusOr<std::string> twice = Gunzip(Gzipped() + Gzipped());
  ASSERT_TRUE(twice.ok()) << twice.status();
  EXPECT_EQ(twice->size(), 2 * Gunzip(Gzipped())->size());
  const absl::StatusOr<std::string> small = Gunzip(Gzipped(), 10);
  EXPECT_EQ(small.status().code(), absl::StatusCode::kResourceExhausted);
}

// Invalid UTF-8 in one policy of an authorization-details export: reported with its position; that
// principal is an ERROR; the others are evaluated.
TEST(ReadSnapshotTest, InvalidUtf8CostsOnlyThePolicyThatHeldIt) {
  const std::string text = std::string(R"({"RoleDetailList": [
  {"RoleName": "bad", "Arn": "arn:aws:iam::111122223333:role/bad",
   "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17",
     "Statement": [{"Effect": "Allow", "Action": "s3:Get)") +
                           "\xff" + R"(", "Resource": "*"}]}}]},
  {"RoleName": "good", "Arn": "arn:aws:iam::111122223333:role/good",
   "RolePolicyList": [{"PolicyName": "q", "PolicyDocument": {"Version": "2012-10-17",
     "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}}]}]})";
  const AdapterResult result = ReadSnapshot(text, "utf8.json");
  ASSERT_THAT(result.resources, SizeIs(2));
  ASSERT_GE(result.diagnostics.size(), 2u) << Describe(result.diagnostics);
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("invalid UTF-8"));
  EXPECT_EQ(result.diagnostics[0].location.line, 4);
  EXPECT_EQ(result.diagnostics[0].location.column, 57);
  EXPECT_THAT(Describe(result.diagnostics), HasSubstr("inline policy \"p\" of AWS::IAM::Role bad"));
  const std::vector<model::Finding> findings = test::EvaluateAll(result);
  EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kError),
              ElementsAre("Role/bad"));
  EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kFail),
              ElementsAre("Role/good"));
}

TEST(ReadSnapshotTest, NestingDeeperThanTheLimitCostsOnlyThatPrincipal) {
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "[";
  for (int i = 0; i < 5000; ++i) deep += "]";
  const std::string text = R"({"UserDetailList": [
  {"UserName": "deep", "Arn": "arn:aws:iam::111122223333:user/deep",
   "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": {"Statement": [{"Effect": "Allow",
     "Action": "s3:*", "Resource": )" +
                           deep + R"(}]}}]},
  {"UserName": "fine", "Arn": "arn:aws:iam::111122223333:user/fine"}]})";
  for (InputFormat format : {InputFormat::kAuto, InputFormat::kAuthorizationDetails}) {
    const AdapterResult result = ReadSnapshot(text, "deep.json", format);
    ASSERT_THAT(result.resources, SizeIs(2));
    ASSERT_THAT(result.diagnostics, SizeIs(2)) << Describe(result.diagnostics);
    EXPECT_THAT(result.diagnostics[0].message, HasSubstr("deeper than 128"));
    EXPECT_EQ(result.diagnostics[0].location.line, 4);
    const std::vector<model::Finding> findings = test::EvaluateAll(result);
    EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kError),
                ElementsAre("User/deep"));
    EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kPass),
                ElementsAre("User/fine"));
  }
  // The same in a Terraform plan and in Config items.
  const std::string config = R"({"configurationItems": [{"resourceType": "AWS::IAM::User",
    "ARN": "arn:aws:iam::111122223333:user/deep", "configuration": {"userName": "deep",
    "userPolicyList": [{"policyName": "p", "policyDocument": )" +
                             deep + R"(}]}}]})";
  const AdapterResult from_config = ReadSnapshot(config, "deep-config.json");
  ASSERT_THAT(from_config.resources, SizeIs(1)) << Describe(from_config.diagnostics);
  EXPECT_THAT(
      test::WithStatus(test::EvaluateAll(from_config), test::kInlineRule, model::Status::kError),
      ElementsAre("User/deep"));
}

}  // namespace
}  // namespace kmsguard::adapters
