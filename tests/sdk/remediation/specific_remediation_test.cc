// The remediation the evaluator attaches to FAIL and WARNING findings: specific to the principal
// and policy, ready to paste, and correct: the corrected document in the CLI command, put back
// into the resource and evaluated again, passes.
#include "sdk/remediation/specific_remediation.h"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/model/iam_document.h"
#include "sdk/adapters/authorization_details.h"
#include "sdk/engine/evaluator.h"
#include "sdk/rules/builtins.h"
#include "sdk/rules/rule.h"

namespace kmsguard::remediation {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using Json = nlohmann::json;

constexpr char kInlineRule[] = "aws-iam-inline-kms-decrypt-all-keys";

std::vector<rules::Rule> BuiltinRules() {
  rules::LoadResult result = rules::LoadBuiltinRules();
  EXPECT_THAT(result.diagnostics, IsEmpty());
  return std::move(result.rules);
}

engine::Evaluator EvaluatorFor(const std::string& rule_id, const std::string& on_condition = "") {
  std::vector<rules::Rule> selected;
  for (rules::Rule& rule : BuiltinRules()) {
    if (rule.id != rule_id) continue;
    if (!on_condition.empty()) rule.param_values["on_condition"] = on_condition;
    selected.push_back(std::move(rule));
  }
  EXPECT_THAT(selected, SizeIs(1)) << rule_id;
  return engine::Evaluator(std::make_shared<const rules::RuleSet>(std::move(selected)));
}

model::Resource Principal(const std::string& type, const std::string& kind,
                          const std::string& name, Json inline_policies) {
  model::Resource r;
  r.id = "arn:aws:iam::111122223333:" + kind + "/" + name;
  r.type = type;
  r.partition = "aws";
  r.account = "111122223333";
  r.name = name;
  r.document = {{"name", name}, {"arn", r.id}, {"path", "/"}, {"inline_policies", inline_policies}};
  return r;
}

Json Doc(Json statements) {
  return {{"Version", "2012-10-17"}, {"Statement", std::move(statements)}};
}

// The single-quoted shell word that starts at `at` ('...' with '\'' for a quote), unquoted.
std::string Unquote(const std::string& cli, std::size_t at) {
  std::string word;
  std::size_t i = at + 1;
  while (i < cli.size()) {
    if (cli.compare(i, 4, "'\\''") == 0) {
      word += '\'';
      i += 4;
    } else if (cli[i] == '\'') {
      break;
    } else {
      word += cli[i++];
    }
  }
  return word;
}

// The quoted argument of each `flag` (e.g. "--policy-document ") in the generated commands that
// start with `command` ("aws iam put-", "aws iam create-policy-version"), in order. The rule's
// by-hand steps after "# By hand" are not read.
std::vector<std::string> Arguments(const std::string& all, const std::string& command,
                                   const std::string& flag) {
  const std::string cli = all.substr(0, all.find("\n# By hand"));
  std::vector<std::string> out;
  for (std::size_t at = cli.find(command); at != std::string::npos;
       at = cli.find(command, at + 1)) {
    const std::size_t arg = cli.find(flag, at);
    if (arg != std::string::npos) out.push_back(Unquote(cli, arg + flag.size()));
  }
  return out;
}

// `resource` with its failing policies replaced by the documents of the finding's CLI commands.
model::Resource Corrected(model::Resource resource, const model::Finding& finding) {
  model::MaterializeDocument(&resource);  // the export reader's text, as JSON to edit
  const std::string& cli = finding.remediation.cli;
  if (resource.type == model::kIamManagedPolicy) {
    const std::vector<std::string> documents =
        Arguments(cli, "aws iam create-policy-version ", "--policy-document ");
    EXPECT_THAT(documents, SizeIs(1)) << cli;
    if (!documents.empty()) resource.document["document"] = Json::parse(documents[0]);
    return resource;
  }
  const std::vector<std::string> documents =
      Arguments(cli, "aws iam put-", "--policy-document ");
  const std::vector<std::string> names = Arguments(cli, "aws iam put-", "--policy-name ");
  EXPECT_EQ(names.size(), documents.size()) << finding.remediation.cli;
  for (std::size_t i = 0; i < names.size() && i < documents.size(); ++i) {
    bool found = false;
    for (Json& entry : resource.document["inline_policies"]) {
      if (entry["name"] == names[i]) {
        entry["document"] = Json::parse(documents[i]);
        found = true;
      }
    }
    EXPECT_TRUE(found) << names[i];
  }
  return resource;
}

TEST(SpecificRemediationTest, RoleWithKmsStarGetsReadyToPasteCommandsThatPass) {
  const engine::Evaluator evaluator = EvaluatorFor(kInlineRule);
  const model::Resource role = Principal(
      model::kIamRole, "role", "ec2-app-server",
      {{{"name", "app-kms-full"},
        {"document", Doc({{{"Effect", "Allow"}, {"Action", "kms:*"}, {"Resource", "*"}}})}},
       {{"name", "app-s3-assets"},
        {"document", Doc({{{"Effect", "Allow"},
                           {"Action", "s3:GetObject"},
                           {"Resource", "arn:aws:s3:::example-app-assets/*"}}})}}});
  const std::vector<model::Finding> findings = evaluator.Evaluate(role);
  ASSERT_THAT(findings, SizeIs(1));
  const model::Finding& f = findings[0];
  ASSERT_EQ(f.status, model::Status::kFail);
  const model::Remediation& r = f.remediation;

  EXPECT_THAT(r.console, HasSubstr("Generated least-privilege replacement for role ec2-app-server:"));
  EXPECT_THAT(r.console, HasSubstr("Inline policy \"app-kms-full\" of role ec2-app-server: "
                                   "statement 0 allowed kms:Decrypt, kms:ReEncryptFrom on every "
                                   "key: now allowed only on arn:aws:kms:REGION:ACCOUNT:key/KEY_ID"));
  EXPECT_THAT(r.console, HasSubstr("\"kms:*\" was replaced by the 53 other KMS actions"));
  EXPECT_THAT(r.console, HasSubstr("Adding a Condition (e.g. kms:ViaService) instead does not "
                                   "clear KMS.2"));
  EXPECT_THAT(r.console, Not(HasSubstr("app-s3-assets")));  // only failing policies

  EXPECT_THAT(r.cli, HasSubstr("aws iam put-role-policy --role-name 'ec2-app-server' "
                               "--policy-name 'app-kms-full' \\\n  --policy-document '{"));
  EXPECT_THAT(r.cli, HasSubstr("aws iam delete-role-policy --role-name 'ec2-app-server' "
                               "--policy-name 'app-kms-full'\n"));
  // The rule's own by-hand steps stay after the generated commands.
  EXPECT_LT(r.cli.find("put-role-policy --role-name 'ec2-app-server' --policy-name 'app"),
            r.cli.find("# By hand"));

  EXPECT_THAT(r.terraform, HasSubstr("resource \"aws_iam_role_policy\" "
                                     "\"ec2_app_server_app_kms_full\" {\n"
                                     "  name   = \"app-kms-full\"\n"
                                     "  role   = \"ec2-app-server\"\n"
                                     "  policy = jsonencode({\n"));
  EXPECT_THAT(r.terraform, HasSubstr("#     Sid = \"AllowEc2AppServerDecrypt\"\n"));
  EXPECT_THAT(r.terraform, HasSubstr("#     Principal = { AWS = "
                                     "\"arn:aws:iam::111122223333:role/ec2-app-server\" }\n"));
  EXPECT_THAT(r.terraform, HasSubstr("Action = [\"kms:Decrypt\", \"kms:ReEncryptFrom\"]"));

  const std::vector<model::Finding> after = evaluator.Evaluate(Corrected(role, f));
  ASSERT_THAT(after, SizeIs(1));
  EXPECT_EQ(after[0].status, model::Status::kPass) << after[0].message;
}

TEST(SpecificRemediationTest, ConditionalGrantsAndQuotingAndGroups) {
  // on_condition: warn makes a WARNING; it gets the same generated remediation. A name with a
  // quote stays one shell word.
  const engine::Evaluator evaluator = EvaluatorFor(kInlineRule, "warn");
  const Json conditional = Doc({{{"Sid", "ViaS3"},
                                 {"Effect", "Allow"},
                                 {"Action", {"kms:Decrypt", "kms:DescribeKey"}},
                                 {"Resource", "*"},
                                 {"Condition",
                                  {{"StringEquals",
                                    {{"kms:ViaService", "s3.us-east-1.amazonaws.com"}}}}}}});
  const model::Resource user = Principal(model::kIamUser, "user", "o'brien",
                                         {{{"name", "it's-kms"}, {"document", conditional}}});
  const std::vector<model::Finding> findings = evaluator.Evaluate(user);
  ASSERT_THAT(findings, SizeIs(1));
  const model::Finding& f = findings[0];
  ASSERT_EQ(f.status, model::Status::kWarning);
  EXPECT_THAT(f.remediation.cli, HasSubstr("aws iam put-user-policy --user-name 'o'\\''brien' "
                                           "--policy-name 'it'\\''s-kms'"));
  EXPECT_THAT(f.remediation.console, HasSubstr("its Condition is kept"));
  const std::vector<model::Finding> after = evaluator.Evaluate(Corrected(user, f));
  ASSERT_THAT(after, SizeIs(1));
  EXPECT_EQ(after[0].status, model::Status::kPass) << after[0].message;

  const model::Resource group =
      Principal(model::kIamGroup, "group", "Developers",
                {{{"name", "all-but-iam"},
                  {"document", Doc({{{"Effect", "Allow"},
                                     {"NotAction", {"iam:*"}},
                                     {"Resource", "*"}}})}}});
  const model::Finding g = evaluator.Evaluate(group).at(0);
  ASSERT_EQ(g.status, model::Status::kFail);
  EXPECT_THAT(g.remediation.terraform, HasSubstr("an IAM group cannot be the Principal of a key "
                                                 "policy"));
  EXPECT_THAT(g.remediation.terraform, HasSubstr("resource \"aws_iam_group_policy\""));
  EXPECT_THAT(g.remediation.terraform, HasSubstr("  group  = \"Developers\"\n"));
  EXPECT_EQ(evaluator.Evaluate(Corrected(group, g)).at(0).status, model::Status::kPass);
}

// Names and patterns come from the input. A newline in one used to end a `#` comment of the
// generated CLI snippet and put `$(...)` on a line of its own, run by whoever pastes it. The whole
// CLI remediation (generated part and rule text) is run here with bash, `aws` a no-op function:
// nothing from the input may run. The console and Terraform text may not start a line with it
// (in Terraform a line of its own would be HCL).
TEST(SpecificRemediationTest, HostileNamesAndPatternsNeverRunWhenTheSnippetIsPasted) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("kmsguard-pwn-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
       "-" + std::to_string(reinterpret_cast<std::uintptr_t>(&dir) % 100000));
  std::filesystem::create_directories(dir);
  const std::string marker = (dir / "pwned").string();
  const std::string payload = "x\n$(touch " + marker + ")\n`touch " + marker + "`\r\n;touch " +
                              marker + ";#";
  const Json grant = Doc({{{"Effect", "Allow"},
                           {"Action", "kms:Decrypt"},
                           {"Resource", {"*", "arn:aws:kms:us-east-1:111122223333:key/" + payload}}}});
  model::Resource role =
      Principal(model::kIamRole, "role", "r" + payload, {{{"name", "p" + payload}, {"document", grant}}});
  const std::vector<model::Finding> findings = EvaluatorFor(kInlineRule).Evaluate(role);
  ASSERT_THAT(findings, SizeIs(1));
  const model::Finding& f = findings[0];
  ASSERT_EQ(f.status, model::Status::kFail);
  ASSERT_THAT(f.remediation.cli, HasSubstr("aws iam put-role-policy"));
  const std::string script = (dir / "remediation.sh").string();
  std::ofstream(script) << "aws() { :; }\n" << f.remediation.cli << "\n";
  const std::string command = "bash " + script + " > /dev/null 2>&1";
  EXPECT_EQ(std::system(command.c_str()) == -1, false);
  EXPECT_FALSE(std::filesystem::exists(marker)) << f.remediation.cli;
  // (The CLI keeps exact names inside single-quoted words, newlines and all: bash proved that
  // safe above.)
  for (const std::string* text : {&f.remediation.console, &f.remediation.terraform, &f.message}) {
    EXPECT_THAT(*text, Not(HasSubstr("\n$(touch"))) << *text;
    EXPECT_THAT(*text, Not(HasSubstr("\n`touch"))) << *text;
    EXPECT_THAT(*text, Not(HasSubstr("\n;touch"))) << *text;
  }
  std::filesystem::remove_all(dir);
}

// The keys a principal's other inline policies name replace the placeholder in its rewrite. A
// document is read for them once (AnalyzedPolicy::Derived) and kept per partition: the same two
// documents on a principal of another partition name that partition's keys.
TEST(SpecificRemediationTest, NamedKeysOfARepeatedDocumentFollowEachPrincipalsPartition) {
  const engine::Evaluator evaluator = EvaluatorFor(kInlineRule);
  const Json broad = Doc({{{"Effect", "Allow"}, {"Action", "kms:Decrypt"}, {"Resource", "*"}}});
  const Json uses = Doc({{{"Effect", "Allow"},
                          {"Action", "kms:Encrypt"},
                          {"Resource",
                           {"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                            "arn:aws-cn:kms:cn-north-1:111122223333:key/5678abcd-12ab-34cd-56ef-1234567890cd"}}}});
  const auto rewrite = [&evaluator, &broad, &uses](const std::string& name,
                                                  const std::string& partition) {
    model::Resource role = Principal(model::kIamRole, "role", name,
                                     {{{"name", "broad"}, {"document", broad}},
                                      {{"name", "uses"}, {"document", uses}}});
    role.partition = partition;
    role.id = "arn:" + partition + ":iam::111122223333:role/" + name;
    std::vector<model::Finding> findings = evaluator.Evaluate(role);
    EXPECT_THAT(findings, SizeIs(1));
    EXPECT_EQ(findings.at(0).status, model::Status::kFail);
    return findings.at(0).remediation.cli;
  };
  const std::string commercial = rewrite("a", "aws");
  const std::string again = rewrite("b", "aws");
  const std::string china = rewrite("c", "aws-cn");
  EXPECT_THAT(commercial, HasSubstr("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"));
  EXPECT_THAT(commercial, Not(HasSubstr("5678abcd-12ab")));
  EXPECT_THAT(again, HasSubstr("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"));
  EXPECT_THAT(china, HasSubstr("arn:aws-cn:kms:cn-north-1:111122223333:key/5678abcd-12ab-34cd-56ef-1234567890cd"));
  EXPECT_THAT(china, Not(HasSubstr("1234abcd-12ab")));
}

TEST(SpecificRemediationTest, PassAndErrorFindingsGetNoGeneratedText) {
  const engine::Evaluator evaluator = EvaluatorFor(kInlineRule);
  const model::Finding pass = evaluator
                                  .Evaluate(Principal(model::kIamRole, "role", "ok",
                                                      Json::array()))
                                  .at(0);
  EXPECT_EQ(pass.status, model::Status::kPass);
  EXPECT_TRUE(pass.remediation.cli.empty());
  const model::Finding error =
      evaluator
          .Evaluate(Principal(model::kIamRole, "role", "bad",
                              {{{"name", "broken"}, {"document", "{not json"}}}))
          .at(0);
  EXPECT_EQ(error.status, model::Status::kError);
  EXPECT_THAT(error.remediation.cli, Not(HasSubstr("put-role-policy")));
}

// Every FAIL and WARNING of every built-in rule on the bundled example: the corrected documents
// of its CLI commands, put back, make the finding PASS.
TEST(SpecificRemediationTest, EveryFailureOfTheBundledExampleIsFixedByItsCommands) {
  const std::filesystem::path path =
      std::filesystem::path(KMSGUARD_SOURCE_DIR) / "docs/examples/account-authorization-details.json";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::stringstream text;
  text << in.rdbuf();
  const adapters::AdapterResult read = adapters::ReadAuthorizationDetails(text.str(), "example");
  ASSERT_THAT(read.diagnostics, IsEmpty());
  int fixed = 0;
  for (const rules::Rule& rule : BuiltinRules()) {
    const engine::Evaluator evaluator = EvaluatorFor(rule.id);
    for (const model::Resource& resource : read.resources) {
      for (const model::Finding& f : evaluator.Evaluate(resource)) {
        if (f.status != model::Status::kFail && f.status != model::Status::kWarning) continue;
        SCOPED_TRACE(rule.id + " " + resource.id);
        EXPECT_THAT(f.remediation.cli, HasSubstr("--policy-document '{"));
        const std::vector<model::Finding> after = evaluator.Evaluate(Corrected(resource, f));
        ASSERT_THAT(after, SizeIs(1));
        EXPECT_EQ(after[0].status, model::Status::kPass) << after[0].message;
        ++fixed;
      }
    }
  }
  EXPECT_GE(fixed, 5);  // the five KMS.2 failures of docs/examples/README.md at least
}

}  // namespace
}  // namespace kmsguard::remediation
