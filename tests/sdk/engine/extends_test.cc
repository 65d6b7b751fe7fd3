// `extends:` (issue 17): a rule built on another, shipped or given, inheriting its semantics and
// parameters; what it must state itself, what it never inherits (compliance), and the errors of a
// wrong base, a cycle and a missing own key, each at its place.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sdk/rules/rule.h"
#include "tests/sdk/engine/engine_test_support.h"

namespace kmsguard::engine {
namespace {

using test::Doc;
using test::Policy;
using test::Principal;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kEveryKeyRule[] = "aws-iam-inline-kms-decrypt-all-keys";

// The shipped rules plus `text` as the user's file "mine.yaml".
rules::LoadResult LoadWithBuiltins(const std::string& text) {
  std::vector<rules::SourceFile> files = rules::BuiltinRuleSources();
  files.push_back(rules::SourceFile{"mine.yaml", text});
  return rules::LoadRuleFiles(files);
}

const rules::Param* FindParam(const rules::Rule& rule, const std::string& name) {
  for (const rules::Param& param : rule.params) {
    if (param.name == name) return &param;
  }
  return nullptr;
}

const rules::Rule* Find(const rules::LoadResult& result, const std::string& id) {
  for (const rules::Rule& rule : result.rules) {
    if (rule.id == id) return &rule;
  }
  return nullptr;
}

std::vector<std::string> Errors(const rules::LoadResult& result) {
  std::vector<std::string> out;
  for (const core::Diagnostic& d : result.diagnostics) {
    if (d.severity == core::DiagnosticSeverity::kError) out.push_back(d.ToString());
  }
  return out;
}

// The headline rule's semantics for key administration instead of decryption: a few lines.
constexpr char kKeyAdmin[] = R"(api_version: kmsguard/v1
kind: Rule
id: my-kms-key-admin-all-keys
version: 1.0.0
title: IAM principals should not be able to grant themselves use of every KMS key
extends: aws-iam-inline-kms-decrypt-all-keys
severity: high
params:
  blocked_actions:
    default: [kms:CreateGrant, kms:PutKeyPolicy]
    description: Key administration actions that must not reach every key.
)";

TEST(ExtendsTest, ARuleOnAShippedOneInheritsItsSemanticsWithItsOwnParameters) {
  const rules::LoadResult result = LoadWithBuiltins(kKeyAdmin);
  ASSERT_THAT(Errors(result), IsEmpty());
  const rules::Rule* mine = Find(result, "my-kms-key-admin-all-keys");
  const rules::Rule* base = Find(result, kEveryKeyRule);
  ASSERT_NE(mine, nullptr);
  ASSERT_NE(base, nullptr);
  EXPECT_EQ(mine->extends, kEveryKeyRule);
  EXPECT_EQ(mine->location.file, "mine.yaml");
  EXPECT_EQ(mine->location.line, 1);
  EXPECT_EQ(mine->severity, model::Severity::kHigh);
  EXPECT_EQ(mine->resource_types, base->resource_types);
  EXPECT_EQ(mine->description, base->description);
  // Never the base's control: its findings are not Security Hub KMS.2.
  EXPECT_THAT(base->compliance, SizeIs(1));
  EXPECT_THAT(mine->compliance, IsEmpty());

  const model::Resource grants_admin = Principal(
      model::kIamRole, "admin",
      {Policy("p",
              Doc({{{"Effect", "Allow"}, {"Action", "kms:CreateGrant"}, {"Resource", "*"}}}))});
  const model::Finding f = test::EvaluateOne(test::MakeEvaluator(*mine), grants_admin);
  EXPECT_EQ(f.status, model::Status::kFail);
  EXPECT_EQ(f.rule_id, "my-kms-key-admin-all-keys");
  EXPECT_THAT(f.message, HasSubstr("kms:CreateGrant"));
  EXPECT_THAT(f.compliance, IsEmpty());
  // The base rule, unchanged, does not fail it (no decryption).
  EXPECT_EQ(test::EvaluateOne(test::MakeEvaluator(*base), grants_admin).status,
            model::Status::kPass);
  // Its parameter description was replaced, its type inherited.
  const rules::Param* param = FindParam(*mine, "blocked_actions");
  ASSERT_NE(param, nullptr);
  EXPECT_EQ(param->description, "Key administration actions that must not reach every key.");
}

TEST(ExtendsTest, AChainResolvesAndTheNearestRuleWins) {
  const std::string chain = std::string(kKeyAdmin) + R"(---
api_version: kmsguard/v1
kind: Rule
id: my-kms-put-key-policy
version: 2.0.0
title: IAM principals should not be able to rewrite every key policy
extends: my-kms-key-admin-all-keys
params:
  blocked_actions: {default: [kms:PutKeyPolicy]}
)";
  const rules::LoadResult result = LoadWithBuiltins(chain);
  ASSERT_THAT(Errors(result), IsEmpty());
  const rules::Rule* last = Find(result, "my-kms-put-key-policy");
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->severity, model::Severity::kHigh);  // from the middle rule
  EXPECT_EQ(last->version, "2.0.0");
  ASSERT_NE(FindParam(*last, "blocked_actions"), nullptr);
  EXPECT_EQ(FindParam(*last, "blocked_actions")->description,
            "Key administration actions that must not reach every key.");
  const model::Resource createsgrant = Principal(
      model::kIamRole, "r",
      {Policy("p",
              Doc({{{"Effect", "Allow"}, {"Action", "kms:CreateGrant"}, {"Resource", "*"}}}))});
  EXPECT_EQ(test::EvaluateOne(test::MakeEvaluator(*last), createsgrant).status,
            model::Status::kPass);
}

struct BadCase {
  const char* name;
  std::string text;
  const char* error;
};

TEST(ExtendsTest, AWrongBaseACycleOrAMissingOwnKeyIsAnErrorAtItsPlace) {
  const std::string head = "api_version: kmsguard/v1\nkind: Rule\n";
  const BadCase cases[] = {
      {"unknown base", head + "id: a\nversion: 1.0.0\ntitle: A\nextends: no-such-rule\n",
       "mine.yaml:6:10: error: extends names no rule: \"no-such-rule\""},
      {"cycle",
       head + "id: a\nversion: 1.0.0\ntitle: A\nextends: b\n---\n" + head +
           "id: b\nversion: 1.0.0\ntitle: B\nextends: a\n",
       "leads back to a rule of its own chain (a cycle)"},
      {"itself", head + "id: a\nversion: 1.0.0\ntitle: A\nextends: a\n", "(a cycle)"},
      {"no title", head + "id: a\nversion: 1.0.0\nextends: " + kEveryKeyRule + "\n",
       "mine.yaml:1:1: error: a rule that extends another states its own \"title\""},
      {"not an id", head + "id: a\nversion: 1.0.0\ntitle: A\nextends: [x]\n",
       "extends must name one rule by its id"},
      {"no id of its own", head + "version: 1.0.0\ntitle: A\nextends: " + kEveryKeyRule + "\n",
       "states its own \"id\""},
      {"a document that is no map beside it",
       head + "id: a\nversion: 1.0.0\ntitle: A\nextends: nothing\n---\n- x\n---\nkey: value\n",
       "extends names no rule"},
      {"a parameter of the wrong type",
       head + "id: a\nversion: 1.0.0\ntitle: A\nextends: " + kEveryKeyRule +
           "\nparams:\n  blocked_actions: {default: kms:Decrypt}\n",
       "blocked_actions"},
  };
  for (const BadCase& c : cases) {
    const rules::LoadResult result = LoadWithBuiltins(c.text);
    const std::vector<std::string> errors = Errors(result);
    ASSERT_THAT(errors, Not(IsEmpty())) << c.name;
    EXPECT_THAT(errors[0], HasSubstr(c.error)) << c.name << ": " << errors[0];
    EXPECT_EQ(Find(result, "a"), nullptr) << c.name;
    // The shipped rules still load.
    EXPECT_NE(Find(result, kEveryKeyRule), nullptr) << c.name;
  }
}

}  // namespace
}  // namespace kmsguard::engine
