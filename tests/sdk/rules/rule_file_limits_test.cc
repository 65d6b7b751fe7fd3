// Rule files that load but should not: wrong scalar types coerced silently, macros that expand
// without bound, parameters a built-in cannot take; and text yaml-cpp misreads or refuses whole
// (raw control characters, nesting past its depth limit). Each is a load error at its position.
#include <chrono>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/rules/expr.h"
#include "sdk/rules/rule.h"

namespace kmsguard::rules {
namespace {

using ::testing::AnyOf;
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

// Macros are expanded at load by sharing, so load stays fast, but evaluation visits each use:
// a chain of macros that each use the previous one twice doubles per level. Past the limit, the
// macro is a load error at its definition, naming where it is used; so is a rule whose own
// conditions add up past it. `check` then fails instead of `scan` running forever.
std::string DoublingLibrary(int levels) {
  std::string text =
      "api_version: kmsguard/v1\nkind: Library\nmacros:\n  m0:\n    exists: {path: $.name}\n";
  for (int i = 1; i <= levels; ++i) {
    text += "  m" + std::to_string(i) + ":\n    all: [{macro: m" + std::to_string(i - 1) +
            "}, {macro: m" + std::to_string(i - 1) + "}]\n";
  }
  return text;
}

std::string GenericRule(const std::string& violation) {
  return Replace(Replace(kRule, R"(violation:
  iam.allows:
    policies: inline_policies
    actions: "${params.blocked_actions}"
    resources: every_kms_key
    on_condition: "${params.on_condition}"
message: "{{resource.name}} allows {{evidence.actions}}")",
                         "violation:\n" + violation + "message: \"{{resource.name}} is bad\""),
                 "params:\n  blocked_actions: {type: list, default: [kms:Decrypt]}\n"
                 "  on_condition: {type: string, default: fail}\n"
                 "  skip: {type: bool, default: false}\n  limit: {type: number, default: 3}\n",
                 "");
}

TEST(RuleFileLimitsTest, MacroExpansionIsBoundedAtLoad) {
  ASSERT_EQ(kMaxExpandedConditions, 10'000u);
  const std::string rule = GenericRule("  macro: top\n");
  struct Case {
    int levels;
    bool loads;
  };
  // m_k expands to 2^(k+1) - 1 conditions: 12 levels give 8191, 13 give 16383.
  for (const Case& c : {Case{12, true}, Case{13, false}, Case{40, false}, Case{64, false}}) {
    SCOPED_TRACE(c.levels);
    const std::string library =
        DoublingLibrary(c.levels) + "  top:\n    macro: m" + std::to_string(c.levels) + "\n";
    const auto start = std::chrono::steady_clock::now();
    const LoadResult result =
        LoadRuleFiles({{"lib.yaml", library}, {"r.yaml", rule}}, {.lint = true});
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
    if (c.loads) {
      EXPECT_THAT(Errors(result), IsEmpty()) << Messages(result);
      EXPECT_THAT(result.rules, SizeIs(1));
      continue;
    }
    EXPECT_THAT(result.rules, IsEmpty());
    // The first macro past the limit, at its definition, with where it is first used.
    const int line = 4 + 2 * 13;
    ASSERT_THAT(Errors(result), ElementsAre(std::to_string(line) + ":3 rule_too_large"))
        << Messages(result);
    EXPECT_THAT(result.diagnostics[0].message, HasSubstr("macro \"m13\" (first used at lib.yaml:"));
    EXPECT_THAT(result.diagnostics[0].message,
                HasSubstr("): 16383 conditions once every macro use counts its whole body, "
                          "more than the limit of 10000"));
  }
}

TEST(RuleFileLimitsTest, ARuleWhoseConditionsAddUpPastTheLimitIsAnError) {
  // m12 is 8191 conditions: within the limit alone, twice over it in one rule.
  const LoadResult result = LoadRuleFiles(
      {{"lib.yaml", DoublingLibrary(12)},
       {"r.yaml", GenericRule("  any:\n    - macro: m12\n    - not: {macro: m12}\n")}});
  EXPECT_THAT(result.rules, IsEmpty());
  ASSERT_THAT(Errors(result), ElementsAre("12:3 rule_too_large")) << Messages(result);
  EXPECT_THAT(result.diagnostics[0].message,
              HasSubstr("the conditions of rule \"test-rule\" (when, violation and exceptions): "
                        "16385 conditions"));
  // An exception's match counts too, and is checked on its own (overrides add exceptions).
  const LoadResult exception =
      LoadRuleFiles({{"lib.yaml", DoublingLibrary(13)},
                     {"r.yaml", Replace(kRule, "match: {equals: {path: $.name, value: demo}}",
                                        "match: {macro: m13}")}});
  EXPECT_THAT(exception.rules, IsEmpty());
  EXPECT_THAT(Messages(exception), HasSubstr("rule_too_large"));
}

// YAML aliases are the same doubling in the text itself: a document is counted first, an alias
// once per use, and one past 100,000 nodes is not read.
TEST(RuleFileLimitsTest, AnAliasBombIsNotRead) {
  std::string text = "api_version: kmsguard/v1\nkind: Library\nlists:\n  a0: &a0 [x, y]\n";
  for (int i = 1; i <= 30; ++i) {
    text += "  a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" +
            std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + "]\n";
  }
  const auto start = std::chrono::steady_clock::now();
  const LoadResult result = LoadRuleFiles({{"lib.yaml", text}, {"r.yaml", kRule}});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_THAT(Errors(result), ElementsAre("1:1 rule_too_large")) << Messages(result);
  EXPECT_THAT(result.diagnostics[0].message,
              HasSubstr("this document expands to more than 100000 YAML nodes"));
  EXPECT_THAT(result.rules, SizeIs(1)) << "the other file still loads";
}

// Debian's yaml-cpp 0.7 loops forever (allocating) in LoadAll on some malformed text, e.g. a lone
// "," (jbeder/yaml-cpp#1319); a fuzzer found a 2 KB rule file that took 24 GB
// (tests/fuzz/regressions/rules). It is an error at its position; the other file still loads.
TEST(RuleFileLimitsTest, TextTheYamlReaderWouldReadForeverIsAnError) {
  const LoadResult result = LoadRuleFiles({{"bad.yaml", "\n,\n    "}, {"r.yaml", kRule}});
  EXPECT_THAT(Errors(result), ElementsAre("2:1 rule_parse_error")) << Messages(result);
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("makes no progress"));
  EXPECT_THAT(result.rules, SizeIs(1)) << "the other file still loads";
}

// An override or a rule default that a built-in argument cannot take loaded and then made every
// resource an ERROR (`blocked_actions: []`). The argument's constraints travel with the
// parameter: the default is checked at load, every override when applied.
TEST(RuleFileLimitsTest, ParametersAreCheckedAgainstTheArgumentsThatTakeThem) {
  const LoadResult empty_default =
      LoadRuleText(Replace(kRule, "default: [kms:Decrypt]", "default: []"), "t.yaml");
  ASSERT_THAT(Errors(empty_default), ElementsAre("19:14 rule_link_error"))
      << Messages(empty_default);
  EXPECT_THAT(empty_default.diagnostics[0].message,
              HasSubstr("parameter \"blocked_actions\" defaults to an empty list, but argument "
                        "\"actions\" of iam.allows needs at least one item"));

  struct Case {
    const char* name;
    std::string override_params;
    const char* says;  // empty: applies
  };
  const std::vector<Case> cases = {
      {"an empty list", "  blocked_actions: []\n",
       "parameter \"blocked_actions\" of rule \"test-rule\" (list) must not be empty: it is "
       "argument \"actions\" of iam.allows, which needs at least one item"},
      {"a value the argument does not accept", "  on_condition: loud\n",
       "parameter \"on_condition\" of rule \"test-rule\" (string) must be one of fail, warn: it "
       "is argument \"on_condition\" of iam.allows"},
      {"a list", "  blocked_actions: [kms:Encrypt]\n", ""},
      {"an accepted value", "  on_condition: warn\n", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string override_text =
        "api_version: kmsguard/v1\nkind: Override\nrule: test-rule\nparams:\n" + c.override_params;
    const LoadResult result = LoadRuleFiles({{"r.yaml", kRule}, {"o.yaml", override_text}});
    ASSERT_THAT(result.rules, SizeIs(1));
    if (std::string(c.says).empty()) {
      EXPECT_THAT(result.diagnostics, IsEmpty()) << Messages(result);
      continue;
    }
    // At the parameter's value (line 5, after "  NAME: "), not at the document's start.
    ASSERT_THAT(Errors(result), ElementsAre("5:" + std::to_string(c.override_params.find(':') + 3) +
                                            " rule_override_error"))
        << Messages(result);
    EXPECT_THAT(result.diagnostics[0].message, HasSubstr(c.says));
    // Left out: the rule keeps its values.
    EXPECT_EQ(result.rules[0].ParamValue("blocked_actions"), nlohmann::json({"kms:Decrypt"}));
    EXPECT_EQ(result.rules[0].ParamValue("on_condition"), "fail");
  }
}

// yaml-cpp reads a raw NUL in a plain scalar as the start of an escape ("vic<NUL>ntim" came out
// as "vic\ntim", with "unknown escape character" errors elsewhere), and passes bytes that are not
// UTF-8 into strings, where a rule's trace then threw on them (the fuzz target `rules` found
// "\x88" in a condition's value). YAML allows neither: the file is refused at the position; the
// other files load.
TEST(RuleFileLimitsTest, RawControlCharactersAndNonUtf8BytesRefuseTheFileWhereTheyAre) {
  struct Case {
    const char* name;
    std::string from;
    std::string to;
    const char* where;
    const char* says;
  };
  const std::vector<Case> cases = {
      {"NUL in a plain scalar", "title: Test rule", std::string("title: vic\0ntim", 15), "5:11",
       "U+0000 (NUL)"},
      {"NUL in a quoted scalar", "title: Test rule", std::string("title: \"a\0\"", 11), "5:10",
       "U+0000 (NUL)"},
      {"BEL in a comment", "kind: Rule", "kind: Rule # \x07", "2:14", "U+0007 (BEL)"},
      {"ESC", "title: Test rule", "title: \x1b[2J", "5:8", "U+001B (ESC)"},
      {"DEL", "title: Test rule", "title: x\x7f", "5:9", "U+007F (DEL)"},
      {"a C1 control", "title: Test rule", "title: x\xC2\x9B", "5:9", "U+009B"},
      {"a lone continuation byte in a quoted scalar", "title: Test rule", "title: \"fu\x88z\"",
       "5:11", "the byte 0x88 is not UTF-8"},
      {"a truncated sequence", "title: Test rule", "title: caf\xC3", "5:11",
       "the byte 0xC3 is not UTF-8"},
      {"an overlong form of '/'", "title: Test rule", "title: a\xC0\xAF", "5:9",
       "the byte 0xC0 is not UTF-8"},
      {"an encoded surrogate", "title: Test rule", "title: a\xED\xA0\x80", "5:9",
       "the byte 0xED is not UTF-8"},
      {"Latin-1 text", "title: Test rule", "title: r\xE9sum\xE9", "5:9",
       "the byte 0xE9 is not UTF-8"},
      {"a UTF-16 byte order mark", "api_version",
       "\xFF\xFE"
       "api_version",
       "1:1", "the byte 0xFF is not UTF-8"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const LoadResult result =
        LoadRuleFiles({{"bad.yaml", Replace(kRule, c.from, c.to)},
                       {"good.yaml", Replace(kRule, "id: test-rule", "id: other-rule")}});
    ASSERT_THAT(Errors(result), ElementsAre(std::string(c.where) + " rule_parse_error"))
        << Messages(result);
    EXPECT_EQ(result.diagnostics[0].location.file, "bad.yaml");
    EXPECT_THAT(result.diagnostics[0].message, HasSubstr(c.says));
    EXPECT_THAT(result.diagnostics[0].message,
                AnyOf(HasSubstr("is not allowed in YAML"), HasSubstr("save the file as UTF-8")));
    ASSERT_THAT(result.rules, SizeIs(1));
    EXPECT_EQ(result.rules[0].id, "other-rule");
  }
  // Tabs, CR LF line ends and escapes written as text are fine.
  std::string crlf;
  for (const char ch : std::string(kRule)) {
    if (ch == '\n') crlf += '\r';
    crlf += ch;
  }
  for (const std::string& text :
       {crlf, Replace(kRule, "title: Test rule", "title: \"a\\0b\\ttab\"")}) {
    EXPECT_THAT(LoadRuleText(text, "t.yaml").diagnostics, IsEmpty());
  }
}

TEST(RuleFileLimitsTest, NestingPastTheYamlReadersLimitIsNamedWithItsPosition) {
  std::string deep(600, '[');
  deep += std::string(600, ']');
  const LoadResult result = LoadRuleText(Replace(kRule, "tags: [kms]", "tags: " + deep), "t.yaml");
  ASSERT_THAT(result.diagnostics, SizeIs(1)) << Messages(result);
  EXPECT_EQ(result.diagnostics[0].code, "rule_parse_error");
  EXPECT_EQ(result.diagnostics[0].location.line, 9);
  EXPECT_GT(result.diagnostics[0].location.column, 400);
  EXPECT_THAT(result.diagnostics[0].message,
              HasSubstr("nesting deeper than 499 levels, the most the YAML reader allows"));
}

}  // namespace
}  // namespace kmsguard::rules
