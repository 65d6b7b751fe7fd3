// The generic rule language at load time: paths, operators, quantifiers, regex cost, lists,
// macros, exceptions and overrides, each problem with its position.
#include <ostream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/rules/expr.h"
#include "sdk/rules/rule.h"
#include "sdk/rules/yaml_json.h"

namespace kmsguard::rules {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

// Lines 1-9 are fixed, the violation starts on line 10 (column 3 for its operator).
std::string RuleWith(const std::string& violation, const std::string& extra = "") {
  return "api_version: kmsguard/v1\n"
         "kind: Rule\n"
         "id: generic-rule\n"
         "version: 1.0.0\n"
         "title: Generic rule\n"
         "description: A rule for tests.\n"
         "severity: low\n"
         "resource_types: [AWS::IAM::Role]\n"
         "violation:\n" +
         violation + "message: \"{{resource.name}} is bad\"\nremediation:\n  summary: fix it\n" +
         extra;
}

// "line:col code" of each error, for readable assertions.
std::vector<std::string> Errors(const LoadResult& result) {
  std::vector<std::string> out;
  for (const core::Diagnostic& d : result.diagnostics) {
    if (d.severity != core::DiagnosticSeverity::kError) continue;
    out.push_back(std::to_string(d.location.line) + ":" + std::to_string(d.location.column) + " " +
                  d.code);
  }
  return out;
}

std::string Messages(const LoadResult& result) {
  std::string out;
  for (const core::Diagnostic& d : result.diagnostics) out += d.ToString() + "\n";
  return out;
}

TEST(PathTest, ParsesTheSubset) {
  Path path;
  std::string error;
  std::size_t offset = 0;
  ASSERT_TRUE(ParsePath("$.inline_policies[*].document[\"Statement\"][0]", &path, &error, &offset))
      << error;
  EXPECT_EQ(path.root, PathRoot::kDocument);
  EXPECT_TRUE(path.multi);
  ASSERT_THAT(path.steps, SizeIs(5));
  EXPECT_EQ(path.steps[0].field, "inline_policies");
  EXPECT_EQ(path.steps[1].kind, PathStep::Kind::kWildcard);
  EXPECT_EQ(path.steps[3].field, "Statement");
  EXPECT_EQ(path.steps[4].kind, PathStep::Kind::kIndex);
  ASSERT_TRUE(ParsePath("@.name", &path, &error, &offset));
  EXPECT_EQ(path.root, PathRoot::kItem);
  EXPECT_FALSE(path.multi);
  ASSERT_TRUE(ParsePath("$resource.account", &path, &error, &offset));
  EXPECT_EQ(path.root, PathRoot::kResource);
}

TEST(PathTest, RejectsWhatIsOutsideTheSubsetWithTheOffset) {
  Path path;
  std::string error;
  std::size_t offset = 0;
  EXPECT_FALSE(ParsePath("name", &path, &error, &offset));
  EXPECT_EQ(offset, 0u);
  EXPECT_FALSE(ParsePath("$.a..b", &path, &error, &offset));
  EXPECT_EQ(offset, 4u);
  EXPECT_FALSE(ParsePath("$.a[?(@.x)]", &path, &error, &offset));
  EXPECT_EQ(offset, 4u);
  EXPECT_FALSE(ParsePath("$.a.*", &path, &error, &offset));
  EXPECT_THAT(error, HasSubstr("[*]"));
  EXPECT_FALSE(ParsePath("$.a[0", &path, &error, &offset));
}

TEST(LanguageTest, GenericViolationLoads) {
  const LoadResult result = LoadRuleText(RuleWith(R"(  any:
    - equals: {path: $.name, value: admin}
    - all:
        - exists: {path: $.trust_policy}
        - glob: {path: $.arn, value: "arn:aws:iam::*:role/x*"}
)"),
                                         "r.yaml");
  ASSERT_THAT(Errors(result), IsEmpty()) << Messages(result);
  ASSERT_THAT(result.rules, SizeIs(1));
  const Rule& rule = result.rules[0];
  EXPECT_TRUE(rule.violation.builtin.empty());
  ASSERT_NE(rule.condition, nullptr);
  EXPECT_EQ(rule.condition->kind, Expr::Kind::kAny);
  EXPECT_EQ(rule.condition->location.line, 10);
  EXPECT_EQ(rule.condition->location.column, 3);
  ASSERT_THAT(rule.condition->children, SizeIs(2));
  EXPECT_EQ(rule.condition->children[1]->children[1]->op, "glob");
  EXPECT_EQ(rule.condition->children[1]->children[1]->location.line, 14);
}

TEST(LanguageTest, UnknownOperatorIsALoadErrorAtItsPosition) {
  const LoadResult result =
      LoadRuleText(RuleWith("  any:\n    - equal: {path: $.name, value: admin}\n"), "r.yaml");
  EXPECT_THAT(Errors(result), ElementsAre("11:7 rule_link_error"));
  EXPECT_THAT(Messages(result), HasSubstr("unknown operator \"equal\""));
  EXPECT_THAT(Messages(result), HasSubstr("iam.allows"));
  EXPECT_THAT(result.rules, IsEmpty());
}

TEST(LanguageTest, BadPathIsALoadErrorAtTheOffendingCharacter) {
  // Column of the second "." in "$.a..b" (the quote is at column 18).
  const LoadResult result =
      LoadRuleText(RuleWith("  equals: {path: \"$.a..b\", value: x}\n"), "r.yaml");
  EXPECT_THAT(Errors(result), ElementsAre("10:23 rule_path_error"));
  EXPECT_THAT(Messages(result), HasSubstr("expected a field name"));
}

TEST(LanguageTest, ATestOnAListMustNameItsQuantifier) {
  const LoadResult missing = LoadRuleText(
      RuleWith("  equals: {path: \"$.inline_policies[*].name\", value: x}\n"), "r.yaml");
  EXPECT_THAT(Errors(missing), ElementsAre("10:18 rule_quantifier_error"));
  EXPECT_THAT(Messages(missing), HasSubstr("quantifier: any, all or none"));

  const LoadResult given = LoadRuleText(
      RuleWith("  equals: {path: \"$.inline_policies[*].name\", value: x, quantifier: any}\n"),
      "r.yaml");
  EXPECT_THAT(Errors(given), IsEmpty()) << Messages(given);

  const LoadResult needless =
      LoadRuleText(RuleWith("  equals: {path: $.name, value: x, quantifier: all}\n"), "r.yaml");
  EXPECT_THAT(Errors(needless), ElementsAre("10:48 rule_quantifier_error"));

  const LoadResult scope =
      LoadRuleText(RuleWith("  any: {path: $.name, where: {exists: {path: '@.x'}}}\n"), "r.yaml");
  EXPECT_THAT(Errors(scope), ElementsAre("10:15 rule_quantifier_error"));
}

TEST(LanguageTest, RegexIsCompiledAtLoadAndItsCostIsLimited) {
  const LoadResult ok =
      LoadRuleText(RuleWith("  matches: {path: $.name, value: \"^adm[a-z]+$\"}\n"), "r.yaml");
  EXPECT_THAT(Errors(ok), IsEmpty()) << Messages(ok);

  const LoadResult invalid =
      LoadRuleText(RuleWith("  matches: {path: $.name, value: \"adm(\"}\n"), "r.yaml");
  EXPECT_THAT(Errors(invalid), ElementsAre("10:34 rule_regex_error"));

  // Valid RE2 (each count under RE2's 1000), but counted repetitions unroll into a big program.
  const LoadResult costly =
      LoadRuleText(RuleWith("  matches: {path: $.name, value: \"a{900}b{900}\"}\n"), "r.yaml");
  EXPECT_THAT(Errors(costly), ElementsAre("10:34 rule_regex_error"));
  EXPECT_THAT(Messages(costly), HasSubstr("the limit is 1000"));
}

// Issue 17, item 5: a `matches` pattern may be a list, a ${lists} list or a ${params} value; each
// is compiled and checked where it is written (the default at the reference, an override when it
// is applied), never at scan time.
struct PatternCase {
  const char* name;
  const char* violation;
  const char* params;                // extra rule text: a params: block
  std::vector<std::string> errors;   // "line:col code"
};

void PrintTo(const PatternCase& c, std::ostream* os) { *os << c.name; }

class MatchesValueTest : public ::testing::TestWithParam<PatternCase> {};

constexpr char kPatternLibrary[] = R"(---
api_version: kmsguard/v1
kind: Library
lists:
  admins: ["^adm", "root$"]
  broken: ["ok", "adm("]
  numbers: [1]
)";

TEST_P(MatchesValueTest, LoadsOrSaysWhere) {
  const PatternCase& c = GetParam();
  const LoadResult result =
      LoadRuleText(RuleWith(c.violation, std::string(c.params) + kPatternLibrary), "r.yaml");
  EXPECT_THAT(Errors(result), ::testing::ElementsAreArray(c.errors)) << Messages(result);
}

INSTANTIATE_TEST_SUITE_P(
    Patterns, MatchesValueTest,
    ::testing::Values(
        PatternCase{"literal", "  matches: {path: $.name, value: \"^adm\"}\n", "", {}},
        PatternCase{"literal_list", "  matches: {path: $.name, value: [\"^adm\", x]}\n", "", {}},
        PatternCase{"library_list", "  matches: {path: $.name, value: \"${lists.admins}\"}\n", "",
                    {}},
        PatternCase{"string_param", "  matches: {path: $.name, value: \"${params.p}\"}\n",
                    "params:\n  p: {type: string, default: \"^adm\"}\n", {}},
        PatternCase{"list_param", "  matches: {path: $.name, value: \"${params.p}\"}\n",
                    "params:\n  p: {type: list, default: [\"^adm\"]}\n", {}},
        PatternCase{"invalid_in_a_list", "  matches: {path: $.name, value: [ok, \"adm(\"]}\n", "",
                    {"10:34 rule_regex_error"}},
        PatternCase{"invalid_in_a_library_list",
                    "  matches: {path: $.name, value: \"${lists.broken}\"}\n", "",
                    {"10:34 rule_regex_error"}},
        PatternCase{"not_a_string_in_a_library_list",
                    "  matches: {path: $.name, value: \"${lists.numbers}\"}\n", "",
                    {"10:34 rule_regex_error"}},
        PatternCase{"invalid_param_default",
                    "  matches: {path: $.name, value: \"${params.p}\"}\n",
                    "params:\n  p: {type: string, default: \"a{900}b{900}\"}\n",
                    {"10:34 rule_regex_error"}},
        PatternCase{"number_param", "  matches: {path: $.name, value: \"${params.p}\"}\n",
                    "params:\n  p: {type: number, default: 3}\n", {"10:34 rule_regex_error"}},
        PatternCase{"number", "  matches: {path: $.name, value: 3}\n", "",
                    {"10:34 rule_regex_error"}}),
    [](const ::testing::TestParamInfo<PatternCase>& param_info) { return param_info.param.name; });

// The generic rule with `violation` over a list parameter p of `default_values` (YAML), loaded.
LoadResult LoadWithListParam(const std::string& violation, const std::string& default_values) {
  return LoadRuleText(RuleWith(violation, "params:\n  p: {type: list, default: " + default_values + "}\n"),
                      "r.yaml");
}

// An override of the generic rule's parameter p.
Override OverrideOfP(std::vector<std::string> values) {
  Override o;
  o.rule_id = "generic-rule";
  o.params["p"] = std::move(values);
  return o;
}

TEST(MatchesValueTest, AnOverrideOfAPatternParameterIsCheckedAndCompiled) {
  LoadResult loaded =
      LoadWithListParam("  matches: {path: $.name, value: \"${params.p}\"}\n", "[\"^adm\"]");
  ASSERT_THAT(loaded.rules, SizeIs(1));
  ASSERT_THAT(loaded.rules[0].param_patterns["p"], SizeIs(1));
  const core::Diagnostics problems =
      ApplyOverrides({OverrideOfP({"ok", "adm("}), OverrideOfP({"^x", "^y", "^z"})}, &loaded.rules);
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_THAT(problems[0].message, HasSubstr("is a \"matches\" pattern: invalid regular expression"));
  EXPECT_THAT(loaded.rules[0].param_patterns["p"], SizeIs(3));
}

// covers_action takes IAM actions: the patterns are the data's, so a wildcard in the rule, or
// anything else that is not "service:action", is refused where it is written.
INSTANTIATE_TEST_SUITE_P(
    CoversAction, MatchesValueTest,
    ::testing::Values(
        PatternCase{"action", "  covers_action: {path: $.name, value: sts:AssumeRole}\n", "", {}},
        PatternCase{"actions",
                    "  covers_action: {path: $.name, value: [sts:AssumeRole, iam:PassRole]}\n",
                    "", {}},
        PatternCase{"action_param", "  covers_action: {path: $.name, value: \"${params.p}\"}\n",
                    "params:\n  p: {type: list, default: [iam:PassRole]}\n", {}},
        PatternCase{"a_wildcard", "  covers_action: {path: $.name, value: \"sts:*\"}\n", "",
                    {"10:40 rule_schema_error"}},
        PatternCase{"a_question_mark",
                    "  covers_action: {path: $.name, value: [sts:AssumeRole, \"sts:Assume?ole\"]}\n",
                    "", {"10:40 rule_schema_error"}},
        PatternCase{"no_service", "  covers_action: {path: $.name, value: AssumeRole}\n", "",
                    {"10:40 rule_schema_error"}},
        PatternCase{"a_number", "  covers_action: {path: $.name, value: 5}\n", "",
                    {"10:40 rule_schema_error"}},
        PatternCase{"a_wildcard_param_default",
                    "  covers_action: {path: $.name, value: \"${params.p}\"}\n",
                    "params:\n  p: {type: string, default: \"iam:*\"}\n",
                    {"10:40 rule_schema_error"}},
        PatternCase{"ignore_case",
                    "  covers_action: {path: $.name, value: sts:AssumeRole, ignore_case: true}\n",
                    "", {"10:69 rule_schema_error"}}),
    [](const ::testing::TestParamInfo<PatternCase>& param_info) { return param_info.param.name; });

// The IAM operators: a principal, an action and a resource are checked where they are written
// (sdk/iam/request_decision.h reads them), so a rule that names no one principal, a wildcard
// action or resource, or an unknown key never loads.
INSTANTIATE_TEST_SUITE_P(
    IamOperators, MatchesValueTest,
    ::testing::Values(
        PatternCase{
            "decision",
            "  policy_allows: {path: $.trust_policy, action: sts:AssumeRole, principal: \"*\"}\n",
            "",
            {}},
        PatternCase{
            "decision_resource",
            "  policy_allows: {path: $.d, action: [iam:PassRole], resource: "
            "\"arn:{{resource.partition}}:iam::000000000000:role/r\", count_conditional: true}\n",
            "",
            {}},
        PatternCase{"decision_service",
                    "  policy_allows: {path: $.d, action: sts:AssumeRole, principal: {Service: "
                    "ec2.amazonaws.com}}\n",
                    "",
                    {}},
        PatternCase{"admits",
                    "  admits_principal: {path: \"$.d.Statement[*]\", value: \"444455556666\", "
                    "quantifier: any}\n",
                    "",
                    {}},
        PatternCase{"unconditional",
                    "  unconditional: {path: \"$.d.Statement[*]\", quantifier: all}\n",
                    "",
                    {}},
        PatternCase{"a_wildcard_principal",
                    "  admits_principal: {path: $.s, value: \"arn:aws:iam::*:root\"}\n",
                    "",
                    {"10:40 rule_schema_error"}},
        PatternCase{"a_service_as_aws",
                    "  admits_principal: {path: $.s, value: ec2.amazonaws.com}\n",
                    "",
                    {"10:40 rule_schema_error"}},
        PatternCase{"a_principal_list",
                    "  admits_principal: {path: $.s, value: [\"*\"]}\n",
                    "",
                    {"10:40 rule_schema_error"}},
        PatternCase{"a_wildcard_action",
                    "  policy_allows: {path: $.d, action: \"sts:*\"}\n",
                    "",
                    {"10:38 rule_schema_error"}},
        PatternCase{"a_wildcard_resource",
                    "  policy_allows: {path: $.d, action: iam:PassRole, resource: "
                    "\"arn:aws:iam::*:role/*\"}\n",
                    "",
                    {"10:62 rule_schema_error"}},
        PatternCase{"an_unknown_placeholder",
                    "  policy_allows: {path: $.d, action: iam:PassRole, resource: "
                    "\"arn:aws:iam::{{resource.name}}:role/x\"}\n",
                    "",
                    {"10:62 rule_schema_error"}},
        PatternCase{"a_resource_not_an_arn",
                    "  policy_allows: {path: $.d, action: iam:PassRole, resource: role/x}\n",
                    "",
                    {"10:62 rule_schema_error"}},
        PatternCase{
            "a_quoted_bool",
            "  policy_allows: {path: $.d, action: iam:PassRole, count_conditional: \"yes\"}\n",
            "",
            {"10:71 rule_schema_error"}},
        PatternCase{"no_action", "  policy_allows: {path: $.d}\n", "", {"10:18 rule_schema_error"}},
        PatternCase{"an_unknown_key",
                    "  policy_allows: {path: $.d, action: iam:PassRole, value: x}\n",
                    "",
                    {"10:52 rule_schema_error"}},
        PatternCase{"a_list_without_quantifier",
                    "  unconditional: {path: \"$.d.Statement[*]\"}\n",
                    "",
                    {"10:25 rule_quantifier_error"}},
        // An empty list names no action (every resource would PASS); a reference inside a value
        // is not substituted, so it is refused rather than matched as text (a user trial).
        PatternCase{"an_empty_action_list",
                    "  policy_allows: {path: $.d, action: []}\n",
                    "",
                    {"10:38 rule_schema_error"}},
        PatternCase{"a_reference_inside_an_action",
                    "  policy_allows: {path: $.d, action: \"sts:${params.a}\"}\n",
                    "params:\n  a: {type: string, default: AssumeRole}\n",
                    {"10:38 rule_schema_error"}},
        PatternCase{"an_empty_covers_action_list",
                    "  covers_action: {path: $.name, value: []}\n",
                    "",
                    {"10:40 rule_schema_error"}},
        // The resource is a template like a message's (spaces inside braces), without filters.
        PatternCase{"a_resource_template_with_spaces",
                    "  policy_allows: {path: $.d, action: iam:PassRole, resource: \"arn:{{ "
                    "resource.partition }}:iam::0:role/r\"}\n",
                    "",
                    {}},
        PatternCase{"a_filter_in_the_resource",
                    "  policy_allows: {path: $.d, action: iam:PassRole, resource: "
                    "\"arn:{{resource.partition | shell}}:iam::0:role/r\"}\n",
                    "",
                    {"10:62 rule_schema_error"}},
        PatternCase{"unconditional_with_value",
                    "  unconditional: {path: $.s, value: x}\n",
                    "",
                    {"10:37 rule_schema_error"}}),
    [](const ::testing::TestParamInfo<PatternCase>& param_info) { return param_info.param.name; });

TEST(MatchesValueTest, AnOverrideOfCoversActionActionsIsChecked) {
  LoadResult loaded =
      LoadWithListParam("  covers_action: {path: $.name, value: \"${params.p}\"}\n", "[iam:PassRole]");
  ASSERT_THAT(loaded.rules, SizeIs(1));
  const core::Diagnostics problems =
      ApplyOverrides({OverrideOfP({"iam:PassRole", "iam:*"})}, &loaded.rules);
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_THAT(problems[0].message, HasSubstr("the actions of \"covers_action\""));
  EXPECT_EQ(loaded.rules[0].ParamValue("p"), nlohmann::json({"iam:PassRole"}));
}

TEST(MatchesValueTest, AnEmptyOverrideOfPolicyAllowsActionsIsRefused) {
  LoadResult loaded = LoadWithListParam("  policy_allows: {path: $.d, action: \"${params.p}\"}\n",
                                        "[iam:PassRole]");
  ASSERT_THAT(loaded.rules, SizeIs(1));
  const core::Diagnostics problems = ApplyOverrides({OverrideOfP({})}, &loaded.rules);
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_EQ(loaded.rules[0].ParamValue("p"), nlohmann::json({"iam:PassRole"}));
}

TEST(LanguageTest, ValueTypesAreChecked) {
  const LoadResult in_scalar =
      LoadRuleText(RuleWith("  in: {path: $.name, value: admin}\n"), "r.yaml");
  EXPECT_THAT(Errors(in_scalar), ElementsAre("10:29 rule_schema_error"));
  const LoadResult length_text =
      LoadRuleText(RuleWith("  length: {path: $.name, gt: long}\n"), "r.yaml");
  EXPECT_THAT(Errors(length_text), ElementsAre("10:30 rule_schema_error"));
  const LoadResult two_comparisons =
      LoadRuleText(RuleWith("  count: {path: \"$.a[*]\", gt: 1, lt: 3}\n"), "r.yaml");
  EXPECT_THAT(Errors(two_comparisons), ElementsAre("10:3 rule_schema_error"));
  const LoadResult unknown_param =
      LoadRuleText(RuleWith("  equals: {path: $.name, value: \"${params.nope}\"}\n"), "r.yaml");
  EXPECT_THAT(Errors(unknown_param), ElementsAre("10:33 rule_link_error"));
}

constexpr char kLibrary[] = R"(api_version: kmsguard/v1
kind: Library
lists:
  admin_names: [admin, root]
  unused_list: [x]
macros:
  is_admin:
    in: {path: $.name, value: "${lists.admin_names}"}
  unused_macro:
    exists: {path: $.name}
)";

TEST(LanguageTest, ListsAndMacrosAreSharedAcrossFilesAndUnusedOnesAreWarned) {
  const LoadResult result = LoadRuleFiles(
      {{"lib.yaml", kLibrary}, {"r.yaml", RuleWith("  not: {macro: is_admin}\n")}}, {.lint = true});
  EXPECT_THAT(Errors(result), IsEmpty()) << Messages(result);
  ASSERT_THAT(result.rules, SizeIs(1));
  std::vector<std::string> warnings;
  for (const core::Diagnostic& d : result.diagnostics) {
    if (d.severity == core::DiagnosticSeverity::kWarning) warnings.push_back(d.ToString());
  }
  EXPECT_THAT(warnings, ElementsAre("lib.yaml:5:3: warning: list \"unused_list\" is never used "
                                    "[rule_unused_definition]",
                                    "lib.yaml:9:3: warning: macro \"unused_macro\" is never used "
                                    "[rule_unused_definition]"));
}

TEST(LanguageTest, ACyclicMacroIsALoadErrorAtTheReferenceThatClosesTheCycle) {
  constexpr char kCyclic[] = R"(api_version: kmsguard/v1
kind: Library
macros:
  a:
    any:
      - macro: b
  b:
    not: {macro: a}
)";
  const LoadResult result =
      LoadRuleFiles({{"lib.yaml", kCyclic}, {"r.yaml", RuleWith("  macro: a\n")}});
  EXPECT_THAT(Errors(result), ElementsAre("8:18 rule_macro_cycle"));
  EXPECT_THAT(Messages(result), HasSubstr("a -> b -> a"));
  EXPECT_THAT(result.rules, IsEmpty());
}

TEST(LanguageTest, UnknownListAndMacroAreLinkErrors) {
  const LoadResult result = LoadRuleText(
      RuleWith("  any:\n    - macro: nope\n    - in: {path: $.name, value: \"${lists.none}\"}\n"),
      "r.yaml");
  EXPECT_THAT(Errors(result), ElementsAre("11:14 rule_link_error", "12:33 rule_link_error"));
}

TEST(LanguageTest, ForEachNeedsAListPathAndAnItemKey) {
  const std::string violation = "  exists: {path: '@.document'}\n";
  const LoadResult ok = LoadRuleText(
      RuleWith(violation, "for_each:\n  path: \"$.inline_policies[*]\"\n  key: '@.name'\n"),
      "r.yaml");
  ASSERT_THAT(Errors(ok), IsEmpty()) << Messages(ok);
  ASSERT_NE(ok.rules[0].for_each, nullptr);
  const LoadResult bad = LoadRuleText(
      RuleWith(violation, "for_each:\n  path: $.inline_policies\n  key: $.name\n"), "r.yaml");
  EXPECT_THAT(Errors(bad), ElementsAre("15:9 rule_quantifier_error", "16:8 rule_path_error"));
}

TEST(LanguageTest, ItemKeyIsATemplateVariableOnlyWithForEach) {
  std::string text = RuleWith("  exists: {path: $.name}\n");
  text.replace(text.find("is bad"), 6, "{{item.key}}");
  const LoadResult result = LoadRuleText(text, "r.yaml");
  EXPECT_THAT(Errors(result), ElementsAre("11:29 rule_template_error"));
}

TEST(LanguageTest, TheKnownVariablesOfATemplateErrorIncludeParamsAndItemKey) {
  std::string text = RuleWith("  exists: {path: '@.name'}\n",
                              "params:\n  names: {type: list, default: [a]}\n"
                              "for_each: {path: \"$.inline_policies[*]\", key: '@.name'}\n");
  text.replace(text.find("is bad"), 6, "{{param.nmes}}");
  const LoadResult result = LoadRuleText(text, "r.yaml");
  ASSERT_THAT(Errors(result), ElementsAre("11:29 rule_template_error"));
  EXPECT_THAT(Messages(result),
              HasSubstr("evidence.command, evidence.terraform, param.names, item.key"));
}

TEST(LanguageTest, BuiltinsCombineWithGenericOperators) {
  const LoadResult result = LoadRuleText(RuleWith(R"(  all:
    - not: {starts_with: {path: $.path, value: /service-role/}}
    - iam.allows:
        policies: inline_policies
        actions: [kms:CreateGrant]
        resources: every_kms_key
)"),
                                         "r.yaml");
  ASSERT_THAT(Errors(result), IsEmpty()) << Messages(result);
  EXPECT_TRUE(CallsBuiltin(*result.rules[0].condition));

  const LoadResult bad_arg = LoadRuleText(RuleWith(R"(  all:
    - iam.allows:
        policies: inline_policies
        actions: [kms:CreateGrant]
        resources: some_keys
)"),
                                          "r.yaml");
  EXPECT_THAT(Errors(bad_arg), ElementsAre("14:20 rule_schema_error"));
}

constexpr char kExceptions[] = R"(exceptions:
  - match: {equals: {path: $.name, value: break-glass}}
    reason: Emergency access, reviewed quarterly
    owner: security@example.com
    expires: 2999-01-01
  - match: {equals: {path: $.name, value: old}}
    reason: Legacy
    owner: ops
    expires: 2000-01-01
  - match: {equals: {path: $.name, value: x}}
    owner: ops
    expires: 2030-13-01
)";

TEST(LanguageTest, ExceptionsNeedReasonOwnerAndAValidExpiryAndExpiredOnesAreWarned) {
  const LoadResult result = LoadRuleFiles(
      {{"r.yaml", RuleWith("  exists: {path: $.name}\n", kExceptions)}}, {.lint = true});
  // The third exception: no reason (at the entry), and month 13.
  EXPECT_THAT(Errors(result), ElementsAre("23:5 rule_schema_error", "25:14 rule_schema_error"));
  EXPECT_THAT(Messages(result), HasSubstr("missing required key \"reason\""));
  EXPECT_THAT(Messages(result),
              HasSubstr("r.yaml:22:14: warning: exception expired on 2000-01-01"));
}

constexpr char kOverride[] = R"(api_version: kmsguard/v1
kind: Override
rule: generic-rule
severity: critical
params:
  names: [a, b]
)";

TEST(OverrideTest, OverrideDocumentChangesSeverityAndParams) {
  const std::string rule = RuleWith("  in: {path: $.name, value: \"${params.names}\"}\n",
                                    "params:\n  names: {type: list, default: [admin]}\n");
  const LoadResult result = LoadRuleFiles({{"r.yaml", rule}, {"o.yaml", kOverride}});
  ASSERT_THAT(Errors(result), IsEmpty()) << Messages(result);
  ASSERT_THAT(result.rules, SizeIs(1));
  EXPECT_EQ(result.rules[0].severity, model::Severity::kCritical);
  EXPECT_EQ(result.rules[0].ParamValue("names"), nlohmann::json({"a", "b"}));
}

// The rule keeps the severity its file states and each override that changed it, located at
// the override's `severity`, so that every finding can show both (docs/findings.md).
TEST(OverrideTest, ASeverityOverrideIsRecordedWithItsLocation) {
  const std::string rule = RuleWith("  in: {path: $.name, value: \"${params.names}\"}\n",
                                    "params:\n  names: {type: list, default: [admin]}\n");
  const LoadResult result = LoadRuleFiles({{"r.yaml", rule}, {"o.yaml", kOverride}});
  ASSERT_THAT(Errors(result), IsEmpty()) << Messages(result);
  ASSERT_THAT(result.rules, SizeIs(1));
  const Rule& overridden = result.rules[0];
  EXPECT_EQ(overridden.severity, model::Severity::kCritical);
  EXPECT_EQ(overridden.FileSeverity(), model::Severity::kLow);
  ASSERT_THAT(overridden.severity_changes, SizeIs(1));
  EXPECT_EQ(overridden.severity_changes[0].from, model::Severity::kLow);
  EXPECT_EQ(overridden.severity_changes[0].to, model::Severity::kCritical);
  EXPECT_EQ(overridden.severity_changes[0].reason, "override at o.yaml:4:11");

  // Without an override, or with one that restates the rule's severity, nothing is recorded.
  const LoadResult plain = LoadRuleFiles({{"r.yaml", rule}});
  ASSERT_THAT(plain.rules, SizeIs(1));
  EXPECT_THAT(plain.rules[0].severity_changes, IsEmpty());
  EXPECT_EQ(plain.rules[0].FileSeverity(), model::Severity::kLow);
  const LoadResult same = LoadRuleFiles(
      {{"r.yaml", rule},
       {"o.yaml",
        "api_version: kmsguard/v1\nkind: Override\nrule: generic-rule\nseverity: low\n"}});
  ASSERT_THAT(same.rules, SizeIs(1));
  EXPECT_THAT(same.rules[0].severity_changes, IsEmpty());

  // Two overrides in turn: both are recorded, the file's severity stays the first one's `from`.
  std::vector<Rule> rules = plain.rules;
  Override high;
  high.rule_id = "generic-rule";
  high.has_severity = true;
  high.severity = model::Severity::kHigh;
  high.severity_location = {"a.yaml", 3, 11, "", ""};
  Override medium = high;
  medium.severity = model::Severity::kMedium;
  medium.severity_location = {"b.yaml", 7, 13, "", ""};
  EXPECT_THAT(ApplyOverrides({high, medium}, &rules), IsEmpty());
  EXPECT_EQ(rules[0].severity, model::Severity::kMedium);
  EXPECT_EQ(rules[0].FileSeverity(), model::Severity::kLow);
  ASSERT_THAT(rules[0].severity_changes, SizeIs(2));
  EXPECT_EQ(rules[0].severity_changes[0].reason, "override at a.yaml:3:11");
  EXPECT_EQ(rules[0].severity_changes[1].from, model::Severity::kHigh);
  EXPECT_EQ(rules[0].severity_changes[1].to, model::Severity::kMedium);
  EXPECT_EQ(rules[0].severity_changes[1].reason, "override at b.yaml:7:13");
}

TEST(OverrideTest, ApplyOverridesChecksIdsNamesAndTypes) {
  const std::string rule =
      RuleWith("  exists: {path: $.name}\n", "params:\n  limit: {type: number, default: 3}\n");
  LoadResult loaded = LoadRuleText(rule, "r.yaml");
  ASSERT_THAT(loaded.rules, SizeIs(1));
  Override unknown_rule;
  unknown_rule.rule_id = "nope";
  Override wrong_type;
  wrong_type.rule_id = "generic-rule";
  wrong_type.params["limit"] = "ten";
  Override unknown_param;
  unknown_param.rule_id = "generic-rule";
  unknown_param.params["limt"] = 1;
  Override good;
  good.rule_id = "generic-rule";
  good.params["limit"] = 10;
  good.has_severity = true;
  good.severity = model::Severity::kHigh;
  const core::Diagnostics problems =
      ApplyOverrides({unknown_rule, wrong_type, unknown_param, good}, &loaded.rules);
  ASSERT_THAT(problems, SizeIs(3));
  EXPECT_THAT(problems[0].message, HasSubstr("unknown rule \"nope\""));
  EXPECT_THAT(problems[1].message, HasSubstr("must be a number"));
  EXPECT_THAT(problems[2].message, HasSubstr("no parameter \"limt\"; parameters: limit"));
  EXPECT_EQ(loaded.rules[0].ParamValue("limit"), 10);
  EXPECT_EQ(loaded.rules[0].severity, model::Severity::kHigh);
}

TEST(OverrideTest, AConfigurationListOfOverridesIsReadWithPositions) {
  const YAML::Node config = YAML::Load(R"(overrides:
  - rule: generic-rule
    severity: high
    params: {limit: 7}
  - rule: generic-rule
    colour: red
)");
  core::Diagnostics problems;
  const std::vector<Override> overrides =
      ReadOverrides(config["overrides"], "kmsguard.yaml", &problems);
  ASSERT_THAT(overrides, SizeIs(1));
  EXPECT_EQ(overrides[0].rule_id, "generic-rule");
  EXPECT_TRUE(overrides[0].has_severity);
  EXPECT_EQ(overrides[0].params.at("limit"), 7);
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_EQ(problems[0].ToString().substr(0, 20), "kmsguard.yaml:6:5: e");
  EXPECT_THAT(problems[0].message, HasSubstr("unknown key \"colour\" in an override"));

  LoadResult loaded = LoadRuleText(RuleWith("  exists: {path: $.name}\n",
                                            "params:\n  limit: {type: number, default: 3}\n"),
                                   "r.yaml");
  EXPECT_THAT(ApplyOverrides(overrides, &loaded.rules), IsEmpty());
  EXPECT_EQ(loaded.rules[0].ParamValue("limit"), 7);
  EXPECT_EQ(loaded.rules[0].severity, model::Severity::kHigh);
}

// The older form of a configuration file's parameters, read as an override's `params` are.
TEST(OverrideTest, AConfigurationMapOfParamsIsReadAsOverridesWithPositions) {
  const YAML::Node config = YAML::Load(R"(params:
  generic-rule:
    limit: 7
  other-rule: [1]
  generic-rule: {limit: 8}
)");
  core::Diagnostics problems;
  const std::vector<Override> overrides =
      ReadParamOverrides(config["params"], "kmsguard.yaml", &problems);
  ASSERT_THAT(overrides, SizeIs(1));
  EXPECT_EQ(overrides[0].rule_id, "generic-rule");
  EXPECT_EQ(overrides[0].location.ToString(), "kmsguard.yaml:2:3");
  EXPECT_EQ(overrides[0].params.at("limit"), 7);
  EXPECT_EQ(overrides[0].param_locations.at("limit").ToString(), "kmsguard.yaml:3:12");
  EXPECT_FALSE(overrides[0].has_severity);
  ASSERT_THAT(problems, SizeIs(2));
  EXPECT_EQ(problems[0].ToString().substr(0, 18), "kmsguard.yaml:4:15");
  EXPECT_THAT(problems[0].message, HasSubstr("\"params\" must be a map, got a list"));
  EXPECT_EQ(problems[1].ToString().substr(0, 17), "kmsguard.yaml:5:3");
  EXPECT_THAT(problems[1].message,
              HasSubstr("rule \"generic-rule\" is given twice in params (first at "
                        "kmsguard.yaml:2:3)"));

  // Applied: a bad value is reported at the value, naming the parameter.
  LoadResult loaded = LoadRuleText(
      RuleWith("  exists: {path: $.name}\n", "params:\n  limit: {type: number, default: 3}\n"),
      "r.yaml");
  EXPECT_THAT(ApplyOverrides(overrides, &loaded.rules), IsEmpty());
  EXPECT_EQ(loaded.rules[0].ParamValue("limit"), 7);
  const std::vector<Override> wrong =
      ReadParamOverrides(YAML::Load("generic-rule: {limit: ten}\n"), "kmsguard.yaml", &problems);
  const core::Diagnostics applied = ApplyOverrides(wrong, &loaded.rules);
  ASSERT_THAT(applied, SizeIs(1));
  EXPECT_EQ(applied[0].ToString().substr(0, 19), "kmsguard.yaml:1:23:");
  EXPECT_THAT(applied[0].message, HasSubstr("parameter \"limit\" of rule \"generic-rule\""));
  EXPECT_EQ(loaded.rules[0].ParamValue("limit"), 7);
}

TEST(LanguageTest, MissingRemediationIsAWarningNotAnError) {
  std::string text = RuleWith("  exists: {path: $.name}\n");
  text = text.substr(0, text.find("remediation:"));
  const LoadResult result = LoadRuleFiles({{"r.yaml", text}}, {.lint = true});
  EXPECT_THAT(Errors(result), IsEmpty());
  EXPECT_THAT(result.rules, SizeIs(1));
  EXPECT_THAT(LoadRuleText(text, "r.yaml").diagnostics, IsEmpty());  // a lint, not a load problem
  EXPECT_THAT(Messages(result), HasSubstr("r.yaml:1:1: warning: rule \"generic-rule\" has no "
                                          "remediation"));
}

// A document of an unknown kind gets one error at its kind, not one per missing rule key.
TEST(LanguageTest, AnUnknownKindIsOneErrorAtTheKind) {
  const LoadResult result = LoadRuleFiles({{"r.yaml", "kind: Nope\nid: x\n"}}, {.lint = true});
  EXPECT_THAT(Errors(result), ElementsAre("1:7 rule_schema_error"));
  EXPECT_THAT(Messages(result), HasSubstr("unknown kind \"Nope\"; expected Rule, Library or "
                                          "Override"));
  EXPECT_THAT(result.rules, IsEmpty());
}

// A map without `kind` used to throw yaml-cpp's "invalid node" from the kind lookup, reported as
// a YAML syntax error without a position; it is a rule with missing keys, each at its place.
TEST(LanguageTest, ADocumentWithoutKindIsASchemaErrorNotAYamlError) {
  const LoadResult result =
      LoadRuleFiles({{"r.yaml", "key: value\n---\n- x\n"}}, {.lint = true});
  EXPECT_THAT(Messages(result), Not(HasSubstr("invalid node")));
  EXPECT_THAT(Messages(result), Not(HasSubstr("not valid YAML")));
  EXPECT_THAT(Messages(result), HasSubstr("r.yaml:1:1: error: unknown key \"key\""));
  EXPECT_THAT(Messages(result), HasSubstr("r.yaml:3:1: error: a rule must be a map, got a list"));
}

// A typo in resource_types makes a rule that silently never runs on a snapshot: check warns.
TEST(LanguageTest, AResourceTypeNoAdapterProducesIsALintWarning) {
  std::string text = RuleWith("  exists: {path: $.name}\n");
  const std::string typo = "resource_types: [AWS::IAM::Role, AWS::IAM::role]";
  text.replace(text.find("resource_types: [AWS::IAM::Role]"),
               std::string("resource_types: [AWS::IAM::Role]").size(), typo);
  const LoadResult result = LoadRuleFiles({{"r.yaml", text}}, {.lint = true});
  EXPECT_THAT(Errors(result), IsEmpty());
  ASSERT_THAT(result.rules, SizeIs(1));  // still loads: hosts may send their own types
  EXPECT_THAT(Messages(result),
              HasSubstr("r.yaml:8:17: warning: resource type \"AWS::IAM::role\" is not one the "
                        "input adapters produce"));
  EXPECT_THAT(Messages(result), Not(HasSubstr("\"AWS::IAM::Role\" is not")));
  EXPECT_THAT(LoadRuleText(text, "r.yaml").diagnostics, IsEmpty());
}

TEST(LanguageTest, KmsKeysAreAResourceTypeAdaptersProduce) {
  std::string text = RuleWith("  exists: {path: $.key_policy}\n");
  const std::string types = "resource_types: [AWS::KMS::Key]";
  text.replace(text.find("resource_types: [AWS::IAM::Role]"),
               std::string("resource_types: [AWS::IAM::Role]").size(), types);
  const LoadResult result = LoadRuleFiles({{"r.yaml", text}}, {.lint = true});
  EXPECT_THAT(Errors(result), IsEmpty());
  ASSERT_THAT(result.rules, SizeIs(1));
  EXPECT_THAT(Messages(result), Not(HasSubstr("is not one the input adapters produce")));
}

}  // namespace
}  // namespace kmsguard::rules
