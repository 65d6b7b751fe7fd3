// KMS.1 (aws-iam-managed-kms-decrypt-all-keys): the default version of customer managed
// policies, from `Policies` entries of get-account-authorization-details through the adapter.
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/model/iam_document.h"
#include "sdk/adapters/authorization_details.h"
#include "sdk/engine/evaluator.h"
#include "sdk/rules/builtins.h"
#include "tests/sdk/engine/engine_test_support.h"

namespace kmsguard::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using Json = nlohmann::json;
using test::BuiltinRule;
using test::Doc;
using test::kManagedRule;
using test::MakeEvaluator;

const Json kAllKeys =
    Doc({{{"Sid", "AnyKey"}, {"Effect", "Allow"}, {"Action", "kms:Decrypt"}, {"Resource", "*"}}});
const Json kOneKey = Doc({{{"Effect", "Allow"},
                           {"Action", "kms:Decrypt"},
                           {"Resource",
                            "arn:aws:kms:us-east-1:111122223333:key/"
                            "1234abcd-12ab-34cd-56ef-1234567890ab"}}});

Json Version(const std::string& id, Json document, std::optional<bool> is_default) {
  Json v = {{"VersionId", id}, {"Document", std::move(document)}};
  if (is_default) v["IsDefaultVersion"] = *is_default;
  return v;
}

// A `Policies` entry of a customer managed policy in account 111122223333.
Json ManagedPolicy(const std::string& name, const std::string& default_id, Json versions,
                   int attachments = 1, int boundary_uses = 0) {
  return {{"PolicyName", name},
          {"Arn", "arn:aws:iam::111122223333:policy/" + name},
          {"Path", "/"},
          {"DefaultVersionId", default_id},
          {"AttachmentCount", attachments},
          {"PermissionsBoundaryUsageCount", boundary_uses},
          {"PolicyVersionList", std::move(versions)}};
}

struct Scanned {
  adapters::AdapterResult read;
  std::vector<model::Finding> findings;
};

Scanned Scan(const Json& policies, const rules::Rule& rule) {
  Scanned out;
  out.read = adapters::ReadAuthorizationDetails(Json{{"Policies", policies}}.dump(), "gaad.json");
  const Evaluator evaluator = MakeEvaluator(rule);
  for (const model::Resource& r : out.read.resources) {
    for (model::Finding& f : evaluator.Evaluate(r)) out.findings.push_back(std::move(f));
  }
  return out;
}

const model::Finding* FindingFor(const Scanned& s, const std::string& name) {
  for (const model::Finding& f : s.findings) {
    if (f.resource_name == name) return &f;
  }
  return nullptr;
}

TEST(ManagedPolicyRuleTest, TheDefaultVersionIsJudgedAndOtherVersionsAreIgnored) {
  const Scanned s = Scan(
      {ManagedPolicy("default-grants", "v2",
                     Json::array({Version("v1", kOneKey, false), Version("v2", kAllKeys, true)})),
       // The old, non-default version grants every key; the default one is scoped.
       ManagedPolicy("old-version-grants", "v3",
                     Json::array({Version("v3", kOneKey, true), Version("v2", kAllKeys, false)}))},
      BuiltinRule(kManagedRule));
  EXPECT_THAT(s.read.diagnostics, IsEmpty());
  ASSERT_THAT(s.findings, SizeIs(2));

  const model::Finding* fail = FindingFor(s, "default-grants");
  ASSERT_NE(fail, nullptr);
  EXPECT_EQ(fail->status, model::Status::kFail);
  EXPECT_EQ(fail->rule_id, kManagedRule);
  EXPECT_EQ(fail->resource_type, model::kIamManagedPolicy);
  EXPECT_EQ(fail->resource_id, "arn:aws:iam::111122223333:policy/default-grants");
  EXPECT_EQ(fail->account, "111122223333");
  EXPECT_EQ(fail->severity, model::Severity::kMedium);
  ASSERT_THAT(fail->compliance, SizeIs(1));
  EXPECT_EQ(fail->compliance[0].control, "KMS.1");
  EXPECT_EQ(fail->message,
            "customer managed policy default-grants (default version v2) allows kms:Decrypt on "
            "all KMS keys (Resource \"*\").");
  ASSERT_THAT(fail->evidence, SizeIs(1));
  EXPECT_EQ(fail->evidence[0].policy_name, "arn:aws:iam::111122223333:policy/default-grants");
  EXPECT_EQ(fail->evidence[0].sid, "AnyKey");
  EXPECT_THAT(fail->remediation.cli,
              HasSubstr("aws iam create-policy-version --policy-arn "
                        "'arn:aws:iam::111122223333:policy/default-grants' \\\n"
                        "  --policy-document file://policy.json --set-as-default"));
  EXPECT_THAT(fail->remediation.cli, HasSubstr("--version-id 'v2'"));
  EXPECT_EQ(fail->exposure, "attached to 1 IAM identity");

  const model::Finding* pass = FindingFor(s, "old-version-grants");
  ASSERT_NE(pass, nullptr);
  EXPECT_EQ(pass->status, model::Status::kPass);
  EXPECT_EQ(pass->message,
            "policy old-version-grants has a default version (v3) that does not allow "
            "kms:Decrypt, kms:ReEncryptFrom on all KMS keys.");
  EXPECT_THAT(pass->evidence, IsEmpty());
  EXPECT_TRUE(pass->exposure.empty());
}

TEST(ManagedPolicyRuleTest, WithoutIsDefaultVersionTheVersionIdDecides) {
  const Scanned s = Scan({ManagedPolicy("by-id", "v2",
                                        Json::array({Version("v1", kOneKey, std::nullopt),
                                                     Version("v2", kAllKeys, std::nullopt)})),
                          ManagedPolicy("by-id-pass", "v1",
                                        Json::array({Version("v1", kOneKey, std::nullopt),
                                                     Version("v2", kAllKeys, std::nullopt)}))},
                         BuiltinRule(kManagedRule));
  EXPECT_THAT(s.read.diagnostics, IsEmpty());
  ASSERT_NE(FindingFor(s, "by-id"), nullptr);
  EXPECT_EQ(FindingFor(s, "by-id")->status, model::Status::kFail);
  ASSERT_NE(FindingFor(s, "by-id-pass"), nullptr);
  EXPECT_EQ(FindingFor(s, "by-id-pass")->status, model::Status::kPass);
}

TEST(ManagedPolicyRuleTest, AwsManagedPoliciesGiveNoFinding) {
  Json aws = ManagedPolicy(
      "AdministratorAccess", "v1",
      Json::array(
          {Version("v1", Doc({{{"Effect", "Allow"}, {"Action", "*"}, {"Resource", "*"}}}), true)}));
  aws["Arn"] = "arn:aws:iam::aws:policy/AdministratorAccess";
  Json china = aws;
  china["Arn"] = "arn:aws-cn:iam::aws:policy/AdministratorAccess";
  rules::Rule rule = BuiltinRule(kManagedRule);
  const Scanned s = Scan(Json::array({aws, china}), rule);
  EXPECT_THAT(s.read.diagnostics, IsEmpty());
  ASSERT_THAT(s.read.resources, SizeIs(2));
  EXPECT_EQ(model::NormalizedDocument(s.read.resources[0])["aws_managed"], true);
  EXPECT_EQ(model::NormalizedDocument(s.read.resources[1])["aws_managed"], true);
  EXPECT_EQ(s.read.resources[1].partition, "aws-cn");
  EXPECT_EQ(s.read.resources[0].account, "") << "AWS managed policies belong to no account";
  EXPECT_THAT(s.findings, IsEmpty());

  // The same document in a customer managed policy fails.
  aws["Arn"] = "arn:aws:iam::111122223333:policy/AdministratorAccess";
  const Scanned customer = Scan(Json::array({aws}), rule);
  ASSERT_THAT(customer.findings, SizeIs(1));
  EXPECT_EQ(customer.findings[0].status, model::Status::kFail);

  // A host that sends the normalized shape without "aws_managed": the ARN decides.
  model::Resource bare = s.read.resources[0];
  model::MaterializeDocument(&bare);
  bare.document.erase("aws_managed");
  EXPECT_THAT(MakeEvaluator(rule).Evaluate(bare), IsEmpty());

  // The operator evaluates AWS managed policies when told to.
  rule.violation.args["skip_aws_managed"] = false;
  const Scanned all = Scan(Json::array({china}), rule);
  ASSERT_THAT(all.findings, SizeIs(1));
  EXPECT_EQ(all.findings[0].status, model::Status::kFail);
}

TEST(ManagedPolicyRuleTest, BoundaryOnlyPoliciesAreSkippedPerParameter) {
  const Json policies = {
      ManagedPolicy("boundary-only", "v1", Json::array({Version("v1", kAllKeys, true)}), 0, 3),
      ManagedPolicy("attached-and-boundary", "v1", Json::array({Version("v1", kAllKeys, true)}), 2,
                    1),
      ManagedPolicy("unattached", "v1", Json::array({Version("v1", kAllKeys, true)}), 0, 0)};
  rules::Rule rule = BuiltinRule(kManagedRule);
  EXPECT_EQ(rule.ParamValue("skip_boundary_only"), true);
  Scanned s = Scan(policies, rule);
  ASSERT_THAT(s.findings, SizeIs(2));
  EXPECT_EQ(FindingFor(s, "boundary-only"), nullptr);
  ASSERT_NE(FindingFor(s, "attached-and-boundary"), nullptr);
  EXPECT_EQ(FindingFor(s, "attached-and-boundary")->status, model::Status::kFail);
  EXPECT_EQ(FindingFor(s, "attached-and-boundary")->exposure,
            "attached to 2 IAM identities; permissions boundary of 1 identity");
  // Unattached policies are checked, as in Security Hub.
  ASSERT_NE(FindingFor(s, "unattached"), nullptr);
  EXPECT_EQ(FindingFor(s, "unattached")->status, model::Status::kFail);
  EXPECT_EQ(FindingFor(s, "unattached")->exposure,
            "attached to no IAM identity (the grant is latent until attached)");

  rule.param_values["skip_boundary_only"] = false;
  s = Scan(policies, rule);
  ASSERT_THAT(s.findings, SizeIs(3));
  ASSERT_NE(FindingFor(s, "boundary-only"), nullptr);
  EXPECT_EQ(FindingFor(s, "boundary-only")->status, model::Status::kFail);

  rule.param_values["skip_boundary_only"] = "sometimes";  // a bad override: an error, not a guess
  s = Scan(policies, rule);
  ASSERT_THAT(s.findings, SizeIs(3));
  EXPECT_EQ(s.findings[0].status, model::Status::kError);
  EXPECT_THAT(s.findings[0].message, HasSubstr("\"skip_boundary_only\""));
}

TEST(ManagedPolicyRuleTest, BrokenDefaultDocumentIsAnErrorNeverAPass) {
  const Json bad_effect = Doc({{{"Effect", "allow"}, {"Action", "*"}, {"Resource", "*"}}});
  const Scanned s = Scan(
      {ManagedPolicy(
           "broken", "v2",
           Json::array({Version("v1", kAllKeys, false), Version("v2", "{\"Statement\": [", true)})),
       ManagedPolicy("bad-effect", "v1", Json::array({Version("v1", bad_effect, true)}))},
      BuiltinRule(kManagedRule));
  EXPECT_THAT(s.read.diagnostics, IsEmpty()) << "the adapter keeps documents as given";
  for (const char* name : {"broken", "bad-effect"}) {
    const model::Finding* f = FindingFor(s, name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_EQ(f->status, model::Status::kError) << name;
    EXPECT_THAT(f->message, HasSubstr(std::string("policy ") + name + " could not be evaluated"));
    EXPECT_THAT(f->message, HasSubstr("(/document) does not parse"));
  }
}

TEST(ManagedPolicyRuleTest, MissingDefaultVersionIsAnAdapterDiagnosticAndAnError) {
  Json no_list = ManagedPolicy("no-versions", "v1", Json::array());
  no_list.erase("PolicyVersionList");
  const Scanned s = Scan(
      {ManagedPolicy("fine", "v1", Json::array({Version("v1", kOneKey, true)})),
       ManagedPolicy("lost-default", "v3",
                     Json::array({Version("v1", kAllKeys, false), Version("v2", kOneKey, false)})),
       no_list,
       ManagedPolicy("no-document", "v1",
                     Json::array({Json{{"VersionId", "v1"}, {"IsDefaultVersion", true}}}))},
      BuiltinRule(kManagedRule));
  ASSERT_THAT(s.read.diagnostics, SizeIs(3));
  EXPECT_EQ(s.read.diagnostics[0].location.json_pointer, "/Policies/1/PolicyVersionList");
  EXPECT_EQ(s.read.diagnostics[0].severity, core::DiagnosticSeverity::kError);
  EXPECT_EQ(s.read.diagnostics[0].code, "snapshot_error");
  EXPECT_THAT(s.read.diagnostics[0].message,
              HasSubstr("managed policy lost-default no entry of \"PolicyVersionList\" is the "
                        "default version (IsDefaultVersion true or VersionId \"v3\")"));
  EXPECT_EQ(s.read.diagnostics[1].location.json_pointer, "/Policies/2/PolicyVersionList");
  EXPECT_THAT(s.read.diagnostics[1].message, HasSubstr("has no \"PolicyVersionList\""));
  EXPECT_THAT(s.read.diagnostics[2].message, HasSubstr("\"v1\" has no \"Document\""));

  // Every policy is still a resource; the three without a default document are ERRORs.
  ASSERT_THAT(s.findings, SizeIs(4));
  EXPECT_EQ(FindingFor(s, "fine")->status, model::Status::kPass);
  for (const char* name : {"lost-default", "no-versions", "no-document"}) {
    const model::Finding* f = FindingFor(s, name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_EQ(f->status, model::Status::kError) << name;
    EXPECT_THAT(f->message, HasSubstr("/document: missing: ")) << name;
  }
  EXPECT_THAT(FindingFor(s, "lost-default")->message,
              HasSubstr("default version v3: /document: missing: no entry"));
}

TEST(ManagedPolicyRuleTest, UrlEncodedConditionalAndDenyCases) {
  const std::string encoded =
      "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C"
      "%22Action%22%3A%22kms%3ADecrypt%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D";
  const Json conditional = Doc({{{"Effect", "Allow"},
                                 {"Action", "kms:*"},
                                 {"Resource", "*"},
                                 {"Condition", {{"Bool", {{"aws:SecureTransport", "true"}}}}}}});
  const Json denied =
      Doc({{{"Effect", "Allow"}, {"Action", "kms:*"}, {"Resource", "*"}},
           {{"Effect", "Deny"}, {"Action", {"kms:Decrypt", "kms:ReEncrypt*"}}, {"Resource", "*"}}});
  rules::Rule rule = BuiltinRule(kManagedRule);
  rule.param_values["on_condition"] = "warn";
  const Scanned s =
      Scan({ManagedPolicy("encoded", "v1", Json::array({Version("v1", encoded, true)})),
            ManagedPolicy("conditional", "v1", Json::array({Version("v1", conditional, true)})),
            ManagedPolicy("denied", "v1", Json::array({Version("v1", denied, true)}))},
           rule);
  EXPECT_EQ(FindingFor(s, "encoded")->status, model::Status::kFail);
  EXPECT_EQ(FindingFor(s, "conditional")->status, model::Status::kWarning);
  EXPECT_TRUE(FindingFor(s, "conditional")->conditional);
  EXPECT_EQ(FindingFor(s, "denied")->status, model::Status::kPass);
}

TEST(ManagedPolicyRuleTest, PoliciesArriveNormalizedOrInTheExportShapeOverGrpc) {
  const Json entry = ManagedPolicy(
      "p", "v2", Json::array({Version("v1", kOneKey, false), Version("v2", kAllKeys, true)}), 0, 2);
  const Json normalized = adapters::NormalizePrincipalDocument(model::kIamManagedPolicy, entry);
  EXPECT_EQ(normalized["name"], "p");
  EXPECT_EQ(normalized["arn"], "arn:aws:iam::111122223333:policy/p");
  EXPECT_EQ(normalized["aws_managed"], false);
  EXPECT_EQ(normalized["default_version_id"], "v2");
  EXPECT_EQ(normalized["document"], kAllKeys);
  EXPECT_EQ(normalized["attachment_count"], 0);
  EXPECT_EQ(normalized["permissions_boundary_usage_count"], 2);
  EXPECT_FALSE(normalized.contains("document_problem"));
  EXPECT_FALSE(normalized.contains("inline_policies"));
  // Already normalized: kept as is.
  EXPECT_EQ(adapters::NormalizePrincipalDocument(model::kIamManagedPolicy, normalized), normalized);
}

TEST(ManagedPolicyRuleTest, DefaultVersionReadsManagedPoliciesOnly) {
  // The loader refuses the combination...
  const rules::LoadResult loaded = rules::LoadRuleText(R"(api_version: kmsguard/v1
kind: Rule
id: bad-combination
version: 1.0.0
title: t
description: d
severity: low
resource_types: [AWS::IAM::Role, AWS::IAM::Policy]
violation:
  iam.allows:
    policies: default_version
    actions: [kms:Decrypt]
    resources: every_kms_key
message: m
)",
                                                       "t.yaml");
  EXPECT_THAT(loaded.rules, IsEmpty());
  ASSERT_THAT(loaded.diagnostics, SizeIs(1));
  EXPECT_EQ(loaded.diagnostics[0].code, "rule_link_error");
  EXPECT_EQ(loaded.diagnostics[0].location.line, 11);
  EXPECT_THAT(loaded.diagnostics[0].message,
              HasSubstr("iam.allows with policies: default_version cannot read resource type "
                        "\"AWS::IAM::Role\"; it reads: AWS::IAM::Policy"));

  // ...and the operator reports a resource it cannot read rather than guessing.
  rules::Rule rule = BuiltinRule(kManagedRule);
  rule.resource_types.push_back(model::kIamRole);
  const model::Finding f =
      test::EvaluateOne(MakeEvaluator(rule), test::Principal(model::kIamRole, "r", Json::array()));
  EXPECT_EQ(f.status, model::Status::kError);
  EXPECT_THAT(f.message, HasSubstr("\"default_version\", which cannot read a AWS::IAM::Role"));
}

}  // namespace
}  // namespace kmsguard::engine
