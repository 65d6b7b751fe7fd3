// The rule authoring subcommands as users run them: check (golden output), test, eval.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "tests/plugin/test_support.h"

namespace kmsguard {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;
using testing::Run;

const std::string kGoldenDir = std::string(KMSGUARD_SOURCE_DIR) + "/tests/golden/check";

using testing::Kmsguard;

std::string Describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\n--- stdout:\n" + r.out.substr(0, 4000) +
         "\n--- stderr:\n" + r.err.substr(0, 4000);
}

// The golden was written by hand from the files in bad-rules/ (positions counted in the files)
// and then compared with the output: it lists every problem, sorted by position.
TEST(KmsguardCheckTest, ReportsEveryProblemWithItsPositionAsTheGoldenSays) {
  const ProcessResult r = Kmsguard({"check", kGoldenDir + "/bad-rules"});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  const std::string out = absl::StrReplaceAll(r.out, {{kGoldenDir + "/", ""}});
  // The summary is the report's last line, on stdout too (issue 18: it used to go to stderr).
  EXPECT_EQ(out, testing::ReadFile(kGoldenDir + "/bad-rules.txt"));
  EXPECT_EQ(r.err, "");
}

TEST(KmsguardCheckTest, JsonFormatHasTheSameDiagnostics) {
  const ProcessResult r = Kmsguard({"check", "--format", "json", kGoldenDir + "/bad-rules"});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  const nlohmann::json report = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << r.out;
  EXPECT_EQ(r.err, "");  // the JSON's counts are the summary
  EXPECT_EQ(report["errors"], 11);
  EXPECT_EQ(report["warnings"], 4);
  ASSERT_EQ(report["diagnostics"].size(), 15u);
  const nlohmann::json& first_error = report["diagnostics"][1];
  EXPECT_EQ(first_error["file"], kGoldenDir + "/bad-rules/broken.yaml");
  EXPECT_EQ(first_error["line"], 7);
  EXPECT_EQ(first_error["column"], 11);
  EXPECT_EQ(first_error["severity"], "error");
  EXPECT_EQ(first_error["code"], "rule_schema_error");
}

TEST(KmsguardCheckTest, TheShippedRulesAreClean) {
  const ProcessResult r = Kmsguard({"check", std::string(KMSGUARD_SOURCE_DIR) + "/rules"});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  // Nothing but the summary.
  EXPECT_THAT(r.out, ::testing::MatchesRegex(
                         "kmsguard check: [0-9]+ file\\(s\\), [0-9]+ rule\\(s\\) loaded, "
                         "0 error\\(s\\), 0 warning\\(s\\)\n"));
  EXPECT_EQ(r.err, "");
}

// Issue 18: the diagnostics went to stdout and the summary to stderr, so that the summary came
// first in a file or a pipe (`2>&1`) and was glued to the next prompt.
TEST(KmsguardCheckTest, DiagnosticsAndTheSummaryAreOneReportOnStdout) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string broken = dir.Write("broken.yaml", "api_version: kmsguard/v1\nid: [oops\n");
  const ProcessResult r = Kmsguard({"check", dir.path()});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_EQ(r.err, "");
  std::vector<std::string> lines;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_GE(lines.size(), 2u) << r.out;
  EXPECT_THAT(lines.front(), HasSubstr(broken + ":"));
  // (The built-in rules are loaded beside the file, as context.)
  EXPECT_THAT(lines.back(), ::testing::MatchesRegex("kmsguard check: 1 file\\(s\\), [0-9]+ "
                                                    "rule\\(s\\) loaded, 1 error\\(s\\), 0 "
                                                    "warning\\(s\\)"));
  EXPECT_TRUE(r.out.ends_with("\n"));
}

// One rule file is checked as scan --rules FILE loads it (README: "or one rule file, after
// linting and testing them"); a rule test file is named as such rather than misread.
TEST(KmsguardCheckTest, OneRuleFileIsCheckedAlone) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string broken = dir.Write("broken.yaml", "api_version: kmsguard/v1\nid: [oops\n");
  const ProcessResult bad = Kmsguard({"check", broken});
  EXPECT_EQ(bad.exit_code, 2) << Describe(bad);
  EXPECT_THAT(bad.out, HasSubstr(broken + ":"));
  EXPECT_THAT(bad.out, HasSubstr("kmsguard check: 1 file(s)"));
  const std::string shipped =
      std::string(KMSGUARD_SOURCE_DIR) + "/rules/aws-iam-kms-decrypt-broad-scope.yaml";
  const ProcessResult good = Kmsguard({"check", shipped});
  EXPECT_EQ(good.exit_code, 0) << Describe(good);
  EXPECT_THAT(good.out, HasSubstr("kmsguard check: 1 file(s)"));
  const ProcessResult test_file =
      Kmsguard({"check", std::string(KMSGUARD_SOURCE_DIR) +
                             "/rules/aws-iam-kms-decrypt-broad-scope.test.yaml"});
  EXPECT_EQ(test_file.exit_code, 2) << Describe(test_file);
  EXPECT_THAT(test_file.err + test_file.out, HasSubstr("is a rule test file"));
}

TEST(KmsguardTestTest, TheShippedRulesAndExamplesPassTheirTests) {
  const ProcessResult r = Kmsguard({"test", std::string(KMSGUARD_SOURCE_DIR) + "/rules"});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("PASS: "));
}

std::string RuleText(const std::string& id) {
  return testing::RoleRuleYaml(id, "equals: {path: $.name, value: bad}",
                               "{{resource.name}} is bad");
}

constexpr char kBadRole[] =
    "type: AWS::IAM::Role\ndocument: {name: bad, arn: \"arn:aws:iam::111122223333:role/bad\"}\n";

TEST(KmsguardTestTest, FailedCasesAndRulesWithoutTestsFailWithOne) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  dir.Write("named.yaml", RuleText("named-bad"));
  dir.Write("untested.yaml", RuleText("untested"));
  dir.Write("named.test.yaml",
            "api_version: kmsguard/v1\nkind: RuleTest\nrule: named-bad\ncases:\n"
            "  - name: right\n    resource: {" +
                std::string("type: AWS::IAM::Role, document: {name: bad}}") +
                "\n    expect: {status: FAIL, message_contains: bad is bad}\n"
                "  - name: wrong\n    resource: {type: AWS::IAM::Role, document: {name: good}}\n"
                "    expect: {status: FAIL}\n");
  const ProcessResult r = Kmsguard({"test", dir.path()});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("FAIL  named-bad: wrong ("));
  EXPECT_THAT(r.out, HasSubstr("expected FAIL: not found"));
  EXPECT_THAT(r.out, HasSubstr("unexpected finding PASS"));
  EXPECT_THAT(r.out, HasSubstr("FAIL  untested: no tests"));
  EXPECT_THAT(r.out, Not(HasSubstr("named-bad: right")));
  EXPECT_THAT(r.out, HasSubstr("FAIL: 1 case(s) passed, 1 failed, 1 rule(s) without tests"));
}

// remediation_contains: an expectation matches only a finding whose remediation (summary,
// console, CLI or Terraform) holds the text; a missing text fails the case and says so.
TEST(KmsguardTestTest, RemediationContainsChecksTheRemediationText) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  dir.Write("named.yaml", RuleText("named-bad"));  // remediation: {summary: rename it}
  dir.Write("named.test.yaml",
            "api_version: kmsguard/v1\nkind: RuleTest\nrule: named-bad\ncases:\n"
            "  - name: holds\n    resource: {type: AWS::IAM::Role, document: {name: bad}}\n"
            "    expect: {status: FAIL, remediation_contains: rename it}\n"
            "  - name: lacks\n    resource: {type: AWS::IAM::Role, document: {name: bad}}\n"
            "    expect: {status: FAIL, remediation_contains: delete it}\n");
  const ProcessResult r = Kmsguard({"test", "-v", dir.path()});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("ok    named-bad: holds"));
  EXPECT_THAT(r.out, HasSubstr("FAIL  named-bad: lacks ("));
  EXPECT_THAT(r.out,
              HasSubstr("expected FAIL with remediation containing \"delete it\": not found"));
}

// `kmsguard test FILE`: a rule file runs its own test file, and only its rules need tests (a
// sibling without tests is not this file's problem); a test file runs alone; rules load from the
// file's directory, so a rule that uses a list from a Library beside it loads. A FILE that is
// neither is a usage error, and a rule file without a test file fails as untested.
TEST(KmsguardTestTest, ARuleFileRunsItsOwnTestsAndATestFileRunsAlone) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string named = dir.Write("named.yaml", RuleText("named-bad"));
  const std::string untested = dir.Write("untested.yaml", RuleText("untested"));
  const std::string tests =
      dir.Write("named.test.yaml",
                "api_version: kmsguard/v1\nkind: RuleTest\nrule: named-bad\ncases:\n"
                "  - name: right\n    resource: {type: AWS::IAM::Role, document: {name: bad}}\n"
                "    expect: {status: FAIL, message_contains: bad is bad}\n");

  dir.Write("shared.yaml", "api_version: kmsguard/v1\nkind: Library\nlists:\n  bad_names: [bad]\n");
  const std::string listed = dir.Write(
      "listed.yaml",
      testing::RoleRuleYaml("listed-bad", "in: {path: $.name, value: \"${lists.bad_names}\"}",
                            "{{resource.name}} is listed"));
  dir.Write("listed.test.yaml",
            "api_version: kmsguard/v1\nkind: RuleTest\nrule: listed-bad\ncases:\n"
            "  - name: listed\n    resource: {type: AWS::IAM::Role, document: {name: bad}}\n"
            "    expect: {status: FAIL}\n");
  const ProcessResult with_list = Kmsguard({"test", "-v", listed});
  EXPECT_EQ(with_list.exit_code, 0) << Describe(with_list);
  EXPECT_THAT(with_list.out, HasSubstr("ok    listed-bad: listed"));

  for (const std::string& file : {named, tests}) {
    SCOPED_TRACE(file);
    const ProcessResult r = Kmsguard({"test", "-v", file});
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    EXPECT_THAT(r.out, HasSubstr("ok    named-bad: right"));
    EXPECT_THAT(r.out, Not(HasSubstr("untested")));
    EXPECT_THAT(r.out, HasSubstr("PASS: 1 case(s) passed, 0 failed"));
  }
  // The directory, as before: the sibling without tests fails it.
  EXPECT_EQ(Kmsguard({"test", dir.path()}).exit_code, 1);
  // Its own rule file without a test file.
  const ProcessResult alone = Kmsguard({"test", untested});
  EXPECT_EQ(alone.exit_code, 1) << Describe(alone);
  EXPECT_THAT(alone.out, HasSubstr("FAIL  untested: no tests"));
  EXPECT_THAT(alone.out, Not(HasSubstr("named-bad")));
  // A directory and a file inside it: the rules load once (no repeated ids).
  const ProcessResult both = Kmsguard({"test", dir.path(), named});
  EXPECT_EQ(both.exit_code, 1) << Describe(both);
  EXPECT_THAT(both.err, Not(HasSubstr("error")));
  // Neither a rule nor a test file.
  const std::string other = dir.Write("notes.txt", "x\n");
  const ProcessResult refused = Kmsguard({"test", other});
  EXPECT_EQ(refused.exit_code, 2) << Describe(refused);
  EXPECT_THAT(refused.err, HasSubstr(other + " is neither a directory, a rule file"));
}

// docs/rule-authoring.md "Tests": an Override in the directory applies in `kmsguard test` as in
// scan (the rule as it runs there); kept in a directory of its own, the rule is tested as written.
TEST(KmsguardTestTest, OverridesBesideTheRuleApplyInItsTests) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string rules = dir.path() + "/rules";
  std::filesystem::create_directory(rules);
  std::ofstream(rules + "/named.yaml") << RuleText("named-bad");
  std::ofstream(rules + "/named.test.yaml")
      << "api_version: kmsguard/v1\nkind: RuleTest\nrule: named-bad\ncases:\n"
         "  - name: bad\n    resource: {type: AWS::IAM::Role, document: {name: bad}}\n"
         "    expect: {status: FAIL}\n";
  const ProcessResult as_written = Kmsguard({"test", rules});
  EXPECT_EQ(as_written.exit_code, 0) << Describe(as_written);

  std::ofstream(rules + "/override.yaml")
      << "api_version: kmsguard/v1\nkind: Override\nrule: named-bad\nexceptions:\n"
         "  - match: {equals: {path: $.name, value: bad}}\n    reason: accepted\n"
         "    owner: a@example.com\n    expires: 2099-12-31\n";
  const ProcessResult overridden = Kmsguard({"test", rules});
  EXPECT_EQ(overridden.exit_code, 1) << Describe(overridden);
  EXPECT_THAT(overridden.out, HasSubstr("FAIL  named-bad: bad"));
  EXPECT_THAT(overridden.out, HasSubstr("SUPPRESSED"));
}

TEST(KmsguardTestTest, ABrokenTestFileIsALoadErrorWithItsPosition) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  dir.Write("named.yaml", RuleText("named-bad"));
  const std::string test =
      dir.Write("named.test.yaml",
                "api_version: kmsguard/v1\nkind: RuleTest\nrule: named-bad\ncases:\n  - name: x\n"
                "    expect: {status: FAIL}\n    resourse: {}\n");
  const ProcessResult r = Kmsguard({"test", dir.path()});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr(test + ":7:5: error: unknown key \"resourse\" in a test case"));
}

// `check` is what editors and CI run on a rules directory: a broken test file beside a rule, or
// one naming a rule that does not exist, is an error there too.
TEST(KmsguardCheckTest, BrokenTestFilesAreErrorsWithTheirPosition) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  dir.Write("named.yaml", RuleText("named-bad"));
  const std::string test =
      dir.Write("named.test.yaml",
                "api_version: kmsguard/v1\nkind: RuleTest\nrule: named-bad\ncases:\n  - name: x\n"
                "    expect: {status: FAIL}\n    resourse: {}\n");
  const std::string orphan = dir.Write(
      "orphan.test.yaml",
      "api_version: kmsguard/v1\nkind: RuleTest\nrule: no-such-rule\ncases:\n"
      "  - name: x\n    expect: []\n    resource: {type: AWS::IAM::Role, document: {}}\n");
  const ProcessResult r = Kmsguard({"check", dir.path()});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr(test + ":7:5: error: unknown key \"resourse\" in a test case"));
  EXPECT_THAT(r.out, HasSubstr(orphan + ": error: rule \"no-such-rule\" is not loaded"));

  std::filesystem::remove(orphan);
  // `today` decides which exceptions have expired: a non-date must not pass as "no date".
  dir.Write("named.test.yaml",
            "api_version: kmsguard/v1\nkind: RuleTest\nrule: named-bad\ntoday: 2030-13-45\n"
            "cases:\n  - name: x\n    expect: []\n"
            "    resource: {type: AWS::IAM::Role, document: {}}\n");
  const ProcessResult bad_today = Kmsguard({"check", dir.path()});
  EXPECT_EQ(bad_today.exit_code, 2) << Describe(bad_today);
  EXPECT_THAT(bad_today.out, HasSubstr(test + ":4:8: error: \"today\" must be a date YYYY-MM-DD"));

  std::filesystem::remove(test);
  const ProcessResult clean = Kmsguard({"check", dir.path()});
  EXPECT_EQ(clean.exit_code, 0) << Describe(clean);
}

TEST(KmsguardEvalTest, EvaluatesOneRuleOnOneResourceAndExplains) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string rules = dir.path() + "/rules";
  std::filesystem::create_directory(rules);
  std::ofstream(rules + "/r.yaml") << RuleText("named-bad");
  const std::string input = dir.Write("role.yaml", kBadRole);
  const ProcessResult r =
      Kmsguard({"eval", "--rules", rules, "--rule", "named-bad", "--input", input, "--explain"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("bad is bad"));
  EXPECT_THAT(r.out, HasSubstr("equals $.name \"bad\": true"));

  const ProcessResult unknown = Kmsguard({"eval", "--rule", "no-such-rule", "--input", input});
  EXPECT_EQ(unknown.exit_code, 2) << Describe(unknown);
  EXPECT_THAT(unknown.err, HasSubstr("no rule \"no-such-rule\""));
}

TEST(KmsguardEvalTest, ReadsSnapshotsToo) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const ProcessResult r = Kmsguard(
      {"eval", "--rule", "aws-iam-inline-kms-decrypt-all-keys", "--input",
       std::string(KMSGUARD_SOURCE_DIR) + "/docs/examples/account-authorization-details.json"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("FAIL"));
  EXPECT_THAT(r.out, HasSubstr("PASS"));
}

// What used to pass `check` and then fail every scan: an Override that empties the shipped rule's
// blocked actions (every principal an ERROR), and macros that double forty times (scan and test
// never finished). Both are load errors that `check` reports, promptly, with their position.
TEST(KmsguardCheckTest, RulesThatWouldNeverFinishOrAlwaysFailToJudgeAreErrors) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string override_file = dir.Write(
      "override.yaml",
      "api_version: kmsguard/v1\nkind: Override\nrule: aws-iam-inline-kms-decrypt-all-keys\n"
      "params:\n  blocked_actions: []\n");
  std::string library =
      "api_version: kmsguard/v1\nkind: Library\nmacros:\n  m0:\n    exists: {path: $.name}\n";
  for (int i = 1; i <= 40; ++i) {
    library += "  m" + std::to_string(i) + ":\n    all: [{macro: m" + std::to_string(i - 1) +
               "}, {macro: m" + std::to_string(i - 1) + "}]\n";
  }
  const std::string library_file = dir.Write("library.yaml", library);
  dir.Write("doubling.yaml",
            "api_version: kmsguard/v1\nkind: Rule\nid: doubling\nversion: 1.0.0\ntitle: t\n"
            "description: d\nseverity: low\nresource_types: [AWS::IAM::Role]\n"
            "violation: {macro: m40}\nmessage: \"{{resource.name}} is bad\"\n"
            "remediation: {summary: fix it}\n");
  const auto start = std::chrono::steady_clock::now();
  const ProcessResult r = Kmsguard({"check", dir.path()});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr(override_file +
                               ":5:20: error: parameter \"blocked_actions\" of rule "
                               "\"aws-iam-inline-kms-decrypt-all-keys\" (list) must not be empty"));
  EXPECT_THAT(r.out, HasSubstr(library_file + ":30:3: error: macro \"m13\""));
  EXPECT_THAT(r.out, HasSubstr("[rule_too_large]"));
  // The scan still runs, with the rules that loaded, and says the rule files are broken.
  const ProcessResult scan = Kmsguard(
      {"scan", "--rules", dir.path(),
       std::string(KMSGUARD_SOURCE_DIR) + "/docs/examples/account-authorization-details.json"});
  EXPECT_EQ(scan.exit_code, 3) << Describe(scan);  // the example FAILs; a rule did not load
  EXPECT_THAT(scan.out, HasSubstr("FAIL"));
}

// A policy the rule cannot judge is an ERROR finding: eval must not exit 0 ("nothing wrong").
TEST(KmsguardEvalTest, AnErrorFindingWithoutAFailExitsTwo) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string input = dir.Write("role.yaml", R"(type: AWS::IAM::Role
document:
  name: broken
  arn: arn:aws:iam::111122223333:role/broken
  inline_policies:
    - name: p
      document: '{"Statement": [{"Effect": "Allow", "Action": 5, "Resource": "*"}]}'
)");
  const ProcessResult r =
      Kmsguard({"eval", "--rule", "aws-iam-inline-kms-decrypt-all-keys", "--input", input});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("ERROR")) << Describe(r);
}

// YAML allows no raw control character and yaml-cpp misreads them (a NUL in a plain scalar starts
// an "escape"): every YAML file the rule tools read refuses them at their position, like rule
// files do (tests/sdk/rules/rule_file_limits_test.cc).
TEST(KmsguardTestTest, RawControlCharactersInTestFilesFixturesAndEvalInputsAreRefused) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  dir.Write("named.yaml", RuleText("named-bad"));
  const std::string head = "api_version: kmsguard/v1\nkind: RuleTest\nrule: named-bad\ncases:\n";
  const std::string test =
      dir.Write("named.test.yaml",
                head + std::string("  - name: x\0y\n", 14) +
                    "    expect: []\n    resource: {type: AWS::IAM::Role, document: {}}\n");
  const ProcessResult r = Kmsguard({"test", dir.path()});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr(test + ":5:12: error: not valid YAML: the raw control character "
                                      "U+0000 (NUL)"));

  dir.Write("role.json",
            std::string("{\"type\": \"AWS::IAM::Role\", \"document\": {\"name\": \"a\x01\"}}"));
  dir.Write("named.test.yaml", head + "  - name: x\n    expect: []\n    fixture: role.json\n");
  const ProcessResult f = Kmsguard({"test", dir.path()});
  EXPECT_EQ(f.exit_code, 2) << Describe(f);
  EXPECT_THAT(f.err, HasSubstr("role.json:1:51: not valid YAML: the raw control character "
                               "U+0001 (SOH)"));

  // eval: the NUL keeps the text from being read as a resource at all ("vic\nim" never appears).
  const std::string input = dir.Write(
      "role.yaml", std::string("type: AWS::IAM::Role\ndocument:\n  name: vic\0nim\n", 47));
  const ProcessResult e =
      Kmsguard({"eval", "--rule", "aws-iam-inline-kms-decrypt-all-keys", "--input", input});
  EXPECT_EQ(e.exit_code, 2) << Describe(e);
  EXPECT_THAT(e.out + e.err, Not(HasSubstr("vic\nim")));
  EXPECT_THAT(e.out + e.err, Not(HasSubstr("PASS")));
}

}  // namespace
}  // namespace kmsguard
