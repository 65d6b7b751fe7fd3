// A key repeated in one JSON object of a Config, Terraform or CloudFormation input: JSON does not
// say which value counts (one reader keeps the first, another the last), so neither is read. The
// member becomes U+FFFD text: a policy document that held it is an ERROR, a resource that was it is
// skipped with an error, and the rest of the input loads. Never the last value silently.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/adapters/adapter_support.h"
#include "sdk/adapters/cloudformation.h"
#include "sdk/adapters/config.h"
#include "sdk/adapters/terraform.h"
#include "tests/sdk/adapters/adapter_test_support.h"

namespace kmsguard::adapters {
namespace {

using test::Describe;
using test::Find;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;
using Json = nlohmann::json;

// Lines and columns below are counted by hand.
constexpr char kTemplate[] = R"({
  "Resources": {
    "Hidden": {
      "Type": "AWS::IAM::Role",
      "Properties": {
        "RoleName": "hidden",
        "Policies": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17",
          "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
                         "Action": "s3:GetObject"}]}}]
      }
    },
    "Twice": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "first"}},
    "Twice": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "second"}},
    "Clean": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "clean",
      "Policies": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}}]}}
  }
}
)";

TEST(RepeatedKeyTest, CloudFormationPolicyIsAnErrorAndResourceIsSkipped) {
  const AdapterResult result = ReadCloudFormationTemplate(kTemplate, "t.json");
  EXPECT_THAT(test::TypeNames(result),
              UnorderedElementsAre("AWS::IAM::Role/hidden", "AWS::IAM::Role/clean"));
  const std::string text = Describe(result.diagnostics);
  EXPECT_THAT(text, HasSubstr("t.json:9:26#/Resources/Hidden/Properties/Policies/0/PolicyDocument/"
                              "Statement/0/Action: error: the key \"Action\" comes twice in one "
                              "object: which value counts is undefined, so neither is read"));
  EXPECT_THAT(text,
              HasSubstr("t.json:13:5#/Resources/Twice: error: the key \"Twice\" comes twice"));
  EXPECT_THAT(text, HasSubstr("t.json:12:5#/Resources/Twice (Twice): error: expected a resource "
                              "object, got string; skipped"));
  EXPECT_THAT(text, HasSubstr("inline policy \"p\" of AWS::IAM::Role hidden lost content"));
  EXPECT_EQ(test::Errors(result.diagnostics), 4) << text;

  const std::vector<model::Finding> findings = test::EvaluateAll(result);
  EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kError),
              ElementsAre("Role/hidden"));
  EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kFail),
              ElementsAre("Role/clean"));
  EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kPass), IsEmpty());
}

constexpr char kYamlTemplate[] = R"(Resources:
  Hidden:
    Type: AWS::IAM::Role
    Properties:
      RoleName: hidden
      Policies:
        - PolicyName: p
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: kms:Decrypt
                Resource: "*"
                Action: s3:GetObject
  Clean:
    Type: AWS::IAM::Role
    Properties:
      RoleName: clean
      Policies:
        - PolicyName: p
          PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: kms:Decrypt, Resource: "*"}]}
)";

TEST(RepeatedKeyTest, CloudFormationYamlMappingRepeatingAKeyIsNotReadEither) {
  const AdapterResult result = ReadCloudFormationTemplate(kYamlTemplate, "t.yaml");
  EXPECT_THAT(test::TypeNames(result),
              UnorderedElementsAre("AWS::IAM::Role/hidden", "AWS::IAM::Role/clean"));
  EXPECT_THAT(
      Describe(result.diagnostics),
      HasSubstr("t.yaml:14:17#/Resources/Hidden/Properties/Policies/0/PolicyDocument/"
                "Statement/0/Action: error: the key \"Action\" comes twice in one mapping"));
  const std::vector<model::Finding> findings = test::EvaluateAll(result);
  EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kError),
              ElementsAre("Role/hidden"));
  EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kFail),
              ElementsAre("Role/clean"));
}

// The user trial's shape: a second, empty policy list after the one that grants every key.
constexpr char kConfigSnapshot[] = R"({"fileVersion": "1.0", "configurationItems": [
  {"resourceType": "AWS::IAM::Role", "resourceId": "ID-hidden", "resourceName": "hidden",
   "ARN": "arn:aws:iam::111122223333:role/hidden", "awsRegion": "global",
   "awsAccountId": "111122223333",
   "configuration": {"path": "/", "roleName": "hidden",
     "rolePolicyList": [{"policyName": "decrypt-all", "policyDocument": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22kms%3ADecrypt%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D"}],
     "rolePolicyList": []}},
  {"resourceType": "AWS::IAM::Role", "resourceId": "ID-clean", "resourceName": "clean",
   "ARN": "arn:aws:iam::111122223333:role/clean", "awsRegion": "global",
   "awsAccountId": "111122223333",
   "configuration": {"path": "/", "roleName": "clean",
     "rolePolicyList": [{"policyName": "decrypt-all", "policyDocument": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22kms%3ADecrypt%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D"}]}}
]}
)";

TEST(RepeatedKeyTest, ConfigSecondEmptyPolicyListDoesNotHideTheGrant) {
  const AdapterResult result = ReadConfigItems(kConfigSnapshot, "config.json");
  EXPECT_THAT(test::TypeNames(result),
              UnorderedElementsAre("AWS::IAM::Role/hidden", "AWS::IAM::Role/clean"));
  EXPECT_THAT(Describe(result.diagnostics),
              HasSubstr("config.json:7:6#/configurationItems/0/configuration/rolePolicyList: "
                        "error: the key \"rolePolicyList\" comes twice"));
  const std::vector<model::Finding> findings = test::EvaluateAll(result);
  EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kError),
              ElementsAre("Role/hidden"));
  EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kFail),
              ElementsAre("Role/clean"));
  EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kPass), IsEmpty());
}

TEST(RepeatedKeyTest, ConfigInvokingEventTextNamesThePointerInsideAndThePosition) {
  const Json event = {
      {"invokingEvent",
       R"({"configurationItem": {"resourceType": "AWS::IAM::Role", "resourceType": "AWS::IAM::User"}})"}};
  const AdapterResult result = ReadConfigItems(event.dump(), "event.json");
  EXPECT_THAT(result.resources, IsEmpty());
  ASSERT_GE(result.diagnostics.size(), 1u);
  EXPECT_EQ(result.diagnostics[0].location.json_pointer,
            "/invokingEvent/configurationItem/resourceType");
  EXPECT_THAT(result.diagnostics[0].message,
              HasSubstr("\"resourceType\" comes twice in one object (line 1, column 58 of the "
                        "JSON text in this string)"));
}

constexpr char kPlan[] =
    R"({"format_version": "1.2", "planned_values": {"root_module": {"resources": [
  {"address": "aws_iam_role.app", "mode": "managed", "type": "aws_iam_role", "name": "app",
   "values": {"name": "app", "path": "/", "inline_policy": [{"name": "inline",
     "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"kms:Decrypt\",\"Resource\":\"*\"}]}",
     "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[]}"}]}},
  {"address": "aws_iam_role.ok", "mode": "managed", "type": "aws_iam_role", "name": "ok",
   "values": {"name": "ok", "path": "/", "inline_policy": [{"name": "inline",
     "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"kms:Decrypt\",\"Resource\":\"*\"}]}"}]}}
]}}}
)";

TEST(RepeatedKeyTest, TerraformPolicyIsAnError) {
  const AdapterResult result = ReadTerraformPlan(kPlan, "plan.json");
  EXPECT_THAT(test::TypeNames(result),
              UnorderedElementsAre("AWS::IAM::Role/app", "AWS::IAM::Role/ok"));
  EXPECT_THAT(Describe(result.diagnostics),
              HasSubstr("plan.json:5:6#/planned_values/root_module/resources/0/values/"
                        "inline_policy/0/policy: error: the key \"policy\" comes twice"));
  const std::vector<model::Finding> findings = test::EvaluateAll(result);
  EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kError),
              ElementsAre("Role/app"));
  EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kFail),
              ElementsAre("Role/ok"));
}

TEST(RepeatedKeyTest, ParseJsonTextKeepsTheRestAndReportsEachKeyOnce) {
  Json out;
  core::Diagnostics diagnostics;
  bool lossy = false;
  ASSERT_TRUE(
      internal::ParseJsonText(R"({"a": 1, "b": {"x": 1, "x": 2, "x": [3], "y": 4}, "c": 5})",
                              {"f.json", ""}, &out, &diagnostics, &lossy));
  EXPECT_TRUE(lossy);
  ASSERT_EQ(diagnostics.size(), 1u) << Describe(diagnostics);
  EXPECT_EQ(diagnostics[0].location.ToString(), "f.json:1:24#/b/x");
  const Json expected = {
      {"a", 1}, {"b", {{"x", "\xEF\xBF\xBD(the key comes twice: not read)"}, {"y", 4}}}, {"c", 5}};
  EXPECT_EQ(out, expected);

  // Different objects may use the same key; that is no repeat.
  diagnostics.clear();
  lossy = false;
  ASSERT_TRUE(internal::ParseJsonText(R"([{"k": 1}, {"k": 2}, {"o": {"k": 3}, "k": 4}])",
                                      {"g.json", ""}, &out, &diagnostics, &lossy));
  EXPECT_FALSE(lossy);
  EXPECT_THAT(diagnostics, IsEmpty());
}

TEST(RepeatedKeyTest, ManyRepeatsAreReportedTenByTenAndThenCounted) {
  std::string text = "[";
  for (int i = 0; i < 25; ++i) text += std::string(i ? "," : "") + R"({"k": 1, "k": 2})";
  text += "]";
  Json out;
  core::Diagnostics diagnostics;
  bool lossy = false;
  ASSERT_TRUE(internal::ParseJsonText(text, {"m.json", ""}, &out, &diagnostics, &lossy));
  ASSERT_EQ(diagnostics.size(), 11u);
  EXPECT_EQ(diagnostics[9].location.json_pointer, "/9/k");
  EXPECT_THAT(diagnostics[10].message, HasSubstr("15 more keys come twice"));
  EXPECT_THAT(out[24].dump(), Not(HasSubstr("2")));
}

}  // namespace
}  // namespace kmsguard::adapters
