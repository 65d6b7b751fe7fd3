#include <cstdio>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/rules/builtins.h"
#include "sdk/rules/rule.h"
#include "sdk/rules/template.h"

namespace kmsguard::rules {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// A valid rule; tests change one line at a time so positions are easy to count.
// Line numbers:   1                2          3             4               5
constexpr char kValidRule[] = R"(api_version: kmsguard/v1
kind: Rule
id: test-rule
version: 1.0.0
title: Test rule
description: A rule for tests.
severity: medium
resource_types: [AWS::IAM::Role, AWS::IAM::User]
violation:
  iam.allows:
    policies: inline_policies
    actions: [kms:Decrypt]
    resources: every_kms_key
message: "{{resource.name}} allows {{evidence.actions}}"
)";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// "file:line:col: error: message [code]" of every diagnostic, for readable failures.
std::vector<std::string> Positions(const LoadResult& result) {
  std::vector<std::string> out;
  for (const core::Diagnostic& d : result.diagnostics) {
    out.push_back(d.location.file + ":" + std::to_string(d.location.line) + ":" +
                  std::to_string(d.location.column) + " " + d.code);
  }
  return out;
}

TEST(LoadRuleTextTest, ValidRuleLoads) {
  const LoadResult result = LoadRuleText(kValidRule, "t.yaml");
  ASSERT_THAT(result.diagnostics, IsEmpty());
  ASSERT_THAT(result.rules, SizeIs(1));
  const Rule& rule = result.rules[0];
  EXPECT_EQ(rule.id, "test-rule");
  EXPECT_EQ(rule.severity, model::Severity::kMedium);
  EXPECT_THAT(rule.resource_types, ElementsAre("AWS::IAM::Role", "AWS::IAM::User"));
  EXPECT_EQ(rule.violation.builtin, "iam.allows");
  EXPECT_EQ(rule.violation.args["actions"], nlohmann::json({"kms:Decrypt"}));
  EXPECT_EQ(rule.violation.location.line, 10);
  EXPECT_EQ(rule.violation.location.column, 3);
  EXPECT_EQ(rule.message, "{{resource.name}} allows {{evidence.actions}}");
  EXPECT_EQ(rule.location.line, 1);
}

TEST(LoadRuleTextTest, UnknownKeyNamesKeyListsAllowedAndPointsAtIt) {
  const LoadResult result =
      LoadRuleText(Replace(kValidRule, "kind: Rule\n", "kind: Rule\n  \ncolour: red\n"), "t.yaml");
  EXPECT_THAT(result.rules, IsEmpty());
  ASSERT_THAT(Positions(result), ElementsAre("t.yaml:4:1 rule_schema_error"));
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("unknown key \"colour\""));
  EXPECT_THAT(result.diagnostics[0].message,
              HasSubstr("allowed keys: api_version, kind, id, version, title, description, "
                        "severity, provider, resource_types, compliance, references, tags, "
                        "params, when, for_each, violation, message, remediation, exceptions"));
  EXPECT_EQ(result.diagnostics[0].ToString(),
            "t.yaml:4:1: error: " + result.diagnostics[0].message + " [rule_schema_error]");
}

TEST(LoadRuleTextTest, BadSeverityPointsAtValue) {
  const LoadResult result =
      LoadRuleText(Replace(kValidRule, "severity: medium", "severity: urgent"), "t.yaml");
  ASSERT_THAT(Positions(result), ElementsAre("t.yaml:7:11 rule_schema_error"));
  EXPECT_THAT(result.diagnostics[0].message,
              HasSubstr("invalid severity \"urgent\"; allowed: informational, low, medium, "
                        "high, critical"));
}

TEST(LoadRuleTextTest, UnknownTemplateVariablePointsInsideQuotedScalar) {
  // `message: "` is 10 characters and `{{resource.name}} allows ` 25: the bad placeholder starts
  // at column 10 + 25 + 1.
  const LoadResult result =
      LoadRuleText(Replace(kValidRule, "{{evidence.actions}}", "{{evidence.bogus}}"), "t.yaml");
  ASSERT_THAT(Positions(result), ElementsAre("t.yaml:14:36 rule_template_error"));
  EXPECT_THAT(result.diagnostics[0].message,
              HasSubstr("unknown template variable \"evidence.bogus\""));
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("known: resource.name"));
}

TEST(LoadRuleTextTest, UnknownTemplateVariablePointsInsideBlockScalar) {
  const std::string text = std::string(kValidRule) +
                           "remediation:\n"
                           "  cli: |\n"
                           "    aws iam get-role-policy --role-name {{resource.name}}\n"
                           "      --policy-name {{policy.name}} {{param.nope}}\n";
  const LoadResult result = LoadRuleText(text, "t.yaml");
  // Line 18 is "      --policy-name {{policy.name}} {{param.nope}}".
  ASSERT_THAT(Positions(result),
              ElementsAre("t.yaml:18:21 rule_template_error", "t.yaml:18:37 rule_template_error"));
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("\"policy.name\""));
  EXPECT_THAT(result.diagnostics[1].message, HasSubstr("\"param.nope\""));
}

TEST(LoadRuleTextTest, DeclaredParamIsAKnownTemplateVariable) {
  const std::string text = Replace(kValidRule, "message: \"{{resource.name}}",
                                   "params:\n  x:\n    type: string\n"
                                   "    default: y\nmessage: \"{{param.x}}");
  const LoadResult result = LoadRuleText(text, "t.yaml");
  EXPECT_THAT(Positions(result), IsEmpty());
}

TEST(LoadRuleTextTest, UnterminatedPlaceholderIsAnError) {
  const LoadResult result =
      LoadRuleText(Replace(kValidRule, "{{evidence.actions}}", "{{evidence.actions"), "t.yaml");
  ASSERT_THAT(Positions(result), ElementsAre("t.yaml:14:36 rule_template_error"));
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("unterminated"));
}

TEST(LoadRuleTextTest, UnknownOperatorPointsAtItsName) {
  const LoadResult result =
      LoadRuleText(Replace(kValidRule, "iam.allows:", "iam.allow:"), "t.yaml");
  ASSERT_THAT(Positions(result), ElementsAre("t.yaml:10:3 rule_link_error"));
  // The list names the generic operators, then the built-ins.
  EXPECT_THAT(result.diagnostics[0].message,
              HasSubstr("unknown operator \"iam.allow\"; operators: all, any, none, not, "));
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr(", macro, iam.allows"));
}

TEST(LoadRuleTextTest, OperatorArgumentsAreCheckedAgainstTheTable) {
  std::string text = Replace(kValidRule, "resources: every_kms_key", "resources: some_keys");
  text = Replace(text, "    policies: inline_policies\n", "    policy: inline_policies\n");
  const LoadResult result = LoadRuleText(text, "t.yaml");
  ASSERT_THAT(Positions(result),
              ElementsAre("t.yaml:11:5 rule_schema_error",     // unknown argument "policy"
                          "t.yaml:10:3 rule_schema_error",     // missing "policies"
                          "t.yaml:13:16 rule_schema_error"));  // bad enum value
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("unknown argument \"policy\""));
  EXPECT_THAT(result.diagnostics[1].message, HasSubstr("missing required argument \"policies\""));
  EXPECT_THAT(result.diagnostics[2].message,
              HasSubstr("must be one of every_kms_key, account_or_region_wide_kms_keys"));
}

TEST(LoadRuleTextTest, NotYamlGivesParseErrorWithPosition) {
  const LoadResult result = LoadRuleText("id: x\ntitle: [unclosed\nseverity: low\n", "bad.yaml");
  EXPECT_THAT(result.rules, IsEmpty());
  ASSERT_THAT(result.diagnostics, SizeIs(1));
  EXPECT_EQ(result.diagnostics[0].code, "rule_parse_error");
  EXPECT_EQ(result.diagnostics[0].location.file, "bad.yaml");
  EXPECT_EQ(result.diagnostics[0].location.line, 3);
  EXPECT_EQ(result.diagnostics[0].location.column, 9);
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("not valid YAML"));
}

TEST(LoadRuleTextTest, UnquotedTemplateIsAYamlErrorNotACrash) {
  // `{{` starts a YAML flow mapping: authors must quote templates (docs/rule-authoring.md).
  const LoadResult result =
      LoadRuleText(Replace(kValidRule, "message: \"{{resource.name}} allows {{evidence.actions}}\"",
                           "message: {{resource.name}} allows"),
                   "t.yaml");
  EXPECT_THAT(result.rules, IsEmpty());
  ASSERT_THAT(result.diagnostics, SizeIs(1));
  EXPECT_EQ(result.diagnostics[0].code, "rule_parse_error");
  EXPECT_EQ(result.diagnostics[0].location.line, 14);
}

TEST(LoadRuleTextTest, ReportsEveryProblemOfAFile) {
  std::string text = Replace(kValidRule, "severity: medium", "severity: urgent");
  text = Replace(text, "iam.allows:", "iam.allow:");
  text = Replace(text, "{{evidence.actions}}", "{{evidence.bogus}}");
  text = Replace(text, "title: Test rule\n", "title: [not, a, string]\nauthor: me\n");
  text = Replace(text, "version: 1.0.0\n", "");
  const LoadResult result = LoadRuleText(text, "t.yaml");
  EXPECT_THAT(result.rules, IsEmpty());
  EXPECT_THAT(Positions(result),
              ElementsAre("t.yaml:5:1 rule_schema_error",   // unknown key "author"
                          "t.yaml:1:1 rule_schema_error",   // missing "version"
                          "t.yaml:4:8 rule_schema_error",   // title is a list
                          "t.yaml:7:11 rule_schema_error",  // severity
                          "t.yaml:10:3 rule_link_error",    // operator
                          "t.yaml:14:36 rule_template_error"));
}

TEST(LoadRuleTextTest, ParamsAreTypedAndChecked) {
  const std::string text = Replace(kValidRule, "violation:\n", R"(params:
  actions:
    type: list
    default: [kms:Decrypt]
  mode:
    type: string
    default: loud
    allowed: [fail, warn]
  mode:
    type: string
    default: warn
  count:
    type: integer
    default: 3
  flag:
    type: bool
    default: maybe
violation:
)");
  const LoadResult result = LoadRuleText(text, "t.yaml");
  EXPECT_THAT(Positions(result),
              ElementsAre("t.yaml:17:3 rule_schema_error",     // duplicate "mode"
                          "t.yaml:15:14 rule_schema_error",    // "loud" not allowed
                          "t.yaml:21:11 rule_schema_error",    // type integer
                          "t.yaml:25:14 rule_schema_error"));  // bool default
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("duplicate key \"mode\" in params"));
  EXPECT_THAT(result.diagnostics[1].message, HasSubstr("default \"loud\""));
  EXPECT_THAT(result.diagnostics[2].message, HasSubstr("allowed: string, list, bool, number"));
}

TEST(LoadRuleTextTest, ParamReferencesMustNameAFittingParam) {
  std::string text = Replace(kValidRule, "actions: [kms:Decrypt]", "actions: \"${params.nope}\"");
  text = Replace(text, "violation:\n",
                 "params:\n  mode:\n    type: string\n    default: loud\n"
                 "violation:\n");
  text = Replace(text, "    resources: every_kms_key\n",
                 "    resources: every_kms_key\n    on_condition: \"${params.mode}\"\n");
  const LoadResult result = LoadRuleText(text, "t.yaml");
  EXPECT_THAT(Positions(result),
              ElementsAre("t.yaml:16:14 rule_link_error", "t.yaml:18:19 rule_link_error"));
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("undeclared parameter \"nope\""));
  EXPECT_THAT(result.diagnostics[1].message, HasSubstr("may be \"loud\""));
}

TEST(LoadRuleTextTest, ResourceTypesMustBeReadableByTheOperator) {
  const LoadResult result =
      LoadRuleText(Replace(kValidRule, "AWS::IAM::User]", "AWS::S3::Bucket]"), "t.yaml");
  ASSERT_THAT(Positions(result), ElementsAre("t.yaml:10:3 rule_link_error"));
  EXPECT_THAT(result.diagnostics[0].message,
              HasSubstr("cannot read resource type \"AWS::S3::Bucket\""));
}

TEST(LoadRuleTextTest, SeveralRulesPerFileAndDuplicateIds) {
  const std::string text = std::string(kValidRule) + "---\n" + kValidRule + "---\n" +
                           Replace(kValidRule, "id: test-rule", "id: other-rule");
  const LoadResult result = LoadRuleText(text, "t.yaml");
  ASSERT_THAT(result.rules, SizeIs(2));
  EXPECT_EQ(result.rules[1].id, "other-rule");
  EXPECT_THAT(Positions(result), ElementsAre("t.yaml:16:1 rule_link_error"));
}

TEST(LoadRuleTextTest, EmptyFileHoldsNoRule) {
  const LoadResult result = LoadRuleText("# nothing\n", "t.yaml");
  ASSERT_THAT(result.diagnostics, SizeIs(1));
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("no rule"));
}

const Rule* FindRule(const LoadResult& result, const std::string& id) {
  for (const Rule& rule : result.rules) {
    if (rule.id == id) return &rule;
  }
  return nullptr;
}

TEST(BuiltinRulesTest, LoadWithoutDiagnostics) {
  const LoadResult result = LoadBuiltinRules();
  for (const core::Diagnostic& d : result.diagnostics) ADD_FAILURE() << d.ToString();
  ASSERT_THAT(result.rules, SizeIs(8));
  const Rule* found = FindRule(result, "aws-iam-inline-kms-decrypt-all-keys");
  ASSERT_NE(found, nullptr);
  const Rule& rule = *found;
  EXPECT_EQ(rule.version, "1.0.0");
  EXPECT_EQ(rule.severity, model::Severity::kMedium);
  EXPECT_THAT(rule.resource_types,
              ElementsAre("AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Role"));
  ASSERT_THAT(rule.compliance, SizeIs(1));
  EXPECT_EQ(rule.compliance[0].standard, "AWS Foundational Security Best Practices");
  EXPECT_EQ(rule.compliance[0].control, "KMS.2");
  EXPECT_EQ(rule.ParamValue("blocked_actions"),
            nlohmann::json({"kms:Decrypt", "kms:ReEncryptFrom"}));
  EXPECT_EQ(rule.ParamValue("on_condition"), "fail");
  EXPECT_EQ(rule.ParamValue("conditional_deny"), "ignore");
  EXPECT_EQ(rule.location.file, "rules/aws-iam-inline-kms-decrypt-all-keys.yaml");
  EXPECT_FALSE(rule.remediation.console.empty());
  EXPECT_THAT(rule.remediation.cli, HasSubstr("aws iam put-{{resource.kind}}-policy"));
  EXPECT_THAT(rule.remediation.terraform, HasSubstr("aws_iam_{{resource.kind}}_policy"));

  const Rule* managed = FindRule(result, "aws-iam-managed-kms-decrypt-all-keys");
  ASSERT_NE(managed, nullptr);
  EXPECT_EQ(managed->severity, model::Severity::kMedium);
  EXPECT_THAT(managed->resource_types, ElementsAre("AWS::IAM::Policy"));
  ASSERT_THAT(managed->compliance, SizeIs(1));
  EXPECT_EQ(managed->compliance[0].control, "KMS.1");
  EXPECT_EQ(managed->ParamValue("skip_boundary_only"), true);
  EXPECT_EQ(managed->violation.args["policies"], "default_version");
  EXPECT_EQ(managed->violation.args["skip_aws_managed"], true) << "a JSON bool, not \"true\"";
  EXPECT_THAT(managed->remediation.cli, HasSubstr("aws iam create-policy-version"));

  const Rule* broad = FindRule(result, "aws-iam-kms-decrypt-broad-scope");
  ASSERT_NE(broad, nullptr);
  EXPECT_EQ(broad->severity, model::Severity::kLow);
  EXPECT_THAT(broad->resource_types,
              ElementsAre("AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Role"));
  EXPECT_EQ(broad->violation.args["resources"], "account_or_region_wide_kms_keys");
}

// Boolean arguments: a literal true/false, or a reference to a bool parameter.
TEST(LoadRuleTextTest, BoolArguments) {
  const std::string managed =
      Replace(Replace(kValidRule, "[AWS::IAM::Role, AWS::IAM::User]", "[AWS::IAM::Policy]"),
              "policies: inline_policies", "policies: default_version");
  LoadResult result = LoadRuleText(Replace(managed, "resources: every_kms_key",
                                           "resources: every_kms_key\n    skip_aws_managed: yes"),
                                   "t.yaml");
  ASSERT_THAT(result.diagnostics, IsEmpty()) << ::testing::PrintToString(Positions(result));
  ASSERT_THAT(result.rules, SizeIs(1));
  EXPECT_EQ(result.rules[0].violation.args["skip_aws_managed"], true);
  const ArgSpec* skip = nullptr;
  for (const ArgSpec& arg : FindBuiltin("iam.allows")->args) {
    if (arg.name == "skip_boundary_only") skip = &arg;
  }
  ASSERT_NE(skip, nullptr);
  EXPECT_EQ(ResolveArg(result.rules[0], *skip), false) << "the operator's default, as a bool";

  result = LoadRuleText(Replace(managed, "resources: every_kms_key",
                                "resources: every_kms_key\n    skip_aws_managed: maybe"),
                        "t.yaml");
  EXPECT_THAT(result.rules, IsEmpty());
  ASSERT_THAT(result.diagnostics, SizeIs(1));
  EXPECT_EQ(result.diagnostics[0].location.line, 14);
  EXPECT_THAT(result.diagnostics[0].message,
              HasSubstr("argument \"skip_aws_managed\" must be true or false"));

  const std::string with_params =
      Replace(managed, "violation:",
              "params:\n  skip:\n    type: bool\n    default: false\n  mode:\n    type: string\n"
              "    default: fail\nviolation:");
  result = LoadRuleText(Replace(with_params, "resources: every_kms_key",
                                "resources: every_kms_key\n    skip_boundary_only: "
                                "\"${params.skip}\""),
                        "t.yaml");
  ASSERT_THAT(result.diagnostics, IsEmpty()) << ::testing::PrintToString(Positions(result));
  EXPECT_EQ(ResolveArg(result.rules[0], *skip), false);
  result.rules[0].param_values["skip"] = true;
  EXPECT_EQ(ResolveArg(result.rules[0], *skip), true);

  result = LoadRuleText(Replace(with_params, "resources: every_kms_key",
                                "resources: every_kms_key\n    skip_boundary_only: "
                                "\"${params.mode}\""),
                        "t.yaml");
  ASSERT_THAT(result.diagnostics, SizeIs(1));
  EXPECT_EQ(result.diagnostics[0].code, "rule_link_error");
  EXPECT_THAT(result.diagnostics[0].message,
              HasSubstr("needs a bool parameter, but \"mode\" is a string"));
}

// `policies` decides which resource types the rule may name.
TEST(LoadRuleTextTest, PoliciesValueRestrictsResourceTypes) {
  const LoadResult result = LoadRuleText(
      Replace(kValidRule, "[AWS::IAM::Role, AWS::IAM::User]", "[AWS::IAM::Role, AWS::IAM::Policy]"),
      "t.yaml");
  EXPECT_THAT(result.rules, IsEmpty());
  ASSERT_THAT(result.diagnostics, SizeIs(1));
  EXPECT_EQ(result.diagnostics[0].code, "rule_link_error");
  EXPECT_EQ(result.diagnostics[0].location.line, 11);
  EXPECT_THAT(result.diagnostics[0].message,
              HasSubstr("with policies: inline_policies cannot read resource type "
                        "\"AWS::IAM::Policy\"; it reads: AWS::IAM::User, AWS::IAM::Group, "
                        "AWS::IAM::Role"));
}

TEST(RuleSetTest, IndexesByResourceType) {
  LoadResult result = LoadRuleText(kValidRule, "t.yaml");
  ASSERT_THAT(result.rules, SizeIs(1));
  const RuleSet set(std::move(result.rules));
  ASSERT_THAT(set.ForType("AWS::IAM::Role"), SizeIs(1));
  EXPECT_EQ(set.ForType("AWS::IAM::Role")[0]->id, "test-rule");
  EXPECT_THAT(set.ForType("AWS::IAM::Group"), IsEmpty());
}

TEST(ResolveArgTest, ParamReferencesFollowOverridesAndDefaultsApply) {
  LoadResult result = LoadBuiltinRules();
  Rule* found = nullptr;
  for (Rule& r : result.rules) {
    if (r.id == "aws-iam-inline-kms-decrypt-all-keys") found = &r;
  }
  ASSERT_NE(found, nullptr);
  Rule& rule = *found;
  const BuiltinSpec* spec = FindBuiltin("iam.allows");
  ASSERT_NE(spec, nullptr);
  const ArgSpec* on_condition = nullptr;
  for (const ArgSpec& arg : spec->args) {
    if (arg.name == "on_condition") on_condition = &arg;
  }
  ASSERT_NE(on_condition, nullptr);
  EXPECT_EQ(ResolveArg(rule, *on_condition), "fail");
  rule.param_values["on_condition"] = "warn";
  EXPECT_EQ(ResolveArg(rule, *on_condition), "warn");
  rule.violation.args.erase("on_condition");
  EXPECT_EQ(ResolveArg(rule, *on_condition), "fail");  // the operator's own default
}

// A value from the input must not start a new line in a rendered snippet: in the CLI
// remediation, "# ... {{evidence.resources}}" would otherwise put the rest of a crafted Resource
// on a line of its own, run by whoever pastes the snippet.
TEST(TemplateTest, ValuesCannotBreakOutOfTheirLine) {
  const std::string rendered = RenderTemplate(
      "# Resource {{evidence.resources}}\naws iam get-role-policy",
      {{"evidence.resources", "\"*\", \"x\ntouch /tmp/pwned\n#\""}});
  EXPECT_EQ(rendered,
            "# Resource \"*\", \"x\\x0atouch /tmp/pwned\\x0a#\"\naws iam get-role-policy");
  EXPECT_EQ(RenderTemplate("{{v}}", {{"v", "a\rb\x1b[2Jc\td"}}), "a\\x0db\\x1b[2Jc\\x09d");
  // The template's own newlines stay.
  EXPECT_EQ(RenderTemplate("a\n{{v}}\nb", {{"v", "x"}}), "a\nx\nb");
}

// evidence.terraform is HCL the engine wrote line by line (every input value in it quoted): its
// own newlines stay, and each line is still made terminal-safe; quoted with a filter, it is one
// value like any other.
TEST(TemplateTest, EvidenceTerraformKeepsItsLinesAndNothingElse) {
  EXPECT_TRUE(KeepsLines("evidence.terraform"));
  EXPECT_FALSE(KeepsLines("evidence.command"));
  EXPECT_EQ(RenderTemplate("{{evidence.terraform}}\n# end",
                           {{"evidence.terraform", "# a\nresource \"x\" \"y\" {\x1b[2J\n}\n"}}),
            "# a\nresource \"x\" \"y\" {\\x1b[2J\n}\n\n# end");
  EXPECT_EQ(RenderTemplate("{{evidence.terraform | hcl}}", {{"evidence.terraform", "a\nb"}}),
            "\"a\\\\x0ab\"");
  EXPECT_EQ(RenderTemplate("{{evidence.command}}", {{"evidence.command", "a\nb"}}), "a\\x0ab");
}

// `| shell` must give a word the shell reads back as exactly the value, whatever it holds: run
// each rendered word through /bin/sh and compare what it prints.
TEST(TemplateTest, TheShellFilterQuotesAnyValueIntoOneWord) {
  for (const std::string value :
       {"app", "a'b", "'; touch /tmp/kmsguard-pwned; '", "$(id)", "`id`", "a b\tc", "\\", "\"",
        "!x", "''", "", "$HOME/*"}) {
    const std::string word = RenderTemplate("{{v | shell}}", {{"v", value}});
    const std::string command = "printf '%s' " + word;
    std::FILE* pipe = popen(("/bin/sh -c " + RenderTemplate("{{c|shell}}", {{"c", command}}))
                                .c_str(),
                            "r");
    ASSERT_NE(pipe, nullptr);
    std::string printed;
    char buffer[256];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) printed.append(buffer, n);
    // TerminalSafe turned the tab into a visible escape before quoting.
    const std::string expected = value == "a b\tc" ? "a b\\x09c" : value;
    EXPECT_EQ(pclose(pipe), 0) << word;
    EXPECT_EQ(printed, expected) << word;
  }
}

TEST(TemplateTest, TheHclFilterEscapesQuotesBackslashesAndInterpolation) {
  EXPECT_EQ(RenderTemplate("{{ v|hcl }}", {{"v", "app"}}), "\"app\"");
  EXPECT_EQ(RenderTemplate("{{v | hcl}}", {{"v", "x\"${var.y}%{if z}\\$x%y"}}),
            "\"x\\\"$${var.y}%%{if z}\\\\$x%y\"");
}

TEST(TemplateTest, AnUnknownFilterIsAnErrorAtThePlaceholder) {
  const auto errors =
      CheckTemplate("ok {{v | bash}} {{v | shell}} {{v|}}", [](std::string_view) { return true; });
  ASSERT_THAT(errors, SizeIs(2));
  EXPECT_EQ(errors[0].offset, 3u);
  EXPECT_THAT(errors[0].message, HasSubstr("unknown template filter \"bash\""));
  EXPECT_THAT(errors[1].message, HasSubstr("unknown template filter \"\""));
}

TEST(TemplateTest, RendersKnownValuesAndKeepsOtherText) {
  EXPECT_EQ(RenderTemplate("a {{ x }} b {{y}} c {{missing}} } {", {{"x", "1"}, {"y", "2"}}),
            "a 1 b 2 c  } {");
  const auto errors =
      CheckTemplate("{{x}} {{ bad name }} {{", [](std::string_view) { return true; });
  ASSERT_THAT(errors, SizeIs(2));
  EXPECT_EQ(errors[0].offset, 6u);
  EXPECT_THAT(errors[0].message, HasSubstr("malformed"));
  EXPECT_EQ(errors[1].offset, 21u);
  EXPECT_THAT(errors[1].message, HasSubstr("unterminated"));
}

}  // namespace
}  // namespace kmsguard::rules
