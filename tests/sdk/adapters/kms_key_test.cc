// KMS keys (AWS::KMS::Key) from CloudFormation templates and Terraform plans, and the example
// rules that read them (rules/examples/aws-kms-*.yaml). The fixtures are
// rules/examples/fixtures/kms-keys.template.json and kms-keys.tfplan.json; every expected value
// below is written from the fixture by hand.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/adapters/cloudformation.h"
#include "sdk/adapters/terraform.h"
#include "sdk/engine/evaluator.h"
#include "sdk/engine/policy_view.h"
#include "sdk/rules/rule.h"
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

constexpr char kPublicRule[] = "example-kms-key-policy-public-principal";
constexpr char kRotationRule[] = "example-kms-key-rotation-disabled";

std::string Fixture(const std::string& name) {
  std::string text;
  EXPECT_TRUE(test::ReadFile(
      std::filesystem::path(KMSGUARD_SOURCE_DIR) / "rules" / "examples" / "fixtures" / name, &text))
      << name;
  return text;
}

// The built-in rules and the two KMS key examples, as `scan --rules rules/examples` loads them.
const engine::Evaluator& ExampleEvaluator() {
  static const engine::Evaluator* const kEvaluator = [] {
    std::vector<rules::SourceFile> files = rules::BuiltinRuleSources();
    for (const char* name :
         {"aws-kms-key-policy-public-principal.yaml", "aws-kms-key-rotation-disabled.yaml"}) {
      std::string text;
      EXPECT_TRUE(test::ReadFile(
          std::filesystem::path(KMSGUARD_SOURCE_DIR) / "rules" / "examples" / name, &text));
      files.push_back({name, text});
    }
    rules::LoadResult loaded = rules::LoadRuleFiles(files);
    EXPECT_THAT(loaded.diagnostics, IsEmpty()) << Describe(loaded.diagnostics);
    return new engine::Evaluator(std::make_shared<const rules::RuleSet>(std::move(loaded.rules)));
  }();
  return *kEvaluator;
}

std::vector<model::Finding> Evaluate(const AdapterResult& result) {
  std::vector<model::Finding> out;
  for (const model::Resource& r : result.resources) {
    for (model::Finding& f : ExampleEvaluator().Evaluate(r)) out.push_back(std::move(f));
  }
  return out;
}

std::string ErrorMessage(const std::vector<model::Finding>& findings, const std::string& rule,
                         const std::string& name) {
  for (const model::Finding& f : findings) {
    if (f.rule_id == rule && f.resource_name == name && f.status == model::Status::kError) {
      return f.message;
    }
  }
  return "";
}

// --- CloudFormation
// -------------------------------------------------------------------------------

TEST(KmsKeyCloudFormationTest, EveryPropertyWithDefaultsAndIntrinsics) {
  const AdapterResult result =
      ReadCloudFormationTemplate(Fixture("kms-keys.template.json"), "kms-keys.template.json");
  EXPECT_THAT(
      test::TypeNames(result),
      UnorderedElementsAre("AWS::IAM::Role/app", "AWS::KMS::Key/AppKey", "AWS::KMS::Key/BrokenKey",
                           "AWS::KMS::Key/PartnerKey", "AWS::KMS::Key/ProdOpenKey (if IsProd)",
                           "AWS::KMS::Key/ProdOpenKey (if not IsProd)", "AWS::KMS::Key/PublicKey",
                           "AWS::KMS::Key/SigningKey"));

  const model::Resource* app = Find(result, "AppKey", model::kKmsKey);
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->id, "cloudformation:AppKey");
  EXPECT_EQ(app->region, "");
  EXPECT_EQ(app->source.resource_id, "AppKey");
  EXPECT_EQ(app->source.line, 28);
  const Json& doc = app->document;
  EXPECT_EQ(doc["name"], "AppKey");
  EXPECT_EQ(doc["key_id"], "<unknown: cloudformation:AppKey>");
  EXPECT_EQ(doc["arn"], "");
  EXPECT_EQ(doc["description"], "application data");
  EXPECT_EQ(doc["key_spec"], "SYMMETRIC_DEFAULT");
  EXPECT_EQ(doc["key_usage"], "ENCRYPT_DECRYPT");
  EXPECT_EQ(doc["origin"], "AWS_KMS");
  EXPECT_EQ(doc["key_manager"], "CUSTOMER");
  EXPECT_EQ(doc["enabled"], true);
  EXPECT_EQ(doc["enable_key_rotation"], true) << "Ref Rotate: the parameter's Default \"true\"";
  EXPECT_EQ(doc["multi_region"], false);
  // Fn::Sub with AWS::Partition resolved and AWS::AccountId a variable (one specific value).
  EXPECT_EQ(doc["key_policy"]["Statement"][0]["Principal"]["AWS"],
            "arn:aws:iam::${AWS::AccountId}:root");
  EXPECT_EQ(doc["key_policy_source"],
            "kms-keys.template.json:35:9#/Resources/AppKey/Properties/KeyPolicy (AppKey)");

  const model::Resource* open = Find(result, "PublicKey", model::kKmsKey);
  ASSERT_NE(open, nullptr);
  EXPECT_TRUE(open->document["key_policy"].is_string()) << "JSON text is kept as text";
  EXPECT_EQ(open->document["enable_key_rotation"], false) << "absent: CloudFormation's default";
  EXPECT_EQ(open->document["multi_region"], true);
  EXPECT_EQ(open->document["description"], "shared key of ${AWS::StackName}");

  const model::Resource* signing = Find(result, "SigningKey", model::kKmsKey);
  ASSERT_NE(signing, nullptr);
  EXPECT_EQ(signing->document["key_spec"], "ECC_NIST_P256");
  EXPECT_EQ(signing->document["key_usage"], "SIGN_VERIFY");
  EXPECT_EQ(signing->document["enabled"], false) << "the text \"false\"";
  EXPECT_FALSE(signing->document.contains("key_policy"));
  EXPECT_THAT(signing->document["notes"].dump(), HasSubstr("default key policy"));

  // Fn::If: one key per branch, each judged on its own.
  const model::Resource* prod = Find(result, "ProdOpenKey (if IsProd)", model::kKmsKey);
  const model::Resource* other = Find(result, "ProdOpenKey (if not IsProd)", model::kKmsKey);
  ASSERT_NE(prod, nullptr);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(prod->id, "cloudformation:ProdOpenKey (if IsProd)");
  EXPECT_EQ(prod->document["key_policy"]["Statement"][1]["Principal"]["AWS"], "*");
  EXPECT_EQ(other->document["key_policy"]["Statement"][1]["Principal"]["AWS"],
            "arn:aws:iam::${AWS::AccountId}:role/reader");

  // A parameter without a value where a principal may be "*": not judged, and said where.
  const model::Resource* partner = Find(result, "PartnerKey", model::kKmsKey);
  ASSERT_NE(partner, nullptr);
  EXPECT_THAT(partner->document["key_policy"].get<std::string>(),
              HasSubstr("<not evaluated: statement 0 (Allow) has the Principal "
                        "\"${TrustedPrincipal}\""));
  EXPECT_THAT(Describe(result.diagnostics),
              HasSubstr("kms-keys.template.json:114:9#/Resources/PartnerKey/Properties/KeyPolicy "
                        "(PartnerKey): warning: key policy of PartnerKey"));
  EXPECT_THAT(Describe(result.diagnostics), HasSubstr("parameter TrustedPrincipal has no Default"));
  EXPECT_EQ(test::Errors(result.diagnostics), 0) << Describe(result.diagnostics);
}

TEST(KmsKeyCloudFormationTest, YamlShortFormsUnknownValuesAndInvalidBooleans) {
  constexpr char kTemplate[] = R"(Parameters:
  Rotate:
    Type: String
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: !Ref Rotate
      KeySpec: !If [Big, RSA_4096, SYMMETRIC_DEFAULT]
      Enabled: "yes"
      KeyPolicy: !Sub |
        {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                        "Action": "${Action}", "Resource": "*"}]}
)";
  const AdapterResult result = ReadCloudFormationTemplate(kTemplate, "t.yaml");
  ASSERT_THAT(result.resources, SizeIs(1));
  const Json& doc = result.resources[0].document;
  EXPECT_EQ(doc["enable_key_rotation"], "<unknown: ${Rotate}>");
  EXPECT_EQ(doc["key_spec"], "<unknown: ${Fn::If:Big}>");
  EXPECT_EQ(doc["enabled"], "yes") << "kept as written";
  EXPECT_THAT(doc["notes"].dump(), HasSubstr("EnableKeyRotation is not known before deployment"));
  // An Allow whose Action is not known: it may be kms:Decrypt, so the policy is not judged.
  EXPECT_THAT(doc["key_policy"].get<std::string>(), HasSubstr("<not evaluated: statement 0"));
  EXPECT_EQ(result.resources[0].source.line, 5);
  EXPECT_THAT(Describe(result.diagnostics),
              HasSubstr("t.yaml:10:7#/Resources/Key/Properties/Enabled (Key): warning: Enabled "
                        "of Key is neither true nor false"));
}

TEST(KmsKeyCloudFormationTest, ExampleRulesOnTheTemplate) {
  const AdapterResult result =
      ReadCloudFormationTemplate(Fixture("kms-keys.template.json"), "kms-keys.template.json");
  const std::vector<model::Finding> findings = Evaluate(result);
  EXPECT_THAT(test::WithStatus(findings, kPublicRule, model::Status::kFail),
              UnorderedElementsAre("Key/PublicKey", "Key/ProdOpenKey (if IsProd)"));
  EXPECT_THAT(
      test::WithStatus(findings, kPublicRule, model::Status::kPass),
      UnorderedElementsAre("Key/AppKey", "Key/SigningKey", "Key/ProdOpenKey (if not IsProd)"));
  EXPECT_THAT(test::WithStatus(findings, kPublicRule, model::Status::kError),
              UnorderedElementsAre("Key/PartnerKey", "Key/BrokenKey"));
  // The broken key policy is an ERROR for that key, naming where it is; the rest is judged.
  EXPECT_THAT(ErrorMessage(findings, kPublicRule, "BrokenKey"), HasSubstr("key_policy"));

  EXPECT_THAT(test::WithStatus(findings, kRotationRule, model::Status::kFail),
              ElementsAre("Key/PublicKey"));
  EXPECT_THAT(
      test::WithStatus(findings, kRotationRule, model::Status::kPass),
      UnorderedElementsAre("Key/AppKey", "Key/ProdOpenKey (if IsProd)",
                           "Key/ProdOpenKey (if not IsProd)", "Key/PartnerKey", "Key/BrokenKey"));
  // The ECC signing key cannot rotate automatically: no finding at all.
  for (const model::Finding& f : findings) {
    EXPECT_FALSE(f.rule_id == kRotationRule && f.resource_name == "SigningKey");
  }
  // The built-in IAM rules see the role and never the keys.
  for (const model::Finding& f : findings) {
    if (f.rule_id.rfind("aws-iam-", 0) == 0) {
      EXPECT_EQ(f.resource_type, model::kIamRole);
    }
  }
}

// --- Terraform
// ------------------------------------------------------------------------------------

TEST(KmsKeyTerraformTest, KeysAndKeyPolicies) {
  const AdapterResult result =
      ReadTerraformPlan(Fixture("kms-keys.tfplan.json"), "kms-keys.tfplan.json");
  EXPECT_THAT(test::TypeNames(result),
              ElementsAre("AWS::KMS::Key/aws_kms_key.app", "AWS::KMS::Key/aws_kms_key.open",
                          "AWS::KMS::Key/aws_kms_key.sign", "AWS::KMS::Key/aws_kms_key.computed",
                          "AWS::KMS::Key/arn:aws:kms:us-east-1:444455556666:key/"
                          "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                          "AWS::KMS::Key/<unknown: aws_kms_key_policy.lost.key_id>"));

  const model::Resource* app = Find(result, "aws_kms_key.app");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->id, "terraform:aws_kms_key.app");
  EXPECT_EQ(app->source.json_pointer, "/planned_values/root_module/resources/0");
  const Json& doc = app->document;
  EXPECT_EQ(doc["key_id"], "<unknown: aws_kms_key.app.key_id>");
  EXPECT_EQ(doc["description"], "application data");
  EXPECT_EQ(doc["key_spec"], "SYMMETRIC_DEFAULT");
  EXPECT_EQ(doc["key_usage"], "ENCRYPT_DECRYPT");
  EXPECT_EQ(doc["origin"], "AWS_KMS");
  EXPECT_EQ(doc["enabled"], true);
  EXPECT_EQ(doc["enable_key_rotation"], true);
  EXPECT_EQ(doc["multi_region"], false);
  ASSERT_TRUE(doc["key_policy"].is_string());
  EXPECT_EQ(Json::parse(doc["key_policy"].get<std::string>())["Statement"][0]["Sid"], "EnableIAM");

  // aws_kms_key_policy.open joins aws_kms_key.open through `key_id = aws_kms_key.open.id`.
  const model::Resource* open = Find(result, "aws_kms_key.open");
  ASSERT_NE(open, nullptr);
  EXPECT_EQ(open->document["key_policy_from"], "aws_kms_key_policy.open");
  EXPECT_THAT(open->document["key_policy"].get<std::string>(), HasSubstr("\"Anyone\""));
  EXPECT_EQ(open->document["multi_region"], "<unknown: aws_kms_key.open.multi_region>");
  EXPECT_EQ(open->document["enable_key_rotation"], false);

  const model::Resource* sign = Find(result, "aws_kms_key.sign");
  ASSERT_NE(sign, nullptr);
  EXPECT_EQ(sign->document["key_spec"], "ECC_NIST_P256");
  EXPECT_EQ(sign->document["enabled"], false);
  EXPECT_FALSE(sign->document.contains("key_policy")) << "not set: the default key policy";
  EXPECT_THAT(sign->document["notes"].dump(), HasSubstr("default key policy"));

  // Set in the configuration but computed at apply: not judged.
  const model::Resource* computed = Find(result, "aws_kms_key.computed");
  ASSERT_NE(computed, nullptr);
  EXPECT_EQ(computed->document["key_policy"],
            "<not evaluated: the policy of aws_kms_key.computed is unknown until apply>");

  // A key this plan does not create, named by its ARN: known by its policy alone.
  const model::Resource* external =
      Find(result, "arn:aws:kms:us-east-1:444455556666:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
  ASSERT_NE(external, nullptr);
  EXPECT_EQ(external->account, "444455556666");
  EXPECT_EQ(external->region, "us-east-1");
  EXPECT_EQ(external->document["partial"], true);
  EXPECT_THAT(external->document["notes"][0].get<std::string>(),
              HasSubstr("not created by this plan"));

  const model::Resource* lost = Find(result, "<unknown: aws_kms_key_policy.lost.key_id>");
  ASSERT_NE(lost, nullptr);
  EXPECT_EQ(lost->id, "terraform:aws_kms_key_policy.lost");
  EXPECT_EQ(lost->document["partial"], true);

  EXPECT_EQ(test::Errors(result.diagnostics), 0) << Describe(result.diagnostics);
  EXPECT_THAT(Describe(result.diagnostics),
              HasSubstr("the key policy of aws_kms_key.computed is unknown until apply"));
  EXPECT_THAT(Describe(result.diagnostics), HasSubstr("aws_kms_key_policy.lost applies to"));
  // The key is named by what the finding calls it (the message once printed ", key.name, ").
  EXPECT_THAT(Describe(result.diagnostics),
              HasSubstr("its policy is evaluated for the key "
                        "\"<unknown: aws_kms_key_policy.lost.key_id>\""));
}

TEST(KmsKeyTerraformTest, ExampleRulesOnThePlan) {
  const AdapterResult result =
      ReadTerraformPlan(Fixture("kms-keys.tfplan.json"), "kms-keys.tfplan.json");
  const std::vector<model::Finding> findings = Evaluate(result);
  const std::string external =
      "Key/arn:aws:kms:us-east-1:444455556666:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
  EXPECT_THAT(test::WithStatus(findings, kPublicRule, model::Status::kFail),
              UnorderedElementsAre("Key/aws_kms_key.open", external));
  EXPECT_THAT(test::WithStatus(findings, kPublicRule, model::Status::kError),
              ElementsAre("Key/aws_kms_key.computed"));
  EXPECT_THAT(test::WithStatus(findings, kPublicRule, model::Status::kPass),
              UnorderedElementsAre("Key/aws_kms_key.app", "Key/aws_kms_key.sign",
                                   "Key/<unknown: aws_kms_key_policy.lost.key_id>"));
  EXPECT_THAT(test::WithStatus(findings, kRotationRule, model::Status::kFail),
              ElementsAre("Key/aws_kms_key.open"));
  EXPECT_THAT(test::WithStatus(findings, kRotationRule, model::Status::kPass),
              UnorderedElementsAre("Key/aws_kms_key.app", "Key/aws_kms_key.computed"));
}

TEST(KmsKeyTerraformTest, KeyPolicyByLiteralKeyIdOfAPlannedKey) {
  const std::string policy =
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"}})";
  const Json plan = {{"format_version", "1.2"},
                     {"values",
                      {{"root_module",
                        {{"resources",
                          {{{"address", "aws_kms_key.k"},
                            {"mode", "managed"},
                            {"type", "aws_kms_key"},
                            {"values",
                             {{"key_id", "k-1"},
                              {"arn", "arn:aws:kms:eu-west-1:111122223333:key/k-1"},
                              {"enable_key_rotation", true}}}},
                           {{"address", "aws_kms_key_policy.p"},
                            {"mode", "managed"},
                            {"type", "aws_kms_key_policy"},
                            {"values", {{"key_id", "k-1"}, {"policy", policy}}}}}}}}}}};
  const AdapterResult result = ReadTerraformPlan(plan.dump(), "state.json");
  ASSERT_THAT(result.resources, SizeIs(1)) << Describe(result.diagnostics);
  const model::Resource& key = result.resources[0];
  EXPECT_EQ(key.id, "arn:aws:kms:eu-west-1:111122223333:key/k-1");
  EXPECT_EQ(key.name, "k-1");
  EXPECT_EQ(key.region, "eu-west-1");
  EXPECT_EQ(key.account, "111122223333");
  EXPECT_EQ(key.document["key_policy"], policy);
  EXPECT_EQ(key.document["key_policy_from"], "aws_kms_key_policy.p");
  EXPECT_THAT(result.diagnostics, IsEmpty());
}

// --- The engine's view of a key policy
// ------------------------------------------------------------

TEST(KmsKeyPolicyViewTest, KeyPolicyIsDecodedAndNormalized) {
  Json doc = {
      {"name", "k"},
      {"key_policy", R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt",)"
                     R"("Resource":"*","NotPrincipal":{"AWS":"arn:aws:iam::1:root"}}})"},
      {"other", Json::parse(R"({"Statement": {"Action": "x"}})")}};
  const engine::ShapeProblems problems = engine::NormalizePolicyDocuments(model::kKmsKey, doc);
  EXPECT_THAT(problems, IsEmpty());
  const Json& statements = doc["key_policy"]["Statement"];
  ASSERT_TRUE(statements.is_array());
  ASSERT_THAT(statements, SizeIs(1));
  EXPECT_EQ(statements[0]["Principal"], Json::parse(R"({"AWS": ["*"]})"));
  EXPECT_EQ(statements[0]["NotPrincipal"], Json::parse(R"({"AWS": ["arn:aws:iam::1:root"]})"));
  EXPECT_EQ(statements[0]["Action"], Json::array({"kms:Decrypt"}));
  EXPECT_EQ(statements[0]["Resource"], Json::array({"*"}));
  EXPECT_EQ(doc["other"]["Statement"]["Action"], "x") << "only the key policy is a policy";

  Json broken = {{"key_policy", "{\"Statement\": ["}};
  const engine::ShapeProblems broken_problems =
      engine::NormalizePolicyDocuments(model::kKmsKey, broken);
  ASSERT_THAT(broken_problems, SizeIs(1));
  EXPECT_EQ(broken_problems.begin()->first, &broken["key_policy"]);

  // Another type's key_policy is left alone.
  Json role = {{"key_policy", {{"Statement", {{"Action", "x"}}}}}};
  EXPECT_THAT(engine::NormalizePolicyDocuments(model::kIamRole, role), IsEmpty());
  EXPECT_EQ(role["key_policy"]["Statement"]["Action"], "x");
}

}  // namespace
}  // namespace kmsguard::adapters
