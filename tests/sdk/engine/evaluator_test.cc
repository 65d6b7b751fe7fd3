#include "sdk/engine/evaluator.h"

#include <chrono>
#include <memory>
#include <string>
#include <iterator>
#include <fstream>
#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/render/render.h"
#include "sdk/adapters/authorization_details.h"
#include "sdk/engine/builtins.h"
#include "sdk/rules/builtins.h"
#include "sdk/rules/template.h"
#include "tests/sdk/engine/engine_test_support.h"

namespace kmsguard::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using Json = nlohmann::json;

using test::BuiltinRule;
using test::Doc;
using test::EvaluateOne;
using test::MakeEvaluator;
using test::Policy;
using test::Principal;

const Json kDecryptAll = Doc({{{"Sid", "Broad"},
                               {"Effect", "Allow"},
                               {"Action", {"kms:Decrypt", "kms:Encrypt"}},
                               {"Resource", "*"}}});
const Json kScoped = Doc({{{"Effect", "Allow"},
                           {"Action", "kms:Decrypt"},
                           {"Resource",
                            "arn:aws:kms:us-east-1:111122223333:key/"
                            "1234abcd-12ab-34cd-56ef-1234567890ab"}}});
const Json kConditional =
    Doc({{{"Effect", "Allow"},
          {"Action", "kms:*"},
          {"Resource", "*"},
          {"Condition", {{"StringEquals", {{"kms:ViaService", "s3.us-east-1.amazonaws.com"}}}}}}});

// Every variable a template may name reaches the finding's text with its own value, through
// the templates the evaluator prepares once per rule (prepared_rule.h): the fixed variables,
// parameters as the templates print them (a list ", "-joined), item.key (empty outside
// for_each), and a name with no value as nothing. Values are made terminal-safe before a filter
// quotes them.
TEST(EvaluatorTest, EveryTemplateVariableRendersItsValue) {
  rules::Rule rule = BuiltinRule();
  std::string all;
  for (std::string_view name : rules::TemplateVariables()) {
    all += std::string(name) + "=[{{" + std::string(name) + "}}] ";
  }
  rule.message = all + "item=[{{item.key}}] list=[{{ param.blocked_actions }}] "
                       "enum=[{{param.on_condition}}] none=[{{param.nope}}]";
  rule.remediation.summary = "{{resource.name}}\n\n";
  rule.remediation.cli = "x {{ resource.name | shell }} {{policy.names|shell}}";
  rule.remediation.terraform = "name = {{resource.name | hcl}}";
  rule.remediation.console = "";
  model::Resource role =
      Principal(model::kIamRole, "it's\n${x}", {Policy("kms-all", kDecryptAll)});
  role.partition = "";  // renders as aws
  role.region = "global";
  const model::Finding f = EvaluateOne(MakeEvaluator(std::move(rule)), role);
  ASSERT_EQ(f.status, model::Status::kFail);
  EXPECT_EQ(f.message,
            "resource.name=[it's\\x0a${x}] "
            "resource.id=[arn:aws:iam::111122223333:role/it's\\x0a${x}] "
            "resource.type=[AWS::IAM::Role] resource.kind=[role] resource.partition=[aws] "
            "resource.account=[111122223333] resource.region=[global] policy.names=[kms-all] "
            "policy.version=[] evidence.actions=[kms:Decrypt] evidence.resources=[\"*\"] "
            "evidence.command=[] evidence.terraform=[] item=[] list=[kms:Decrypt, "
            "kms:ReEncryptFrom] enum=[fail] none=[]");
  EXPECT_EQ(f.remediation.summary, "it's\\x0a${x}");  // trailing whitespace of a block scalar cut
  EXPECT_THAT(f.remediation.cli, HasSubstr("x 'it'\\''s\\x0a${x}' 'kms-all'"));
  EXPECT_THAT(f.remediation.terraform, HasSubstr("name = \"it's\\\\x0a$${x}\""));
}

TEST(EvaluatorTest, BroadDecryptFails) {
  const Evaluator evaluator = MakeEvaluator(BuiltinRule());
  const model::Finding f = EvaluateOne(
      evaluator, Principal(model::kIamRole, "app",
                           {Policy("kms-all", kDecryptAll), Policy("scoped", kScoped)}));
  EXPECT_EQ(f.status, model::Status::kFail);
  EXPECT_FALSE(f.conditional);
  EXPECT_EQ(f.rule_id, "aws-iam-inline-kms-decrypt-all-keys");
  EXPECT_EQ(f.rule_version, "1.0.0");
  EXPECT_EQ(f.severity, model::Severity::kMedium);
  EXPECT_EQ(f.resource_id, "arn:aws:iam::111122223333:role/app");
  EXPECT_EQ(f.account, "111122223333");
  ASSERT_THAT(f.compliance, SizeIs(1));
  EXPECT_EQ(f.compliance[0].control, "KMS.2");
  ASSERT_THAT(f.evidence, SizeIs(1));
  const model::Evidence& e = f.evidence[0];
  EXPECT_EQ(e.policy_name, "kms-all");
  EXPECT_EQ(e.statement_index, 0);
  EXPECT_EQ(e.sid, "Broad");
  EXPECT_EQ(e.effect, "Allow");
  EXPECT_THAT(e.actions, ElementsAre("kms:Decrypt"));
  EXPECT_THAT(e.action_patterns, ElementsAre("kms:Decrypt"));
  EXPECT_THAT(e.resource_patterns, ElementsAre("*"));
  EXPECT_EQ(f.message,
            "role app has inline policies (kms-all) that allow kms:Decrypt on all KMS keys "
            "(Resource \"*\").");
  EXPECT_THAT(f.remediation.cli,
              HasSubstr("aws iam get-role-policy --role-name 'app' \\\n  --policy-name"));
  EXPECT_THAT(f.remediation.cli, HasSubstr("# Inline policies to fix: kms-all."));
  EXPECT_THAT(f.remediation.terraform, HasSubstr("resource \"aws_iam_role_policy\""));
  EXPECT_THAT(f.remediation.terraform, HasSubstr("arn:aws:kms:us-east-1:111122223333:key/"));
  EXPECT_THAT(f.remediation.console, HasSubstr("inline policy of kms-all"));
  EXPECT_THAT(f.remediation.summary, Not(HasSubstr("{{")));
}

// Without the specific remediation the verdict, message, evidence and the rule's own remediation
// text are unchanged; only the generated least-privilege rewrite is left out.
TEST(EvaluatorTest, SkippingTheSpecificRemediationChangesNothingElse) {
  const model::Resource role =
      Principal(model::kIamRole, "app", {Policy("kms-all", kDecryptAll), Policy("scoped", kScoped)});
  const model::Finding full = EvaluateOne(MakeEvaluator(BuiltinRule()), role);
  std::vector<rules::Rule> rules{BuiltinRule()};
  const Evaluator lean(std::make_shared<const rules::RuleSet>(std::move(rules)), "",
                       EvaluationOptions{.specific_remediation = false});
  const model::Finding skipped = EvaluateOne(lean, role);
  ASSERT_EQ(full.status, model::Status::kFail);
  EXPECT_EQ(skipped.status, full.status);
  EXPECT_EQ(skipped.message, full.message);
  EXPECT_EQ(skipped.explanation, full.explanation);
  ASSERT_EQ(skipped.evidence.size(), full.evidence.size());
  EXPECT_EQ(skipped.remediation.summary, full.remediation.summary);
  EXPECT_THAT(full.remediation.console, HasSubstr("Generated least-privilege replacement"));
  EXPECT_THAT(skipped.remediation.console, Not(HasSubstr("Generated least-privilege")));
  EXPECT_THAT(skipped.remediation.console, HasSubstr("inline policy of kms-all"));
  EXPECT_THAT(skipped.remediation.cli, HasSubstr("aws iam get-role-policy --role-name 'app'"));
}

// Names from IaC inputs are not validated by IAM yet: a crafted one must stay one quoted word
// in the CLI snippet and one string in the Terraform snippet of every built-in rule.
TEST(EvaluatorTest, AHostileNameStaysQuotedInTheRemediationSnippets) {
  const Evaluator evaluator = MakeEvaluator(BuiltinRule());
  const std::string name = "x'; touch /tmp/kmsguard-pwned; echo \"${var.y}";
  model::Resource principal = Principal(model::kIamRole, name, {Policy("kms-all", kDecryptAll)});
  const model::Finding f = EvaluateOne(evaluator, principal);
  ASSERT_EQ(f.status, model::Status::kFail);
  EXPECT_THAT(f.remediation.cli,
              HasSubstr("--role-name 'x'\\''; touch /tmp/kmsguard-pwned; echo \"${var.y}' \\\n"));
  EXPECT_THAT(f.remediation.terraform,
              HasSubstr("role = \"x'; touch /tmp/kmsguard-pwned; echo \\\"$${var.y}\"\n"));
}

TEST(EvaluatorTest, NotActionAndUserAndGroupPrincipals) {
  const Evaluator evaluator = MakeEvaluator(BuiltinRule());
  const Json not_action = Doc({{{"Effect", "Allow"}, {"NotAction", {"s3:*"}}, {"Resource", "*"}}});
  for (const char* type : {model::kIamUser, model::kIamGroup}) {
    const model::Finding f =
        EvaluateOne(evaluator, Principal(type, "p", {Policy("everything-but-s3", not_action)}));
    EXPECT_EQ(f.status, model::Status::kFail) << type;
    ASSERT_THAT(f.evidence, SizeIs(1));
    EXPECT_TRUE(f.evidence[0].not_action);
    EXPECT_THAT(f.evidence[0].actions, ElementsAre("kms:Decrypt", "kms:ReEncryptFrom"));
  }
}

TEST(EvaluatorTest, ScopedPoliciesAndNoPoliciesPass) {
  const Evaluator evaluator = MakeEvaluator(BuiltinRule());
  model::Finding f =
      EvaluateOne(evaluator, Principal(model::kIamRole, "a", {Policy("s", kScoped)}));
  EXPECT_EQ(f.status, model::Status::kPass);
  EXPECT_THAT(f.evidence, IsEmpty());
  EXPECT_EQ(f.message,
            "role a has 1 inline policy, which does not allow kms:Decrypt, kms:ReEncryptFrom on "
            "all KMS keys.");
  EXPECT_TRUE(f.remediation.cli.empty());

  f = EvaluateOne(evaluator, Principal(model::kIamUser, "b", Json::array()));
  EXPECT_EQ(f.status, model::Status::kPass);
  EXPECT_EQ(f.message, "user b has no inline policy.");
}

TEST(EvaluatorTest, BrokenDocumentAloneIsAnErrorNeverAPass) {
  const Evaluator evaluator = MakeEvaluator(BuiltinRule());
  const model::Finding f = EvaluateOne(
      evaluator, Principal(model::kIamRole, "r", {Policy("broken", "{\"Statement\": [")}));
  EXPECT_EQ(f.status, model::Status::kError);
  EXPECT_THAT(f.message, HasSubstr("inline policy \"broken\" (/inline_policies/0/document) does "
                                   "not parse"));
  ASSERT_THAT(f.evidence, SizeIs(1));
  EXPECT_EQ(f.evidence[0].policy_name, "broken");
  EXPECT_THAT(f.evidence[0].note, HasSubstr("not evaluated"));
}

TEST(EvaluatorTest, FailWinsOverABrokenPolicyWhichStaysInMessageAndEvidence) {
  const Evaluator evaluator = MakeEvaluator(BuiltinRule());
  const model::Finding f = EvaluateOne(
      evaluator, Principal(model::kIamRole, "r",
                           {Policy("broken", Doc({{{"Effect", "allow"}, {"Action", "*"}}})),
                            Policy("kms-all", kDecryptAll)}));
  EXPECT_EQ(f.status, model::Status::kFail);
  EXPECT_THAT(f.message, HasSubstr("(kms-all)"));
  EXPECT_THAT(f.message, HasSubstr("Not evaluated: inline policy \"broken\""));
  ASSERT_THAT(f.evidence, SizeIs(2));
  EXPECT_EQ(f.evidence[0].policy_name, "broken");
  EXPECT_EQ(f.evidence[0].statement_index, -1);
  EXPECT_EQ(f.evidence[1].policy_name, "kms-all");
}

TEST(EvaluatorTest, PassingPolicyBesideABrokenOneIsAnError) {
  const Evaluator evaluator = MakeEvaluator(BuiltinRule());
  const model::Finding f = EvaluateOne(
      evaluator,
      Principal(model::kIamRole, "r", {Policy("scoped", kScoped), Policy("broken", 42)}));
  EXPECT_EQ(f.status, model::Status::kError);
  EXPECT_THAT(f.message, HasSubstr("\"broken\""));
}

TEST(EvaluatorTest, ResourcePolicyIsAnError) {
  const Evaluator evaluator = MakeEvaluator(BuiltinRule());
  const Json trust = Doc({{{"Effect", "Allow"},
                           {"Principal", {{"AWS", "*"}}},
                           {"Action", "kms:*"},
                           {"Resource", "*"}}});
  const model::Finding f =
      EvaluateOne(evaluator, Principal(model::kIamRole, "r", {Policy("key-policy", trust)}));
  EXPECT_EQ(f.status, model::Status::kError);
  EXPECT_THAT(f.message,
              HasSubstr("inline policy \"key-policy\" has a Principal element: a resource-based "
                        "policy, not evaluated as an identity policy"));
}

TEST(EvaluatorTest, ConditionalGrantFailsByDefaultAndWarnsWhenAsked) {
  rules::Rule rule = BuiltinRule();
  const model::Resource principal =
      Principal(model::kIamRole, "r", {Policy("via-s3", kConditional)});
  model::Finding f = EvaluateOne(MakeEvaluator(rule), principal);
  EXPECT_EQ(f.status, model::Status::kFail);
  EXPECT_TRUE(f.conditional);
  ASSERT_THAT(f.evidence, SizeIs(1));
  EXPECT_THAT(f.evidence[0].condition_keys, ElementsAre("StringEquals:kms:ViaService"));

  rule.param_values["on_condition"] = "warn";
  f = EvaluateOne(MakeEvaluator(rule), principal);
  EXPECT_EQ(f.status, model::Status::kWarning);
  EXPECT_TRUE(f.conditional);
  EXPECT_THAT(f.message, HasSubstr("Every such grant depends on a Condition."));

  // One unconditional grant is enough for FAIL, whatever on_condition says.
  f = EvaluateOne(MakeEvaluator(rule),
                  Principal(model::kIamRole, "r",
                            {Policy("via-s3", kConditional), Policy("kms-all", kDecryptAll)}));
  EXPECT_EQ(f.status, model::Status::kFail);
  EXPECT_FALSE(f.conditional);

  // A broken policy could hide an unconditional grant: not a WARNING.
  f = EvaluateOne(
      MakeEvaluator(rule),
      Principal(model::kIamRole, "r", {Policy("via-s3", kConditional), Policy("x", "")}));
  EXPECT_EQ(f.status, model::Status::kError);
}

TEST(EvaluatorTest, ConditionalDenyCountsOnlyWhenHonored) {
  rules::Rule rule = BuiltinRule();
  const model::Resource principal = Principal(
      model::kIamRole, "r",
      {Policy("allow-deny", Doc({{{"Effect", "Allow"}, {"Action", "kms:*"}, {"Resource", "*"}},
                                 {{"Sid", "NoDecryptOffVpc"},
                                  {"Effect", "Deny"},
                                  {"Action", "kms:*"},
                                  {"Resource", "*"},
                                  {"Condition", {{"Bool", {{"aws:ViaAWSService", "false"}}}}}}}))});
  EXPECT_EQ(EvaluateOne(MakeEvaluator(rule), principal).status, model::Status::kFail);
  rule.param_values["conditional_deny"] = "honor";
  EXPECT_EQ(EvaluateOne(MakeEvaluator(rule), principal).status, model::Status::kPass);
}

TEST(EvaluatorTest, UnconditionalDenyInTheSamePolicyCancelsAndIsEvidenceWhenPartial) {
  const Evaluator evaluator = MakeEvaluator(BuiltinRule());
  const model::Finding f = EvaluateOne(
      evaluator,
      Principal(model::kIamRole, "r",
                {Policy("p", Doc({{{"Effect", "Allow"}, {"Action", "kms:*"}, {"Resource", "*"}},
                                  {{"Sid", "NoDecrypt"},
                                   {"Effect", "Deny"},
                                   {"Action", "kms:Decrypt"},
                                   {"Resource", "*"}}}))}));
  // kms:Decrypt is denied, kms:ReEncryptFrom is still granted.
  EXPECT_EQ(f.status, model::Status::kFail);
  EXPECT_THAT(f.message, HasSubstr("allow kms:ReEncryptFrom on all KMS keys"));
  ASSERT_THAT(f.evidence, SizeIs(2));
  EXPECT_EQ(f.evidence[0].effect, "Allow");
  EXPECT_THAT(f.evidence[0].actions, ElementsAre("kms:ReEncryptFrom"));
  EXPECT_EQ(f.evidence[1].effect, "Deny");
  EXPECT_EQ(f.evidence[1].sid, "NoDecrypt");
  EXPECT_THAT(f.evidence[1].actions, ElementsAre("kms:Decrypt"));
}

TEST(EvaluatorTest, UrlEncodedDocumentIsEvaluated) {
  const Evaluator evaluator = MakeEvaluator(BuiltinRule());
  const std::string encoded =
      "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C"
      "%22Action%22%3A%22kms%3ADecrypt%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D";
  const model::Finding f =
      EvaluateOne(evaluator, Principal(model::kIamUser, "u", {Policy("encoded", encoded)}));
  EXPECT_EQ(f.status, model::Status::kFail);
}

TEST(EvaluatorTest, GarbledDocumentsAreErrorsNamingThePointer) {
  const Evaluator evaluator = MakeEvaluator(BuiltinRule());
  model::Resource r = Principal(model::kIamRole, "r", Json::array());
  r.document["inline_policies"] = {{"name", "x"}};
  EXPECT_EQ(EvaluateOne(evaluator, r).status, model::Status::kError);
  EXPECT_THAT(EvaluateOne(evaluator, r).message, HasSubstr("/inline_policies: expected a list"));

  r.document.erase("inline_policies");
  EXPECT_THAT(EvaluateOne(evaluator, r).message, HasSubstr("/inline_policies: missing"));

  r.document["inline_policies"] =
      Json::array({{{"name", "no-doc"}}, "text", Policy("ok", kScoped)});
  const model::Finding f = EvaluateOne(evaluator, r);
  EXPECT_EQ(f.status, model::Status::kError);
  EXPECT_THAT(f.message,
              HasSubstr("inline policy \"no-doc\": /inline_policies/0/document: missing"));
  EXPECT_THAT(f.message, HasSubstr("/inline_policies/1: expected an object"));

  r.document = "not an object";
  EXPECT_THAT(EvaluateOne(evaluator, r).message, HasSubstr("/: the resource document is string"));
}

TEST(EvaluatorTest, ParameterOverridesChangeTheQuery) {
  rules::Rule rule = BuiltinRule();
  rule.param_values["blocked_actions"] = {"kms:Encrypt"};
  const model::Resource principal = Principal(
      model::kIamRole, "r",
      {Policy("p", Doc({{{"Effect", "Allow"}, {"Action", "kms:Decrypt"}, {"Resource", "*"}}}))});
  EXPECT_EQ(EvaluateOne(MakeEvaluator(rule), principal).status, model::Status::kPass);
  rule.param_values["on_condition"] = "sometimes";  // a bad override is an error, not a guess
  const model::Finding f = EvaluateOne(MakeEvaluator(rule), principal);
  EXPECT_EQ(f.status, model::Status::kError);
  EXPECT_THAT(f.message, HasSubstr("argument \"on_condition\" of iam.allows is \"sometimes\""));
}

TEST(EvaluatorTest, OnlyRulesForTheResourceTypeRun) {
  const Evaluator evaluator = MakeEvaluator(BuiltinRule());
  model::Resource bucket = Principal(model::kIamRole, "b", Json::array());
  bucket.type = "AWS::S3::Bucket";
  EXPECT_THAT(evaluator.Evaluate(bucket), IsEmpty());
}

TEST(BuiltinTableTest, EveryDeclaredOperatorHasAnImplementation) {
  for (const rules::BuiltinSpec& spec : rules::Builtins()) {
    EXPECT_NE(FindImplementation(spec.name), nullptr) << spec.name;
  }
  EXPECT_EQ(FindImplementation("no.such"), nullptr);
}


// A host that shows no explanation (the table without --explain) gets none, and nothing else
// changes: the same findings, verdicts, messages, evidence and remediation, for every principal
// of the bundled example.
TEST(EvaluatorTest, WithoutExplanationsOnlyTheExplanationIsLeftOut) {
  std::ifstream in(std::filesystem::path(KMSGUARD_SOURCE_DIR) / "docs" / "examples" /
                   "account-authorization-details.json");
  ASSERT_TRUE(in);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const adapters::AdapterResult read = adapters::ReadAuthorizationDetails(text, "example.json");
  ASSERT_FALSE(read.resources.empty());
  const auto rule_set = std::make_shared<const rules::RuleSet>(rules::LoadBuiltinRules().rules);
  EvaluationOptions terse;
  terse.explanation = false;
  const Evaluator full(rule_set);
  const Evaluator short_form(rule_set, "", terse);
  int explained = 0;
  render::RenderOptions same_time;
  same_time.time = std::chrono::system_clock::time_point();
  for (const model::Resource& resource : read.resources) {
    std::vector<model::Finding> with = full.Evaluate(resource);
    const std::vector<model::Finding> without = short_form.Evaluate(resource);
    ASSERT_EQ(with.size(), without.size()) << resource.id;
    for (std::size_t i = 0; i < with.size(); ++i) {
      EXPECT_THAT(without[i].explanation, IsEmpty()) << resource.id;
      explained += with[i].explanation.empty() ? 0 : 1;
      with[i].explanation.clear();
      EXPECT_EQ(render::RenderJsonLines({with[i]}, {}, same_time),
                render::RenderJsonLines({without[i]}, {}, same_time))
          << resource.id;
    }
  }
  EXPECT_GT(explained, 20);  // the full form did explain
}

}  // namespace
}  // namespace kmsguard::engine
