// Rule files that load but should not: wrong scalar types coerced silently, macros that expand
// without bound, parameters a built-in cannot take; and text yaml-cpp misreads or refuses whole
// (raw control characters, nesting past its depth limit). Each is a load error at its position.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/rules/rule.h"

namespace kmsguard::rules {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// A valid rule; tests change one line at a time. Line numbers:
constexpr char kRule[] = R"(api_version: kmsguard/v1
kind: Rule
id: test-rule
version: 1.0.0
title: Test rule
description: A rule for tests.
severity: medium
resource_types: [AWS::IAM::Role]
tags: [kms]
compliance: [{standard: AWS Foundational Security Best Practices, control: KMS.2}]
params:
  blocked_actions: {type: list, default: [kms:Decrypt]}
  on_condition: {type: string, default: fail}
  skip: {type: bool, default: false}
  limit: {type: number, default: 3}
violation:
  iam.allows:
    policies: inline_policies
    actions: "${params.blocked_actions}"
    resources: every_kms_key
    on_condition: "${params.on_condition}"
message: "{{resource.name}} allows {{evidence.actions}}"
remediation:
  summary: Scope the grant.
exceptions:
  - match: {equals: {path: $.name, value: demo}}
    reason: Demo role
    owner: dev@example.com
    expires: 2099-12-31
)";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// "line:col code" of each error.
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

TEST(RuleFileLimitsTest, TheBaseRuleLoads) {
  const LoadResult result = LoadRuleText(kRule, "t.yaml");
  EXPECT_THAT(result.diagnostics, IsEmpty()) << Messages(result);
  EXPECT_THAT(result.rules, SizeIs(1));
}

// A key documented as a string takes text: a plain scalar YAML reads as a number, a boolean or
// null is a wrong type (docs/rule-authoring.md, "Keys"), reported where it is, never coerced.
// Quoted, the same text is a string. Booleans and numbers likewise take no quoted text.
TEST(RuleFileLimitsTest, WrongScalarTypesAreErrorsNotCoerced) {
  struct Case {
    const char* from;
    const char* to;
    const char* where;  // "line:col"
    const char* says;
  };
  const std::vector<Case> cases = {
      {"title: Test rule", "title: 42", "5:8",
       "\"title\" must be a string, got the number 42; "
       "quote it (\"42\") if it is meant as text"},
      {"title: Test rule", "title: 1.5e3", "5:8", "got the number 1.5e3"},
      {"title: Test rule", "title: -7", "5:8", "got the number -7"},
      {"description: A rule for tests.", "description: true", "6:14", "got the boolean true"},
      {"description: A rule for tests.", "description: FALSE", "6:14", "got the boolean FALSE"},
      {"id: test-rule", "id: 2024", "3:5", "\"id\" must be a string, got the number 2024"},
      {"version: 1.0.0", "version: 1.0", "4:10", "\"version\" must be a string"},
      {"severity: medium", "severity: 3", "7:11", "\"severity\" must be a string"},
      {"tags: [kms]", "tags: [kms, 2024]", "9:13",
       "items of \"tags\" must be strings, got the number 2024"},
      {"resource_types: [AWS::IAM::Role]", "resource_types: [AWS::IAM::Role, 1]", "8:34",
       "items of \"resource_types\" must be strings"},
      {"control: KMS.2", "control: 1.4", "10:76",
       "\"control\" must be a string, got the number 1.4"},
      {"  on_condition: {type: string, default: fail}",
       "  on_condition: {type: string, default: 0}", "13:41",
       "default of parameter \"on_condition\" must be a string, got the number 0"},
      {"  blocked_actions: {type: list, default: [kms:Decrypt]}",
       "  blocked_actions: {type: list, default: [kms:Decrypt, 12]}", "12:56",
       "items of the default of parameter \"blocked_actions\" must be strings, got the number 12"},
      {"  skip: {type: bool, default: false}", "  skip: {type: bool, default: \"false\"}", "14:31",
       "default of parameter \"skip\" must be true or false, not a quoted string"},
      {"  limit: {type: number, default: 3}", "  limit: {type: number, default: \"3\"}", "15:34",
       "default of parameter \"limit\" must be a number, not a quoted string"},
      {"    resources: every_kms_key\n",
       "    resources: every_kms_key\n    skip_aws_managed: \"true\"\n", "21:23",
       "argument \"skip_aws_managed\" must be true or false"},
      {"    reason: Demo role", "    reason: 42", "27:13", "\"reason\" must be a string"},
      {"summary: Scope the grant.", "summary: 12", "24:12", "\"summary\" must be a string"},
      {"message: \"{{resource.name}} allows {{evidence.actions}}\"", "message: 0x1F", "22:10",
       "\"message\" must be a string, got the number 0x1F"},
      {"  - match: {equals: {path: $.name, value: demo}}",
       "  - match: {equals: {path: $.name, value: demo, ignore_case: \"yes\"}}", "26:62",
       "\"ignore_case\" must be true or false"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.to);
    const LoadResult result = LoadRuleText(Replace(kRule, c.from, c.to), "t.yaml");
    ASSERT_THAT(Errors(result), ElementsAre(std::string(c.where) + " rule_schema_error"))
        << Messages(result);
    EXPECT_THAT(result.diagnostics[0].message, HasSubstr(c.says));
    EXPECT_THAT(result.rules, IsEmpty());
  }
  // Quoted, they are text; yes/no are booleans where a boolean belongs (docs).
  const std::vector<std::pair<const char*, const char*>> fine = {
      {"title: Test rule", "title: \"42\""},
      {"control: KMS.2", "control: '1.4'"},
      {"tags: [kms]", "tags: [\"2024\", !!str 7]"},
      {"  skip: {type: bool, default: false}", "  skip: {type: bool, default: no}"},
      {"expires: 2099-12-31", "expires: 2099-12-31"},
  };
  for (const auto& [from, to] : fine) {
    SCOPED_TRACE(to);
    const LoadResult result = LoadRuleText(Replace(kRule, from, to), "t.yaml");
    EXPECT_THAT(result.diagnostics, IsEmpty()) << Messages(result);
  }
}

}  // namespace
}  // namespace kmsguard::rules
