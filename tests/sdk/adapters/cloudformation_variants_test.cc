// CloudFormation values decided at deployment: Fn::If (each branch is judged) and Parameters
// (defaults and --parameter values resolve; what stays unknown is reported, never guessed).
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/adapters/cloudformation.h"
#include "sdk/adapters/snapshot.h"
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

constexpr char kKey[] = "arn:aws:kms:us-east-1:111122223333:key/1234abcd";

// A template with one role `r` whose one inline policy `grants` holds `statements` (YAML lines
// at the indentation of a Statement list), with `parameters` (YAML lines under Parameters).
std::string RoleTemplate(const std::string& statements, const std::string& parameters = "") {
  return "AWSTemplateFormatVersion: \"2010-09-09\"\n"
         "Parameters:\n"
         "  Env: {Type: String}\n" +
         parameters +
         "Conditions:\n"
         "  IsProd: !Equals [!Ref Env, prod]\n"
         "  UseKms: !Equals [!Ref Env, kms]\n"
         "Resources:\n"
         "  R:\n"
         "    Type: AWS::IAM::Role\n"
         "    Properties:\n"
         "      RoleName: r\n"
         "      Policies:\n"
         "        - PolicyName: grants\n"
         "          PolicyDocument:\n"
         "            Version: \"2012-10-17\"\n"
         "            Statement:\n" +
         statements;
}

// The status the every-key rule (KMS.2) gives the principal `name`.
model::Status InlineStatus(const AdapterResult& result, const std::string& name) {
  for (const model::Finding& f : test::EvaluateAll(result)) {
    if (f.rule_id == test::kInlineRule && f.resource_name == name) return f.status;
  }
  ADD_FAILURE() << "no finding of " << test::kInlineRule << " for " << name;
  return model::Status::kPass;
}

// "FAIL", "PASS", ... of the every-key rule's finding for `name`, for readable table failures.
std::string InlineVerdict(const AdapterResult& result, const std::string& name) {
  return std::string(model::StatusName(InlineStatus(result, name)));
}

struct Case {
  const char* name;
  std::string statements;
  const char* expected;  // the every-key rule's status for role r
};

// Every branch of an Fn::If is literal and some deployment takes it, so a grant in any branch
// FAILs; a deployment takes one branch of each condition, so branches of one condition are never
// mixed (the correlated case passes: no deployment grants kms:Decrypt on every key).
TEST(CloudFormationFnIfTest, EachBranchIsJudgedAndAnyGrantFails) {
  const std::string key = kKey;
  const std::vector<Case> cases = {
      {"Resource, the grant in the first branch",
       "              - {Effect: Allow, Action: kms:Decrypt, Resource: !If [IsProd, \"*\", " + key +
           "]}\n",
       "FAIL"},
      {"Resource, the grant in the second branch",
       "              - {Effect: Allow, Action: kms:Decrypt, Resource: !If [IsProd, " + key +
           ", \"*\"]}\n",
       "FAIL"},
      {"Action, the grant in the first branch",
       "              - {Effect: Allow, Action: !If [IsProd, kms:Decrypt, s3:GetObject], "
       "Resource: \"*\"}\n",
       "FAIL"},
      {"Action, the grant in the second branch",
       "              - {Effect: Allow, Action: !If [IsProd, s3:GetObject, \"kms:*\"], "
       "Resource: \"*\"}\n",
       "FAIL"},
      {"long form Fn::If in a list element",
       "              - {Effect: Allow, Action: [kms:Decrypt], Resource: [{\"Fn::If\": [UseKms, "
       "\"*\", {Ref: AWS::NoValue}]}]}\n",
       "FAIL"},
      {"Fn::If inside a Sub variable map",
       "              - {Effect: Allow, Action: kms:Decrypt, Resource: !Sub [\"arn:aws:kms:${R}:"
       "*:key/*\", {R: !If [IsProd, \"*\", us-east-1]}]}\n",
       "FAIL"},
      {"a whole statement",
       "              - !If [IsProd, {Effect: Allow, Action: kms:Decrypt, Resource: \"*\"}, "
       "!Ref AWS::NoValue]\n",
       "FAIL"},
      {"a Deny that cancels in one branch only",
       "              - {Effect: Allow, Action: kms:Decrypt, Resource: \"*\"}\n"
       "              - {Effect: Deny, Action: \"kms:*\", Resource: !If [IsProd, \"*\", " +
           key + "]}\n",
       "FAIL"},
      {"a Deny that cancels in both branches",
       "              - {Effect: Allow, Action: kms:Decrypt, Resource: \"*\"}\n"
       "              - {Effect: Deny, Action: !If [IsProd, \"kms:*\", kms:Decrypt], "
       "Resource: \"*\"}\n",
       "PASS"},
      {"one condition in Action and Resource: never kms:Decrypt on every key",
       "              - {Effect: Allow, Action: !If [IsProd, kms:Decrypt, s3:GetObject], "
       "Resource: !If [IsProd, " +
           key + ", \"*\"]}\n",
       "PASS"},
      {"two conditions in Action and Resource: one combination grants",
       "              - {Effect: Allow, Action: !If [IsProd, kms:Decrypt, s3:GetObject], "
       "Resource: !If [UseKms, " +
           key + ", \"*\"]}\n",
       "FAIL"},
      {"both branches one key",
       "              - {Effect: Allow, Action: kms:Decrypt, Resource: !If [IsProd, " + key +
           ", \"arn:aws:kms:eu-west-1:111122223333:key/other\"]}\n",
       "PASS"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const AdapterResult result = ReadCloudFormationTemplate(RoleTemplate(c.statements), "t.yaml");
    EXPECT_EQ(test::Errors(result.diagnostics), 0) << Describe(result.diagnostics);
    EXPECT_EQ(InlineVerdict(result, "r"), c.expected);
  }
}

TEST(CloudFormationFnIfTest, EachVariantIsAPolicyNamedByItsConditions) {
  const AdapterResult result = ReadCloudFormationTemplate(
      RoleTemplate("              - {Effect: Allow, Action: kms:Decrypt, Resource: !If [IsProd, "
                   "\"*\", !If [UseKms, \"arn:aws:kms:*:*:key/a*\", \"arn:aws:kms:*:*:key/b*\"]]}\n"
                   "              - {Effect: Allow, Action: s3:GetObject, Resource: !If [IsProd, "
                   "\"*\", \"*\"]}\n"),
      "t.yaml");
  const model::Resource* role = Find(result, "r");
  ASSERT_NE(role, nullptr);
  // UseKms is named only where the resolution consulted it; equal branches make no variant.
  EXPECT_THAT(test::InlinePolicyNames(*role),
              ElementsAre("grants (if IsProd)", "grants (if not IsProd, UseKms)",
                          "grants (if not IsProd, not UseKms)"));
  const Json& policies = role->document["inline_policies"];
  EXPECT_EQ(policies[0]["document"]["Statement"][0]["Resource"], "*");
  EXPECT_EQ(policies[1]["document"]["Statement"][0]["Resource"], "arn:aws:kms:*:*:key/a*");
  EXPECT_EQ(policies[2]["document"]["Statement"][1]["Resource"], "*");
  for (const model::Finding& f : test::EvaluateAll(result)) {
    if (f.rule_id != test::kInlineRule) continue;
    EXPECT_EQ(f.status, model::Status::kFail);
    EXPECT_THAT(f.message, HasSubstr("grants (if IsProd)"));
  }
}

TEST(CloudFormationFnIfTest, PolicyResourcesAndManagedPoliciesAreJudgedPerVariant) {
  const AdapterResult result = ReadCloudFormationTemplate(R"(Conditions:
  IsProd: !Equals [a, b]
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: role
      Policies:
        - !If
          - IsProd
          - PolicyName: prod-only
            PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: kms:Decrypt, Resource: "*"}]}
          - !Ref AWS::NoValue
  Attached:
    Type: AWS::IAM::RolePolicy
    Properties:
      RoleName: !Ref Role
      PolicyName: attached
      PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: !If [IsProd, s3:GetObject, kms:Decrypt], Resource: "*"}]}
  Managed:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      ManagedPolicyName: shared
      Roles: [!Ref Role]
      PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: kms:Decrypt, Resource: !If [IsProd, "*", "arn:aws:kms:us-east-1:111122223333:key/k"]}]}
)",
                                                          "t.yaml");
  EXPECT_EQ(test::Errors(result.diagnostics), 0) << Describe(result.diagnostics);
  const model::Resource* role = Find(result, "role");
  ASSERT_NE(role, nullptr);
  EXPECT_THAT(
      test::InlinePolicyNames(*role),
      ElementsAre("prod-only (if IsProd)", "attached (if IsProd)", "attached (if not IsProd)"));
  EXPECT_THAT(test::TypeNames(result),
              UnorderedElementsAre("AWS::IAM::Role/role", "AWS::IAM::Policy/shared (if IsProd)",
                                   "AWS::IAM::Policy/shared (if not IsProd)"));
  const model::Resource* prod = Find(result, "shared (if IsProd)");
  ASSERT_NE(prod, nullptr);
  EXPECT_EQ(prod->id, "cloudformation:Managed (if IsProd)");
  EXPECT_EQ(prod->document["attachment_count"], 1);
  EXPECT_EQ(role->document["attached_managed_policies"][0]["name"], "shared");
  const std::vector<model::Finding> findings = test::EvaluateAll(result);
  EXPECT_THAT(test::WithStatus(findings, test::kManagedRule, model::Status::kFail),
              ElementsAre("Policy/shared (if IsProd)"));
  EXPECT_THAT(test::WithStatus(findings, test::kManagedRule, model::Status::kPass),
              ElementsAre("Policy/shared (if not IsProd)"));
  EXPECT_THAT(test::WithStatus(findings, test::kInlineRule, model::Status::kFail),
              ElementsAre("Role/role"));
}

TEST(CloudFormationFnIfTest, TooManyConditionsInOnePolicyIsAnErrorNeverAPass) {
  std::string resource = "kms:Decrypt";
  std::string conditions;
  for (int i = 0; i < 7; ++i) {
    conditions += "  C" + std::to_string(i) + ": !Equals [a, b]\n";
    resource = "!If [C" + std::to_string(i) + ", s3:GetObject, " + resource + "]";
  }
  const std::string text =
      "Conditions:\n" + conditions +
      "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      Policies:\n"
      "        - PolicyName: many\n          PolicyDocument: {Version: \"2012-10-17\", "
      "Statement: [{Effect: Allow, Action: " +
      resource + ", Resource: \"*\"}]}\n";
  const AdapterResult result = ReadCloudFormationTemplate(text, "t.yaml");
  EXPECT_EQ(test::Errors(result.diagnostics), 1) << Describe(result.diagnostics);
  EXPECT_THAT(Describe(result.diagnostics),
              HasSubstr("t.yaml:14:11#/Resources/R/Properties/Policies/0 (R): error: this policy "
                        "is not evaluated: its Fn::If functions name more than 6 conditions"));
  EXPECT_EQ(InlineStatus(result, "R"), model::Status::kError);
}

// Parameters: the --parameter value, else the Default, in Ref, Sub and Join (and what uses them:
// FindInMap keys, Select); without either, a variable (one specific unknown value), reported.
TEST(CloudFormationParametersTest, DefaultsAndGivenValuesResolveInRefSubAndJoin) {
  struct ParameterCase {
    const char* name;
    std::string parameters;  // lines under Parameters
    std::string resource;    // the Resource of an Allow of kms:Decrypt
    CloudFormationParameters given;
    const char* expected;
  };
  const std::vector<ParameterCase> cases = {
      {"Sub with a Default of *",
       "  KeyOwnerAccount: {Type: String, Default: \"*\"}\n",
       "!Sub \"arn:aws:kms:*:${KeyOwnerAccount}:key/*\"",
       {},
       "FAIL"},
      {"Sub with a Default of one account",
       "  KeyOwnerAccount: {Type: String, Default: \"111122223333\"}\n",
       "!Sub \"arn:aws:kms:*:${KeyOwnerAccount}:key/*\"",
       {},
       "PASS"},
      {"Sub: --parameter * over a Default of one account",
       "  KeyOwnerAccount: {Type: String, Default: \"111122223333\"}\n",
       "!Sub \"arn:aws:kms:*:${KeyOwnerAccount}:key/*\"",
       {{"KeyOwnerAccount", "*"}},
       "FAIL"},
      {"Sub: --parameter one account over a Default of *",
       "  KeyOwnerAccount: {Type: String, Default: \"*\"}\n",
       "!Sub \"arn:aws:kms:*:${KeyOwnerAccount}:key/*\"",
       {{"KeyOwnerAccount", "444455556666"}},
       "PASS"},
      {"Ref with a Default of *",
       "  KeyArn: {Type: String, Default: \"*\"}\n",
       "!Ref KeyArn",
       {},
       "FAIL"},
      {"Join with a Ref",
       "  Region: {Type: String, Default: \"*\"}\n",
       "!Join [\":\", [arn, aws, kms, !Ref Region, \"*\", \"key/*\"]]",
       {},
       "FAIL"},
      {"a CommaDelimitedList Default",
       "  Keys: {Type: CommaDelimitedList, Default: \"a,*\"}\n",
       "!Ref Keys",
       {},
       "FAIL"},
      {"a List given with --parameter",
       "  Keys: {Type: \"List<String>\"}\n",
       "!Ref Keys",
       {{"Keys", "arn:aws:kms:us-east-1:111122223333:key/k,*"}},
       "FAIL"},
      {"Select on a list Default",
       "  Keys: {Type: CommaDelimitedList, Default: \"arn:aws:kms:*:*:key/a,*\"}\n",
       "!Select [1, !Ref Keys]",
       {},
       "FAIL"},
      {"FindInMap keyed by a parameter",
       "  Scope: {Type: String, Default: wide}\n",
       "!FindInMap [Scopes, !Ref Scope, Resource]",
       {},
       "FAIL"},
      {"a Number Default is text",
       "  Account: {Type: Number, Default: 111122223333}\n",
       "!Sub \"arn:aws:kms:us-east-1:${Account}:key/*\"",
       {},
       "PASS"},
      // Without a value, one specific unknown account: every key of one account is not every
      // key, whatever the account.
      {"Sub without a Default",
       "  KeyOwnerAccount: {Type: String}\n",
       "!Sub \"arn:aws:kms:*:${KeyOwnerAccount}:key/*\"",
       {},
       "PASS"},
      // An SSM parameter's Default is the name of the Systems Manager parameter, not the value.
      {"an SSM parameter type",
       "  KeyArn: {Type: \"AWS::SSM::Parameter::Value<String>\", Default: \"*\"}\n",
       "!Ref KeyArn",
       {},
       "PASS"},
  };
  for (const ParameterCase& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string text =
        RoleTemplate(
            "              - {Effect: Allow, Action: kms:Decrypt, Resource: " + c.resource + "}\n",
            c.parameters) +
        "Mappings:\n  Scopes:\n    wide: {Resource: \"*\"}\n";
    const AdapterResult result = ReadCloudFormationTemplate(text, "t.yaml", c.given);
    EXPECT_EQ(test::Errors(result.diagnostics), 0) << Describe(result.diagnostics);
    EXPECT_EQ(InlineVerdict(result, "r"), c.expected);
  }
}

TEST(CloudFormationParametersTest, WhatStaysUnresolvedIsReportedWhereItIsDeclared) {
  const std::string text = RoleTemplate(
      "              - {Effect: Allow, Action: kms:Decrypt, Resource: !Sub "
      "\"arn:aws:kms:*:${KeyOwnerAccount}:key/*\"}\n"
      "              - {Effect: Allow, Action: kms:Decrypt, Resource: !Ref FromSsm}\n",
      "  KeyOwnerAccount:\n"
      "    Type: String\n"
      "  FromSsm: {Type: \"AWS::SSM::Parameter::Value<String>\", Default: /keys/arn}\n"
      "  Unused: {Type: String}\n");
  const AdapterResult result =
      ReadCloudFormationTemplate(text, "t.yaml", {{"Elsewhere", "x"}, {"Env", "prod"}});
  const std::string diagnostics = Describe(result.diagnostics);
  EXPECT_EQ(test::Errors(result.diagnostics), 0) << diagnostics;
  EXPECT_THAT(diagnostics,
              HasSubstr("t.yaml:4:3#/Parameters/KeyOwnerAccount: warning: parameter "
                        "KeyOwnerAccount has no Default and no --parameter value: where the "
                        "template uses it, it stays ${KeyOwnerAccount}, one specific value not "
                        "known before deployment"));
  EXPECT_THAT(diagnostics, HasSubstr("t.yaml:6:3#/Parameters/FromSsm: warning: parameter FromSsm "
                                     "has an SSM parameter type"));
  EXPECT_THAT(diagnostics, Not(HasSubstr("Unused")));
  EXPECT_THAT(diagnostics, HasSubstr("t.yaml:2:1#/Parameters: warning: --parameter Elsewhere: "
                                     "this template declares no parameter Elsewhere"));
  const model::Resource* role = Find(result, "r");
  ASSERT_NE(role, nullptr);
  EXPECT_EQ(role->document["inline_policies"][0]["document"]["Statement"][0]["Resource"],
            "arn:aws:kms:*:${KeyOwnerAccount}:key/*");
  // The strict tier sees every key of one (unknown) account.
  for (const model::Finding& f : test::EvaluateAll(result)) {
    if (f.rule_id == "aws-iam-kms-decrypt-broad-scope") {
      EXPECT_EQ(f.status, model::Status::kFail);
    }
  }
}

// An unknown value narrows a Resource (one specific resource is never every key), but an
// unknown Action may be exactly kms:Decrypt: an Allow with one, or a Deny whose NotAction holds
// one, cannot be judged, so the principal is an ERROR unless another grant FAILs; never a PASS.
// A Deny on an unknown resource or action cancels nothing.
TEST(CloudFormationParametersTest, AnUnknownValueNeverTurnsAGrantIntoAPass) {
  const std::string parameters = "  P: {Type: String}\n  L: {Type: CommaDelimitedList}\n";
  const std::vector<Case> cases = {
      {"Allow, Action a parameter without a value",
       "              - {Effect: Allow, Action: !Ref P, Resource: \"*\"}\n", "ERROR"},
      {"Allow, Action from a list without a value",
       "              - {Effect: Allow, Action: !Ref L, Resource: \"*\"}\n", "ERROR"},
      {"Allow, part of an Action",
       "              - {Effect: Allow, Action: !Sub \"kms:${P}\", Resource: \"*\"}\n", "ERROR"},
      {"Allow, Action an attribute",
       "              - {Effect: Allow, Action: !GetAtt Thing.Action, Resource: \"*\"}\n", "ERROR"},
      {"an unknown Action beside a grant: still FAIL",
       "              - {Effect: Allow, Action: [!Ref P], Resource: \"*\"}\n"
       "              - {Effect: Allow, Action: kms:Decrypt, Resource: \"*\"}\n",
       "FAIL"},
      {"Deny, NotAction a parameter without a value",
       "              - {Effect: Allow, Action: kms:Decrypt, Resource: \"*\"}\n"
       "              - {Effect: Deny, NotAction: !Ref P, Resource: \"*\"}\n",
       "ERROR"},
      {"Deny, Resource a parameter without a value",
       "              - {Effect: Allow, Action: kms:Decrypt, Resource: \"*\"}\n"
       "              - {Effect: Deny, Action: \"kms:*\", Resource: !Ref P}\n",
       "FAIL"},
      // The value of P may be "*" (the Deny then denies nothing) or one key (it leaves one).
      {"Deny, NotResource a parameter without a value",
       "              - {Effect: Allow, Action: kms:Decrypt, Resource: \"*\"}\n"
       "              - {Effect: Deny, Action: \"kms:*\", NotResource: !Ref P}\n",
       "ERROR"},
      {"Deny, NotResource with an import",
       "              - {Effect: Allow, Action: kms:Decrypt, Resource: \"*\"}\n"
       "              - {Effect: Deny, Action: \"kms:*\", NotResource: !ImportValue shared}\n",
       "ERROR"},
      // An account id is one specific value: "deny every key outside this account" leaves the
      // keys of one account, not every key.
      {"Deny, NotResource the stack's own account",
       "              - {Effect: Allow, Action: kms:Decrypt, Resource: \"*\"}\n"
       "              - {Effect: Deny, Action: \"kms:*\", NotResource: !Sub "
       "\"arn:aws:kms:*:${AWS::AccountId}:key/*\"}\n",
       "PASS"},
      {"Deny, NotResource an IAM policy variable",
       "              - {Effect: Allow, Action: kms:Decrypt, Resource: \"*\"}\n"
       "              - {Effect: Deny, Action: \"kms:*\", NotResource: "
       "\"arn:aws:kms:*:${aws:PrincipalAccount}:key/*\"}\n",
       "PASS"},
      {"Deny, Action a parameter without a value",
       "              - {Effect: Allow, Action: kms:Decrypt, Resource: \"*\"}\n"
       "              - {Effect: Deny, Action: !Ref P, Resource: \"*\"}\n",
       "FAIL"},
      {"Allow, NotResource a parameter without a value",
       "              - {Effect: Allow, Action: kms:Decrypt, NotResource: !Ref P}\n", "FAIL"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const AdapterResult result =
        ReadCloudFormationTemplate(RoleTemplate(c.statements, parameters), "t.yaml");
    EXPECT_EQ(test::Errors(result.diagnostics), 0) << Describe(result.diagnostics);
    EXPECT_EQ(InlineVerdict(result, "r"), c.expected);
  }
}

TEST(CloudFormationParametersTest, AnUnknownActionIsNamedInAPolicyThatCannotBeJudged) {
  const AdapterResult result = ReadCloudFormationTemplate(
      RoleTemplate("              - {Effect: Allow, Action: !Ref P, Resource: \"*\"}\n",
                   "  P: {Type: String}\n"),
      "t.yaml");
  const model::Resource* role = Find(result, "r");
  ASSERT_NE(role, nullptr);
  EXPECT_THAT(test::InlinePolicyNames(*role), ElementsAre("grants", "grants (unknown Action)"));
  EXPECT_THAT(Describe(result.diagnostics),
              HasSubstr("t.yaml:14:11#/Resources/R/Properties/Policies/0 (R): warning: policy "
                        "\"grants\": statement 0 (Allow) has the Action \"${P}\", which is not "
                        "known before deployment"));
  for (const model::Finding& f : test::EvaluateAll(result)) {
    if (f.rule_id == test::kInlineRule) {
      EXPECT_EQ(f.status, model::Status::kError);
      EXPECT_THAT(f.message, HasSubstr("grants (unknown Action)"));
    }
  }
  // With the value given, it is judged.
  const AdapterResult given = ReadCloudFormationTemplate(
      RoleTemplate("              - {Effect: Allow, Action: !Ref P, Resource: \"*\"}\n",
                   "  P: {Type: String}\n"),
      "t.yaml", {{"P", "kms:Decrypt"}});
  EXPECT_THAT(given.diagnostics, IsEmpty()) << Describe(given.diagnostics);
  EXPECT_EQ(InlineStatus(given, "r"), model::Status::kFail);
}

TEST(CloudFormationParametersTest, ReadSnapshotPassesParametersToTemplatesInJsonAndYaml) {
  const std::string yaml = RoleTemplate(
      "              - {Effect: Allow, Action: kms:Decrypt, Resource: !Ref KeyArn}\n",
      "  KeyArn: {Type: String, Default: \"arn:aws:kms:us-east-1:111122223333:key/k\"}\n");
  EXPECT_EQ(InlineStatus(ReadSnapshot(yaml, "t.yaml"), "r"), model::Status::kPass);
  EXPECT_EQ(InlineStatus(ReadSnapshot(yaml, "t.yaml", InputFormat::kAuto, {{"KeyArn", "*"}}), "r"),
            model::Status::kFail);
  const std::string json = R"({"Parameters": {"KeyArn": {"Type": "String"}},
    "Resources": {"U": {"Type": "AWS::IAM::User", "Properties": {"UserName": "u",
      "Policies": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt",
                       "Resource": {"Ref": "KeyArn"}}]}}]}}}})";
  EXPECT_EQ(InlineStatus(ReadSnapshot(json, "t.json"), "u"), model::Status::kPass);
  EXPECT_EQ(InlineStatus(ReadSnapshot(json, "t.json", InputFormat::kAuto, {{"KeyArn", "*"}}), "u"),
            model::Status::kFail);
}

}  // namespace
}  // namespace kmsguard::adapters
