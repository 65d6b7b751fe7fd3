// SARIF output, validated against the OASIS SARIF 2.1.0 (errata 01) JSON schema.
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/sdk/render/render_test_support.h"

namespace kmsguard::render {
namespace {

using test::Json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kSchema[] = "sarif-2.1.0.schema.json";

model::Finding Finding(model::Status status, const std::string& name) {
  model::Finding f;
  f.rule_id = "aws-iam-inline-kms-decrypt-all-keys";
  f.rule_version = "1.0.0";
  f.title = "IAM principals should not have inline policies that allow decryption on all keys";
  f.severity = model::Severity::kHigh;
  f.status = status;
  f.resource_id = "arn:aws:iam::111122223333:role/" + name;
  f.resource_type = model::kIamRole;
  f.resource_name = name;
  f.partition = "aws";
  f.account = "111122223333";
  f.message = "role " + name + " allows kms:Decrypt on all KMS keys.";
  f.remediation = {"Scope it.", "console", "aws iam put-role-policy ...", "resource {}"};
  f.compliance = {{"AWS Foundational Security Best Practices", "KMS.2"}};
  f.source.file = "templates/my stack.yaml";
  f.source.line = 12;
  f.source.column = 5;
  return f;
}

class SarifTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string text;
    if (!test::ReadFile(test::SchemaPath(kSchema), &text)) {
      GTEST_SKIP() << "SARIF schema not found at " << test::SchemaPath(kSchema);
    }
    validator_ = std::make_unique<test::JsonSchemaValidator>(Json::parse(text));
  }

  Json RenderAndValidate(const std::vector<model::Finding>& findings,
                         const model::ScanSummary& summary = {}) {
    const Json log = Json::parse(RenderSarif(findings, summary, test::FixedOptions()));
    EXPECT_THAT(validator_->Validate(log), IsEmpty()) << log.dump(2);
    return log;
  }

  std::unique_ptr<test::JsonSchemaValidator> validator_;
};

TEST_F(SarifTest, BundledExampleConforms) {
  const test::Scan scan = test::ScanBundledExample();
  const Json log = RenderAndValidate(scan.findings, scan.summary);
  const Json& run = log["runs"][0];
  EXPECT_EQ(run["results"].size(), static_cast<std::size_t>(scan.summary.fail +
                                                             scan.summary.warning));
  EXPECT_EQ(run["properties"]["summary"]["passNotListed"], scan.summary.pass);
  // GAAD input has a file but no line: the file, no region, and the principal by ARN.
  const Json& location = run["results"][0]["locations"][0];
  EXPECT_EQ(location["physicalLocation"]["artifactLocation"]["uri"], test::kExamplePath);
  EXPECT_FALSE(location["physicalLocation"].contains("region"));
  EXPECT_THAT(location["logicalLocations"][0]["fullyQualifiedName"].get<std::string>(),
              ::testing::StartsWith("arn:aws:iam::111122223333:"));
}

TEST_F(SarifTest, RulesResultsLevelsAndFingerprints) {
  const model::Finding fail = Finding(model::Status::kFail, "a");
  const Json log = RenderAndValidate({fail, Finding(model::Status::kWarning, "b"),
                                      Finding(model::Status::kPass, "c"),
                                      Finding(model::Status::kError, "d")});
  EXPECT_EQ(log["version"], "2.1.0");
  const Json& run = log["runs"][0];
  const Json& driver = run["tool"]["driver"];
  EXPECT_EQ(driver["name"], "kmsguard");
  EXPECT_EQ(driver["version"], "0.1.0");
  ASSERT_THAT(driver["rules"], SizeIs(1));
  const Json& rule = driver["rules"][0];
  EXPECT_EQ(rule["id"], "aws-iam-inline-kms-decrypt-all-keys");
  EXPECT_EQ(rule["name"], "AwsIamInlineKmsDecryptAllKeys");
  EXPECT_EQ(rule["shortDescription"]["text"], fail.title);
  EXPECT_THAT(rule["fullDescription"]["text"].get<std::string>(),
              HasSubstr("AWS Foundational Security Best Practices KMS.2"));
  EXPECT_THAT(rule["help"]["text"].get<std::string>(), HasSubstr("least-privilege replacement"));
  EXPECT_EQ(rule["helpUri"],
            "https://docs.aws.amazon.com/securityhub/latest/userguide/kms-controls.html#kms-2");
  EXPECT_EQ(rule["properties"]["security-severity"], "8.0");
  EXPECT_EQ(rule["properties"]["tags"], Json({"security", "KMS.2"}));

  ASSERT_THAT(run["results"], SizeIs(2));  // PASS is counted, not listed
  const Json& result = run["results"][0];
  EXPECT_EQ(result["ruleId"], "aws-iam-inline-kms-decrypt-all-keys");
  EXPECT_EQ(result["ruleIndex"], 0);
  EXPECT_EQ(result["kind"], "fail");
  EXPECT_EQ(result["level"], "error");
  EXPECT_EQ(result["message"]["text"], fail.message);
  EXPECT_EQ(result["partialFingerprints"]["kmsguardFindingUid/v1"], FindingUid(fail));
  const Json& physical = result["locations"][0]["physicalLocation"];
  EXPECT_EQ(physical["artifactLocation"]["uri"], "templates/my%20stack.yaml");
  EXPECT_EQ(physical["region"]["startLine"], 12);
  EXPECT_EQ(physical["region"]["startColumn"], 5);
  EXPECT_EQ(result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"], fail.resource_id);
  EXPECT_EQ(result["properties"]["remediation"]["cli"], "aws iam put-role-policy ...");
  EXPECT_EQ(run["results"][1]["level"], "warning");

  const Json& invocation = run["invocations"][0];
  EXPECT_EQ(invocation["executionSuccessful"], true);
  EXPECT_EQ(invocation["endTimeUtc"], "2024-05-01T12:00:00.000Z");
  ASSERT_THAT(invocation["toolExecutionNotifications"], SizeIs(1));
  const Json& notification = invocation["toolExecutionNotifications"][0];
  EXPECT_EQ(notification["level"], "error");
  EXPECT_EQ(notification["associatedRule"]["id"], "aws-iam-inline-kms-decrypt-all-keys");
  EXPECT_EQ(notification["message"]["text"], "role d allows kms:Decrypt on all KMS keys.");
}

// Issue 18: an informational FAIL was `level: error`. The level follows the severity (critical
// and high: error, medium: warning, low and informational: note); a WARNING is at most a warning;
// a suppressed result keeps the level of the verdict it accepts.
TEST_F(SarifTest, LevelFollowsTheSeverity) {
  struct Case {
    model::Severity severity;
    model::Status status;
    const char* level;
  };
  const std::vector<Case> cases = {
      {model::Severity::kCritical, model::Status::kFail, "error"},
      {model::Severity::kHigh, model::Status::kFail, "error"},
      {model::Severity::kMedium, model::Status::kFail, "warning"},
      {model::Severity::kLow, model::Status::kFail, "note"},
      {model::Severity::kInformational, model::Status::kFail, "note"},
      {model::Severity::kCritical, model::Status::kWarning, "warning"},
      {model::Severity::kMedium, model::Status::kWarning, "warning"},
      {model::Severity::kInformational, model::Status::kWarning, "note"},
  };
  for (const Case& c : cases) {
    model::Finding f = Finding(c.status, "r");
    f.severity = c.severity;
    const Json log = RenderAndValidate({f});
    const Json& run = log["runs"][0];
    ASSERT_THAT(run["results"], SizeIs(1));
    EXPECT_EQ(run["results"][0]["level"], c.level)
        << model::SeverityName(c.severity) << " " << model::StatusName(c.status);
    // The rule's default level is its severity's, whatever the verdict.
    const char* rule_level = c.severity >= model::Severity::kHigh     ? "error"
                             : c.severity == model::Severity::kMedium ? "warning"
                                                                      : "note";
    EXPECT_EQ(run["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"], rule_level);
  }
  model::Finding accepted = Finding(model::Status::kSuppressed, "break-glass");
  accepted.severity = model::Severity::kInformational;
  accepted.suppression = {.status = model::Status::kFail, .reason = "r", .owner = "o",
                          .expires = "2030-06-30"};
  EXPECT_EQ(RenderAndValidate({accepted})["runs"][0]["results"][0]["level"], "note");
}

TEST_F(SarifTest, SuppressedFindingsAreListedWithTheirSuppression) {
  model::Finding suppressed = Finding(model::Status::kSuppressed, "break-glass");
  suppressed.suppression = {.status = model::Status::kFail,
                            .reason = "Emergency access",
                            .owner = "security@example.com",
                            .expires = "2030-06-30"};
  const Json log = RenderAndValidate({suppressed});
  ASSERT_THAT(log["runs"][0]["results"], SizeIs(1));
  const Json& result = log["runs"][0]["results"][0];
  EXPECT_EQ(result["level"], "error");
  ASSERT_THAT(result["suppressions"], SizeIs(1));
  EXPECT_EQ(result["suppressions"][0]["kind"], "external");
  EXPECT_EQ(result["suppressions"][0]["status"], "accepted");
  EXPECT_EQ(result["suppressions"][0]["justification"], "Emergency access");
  EXPECT_EQ(result["suppressions"][0]["properties"]["expires"], "2030-06-30");
}

TEST_F(SarifTest, NoFindingsStillHasResultsAndAbsolutePathsAreFileUris) {
  const Json empty = RenderAndValidate({});
  EXPECT_TRUE(empty["runs"][0]["results"].is_array());
  EXPECT_TRUE(empty["runs"][0]["results"].empty());
  model::Finding f = Finding(model::Status::kFail, "a");
  f.source.file = "/tmp/plan #1.json";
  f.source.line = 0;
  const Json log = RenderAndValidate({f});
  EXPECT_EQ(log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
               ["uri"],
            "file:///tmp/plan%20%231.json");
}

// GitHub code scanning refuses a run of more than 25,000 results (issue 15, item 5). At the real
// limit: 25,003 results become 25,000, the most severe kept (the critical FAIL that came last,
// then the FAILs in arrival order), and what was left out is said in the log and in notices().
TEST_F(SarifTest, ARunHoldsAtMost25000ResultsTheMostSevereKeptAndTheRestCounted) {
  std::vector<model::Finding> findings;
  for (int i = 0; i < 25000; ++i) {
    findings.push_back(Finding(model::Status::kFail, "low-" + std::to_string(i)));
    findings.back().severity = model::Severity::kLow;
  }
  for (int i = 0; i < 2; ++i) {
    findings.push_back(Finding(model::Status::kWarning, "warn-" + std::to_string(i)));
  }
  findings.push_back(Finding(model::Status::kFail, "critical"));
  findings.back().severity = model::Severity::kCritical;

  std::ostringstream out;
  const std::unique_ptr<FindingWriter> writer = OpenSarifWriter(out, test::FixedOptions());
  for (const model::Finding& f : findings) writer->Write(f);
  ASSERT_TRUE(writer->Finish({}).ok());
  const Json log = Json::parse(out.str());
  const Json& run = log["runs"][0];
  ASSERT_THAT(run["results"], SizeIs(25000));
  std::set<std::string> names;
  for (const Json& r : run["results"]) {
    names.insert(r["locations"][0]["logicalLocations"][0]["name"].get<std::string>());
  }
  EXPECT_TRUE(names.count("critical"));
  EXPECT_TRUE(names.count("low-24998"));
  EXPECT_FALSE(names.count("low-24999"));
  EXPECT_FALSE(names.count("warn-0"));
  ASSERT_THAT(run["invocations"][0]["toolExecutionNotifications"], SizeIs(1));
  const Json& note = run["invocations"][0]["toolExecutionNotifications"][0];
  EXPECT_EQ(note["level"], "warning");
  EXPECT_EQ(note["descriptor"]["id"], "sarif_results_capped");
  EXPECT_THAT(note["message"]["text"].get<std::string>(),
              HasSubstr("3 of 25003 result(s) (1 FAIL) are not in the SARIF run"));
  EXPECT_EQ(run["properties"]["summary"]["resultsNotListed"], 3);
  ASSERT_THAT(writer->notices(), SizeIs(1));
  EXPECT_THAT(writer->notices()[0], HasSubstr("3 of 25003 result(s)"));

  // Exactly at the limit nothing is left out or said.
  findings.resize(25000);
  std::ostringstream exact;
  const std::unique_ptr<FindingWriter> at_limit = OpenSarifWriter(exact, test::FixedOptions());
  for (const model::Finding& f : findings) at_limit->Write(f);
  ASSERT_TRUE(at_limit->Finish({}).ok());
  const Json exact_log = Json::parse(exact.str());
  EXPECT_THAT(exact_log["runs"][0]["results"], SizeIs(25000));
  EXPECT_FALSE(exact_log["runs"][0]["invocations"][0].contains("toolExecutionNotifications"));
  EXPECT_THAT(at_limit->notices(), IsEmpty());
}

// A capped log is still valid SARIF, with the cap's notification beside ERROR notifications.
TEST_F(SarifTest, ACappedLogConformsWithItsNotifications) {
  RenderOptions options = test::FixedOptions();
  options.sarif_max_results = 1;
  std::vector<model::Finding> findings = {Finding(model::Status::kError, "broken"),
                                          Finding(model::Status::kWarning, "w"),
                                          Finding(model::Status::kFail, "f")};
  const Json log = Json::parse(RenderSarif(findings, {}, options));
  EXPECT_THAT(validator_->Validate(log), IsEmpty()) << log.dump(2);
  ASSERT_THAT(log["runs"][0]["results"], SizeIs(1));
  EXPECT_EQ(log["runs"][0]["results"][0]["level"], "error");  // the FAIL, though it came last
  EXPECT_THAT(log["runs"][0]["invocations"][0]["toolExecutionNotifications"], SizeIs(2));
}

TEST_F(SarifTest, TheValidatorCatchesMistakes) {
  Json bad = Json::parse(RenderSarif({Finding(model::Status::kFail, "a")}, {}, test::FixedOptions()));
  bad["runs"][0]["tool"]["driver"].erase("name");                       // required
  bad["runs"][0]["results"][0]["level"] = "fatal";                      // enum
  bad["runs"][0]["results"][0].erase("message");                        // required
  bad["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"] = Json::object();
  bad["runs"][0]["results"][0]["rank"] = 120.0;                         // maximum 100
  bad["runs"][0]["extra"] = 1;                                          // additionalProperties
  EXPECT_THAT(validator_->Validate(bad), SizeIs(6)) << ::testing::PrintToString(
      validator_->Validate(bad));
}

}  // namespace
}  // namespace kmsguard::render
