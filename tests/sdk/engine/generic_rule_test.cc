// Generic conditions evaluated: every operator with a passing and a failing case, quantifiers,
// for_each sub-keys, exceptions (suppressed, expired), and built-ins inside generic conditions.
#include <algorithm>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/core/text.h"
#include "sdk/engine/evaluator.h"
#include "sdk/engine/expr_eval.h"
#include "sdk/render/render.h"
#include "tests/sdk/engine/engine_test_support.h"

namespace kmsguard::engine {
namespace {

using test::Doc;
using test::Policy;
using test::Principal;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::string RuleText(const std::string& violation, const std::string& extra = "") {
  return "api_version: kmsguard/v1\nkind: Rule\nid: generic\nversion: 1.0.0\ntitle: t\n"
         "description: d\nseverity: high\nresource_types: [AWS::IAM::Role]\n"
         "params:\n  names: {type: list, default: [admin, root]}\n  limit: {type: number, "
         "default: 2}\n  patterns: {type: list, default: [\"^root$\", \"^a.p$\"]}\n"
         "  no_patterns: {type: string, default: \"^ap$\"}\n"
         "  actions: {type: list, default: [\"sts:TagSession\"]}\n"
         "violation:\n" +
         violation + "message: \"{{resource.name}} is bad\"\nremediation: {summary: fix}\n" + extra;
}

rules::Rule Load(const std::string& text) {
  rules::LoadResult result = rules::LoadRuleText(text, "t.yaml");
  for (const auto& d : result.diagnostics) {
    if (d.severity == core::DiagnosticSeverity::kError) ADD_FAILURE() << d.ToString();
  }
  EXPECT_THAT(result.rules, SizeIs(1));
  return result.rules.empty() ? rules::Rule() : std::move(result.rules[0]);
}

// A role with two inline policies and a trust policy held as URL-encoded text.
model::Resource Role(const std::string& name = "app") {
  model::Resource r =
      Principal(model::kIamRole, name,
                {Policy("grants", Doc({{{"Effect", "Allow"},
                                        {"Action", {"kms:CreateGrant", "s3:GetObject"}},
                                        {"Resource", "*"}}})),
                 Policy("reads", Doc({{{"Effect", "Allow"},
                                       {"Action", "s3:GetObject"},
                                       {"Resource", "arn:aws:s3:::b/*"}}}))});
  r.document["path"] = "/service-role/";
  r.document["max_session"] = 3600;
  r.document["trust_policy"] =
      "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%"
      "22*%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";
  return r;
}

model::Status StatusOf(const std::string& violation, const model::Resource& resource = Role()) {
  const Evaluator evaluator = test::MakeEvaluator(Load(RuleText(violation)));
  const model::Finding f = test::EvaluateOne(evaluator, resource);
  EXPECT_NE(f.status, model::Status::kError) << f.message;
  return f.status;
}

constexpr model::Status kFail = model::Status::kFail;
constexpr model::Status kPass = model::Status::kPass;

struct OperatorCase {
  const char* name;
  const char* holds;     // a violation that holds on Role() (FAIL)
  const char* does_not;  // one that does not (PASS)
};

class OperatorTest : public ::testing::TestWithParam<OperatorCase> {};

TEST_P(OperatorTest, HoldsAndDoesNotHold) {
  EXPECT_EQ(StatusOf(GetParam().holds), kFail) << GetParam().holds;
  EXPECT_EQ(StatusOf(GetParam().does_not), kPass) << GetParam().does_not;
}

INSTANTIATE_TEST_SUITE_P(
    EveryOperator, OperatorTest,
    ::testing::Values(
        OperatorCase{"equals", "  equals: {path: $.name, value: app}\n",
                     "  equals: {path: $.name, value: App}\n"},
        OperatorCase{"equals_ignore_case",
                     "  equals: {path: $.name, value: APP, ignore_case: true}\n",
                     "  equals: {path: $.name, value: ap, ignore_case: true}\n"},
        OperatorCase{"equals_number", "  equals: {path: $.max_session, value: 3600}\n",
                     "  equals: {path: $.max_session, value: \"3600\"}\n"},
        OperatorCase{"in", "  in: {path: $.name, value: [x, app]}\n",
                     "  in: {path: $.name, value: \"${params.names}\"}\n"},
        OperatorCase{"exists", "  exists: {path: $.trust_policy}\n",
                     "  exists: {path: $.permissions_boundary}\n"},
        OperatorCase{"glob", "  glob: {path: $.arn, value: \"arn:aws:iam::*:role/a?p\"}\n",
                     "  glob: {path: $.arn, value: \"arn:aws:iam::*:user/*\"}\n"},
        OperatorCase{"matches", "  matches: {path: $.arn, value: \":role/[a-z]+$\"}\n",
                     "  matches: {path: $.arn, value: \"^role/\"}\n"},
        // A list of patterns (literal, ${lists} or ${params}): any of them matches.
        OperatorCase{"matches_list", "  matches: {path: $.arn, value: [\"^x\", \":role/a\"]}\n",
                     "  matches: {path: $.arn, value: [\"^x\", \":user/\"]}\n"},
        OperatorCase{"matches_param", "  matches: {path: $.name, value: \"${params.patterns}\"}\n",
                     "  matches: {path: $.name, value: \"${params.no_patterns}\"}\n"},
        OperatorCase{"starts_with", "  starts_with: {path: $.path, value: /service-role/}\n",
                     "  starts_with: {path: $.path, value: /aws-service-role/}\n"},
        OperatorCase{"contains_string", "  contains: {path: $.arn, value: \"role/ap\"}\n",
                     "  contains: {path: $.arn, value: \"user/\"}\n"},
        OperatorCase{"contains_list",
                     "  contains: {path: \"$.inline_policies[0].document.Statement[0].Action\", "
                     "value: kms:creategrant, ignore_case: true}\n",
                     "  contains: {path: \"$.inline_policies[0].document.Statement[0].Action\", "
                     "value: kms:creategrant}\n"},
        OperatorCase{"lt", "  lt: {path: $.max_session, value: 3601}\n",
                     "  lt: {path: $.max_session, value: 3600}\n"},
        OperatorCase{"le", "  le: {path: $.max_session, value: 3600}\n",
                     "  le: {path: $.max_session, value: 3599}\n"},
        OperatorCase{"gt", "  gt: {path: $.max_session, value: 3599}\n",
                     "  gt: {path: $.max_session, value: 3600}\n"},
        OperatorCase{"ge", "  ge: {path: $.name, value: apa}\n",
                     "  ge: {path: $.name, value: apq}\n"},
        OperatorCase{"length", "  length: {path: $.inline_policies, equals: 2}\n",
                     "  length: {path: $.name, lt: \"${params.limit}\"}\n"},
        OperatorCase{"count", "  count: {path: \"$.inline_policies[*]\", ge: 2}\n",
                     "  count: {path: \"$.inline_policies[*].document.Statement[*]\", gt: 2}\n"},
        OperatorCase{"all_list",
                     "  all:\n    - exists: {path: $.name}\n    - exists: {path: $.arn}\n",
                     "  all:\n    - exists: {path: $.name}\n    - exists: {path: $.nope}\n"},
        OperatorCase{"any_list",
                     "  any:\n    - exists: {path: $.nope}\n    - exists: {path: $.arn}\n",
                     "  any:\n    - exists: {path: $.nope}\n    - exists: {path: $.nada}\n"},
        OperatorCase{"none_list", "  none:\n    - exists: {path: $.nope}\n",
                     "  none:\n    - exists: {path: $.arn}\n"},
        OperatorCase{"not", "  not: {exists: {path: $.nope}}\n",
                     "  not: {exists: {path: $.arn}}\n"},
        OperatorCase{"any_quantifier",
                     "  equals: {path: \"$.inline_policies[*].name\", value: reads, "
                     "quantifier: any}\n",
                     "  equals: {path: \"$.inline_policies[*].name\", value: writes, "
                     "quantifier: any}\n"},
        OperatorCase{"all_quantifier",
                     "  glob: {path: \"$.inline_policies[*].name\", value: \"*s\", "
                     "quantifier: all}\n",
                     "  glob: {path: \"$.inline_policies[*].name\", value: \"g*\", "
                     "quantifier: all}\n"},
        OperatorCase{"none_quantifier",
                     "  equals: {path: \"$.inline_policies[*].name\", value: writes, "
                     "quantifier: none}\n",
                     "  equals: {path: \"$.inline_policies[*].name\", value: reads, "
                     "quantifier: none}\n"},
        // A statement that allows kms:* actions on every resource: the scope keeps the tests
        // on the same statement.
        OperatorCase{"any_scope",
                     "  any:\n    path: \"$.inline_policies[*].document.Statement[*]\"\n"
                     "    where:\n      all:\n        - equals: {path: '@.Effect', value: Allow}\n"
                     "        - glob: {path: '@.Action[*]', value: \"kms:*\", quantifier: any}\n"
                     "        - equals: {path: '@.Resource[*]', value: \"*\", quantifier: any}\n",
                     "  any:\n    path: \"$.inline_policies[*].document.Statement[*]\"\n"
                     "    where:\n      all:\n        - glob: {path: '@.Action[*]', value: "
                     "\"kms:*\", quantifier: any}\n        - starts_with: {path: '@.Resource[*]', "
                     "value: \"arn:\", quantifier: all}\n"},
        OperatorCase{"all_scope",
                     "  all:\n    path: \"$.inline_policies[*]\"\n    where: {exists: {path: "
                     "'@.document'}}\n",
                     "  all:\n    path: \"$.inline_policies[*]\"\n    where: {equals: {path: "
                     "'@.name', value: grants}}\n"},
        OperatorCase{"none_scope",
                     "  none:\n    path: \"$.inline_policies[*]\"\n    where: {equals: {path: "
                     "'@.name', value: x}}\n",
                     "  none:\n    path: \"$.inline_policies[*]\"\n    where: {equals: {path: "
                     "'@.name', value: reads}}\n"},
        // A policy document held as URL-encoded text is read decoded, in one shape.
        OperatorCase{"encoded_document",
                     "  equals: {path: \"$.trust_policy.Statement[*].Principal.AWS[*]\", value: "
                     "\"*\", quantifier: any}\n",
                     "  equals: {path: \"$.trust_policy.Statement[*].Principal.AWS[*]\", value: "
                     "\"111122223333\", quantifier: any}\n"},
        OperatorCase{"resource_envelope",
                     "  equals: {path: $resource.account, value: \"111122223333\"}\n",
                     "  equals: {path: $resource.region, value: us-east-1}\n"},
        // The IAM operators (iam/request_decision.h), on Role(): its URL-encoded trust policy
        // allows sts:AssumeRole to {"AWS": "*"}; "grants" allows kms:CreateGrant on "*".
        OperatorCase{"policy_allows_principal",
                     "  policy_allows: {path: $.trust_policy, action: sts:AssumeRole, principal: "
                     "\"*\"}\n",
                     "  policy_allows: {path: $.trust_policy, action: sts:TagSession, principal: "
                     "\"*\"}\n"},
        OperatorCase{"policy_allows_resource",
                     "  policy_allows: {path: \"$.inline_policies[*].document\", action: "
                     "\"${params.actions}\", resource: \"arn:aws:kms:us-east-1:1:key/k\", "
                     "quantifier: none}\n",
                     "  policy_allows: {path: \"$.inline_policies[*].document\", action: "
                     "[kms:TagResource, kms:CreateGrant], resource: "
                     "\"arn:{{resource.partition}}:kms:us-east-1:{{resource.account}}:key/k\", "
                     "quantifier: none}\n"},
        OperatorCase{"admits_principal",
                     "  admits_principal: {path: \"$.trust_policy.Statement[*]\", value: "
                     "\"arn:aws:iam::444455556666:role/ci\", quantifier: all}\n",
                     "  admits_principal: {path: \"$.trust_policy.Statement[*]\", value: "
                     "{Service: ec2.amazonaws.com}, quantifier: none}\n"},
        OperatorCase{"unconditional",
                     "  unconditional: {path: \"$.inline_policies[*].document.Statement[*]\", "
                     "quantifier: all}\n",
                     "  unconditional: {path: \"$.inline_policies[*].document.Statement[*]\", "
                     "quantifier: none}\n"}),
    [](const ::testing::TestParamInfo<OperatorCase>& param_info) { return param_info.param.name; });

TEST(GenericRuleTest, AllOnAnEmptyListHolds) {
  model::Resource r = Role();
  r.document["inline_policies"] = nlohmann::json::array();
  EXPECT_EQ(StatusOf("  all:\n    path: \"$.inline_policies[*]\"\n    where: {exists: {path: "
                     "'@.nope'}}\n",
                     r),
            kFail);
}

TEST(GenericRuleTest, AScalarTestOnAListAtRunTimeIsAnError) {
  const Evaluator evaluator =
      test::MakeEvaluator(Load(RuleText("  glob: {path: $.inline_policies, value: \"*\"}\n")));
  const model::Finding f = test::EvaluateOne(evaluator, Role());
  EXPECT_EQ(f.status, model::Status::kError);
  EXPECT_THAT(f.message, HasSubstr("which is a list here"));
  EXPECT_THAT(f.message, HasSubstr("quantifier"));
}

// A policy document that does not decode must be an ERROR, never "the path selects nothing" and
// so a PASS (found by a user trial: document "%ZZ").
TEST(GenericRuleTest, AnUndecodableDocumentIsAnErrorNotAPass) {
  const rules::Rule rule = Load(RuleText(
      "  any:\n    path: \"$.inline_policies[*].document.Statement[*]\"\n"
      "    where: {contains: {path: '@.Action', value: kms:CreateGrant}}\n"));
  for (const char* broken : {"%ZZ", "{\"Statement\": [", "not a document"}) {
    model::Resource r = Role();
    r.document["inline_policies"][0]["document"] = broken;
    const model::Finding f = test::EvaluateOne(test::MakeEvaluator(rule), r);
    EXPECT_EQ(f.status, model::Status::kError) << broken << ": " << f.message;
    EXPECT_THAT(f.message, HasSubstr("not a JSON or URL-encoded JSON document")) << broken;
  }
  // The same rule still decides readable documents, URL-encoded ones included.
  model::Resource ok = Role();
  ok.document["inline_policies"][1]["document"] =
      "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22kms%3ACreateGrant%"
      "22%2C%22Resource%22%3A%22*%22%7D%5D%7D";
  EXPECT_EQ(test::EvaluateOne(test::MakeEvaluator(rule), ok).status, kFail);
}

// What IAM would reject cannot be decided: an IAM test on it is an ERROR naming where, never a
// PASS (a trust policy nobody can read may trust anyone).
TEST(GenericRuleTest, AnIamTestOnWhatIamWouldRejectIsAnError) {
  const std::vector<std::pair<nlohmann::json, const char*>> trust_policies = {
      {{{"Statement", {{{"Effect", "allow"}, {"Principal", "*"}, {"Action", "sts:AssumeRole"}}}}},
       "/Statement/0/Effect"},
      {{{"Statement", {5}}}, "/Statement/0"},
      {{{"Statement", {{{"Effect", "Allow"}, {"Principal", 7}, {"Action", "sts:AssumeRole"}}}}},
       "/Statement/0/Principal"}};
  for (const char* violation :
       {"  policy_allows: {path: $.trust_policy, action: sts:AssumeRole, principal: \"*\"}\n",
        "  admits_principal: {path: \"$.trust_policy.Statement[*]\", value: \"*\", "
        "quantifier: any}\n",
        "  unconditional: {path: \"$.trust_policy.Statement[*]\", quantifier: any}\n"}) {
    const rules::Rule rule = Load(RuleText(violation));
    for (const auto& [trust, pointer] : trust_policies) {
      model::Resource r = Role();
      r.document["trust_policy"] = trust;
      const model::Finding f = test::EvaluateOne(test::MakeEvaluator(rule), r);
      EXPECT_EQ(f.status, model::Status::kError) << violation << trust.dump() << f.message;
      // The statement-level tests see the statement, not the document: its pointer has no prefix.
      if (std::string(violation).find("policy_allows") != std::string::npos) {
        EXPECT_THAT(f.message, HasSubstr(pointer)) << violation << trust.dump();
      }
    }
  }
}

// An error inside a list names the item it happened on, as a JSON pointer into the document the
// rule reads, not only the path: "statement 0" of which policy, among hundreds of roles' (a user
// trial could not tell which of 40 inline policies a "cannot step into" came from).
TEST(GenericRuleTest, AnErrorInsideAListNamesWhichItem) {
  model::Resource r = Role();
  r.document["trust_policy"] = {{"Statement",
                                 {{{"Effect", "Allow"},
                                   {"Principal", {{"Service", "ec2.amazonaws.com"}}},
                                   {"Action", "sts:AssumeRole"}},
                                  5}}};
  const model::Finding statement = test::EvaluateOne(
      test::MakeEvaluator(
          Load(RuleText("  admits_principal: {path: \"$.trust_policy.Statement[*]\", "
                        "value: \"*\", quantifier: any}\n"))),
      r);
  EXPECT_EQ(statement.status, model::Status::kError) << statement.message;
  EXPECT_THAT(statement.message, HasSubstr("got 5 at /trust_policy/Statement/1 ("));

  // A scalar test on a list, reached through two lists: the pointer names both positions.
  const model::Finding list = test::EvaluateOne(
      test::MakeEvaluator(
          Load(RuleText("  any:\n    path: \"$.inline_policies[*].document.Statement[*]\"\n"
                        "    where: {glob: {path: '@.Action', value: \"kms:*\"}}\n"))),
      Role());
  EXPECT_EQ(list.status, model::Status::kError) << list.message;
  EXPECT_THAT(list.message, HasSubstr("at /inline_policies/0/document/Statement/0/Action:"));

  // Inside a document held as text that the rule's path decodes: the text's place, then the
  // place within it.
  model::Resource tagged = Role();
  tagged.document["tags"] = {
      {"policy", R"({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                                   "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
                                  {"Effect": "Allow", "Action": 3, "Resource": "*"}]})"}};
  const model::Finding decoded = test::EvaluateOne(
      test::MakeEvaluator(Load(RuleText("  any:\n    path: \"$.tags.policy.Statement[*]\"\n"
                                        "    where: {unconditional: {path: '@'}}\n"))),
      tagged);
  EXPECT_EQ(decoded.status, model::Status::kError) << decoded.message;
  EXPECT_THAT(decoded.message, HasSubstr("at /tags/policy (decoded) /Statement/1/Action: "));
}

// Asked for a principal, a document is a resource-based policy: a statement without Principal or
// NotPrincipal (IAM refuses such a trust policy) is an ERROR, not a grant to everyone. Asked
// without one, the same statement is an identity policy's and applies to its holder.
TEST(GenericRuleTest, AStatementWithoutPrincipalInAResourcePolicyIsAnError) {
  model::Resource r = Role();
  r.document["trust_policy"] = {
      {"Statement",
       {{{"Effect", "Allow"},
         {"Principal", {{"Service", "ec2.amazonaws.com"}}},
         {"Action", "sts:AssumeRole"}},
        {{"Effect", "Allow"}, {"Action", "sts:AssumeRole"}, {"Resource", "*"}}}}};
  const model::Finding f = test::EvaluateOne(
      test::MakeEvaluator(Load(RuleText(
          "  policy_allows: {path: $.trust_policy, action: sts:AssumeRole, principal: \"*\"}\n"))),
      r);
  EXPECT_EQ(f.status, model::Status::kError) << f.message;
  EXPECT_THAT(f.message, HasSubstr("statement 1 has neither Principal nor NotPrincipal"));
  const model::Finding identity = test::EvaluateOne(
      test::MakeEvaluator(
          Load(RuleText("  policy_allows: {path: $.trust_policy, action: sts:AssumeRole}\n"))),
      r);
  EXPECT_EQ(identity.status, kFail) << identity.message;
  // Without Resource either, the document is one IAM refuses whatever its kind: the message
  // names what each kind needs instead of assuming an identity policy.
  r.document["trust_policy"]["Statement"][1].erase("Resource");
  const model::Finding neither = test::EvaluateOne(
      test::MakeEvaluator(Load(RuleText(
          "  policy_allows: {path: $.trust_policy, action: sts:AssumeRole, principal: \"*\"}\n"))),
      r);
  EXPECT_EQ(neither.status, model::Status::kError) << neither.message;
  EXPECT_THAT(neither.message, HasSubstr("/Statement/1: the statement has no Resource or "
                                         "NotResource and no Principal or NotPrincipal"));
}

// A policy held as JSON text nested far past any limit is an ERROR, never a crash: the text is
// read by the depth-limited reader before anything recursive sees it (a user trial: 70,000
// levels inside a Condition crashed every IAM test and, through scan, the plugin).
TEST(GenericRuleTest, ADeeplyNestedPolicyTextIsAnErrorNotACrash) {
  const std::size_t depth = 200'000;
  const std::string trust =
      R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"x":)" +
      std::string(depth, '[') + std::string(depth, ']') + "}}}]}";
  for (const char* violation :
       {"  policy_allows: {path: $.trust_policy, action: sts:AssumeRole, principal: \"*\"}\n",
        "  admits_principal: {path: \"$.trust_policy.Statement[*]\", value: \"*\", "
        "quantifier: any}\n",
        "  unconditional: {path: \"$.trust_policy.Statement[*]\", quantifier: any}\n"}) {
    model::Resource r = Role();
    r.document["trust_policy"] = trust;
    const model::Finding f = test::EvaluateOne(test::MakeEvaluator(Load(RuleText(violation))), r);
    EXPECT_EQ(f.status, model::Status::kError) << violation << f.message;
  }
}

// --explain shows the statements that took part in policy_allows's decision, under its test.
TEST(GenericRuleTest, ExplanationListsTheStatementsOfAPolicyDecision) {
  const Evaluator evaluator = test::MakeEvaluator(Load(RuleText(
      "  policy_allows: {path: $.trust_policy, action: sts:AssumeRole, principal: \"*\"}\n")));
  const model::Finding f = test::EvaluateOne(evaluator, Role());
  EXPECT_EQ(f.status, kFail);
  EXPECT_THAT(
      f.explanation,
      testing::IsSupersetOf({"  policy_allows $.trust_policy \"sts:AssumeRole\" by \"*\": true",
                             "    statement 0 allows sts:AssumeRole, without a condition",
                             "    decision for sts:AssumeRole by *: allowed"}));
}

// A value the explanation shows is written as JSON: bytes that are not UTF-8 (in a rule built
// through the SDK, or a resource document a host built) become U+FFFD where a plain dump threw
// and took the process down (found by the fuzz target `rules`), and a long value is cut at a
// character boundary, never inside a multi-byte character.
TEST(GenericRuleTest, ExplanationValuesAreValidUtf8WhateverTheBytesAre) {
  rules::Rule rule = Load(RuleText("  equals: {path: $.name, value: placeholder}\n"));
  const std::string long_value = [] {
    std::string s = "a";  // one ASCII byte first, so a cut at 77 bytes would split a "é"
    for (int i = 0; i < 60; ++i) s += "\xC3\xA9";
    return s;
  }();
  for (const std::string& value : {std::string("fu\x88z"), long_value}) {
    SCOPED_TRACE(value.size());
    auto condition = std::make_shared<rules::Expr>(*rule.condition);
    condition->value.literal = value;
    rules::Rule changed = rule;
    changed.condition = condition;
    const Evaluator evaluator = test::MakeEvaluator(changed);
    const model::Finding f = test::EvaluateOne(evaluator, Role(value));
    EXPECT_EQ(f.status, kFail) << f.message;
    ASSERT_THAT(f.explanation, SizeIs(2));
    EXPECT_EQ(f.explanation[0], "violation (the bad state):");
    const std::string& test = f.explanation[1];
    EXPECT_EQ(core::ValidUtf8(test), test);
    EXPECT_THAT(test, testing::StartsWith("  equals $.name \""));
    if (value == long_value) {
      EXPECT_THAT(test, HasSubstr("\xC3\xA9...: true"));
    } else {
      EXPECT_EQ(test, "  equals $.name \"fu\xEF\xBF\xBDz\": true");
    }
  }
}

// The decision line names the resource as judged, its template rendered with the resource's
// account, so a reader sees which ARN was asked about.
TEST(GenericRuleTest, ExplanationNamesTheRenderedResource) {
  const Evaluator evaluator = test::MakeEvaluator(Load(
      RuleText("  policy_allows: {path: \"$.inline_policies[1].document\", action: s3:GetObject, "
               "resource: \"arn:{{resource.partition}}:s3:::b/{{resource.account}}\"}\n")));
  model::Resource role = Role();
  role.partition = "aws";
  role.account = "111122223333";
  const model::Finding f = test::EvaluateOne(evaluator, role);
  EXPECT_EQ(f.status, kFail) << f.message;
  EXPECT_THAT(f.explanation,
              testing::Contains(testing::HasSubstr(
                  "decision for s3:GetObject on arn:aws:s3:::b/111122223333: allowed")));
}

TEST(GenericRuleTest, AnOverriddenPatternParameterIsWhatMatchesUses) {
  std::vector<rules::Rule> rules{
      Load(RuleText("  matches: {path: $.name, value: \"${params.no_patterns}\"}\n"))};
  rules::Override override;
  override.rule_id = "generic";
  override.params["no_patterns"] = "^a";
  ASSERT_THAT(rules::ApplyOverrides({override}, &rules), IsEmpty());
  const Evaluator evaluator(std::make_shared<const rules::RuleSet>(std::move(rules)));
  EXPECT_EQ(test::EvaluateOne(evaluator, Role()).status, kFail);
}

// A PASS says the rule's stated good state is met, in the rule's own words (its title), not
// "does not match the violation condition" (issue 18's trial).
TEST(GenericRuleTest, APassSaysTheRuleIsMetInItsTitlesWords) {
  std::string text = RuleText("  exists: {path: $.no_such_field}\n");
  text.replace(text.find("title: t\n"), 9,
               "title: IAM roles should not have a field nobody has.\n");
  const model::Finding f = test::EvaluateOne(test::MakeEvaluator(Load(text)), Role());
  EXPECT_EQ(f.status, kPass);
  EXPECT_EQ(f.message, "role app meets the rule: IAM roles should not have a field nobody has.");
}

TEST(GenericRuleTest, WhenFalseGivesNoFinding) {
  const rules::Rule rule = Load(RuleText("  exists: {path: $.name}\n",
                                         "when: {starts_with: {path: $.path, value: /app/}}\n"));
  EXPECT_THAT(test::MakeEvaluator(rule).Evaluate(Role()), IsEmpty());
}

TEST(GenericRuleTest, ForEachGivesOneFindingPerItemWithItsKeyAsSubKey) {
  const rules::Rule rule = Load(RuleText(
      "  any:\n    path: \"@.document.Statement[*]\"\n    where: {contains: {path: '@.Action', "
      "value: kms:CreateGrant}}\n",
      "for_each:\n  path: \"$.inline_policies[*]\"\n  key: '@.name'\n"));
  const std::vector<model::Finding> findings = test::MakeEvaluator(rule).Evaluate(Role());
  ASSERT_THAT(findings, SizeIs(2));
  EXPECT_EQ(findings[0].sub_key, "grants");
  EXPECT_EQ(findings[0].status, kFail);
  EXPECT_EQ(findings[1].sub_key, "reads");
  EXPECT_EQ(findings[1].status, kPass);
}

// Items with the same key, or none, must still get distinct sub-keys: the sub-key is part of the
// finding uid, and two findings with one uid collapse into one verdict downstream.
TEST(GenericRuleTest, ForEachItemsWithARepeatedOrMissingKeyGetDistinctSubKeys) {
  const rules::Rule rule = Load(RuleText(
      "  any:\n    path: \"@.document.Statement[*]\"\n    where: {contains: {path: '@.Action', "
      "value: kms:CreateGrant}}\n",
      "for_each:\n  path: \"$.inline_policies[*]\"\n  key: '@.name'\n"));
  model::Resource role = Role();
  role.document["inline_policies"][1]["name"] = "grants";  // the same name as item 0
  role.document["inline_policies"].push_back(role.document["inline_policies"][0]);
  role.document["inline_policies"][2].erase("name");
  const std::vector<model::Finding> findings = test::MakeEvaluator(rule).Evaluate(role);
  ASSERT_THAT(findings, SizeIs(3));
  EXPECT_EQ(findings[0].sub_key, "grants");
  EXPECT_EQ(findings[1].sub_key, "grants#1");
  EXPECT_EQ(findings[2].sub_key, "#2");
  std::set<std::string> uids;
  for (const model::Finding& f : findings) uids.insert(render::FindingUid(f));
  EXPECT_THAT(uids, SizeIs(3));
}

TEST(GenericRuleTest, ExplanationListsEachTestWithItsResult) {
  const Evaluator evaluator = test::MakeEvaluator(Load(RuleText(
      "  all:\n    - exists: {path: $.name}\n    - not: {equals: {path: $.name, value: x}}\n")));
  const model::Finding f = test::EvaluateOne(evaluator, Role());
  EXPECT_EQ(f.status, kFail);
  const std::string why = test::Explanation(f);
  EXPECT_THAT(why, HasSubstr("all of 2 conditions: true"));
  EXPECT_THAT(why, HasSubstr("    exists $.name: true"));
  EXPECT_THAT(why, HasSubstr("      equals $.name \"x\": false"));
}

constexpr char kExceptions[] = R"(exceptions:
  - match: {equals: {path: $.name, value: app}}
    reason: Break-glass role
    owner: security@example.com
    expires: 2030-06-30
)";

TEST(GenericRuleTest, AMatchingExceptionSuppressesTheFindingUntilItExpires) {
  const rules::Rule rule = Load(RuleText("  exists: {path: $.name}\n", kExceptions));
  std::vector<rules::Rule> rules{rule};
  const Evaluator before(std::make_shared<const rules::RuleSet>(std::move(rules)), "2030-06-30");
  const model::Finding suppressed = test::EvaluateOne(before, Role());
  EXPECT_EQ(suppressed.status, model::Status::kSuppressed);
  EXPECT_EQ(suppressed.suppression.status, kFail);
  EXPECT_EQ(suppressed.suppression.reason, "Break-glass role");
  EXPECT_EQ(suppressed.suppression.owner, "security@example.com");
  EXPECT_EQ(suppressed.suppression.expires, "2030-06-30");

  std::vector<rules::Rule> again{rule};
  const Evaluator after(std::make_shared<const rules::RuleSet>(std::move(again)), "2030-07-01");
  const model::Finding expired = test::EvaluateOne(after, Role());
  EXPECT_EQ(expired.status, kFail);
  EXPECT_THAT(expired.message, HasSubstr("expired on 2030-06-30 and no longer applies"));

  const model::Finding other = test::EvaluateOne(before, Role("other"));
  EXPECT_EQ(other.status, kFail);
}

TEST(GenericRuleTest, ExceptionsApplyToBuiltinRulesToo) {
  rules::Rule rule = test::BuiltinRule();
  rules::Override override;
  override.rule_id = rule.id;
  rules::LoadResult extra =
      rules::LoadRuleText(RuleText("  exists: {path: $.name}\n", kExceptions), "e.yaml");
  ASSERT_THAT(extra.rules, SizeIs(1));
  override.exceptions = extra.rules[0].exceptions;
  std::vector<rules::Rule> rules{rule};
  ASSERT_THAT(rules::ApplyOverrides({override}, &rules), IsEmpty());
  const Evaluator evaluator(std::make_shared<const rules::RuleSet>(std::move(rules)), "2030-01-01");
  const model::Finding f = test::EvaluateOne(
      evaluator,
      Principal(
          model::kIamRole, "app",
          {Policy("p",
                  Doc({{{"Effect", "Allow"}, {"Action", "kms:Decrypt"}, {"Resource", "*"}}}))}));
  EXPECT_EQ(f.status, model::Status::kSuppressed);
  EXPECT_EQ(f.suppression.status, kFail);
  EXPECT_THAT(f.message, HasSubstr("kms:Decrypt"));  // the FAIL's message is kept
}

TEST(GenericRuleTest, ABuiltinInsideAGenericConditionLendsItsEvidence) {
  const Evaluator evaluator = test::MakeEvaluator(Load(RuleText(R"(  all:
    - starts_with: {path: $.path, value: /service-role/}
    - iam.allows:
        policies: inline_policies
        actions: [kms:CreateGrant]
        resources: every_kms_key
)")));
  const model::Finding f = test::EvaluateOne(evaluator, Role());
  EXPECT_EQ(f.status, kFail);
  EXPECT_THAT(f.evidence, ::testing::Not(IsEmpty()));
  EXPECT_THAT(test::Explanation(f), HasSubstr("iam.allows"));

  model::Resource elsewhere = Role();
  elsewhere.document["path"] = "/";
  EXPECT_EQ(test::EvaluateOne(evaluator, elsewhere).status, kPass);
}

// A verdict must not depend on the order in which a rule lists its tests (issue 17, item 2): each
// group's conditions, in every order, under `any` and under `all`, give the same status.
struct OrderCase {
  const char* name;
  std::vector<std::string> conditions;  // one condition each, YAML flow style
  model::Status any;                    // the status of `any` of them
  model::Status all;                    // the status of `all` of them
};

void PrintTo(const OrderCase& c, std::ostream* os) { *os << c.name; }

class TestOrderTest : public ::testing::TestWithParam<OrderCase> {};

TEST_P(TestOrderTest, EveryOrderGivesOneVerdict) {
  // The statement the conditions read: Principal "*" in a trust policy of one statement object.
  model::Resource role = Role();
  role.document["trust_policy"] = {
      {"Statement",
       {{"Effect", "Allow"}, {"Principal", "*"}, {"Action", "sts:AssumeRole"}, {"Sid", "open"}}}};
  std::vector<std::string> conditions = GetParam().conditions;
  std::sort(conditions.begin(), conditions.end());
  do {
    for (const char* op : {"any", "all"}) {
      std::string violation =
          std::string("  any:\n    path: \"$.trust_policy.Statement[*]\"\n    where:\n      ") +
          op + ":\n";
      for (const std::string& condition : conditions) violation += "        - " + condition + "\n";
      const model::Finding f =
          test::EvaluateOne(test::MakeEvaluator(Load(RuleText(violation))), role);
      EXPECT_EQ(f.status, std::string(op) == "any" ? GetParam().any : GetParam().all)
          << violation << f.message;
    }
  } while (std::next_permutation(conditions.begin(), conditions.end()));
}

INSTANTIATE_TEST_SUITE_P(
    Conditions, TestOrderTest,
    ::testing::Values(
        // Principal "*" reads as {AWS: ["*"]}; a field of a plain string selects nothing.
        OrderCase{"principal_star_and_its_aws_form",
                  {"equals: {path: '@.Principal', value: \"*\"}",
                   "in: {path: '@.Principal.AWS[*]', value: [\"*\"], quantifier: any}"},
                  kFail,
                  kPass},
        OrderCase{"steps_into_plain_strings",
                  {"equals: {path: '@.Effect.Value', value: Allow}", "exists: {path: '@.Sid[0]'}",
                   "equals: {path: '@.Effect', value: Allow}"},
                  kFail, kPass},
        // A test that cannot be decided (a scalar test meeting a list) decides nothing when the
        // others settle the whole: `any` with one that holds, `all` with one that does not.
        OrderCase{"an_undecided_test_and_one_that_holds",
                  {"glob: {path: '@.Action', value: \"sts:*\"}",
                   "equals: {path: '@.Effect', value: Allow}"},
                  kFail, model::Status::kError},
        OrderCase{"an_undecided_test_and_one_that_does_not_hold",
                  {"glob: {path: '@.Action', value: \"sts:*\"}",
                   "equals: {path: '@.Effect', value: Deny}"},
                  model::Status::kError, kPass}),
    [](const ::testing::TestParamInfo<OrderCase>& param_info) { return param_info.param.name; });

// The same for the items a quantifier reads, in both orders, for `any|all|none: {path, where}` and
// for a test with a quantifier: one item cannot be decided (its Sid is a list), the other holds or
// does not.
struct ItemOrderCase {
  const char* name;
  const char* quantifier;
  const char* other_sid;  // the decided item's Sid: "x1" holds (glob "x*"), "y1" does not
  model::Status status;
};

void PrintTo(const ItemOrderCase& c, std::ostream* os) { *os << c.name; }

class ItemOrderTest : public ::testing::TestWithParam<ItemOrderCase> {};

TEST_P(ItemOrderTest, EveryOrderGivesOneVerdict) {
  const ItemOrderCase& c = GetParam();
  const std::string scope = absl::StrCat("  ", c.quantifier,
                                         ":\n    path: \"$.trust_policy.Statement[*]\"\n"
                                         "    where: {glob: {path: '@.Sid', value: \"x*\"}}\n");
  const std::string test = absl::StrCat(
      "  glob: {path: \"$.trust_policy.Statement[*].Sid\", value: \"x*\", quantifier: ",
      c.quantifier, "}\n");
  const nlohmann::json undecided = {{"Effect", "Allow"}, {"Sid", {"x1"}}};
  const nlohmann::json decided = {{"Effect", "Allow"}, {"Sid", c.other_sid}};
  for (const std::string& violation : {scope, test}) {
    for (const bool undecided_first : {true, false}) {
      model::Resource role = Role();
      nlohmann::json statements = nlohmann::json::array();
      statements.push_back(undecided_first ? undecided : decided);
      statements.push_back(undecided_first ? decided : undecided);
      role.document["trust_policy"] = {{"Statement", statements}};
      const model::Finding f =
          test::EvaluateOne(test::MakeEvaluator(Load(RuleText(violation))), role);
      EXPECT_EQ(f.status, c.status)
          << violation << (undecided_first ? "undecided item first" : "") << ": " << f.message;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Quantifiers, ItemOrderTest,
    ::testing::Values(
        ItemOrderCase{"any_with_one_that_holds", "any", "x1", kFail},
        ItemOrderCase{"any_with_one_that_does_not", "any", "y1", model::Status::kError},
        ItemOrderCase{"all_with_one_that_holds", "all", "x1", model::Status::kError},
        ItemOrderCase{"all_with_one_that_does_not", "all", "y1", kPass},
        ItemOrderCase{"none_with_one_that_holds", "none", "x1", kPass},
        ItemOrderCase{"none_with_one_that_does_not", "none", "y1", model::Status::kError}),
    [](const ::testing::TestParamInfo<ItemOrderCase>& param_info) {
      return param_info.param.name;
    });

// Issue 17, item 4: what a test is on a path that selects nothing, for every operator and
// quantifier (docs/rule-authoring.md, "A path that selects nothing"). Each path selects nothing in
// a different way: a missing field, an empty list, a field of a plain string.
struct NothingCase {
  const char* name;
  const char* violation;
  model::Status status;
};

void PrintTo(const NothingCase& c, std::ostream* os) { *os << c.name; }

class SelectsNothingTest : public ::testing::TestWithParam<NothingCase> {};

TEST_P(SelectsNothingTest, TheQuantifierDecides) {
  model::Resource role = Role();
  role.document["empty"] = nlohmann::json::array();
  EXPECT_EQ(StatusOf(GetParam().violation, role), GetParam().status) << GetParam().violation;
}

INSTANTIATE_TEST_SUITE_P(
    EveryOperator, SelectsNothingTest,
    ::testing::Values(
        // One value (no [*]): every test is false.
        NothingCase{"equals", "  equals: {path: $.nope, value: x}\n", kPass},
        NothingCase{"in", "  in: {path: $.nope, value: [x]}\n", kPass},
        NothingCase{"exists", "  exists: {path: $.nope}\n", kPass},
        NothingCase{"not_exists", "  not: {exists: {path: $.nope}}\n", kFail},
        NothingCase{"glob", "  glob: {path: $.name.first, value: \"*\"}\n", kPass},
        NothingCase{"matches", "  matches: {path: $.nope, value: \".*\"}\n", kPass},
        NothingCase{"starts_with", "  starts_with: {path: $.nope, value: \"\"}\n", kPass},
        NothingCase{"contains", "  contains: {path: $.nope, value: x}\n", kPass},
        NothingCase{"lt", "  lt: {path: $.nope, value: 1}\n", kPass},
        NothingCase{"ge", "  ge: {path: $.nope, value: 1}\n", kPass},
        NothingCase{"length", "  length: {path: $.nope, ge: 0}\n", kPass},
        // A list of no items: any is false, all and none are true; count is 0.
        NothingCase{"count", "  count: {path: \"$.empty[*]\", equals: 0}\n", kFail},
        NothingCase{"test_any", "  equals: {path: \"$.empty[*]\", value: x, quantifier: any}\n",
                    kPass},
        NothingCase{"test_all", "  equals: {path: \"$.empty[*]\", value: x, quantifier: all}\n",
                    kFail},
        NothingCase{"test_none", "  equals: {path: \"$.nope[*]\", value: x, quantifier: none}\n",
                    kFail},
        NothingCase{"exists_any", "  exists: {path: \"$.nope[*]\", quantifier: any}\n", kPass},
        NothingCase{"exists_none", "  exists: {path: \"$.name.x[*]\", quantifier: none}\n",
                    kFail},
        NothingCase{"scope_any",
                    "  any:\n    path: \"$.empty[*]\"\n    where: {exists: {path: '@'}}\n", kPass},
        NothingCase{"scope_all",
                    "  all:\n    path: \"$.nope[*]\"\n    where: {exists: {path: '@.x'}}\n", kFail},
        NothingCase{"scope_none",
                    "  none:\n    path: \"$.name.x[*]\"\n    where: {exists: {path: '@'}}\n",
                    kFail},
        // none is exactly not any.
        NothingCase{"not_any_is_none",
                    "  not:\n    any:\n      path: \"$.empty[*]\"\n      where: {exists: {path: "
                    "'@'}}\n",
                    kFail}),
    [](const ::testing::TestParamInfo<NothingCase>& param_info) { return param_info.param.name; });

// Issue 17, item 5: covers_action applies IAM's action matching with the pattern from the data
// (case-insensitive, `*` any run, `?` one character, over the whole "service:action").
struct CoversCase {
  const char* name;
  nlohmann::json action;  // the statement's Action, as written
  const char* value;      // the rule's value
  bool covers;
};

void PrintTo(const CoversCase& c, std::ostream* os) { *os << c.name; }

class CoversActionTest : public ::testing::TestWithParam<CoversCase> {};

TEST_P(CoversActionTest, MatchesAsIamDoes) {
  const CoversCase& c = GetParam();
  model::Resource role = Role();
  role.document["trust_policy"] = {
      {"Statement", {{"Effect", "Allow"}, {"Principal", "*"}, {"Action", c.action}}}};
  const std::string violation =
      absl::StrCat("  covers_action: {path: \"$.trust_policy.Statement[*].Action[*]\", value: ",
                   c.value, ", quantifier: any}\n");
  EXPECT_EQ(StatusOf(violation, role), c.covers ? kFail : kPass) << violation << c.action;
}

INSTANTIATE_TEST_SUITE_P(
    Patterns, CoversActionTest,
    ::testing::Values(
        CoversCase{"exact", "sts:AssumeRole", "sts:AssumeRole", true},
        CoversCase{"other_case", "STS:assumerole", "sts:AssumeRole", true},
        CoversCase{"star_suffix", "sts:Assume*", "sts:AssumeRole", true},
        CoversCase{"star_matches_nothing_too", "sts:AssumeRole*", "sts:AssumeRole", true},
        CoversCase{"question_mark_other_case", "STS:assume?ole", "sts:AssumeRole", true},
        CoversCase{"question_mark_is_one_character", "sts:Assume?", "sts:AssumeRole", false},
        CoversCase{"service_wildcard", "sts:*", "sts:AssumeRole", true},
        CoversCase{"everything", "*", "sts:AssumeRole", true},
        CoversCase{"wildcard_in_the_service", "s?s:*Role", "sts:AssumeRole", true},
        CoversCase{"another_action", "sts:AssumeRoleWithSAML", "sts:AssumeRole", false},
        CoversCase{"a_prefix_is_not_enough", "sts:Assume", "sts:AssumeRole", false},
        CoversCase{"another_service", "iam:*", "sts:AssumeRole", false},
        CoversCase{"one_of_a_list_in_the_data", nlohmann::json({"iam:Get*", "sts:Assume*"}),
                   "sts:AssumeRole", true},
        CoversCase{"one_of_the_rule_s_actions", "iam:Pass*", "[sts:AssumeRole, iam:PassRole]",
                   true},
        CoversCase{"none_of_the_rule_s_actions", "iam:Get*", "[sts:AssumeRole, iam:PassRole]",
                   false},
        CoversCase{"a_list_parameter", "sts:Tag*", "\"${params.actions}\"", true},
        CoversCase{"not_a_string", 5, "sts:AssumeRole", false}),
    [](const ::testing::TestParamInfo<CoversCase>& param_info) { return param_info.param.name; });

// NotAction covers an action when none of its patterns does.
TEST(CoversActionTest, NotActionCoversWhatNoneOfItsPatternsDo) {
  const std::string violation =
      "  all:\n    - exists: {path: '$.trust_policy.Statement[0].NotAction'}\n"
      "    - covers_action: {path: \"$.trust_policy.Statement[0].NotAction[*]\", value: "
      "sts:AssumeRole, quantifier: none}\n";
  model::Resource role = Role();
  role.document["trust_policy"] = {{"Statement", {{"Effect", "Allow"}, {"NotAction", "iam:*"}}}};
  EXPECT_EQ(StatusOf(violation, role), kFail);
  role.document["trust_policy"] = {{"Statement", {{"Effect", "Allow"}, {"NotAction", "sts:*"}}}};
  EXPECT_EQ(StatusOf(violation, role), kPass);
}

TEST(GlobTest, MatchesWholeText) {
  EXPECT_TRUE(GlobMatch("kms:*", "kms:Decrypt", false));
  EXPECT_TRUE(GlobMatch("*", "", false));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXbYbZc", false));
  EXPECT_FALSE(GlobMatch("a*b", "ab c", false));
  EXPECT_FALSE(GlobMatch("KMS:*", "kms:Decrypt", false));
  EXPECT_TRUE(GlobMatch("KMS:*", "kms:Decrypt", true));
  EXPECT_TRUE(GlobMatch("a?c", "abc", false));
  EXPECT_FALSE(GlobMatch("a?c", "ac", false));
}

}  // namespace
}  // namespace kmsguard::engine
