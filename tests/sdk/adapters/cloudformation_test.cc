#include "sdk/adapters/cloudformation.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/sdk/adapters/adapter_test_support.h"

namespace kmsguard::adapters {
namespace {

using test::Describe;
using test::Find;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;
using Json = nlohmann::json;

constexpr char kTemplate[] = R"(AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  KeyArn:
    Type: String
  ExternalUser:
    Type: String
Mappings:
  Scope:
    prod:
      Resource: "*"
Resources:
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app-role
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: ec2.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: account-scoped
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: kms:Decrypt
                Resource: !Sub "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"
        - PolicyName: every-key
          PolicyDocument:
            Version: 2012-10-17
            Statement:
              - Effect: Allow
                Action: [kms:Decrypt]
                Resource: !Join [":", [arn, !Ref AWS::Partition, kms, "*", "*", "key/*"]]
  Builder:
    Type: AWS::IAM::User
  Ops:
    Type: AWS::IAM::Group
    Properties:
      GroupName: ops
  OnBuilder:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: builder-keys
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: kms:Decrypt
            Resource: !Ref KeyArn
      Users: [!Ref Builder, !Ref ExternalUser]
      Groups: [ops]
  OpsStar:
    Type: AWS::IAM::GroupPolicy
    Properties:
      GroupName: !Ref Ops
      PolicyName: ops-star
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: "kms:*"
            Resource: !FindInMap [Scope, prod, Resource]
  Managed:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Roles: [!Ref AppRole]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: kms:Decrypt
            Resource: !GetAtt Key.Arn
)";

TEST(ReadCloudFormationTest, YamlTemplateWithShortFormTags) {
  const AdapterResult result = ReadCloudFormationTemplate(kTemplate, "stack.yaml");
  EXPECT_THAT(test::TypeNames(result),
              UnorderedElementsAre("AWS::IAM::Role/app-role", "AWS::IAM::User/Builder",
                                   "AWS::IAM::Group/ops", "AWS::IAM::Policy/Managed",
                                   "AWS::IAM::User/<unknown: ${ExternalUser}>"));
  // Warnings only: the user named by a parameter, and each parameter used without a value
  // (at its declaration).
  ASSERT_THAT(result.diagnostics, SizeIs(3)) << Describe(result.diagnostics);
  EXPECT_EQ(test::Errors(result.diagnostics), 0);
  EXPECT_EQ(result.diagnostics[0].location.line, 53);  // the "Users" element
  EXPECT_THAT(Describe(result.diagnostics),
              HasSubstr("stack.yaml:3:3#/Parameters/KeyArn: warning: parameter KeyArn has no "
                        "Default and no --parameter value"));
  EXPECT_THAT(Describe(result.diagnostics), HasSubstr("stack.yaml:5:3#/Parameters/ExternalUser"));

  const model::Resource* role = Find(result, "app-role");
  ASSERT_NE(role, nullptr);
  EXPECT_EQ(role->id, "cloudformation:AppRole");
  EXPECT_EQ(role->source.resource_id, "AppRole");
  EXPECT_EQ(role->source.line, 12);
  EXPECT_EQ(role->source.json_pointer, "/Resources/AppRole");
  const Json& policies = role->document["inline_policies"];
  ASSERT_THAT(policies, SizeIs(2));
  // Sub: AWS::Partition is "aws"; region and account stay specific variables.
  EXPECT_EQ(policies[0]["document"]["Statement"][0]["Resource"],
            "arn:aws:kms:${AWS::Region}:${AWS::AccountId}:key/*");
  EXPECT_EQ(policies[1]["document"]["Statement"][0]["Resource"], "arn:aws:kms:*:*:key/*");
  EXPECT_EQ(policies[1]["document"]["Version"], "2012-10-17") << "a plain scalar stays text";
  EXPECT_EQ(role->document["attached_managed_policies"],
            Json::parse(R"([{"name": "Managed", "arn": ""}])"));
  EXPECT_EQ(role->document["trust_policy"]["Statement"][0]["Principal"]["Service"],
            "ec2.amazonaws.com");

  const model::Resource* builder = Find(result, "Builder");
  ASSERT_NE(builder, nullptr);
  EXPECT_EQ(builder->document["inline_policies"][0]["document"]["Statement"][0]["Resource"],
            "${KeyArn}");
  const model::Resource* ops = Find(result, "ops");
  ASSERT_NE(ops, nullptr);
  EXPECT_THAT(test::InlinePolicyNames(*ops), ElementsAre("builder-keys", "ops-star"));
  const model::Resource* managed = Find(result, "Managed");
  ASSERT_NE(managed, nullptr);
  EXPECT_EQ(managed->document["document"]["Statement"][0]["Resource"], "${Key.Arn}");
  EXPECT_EQ(managed->document["attachment_count"], 1);

  const std::vector<model::Finding> findings = test::EvaluateAll(result);
  EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kFail),
              UnorderedElementsAre("Role/app-role", "Group/ops"));
  EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kError), IsEmpty());
  for (const model::Finding& f : findings) {
    if (f.rule_id != test::kInlineRule || f.resource_name != "app-role") continue;
    ASSERT_THAT(f.evidence, SizeIs(1)) << "the account-scoped policy is not every key";
    EXPECT_EQ(f.evidence[0].policy_name, "every-key");
  }
  // A key of the template (GetAtt) is one specific key.
  EXPECT_THAT(test::WithStatus(findings, test::kManagedRule, model::Status::kPass),
              ElementsAre("Policy/Managed"));
}

constexpr char kJsonTemplate[] = R"({
  "Parameters": {"Env": {"Type": "String"}},
  "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
  "Resources": {
    "Worker": {
      "Type": "AWS::IAM::Role",
      "Properties": {
        "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow",
          "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "Policies": [
          {"Fn::If": ["IsProd",
            {"PolicyName": "prod-only", "PolicyDocument": {"Statement": []}},
            {"Ref": "AWS::NoValue"}]},
          {"PolicyName": "same-both-ways", "PolicyDocument": {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt",
              "Resource": {"Fn::If": ["IsProd", "*", "*"]}}]}},
          {"PolicyName": "select", "PolicyDocument": {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt",
              "Resource": {"Fn::Select": [1, {"Fn::Split": [",", "a,arn:aws:kms:*:*:key/*"]}]},
              "Sid": {"Ref": "AWS::NoValue"}}]}}
        ]
      }
    },
    "Inline": {
      "Type": "AWS::IAM::RolePolicy",
      "Properties": {"RoleName": {"Ref": "Worker"}, "PolicyName": "as-text",
                     "PolicyDocument": "{\"Statement\": []}"}
    },
    "NoType": {"Properties": {}},
    "NotAnObject": [1],
    "Orphan": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyName": "x",
               "PolicyDocument": {"Statement": []}}}
  }
})";

TEST(ReadCloudFormationTest, JsonTemplateIntrinsicsAndBadEntries) {
  const AdapterResult result = ReadCloudFormationTemplate(kJsonTemplate, "stack.json");
  ASSERT_THAT(test::TypeNames(result), ElementsAre("AWS::IAM::Role/Worker"));
  const model::Resource& worker = result.resources[0];
  EXPECT_THAT(test::InlinePolicyNames(worker),
              ElementsAre("prod-only (if IsProd)", "same-both-ways", "select", "as-text"));
  const Json& policies = worker.document["inline_policies"];
  // !If in place of a policy: the policy as the deployments where IsProd holds have it (the
  // other branch, AWS::NoValue, has no policy).
  EXPECT_EQ(policies[0]["document"], Json::parse(R"({"Statement": []})"));
  EXPECT_EQ(policies[1]["document"]["Statement"][0]["Resource"], "*");
  EXPECT_EQ(policies[2]["document"]["Statement"][0]["Resource"], "arn:aws:kms:*:*:key/*");
  EXPECT_FALSE(policies[2]["document"]["Statement"][0].contains("Sid"))
      << "AWS::NoValue removes the member";
  EXPECT_EQ(policies[3]["document"], "{\"Statement\": []}");
  EXPECT_EQ(worker.source.json_pointer, "/Resources/Worker");
  EXPECT_EQ(worker.source.line, 5);  // the "Worker" key
  EXPECT_EQ(worker.source.column, 5);

  const std::string text = Describe(result.diagnostics);
  EXPECT_THAT(text, HasSubstr("stack.json:29:5#/Resources/NoType (NoType): error"));
  EXPECT_THAT(text, HasSubstr("stack.json:30:5#/Resources/NotAnObject (NotAnObject): error"));
  EXPECT_THAT(text, HasSubstr("stack.json:31:5#/Resources/Orphan (Orphan): warning: "
                              "AWS::IAM::Policy with no Users"));
  const std::vector<model::Finding> findings = test::EvaluateAll(result);
  EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kFail),
              ElementsAre("Role/Worker"));
}

// Lines and columns counted by hand: resource keys, Policies elements on one line and over several,
// a key after a number (which nlohmann's lexer reads one character past) and a key with an escape.
constexpr char kJsonPositions[] = R"({
  "Resources": {
    "AppRole": {
      "Type": "AWS::IAM::Role",
      "Properties": {
        "RoleName": "app",
        "Policies": [
          {"PolicyName": "first", "PolicyDocument": {"Statement": []}},
          {
            "PolicyName": "second",
            "PolicyDocument": {"Statement": []}
          }
        ]
      }
    },
    "Keys": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"Roles": [{"Ref": "AppRole"}],
      "PolicyDocument": {"Statement": []}}},
    "Extra": {"Type": "AWS::IAM::RolePolicy", "Properties": {"RoleName": {"Ref": "AppRole"},
      "PolicyName": "extra", "PolicyDocument": {"Statement": []}}},
    "Number": 7, "Odd\"User": {"Type": "AWS::IAM::User", "Properties": {"UserName": "odd"}}
  }
}
)";

TEST(ReadCloudFormationTest, JsonTemplateResourcesAndPoliciesHaveLineAndColumn) {
  const AdapterResult result = ReadCloudFormationTemplate(kJsonPositions, "t.json");
  EXPECT_THAT(
      test::TypeNames(result),
      UnorderedElementsAre("AWS::IAM::Role/app", "AWS::IAM::Policy/Keys", "AWS::IAM::User/odd"));
  const model::Resource* role = Find(result, "app");
  ASSERT_NE(role, nullptr);
  EXPECT_EQ(role->source.ToString(), "t.json:3:5#/Resources/AppRole (AppRole)");
  const Json& policies = role->document["inline_policies"];
  ASSERT_THAT(policies, SizeIs(3)) << policies.dump();
  EXPECT_EQ(policies[0]["source"],
            "t.json:8:11#/Resources/AppRole/Properties/Policies/0 (AppRole)");
  EXPECT_EQ(policies[1]["source"],
            "t.json:9:11#/Resources/AppRole/Properties/Policies/1 (AppRole)");
  EXPECT_EQ(policies[2]["name"], "extra");
  EXPECT_EQ(policies[2]["source"], "t.json:18:5#/Resources/Extra (Extra)");

  const model::Resource* keys = Find(result, "Keys");
  ASSERT_NE(keys, nullptr);
  EXPECT_EQ(keys->source.line, 16);
  EXPECT_EQ(keys->source.column, 5);
  const model::Resource* odd = Find(result, "odd");
  ASSERT_NE(odd, nullptr);
  EXPECT_EQ(odd->source.json_pointer, "/Resources/Odd\"User");
  EXPECT_EQ(odd->source.line, 20);
  EXPECT_EQ(odd->source.column, 18);

  ASSERT_THAT(result.diagnostics, SizeIs(1)) << Describe(result.diagnostics);
  EXPECT_EQ(result.diagnostics[0].ToString(),
            "t.json:20:5#/Resources/Number (Number): error: expected a resource object, got "
            "number; skipped [snapshot_error]");
}

TEST(ReadCloudFormationTest, JsonTemplatePositionsAfterInvalidUtf8) {
  // Lines stay right; on the line of the bad byte, U+FFFD's three bytes count for its one.
  const AdapterResult result = ReadCloudFormationTemplate(
      "{\"Resources\": {\n  \"A\": {\"Type\": \"AWS::IAM::User\", \"Metadata\": \"\xFF\"}, "
      "\"B\": {\"Type\": \"AWS::IAM::User\"},\n  \"C\": {\"Type\": \"AWS::IAM::User\"}}}",
      "u.json");
  const model::Resource* b = Find(result, "B");
  const model::Resource* c = Find(result, "C");
  ASSERT_NE(b, nullptr);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(b->source.line, 2);
  EXPECT_EQ(b->source.column, 53 + 2);
  EXPECT_EQ(c->source.line, 3);
  EXPECT_EQ(c->source.column, 3);
  EXPECT_THAT(Describe(result.diagnostics), HasSubstr("u.json:2:48: error: invalid UTF-8"));
}

TEST(ReadCloudFormationTest, BadYamlIsReportedWithItsPosition) {
  AdapterResult result = ReadCloudFormationTemplate("Resources:\n  A: [1, 2\n  B: 3\n", "t.yaml");
  ASSERT_THAT(result.diagnostics, SizeIs(1));
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("not valid YAML"));
  EXPECT_EQ(result.diagnostics[0].location.file, "t.yaml");
  EXPECT_GT(result.diagnostics[0].location.line, 1);

  result =
      ReadCloudFormationTemplate("Resources:\n  A:\n    Type: \"AWS::IAM::\xC3(\"\n", "u.yaml");
  ASSERT_THAT(result.diagnostics, SizeIs(1));
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("UTF-8"));
  EXPECT_EQ(result.diagnostics[0].location.line, 3);
  EXPECT_EQ(result.diagnostics[0].location.column, 22);

  result = ReadCloudFormationTemplate("Resources: [1]\n", "l.yaml");
  EXPECT_EQ(test::Errors(result.diagnostics), 1);
  result = ReadCloudFormationTemplate("{\"AWSTemplateFormatVersion\": \"2010-09-09\"}", "n.json");
  EXPECT_THAT(Describe(result.diagnostics), HasSubstr("no \"Resources\""));
}

TEST(ReadCloudFormationTest, NestingDeeperThanTheLimitMakesOnlyThatPolicyAnError) {
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "[";
  for (int i = 0; i < 200; ++i) deep += "]";
  const std::string yaml = R"(Resources:
  Deep:
    Type: AWS::IAM::User
    Properties:
      Policies:
        - PolicyName: deep
          PolicyDocument: {Statement: [{Effect: Allow, Action: "s3:*", Resource: )" +
                           deep + R"(}]}
  Fine:
    Type: AWS::IAM::User
    Properties:
      Policies:
        - PolicyName: star
          PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "kms:*", Resource: "*"}]}
)";
  const AdapterResult result = ReadCloudFormationTemplate(yaml, "deep.yaml");
  EXPECT_THAT(test::TypeNames(result),
              UnorderedElementsAre("AWS::IAM::User/Deep", "AWS::IAM::User/Fine"));
  EXPECT_EQ(test::Errors(result.diagnostics), 2) << Describe(result.diagnostics);
  EXPECT_THAT(Describe(result.diagnostics), HasSubstr("deep.yaml:7:"));
  const std::vector<model::Finding> findings = test::EvaluateAll(result);
  EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kError),
              ElementsAre("User/Deep"));
  EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kFail),
              ElementsAre("User/Fine"));
}

TEST(CloudFormationYamlToJsonTest, ScalarsAndTags) {
  Json out;
  TemplatePositions positions;
  core::Diagnostics diagnostics;
  ASSERT_TRUE(CloudFormationYamlToJson(R"(a: 12
b: "12"
c: 0123
d: true
e: ~
f: 1.5
g: !GetAtt Res.Attr.Sub
h: !Sub ["x-${Y}", {Y: !Ref P}]
i: !ImportValue shared-key
j: 2012-10-17
)",
                                       "x.yaml", &out, &positions, &diagnostics));
  EXPECT_THAT(diagnostics, IsEmpty());
  EXPECT_EQ(out["a"], 12);
  EXPECT_EQ(out["b"], "12");
  EXPECT_EQ(out["c"], "0123");
  EXPECT_EQ(out["d"], true);
  EXPECT_TRUE(out["e"].is_null());
  EXPECT_EQ(out["f"], 1.5);
  EXPECT_EQ(out["g"], Json::parse(R"({"Fn::GetAtt": ["Res", "Attr.Sub"]})"));
  EXPECT_EQ(out["h"], Json::parse(R"({"Fn::Sub": ["x-${Y}", {"Y": {"Ref": "P"}}]})"));
  EXPECT_EQ(out["i"], Json::parse(R"({"Fn::ImportValue": "shared-key"})"));
  EXPECT_EQ(out["j"], "2012-10-17");
  EXPECT_EQ(positions.at("/g"), std::make_pair(7, 1));
}

}  // namespace
}  // namespace kmsguard::adapters
