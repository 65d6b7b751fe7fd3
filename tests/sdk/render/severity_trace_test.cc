// The rule's own severity beside the effective one, in every format: the bundled example scanned
// with every built-in rule and an override document that re-rates one rule. Three findings are
// followed through each renderer: one whose severity the override changed (the managed policy),
// one raised by exposure (the role assumable from another account), and one changed by neither.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/render/baseline.h"
#include "sdk/render/table_layout.h"
#include "tests/sdk/render/render_test_support.h"

namespace kmsguard::render {
namespace {

using test::Json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kOverrideFile[] = "org-overrides.yaml";
// `severity: high` is at line 4, column 11.
constexpr char kOverride[] = R"(api_version: kmsguard/v1
kind: Override
rule: aws-iam-managed-kms-decrypt-all-keys
severity: high
)";
constexpr char kOverrideReason[] = "override at org-overrides.yaml:4:11";

constexpr char kInlineRule[] = "aws-iam-inline-kms-decrypt-all-keys";
constexpr char kManagedRule[] = "aws-iam-managed-kms-decrypt-all-keys";
constexpr char kRaisedArn[] = "arn:aws:iam::111122223333:role/partner-audit-access";
constexpr char kOverriddenArn[] = "arn:aws:iam::111122223333:policy/KmsDecryptAllKeys-Managed";
constexpr char kPlainArn[] = "arn:aws:iam::111122223333:user/bob";

// The bundled example through the built-in rules and kOverride, as `scan --rules` with an
// override document would evaluate it.
test::Scan ScanWithOverride() {
  std::vector<rules::SourceFile> files = rules::BuiltinRuleSources();
  files.push_back({kOverrideFile, kOverride});
  rules::LoadResult loaded = rules::LoadRuleFiles(files);
  EXPECT_THAT(loaded.diagnostics, IsEmpty());
  const engine::Evaluator evaluator(
      std::make_shared<const rules::RuleSet>(std::move(loaded.rules)));
  std::string text;
  EXPECT_TRUE(
      test::ReadFile(std::filesystem::path(KMSGUARD_SOURCE_DIR) / test::kExamplePath, &text));
  test::Scan scan;
  for (const model::Resource& r :
       adapters::ReadAuthorizationDetails(text, test::kExamplePath).resources) {
    ++scan.summary.resources_received;
    ++scan.summary.resources_evaluated;
    for (model::Finding& f : evaluator.Evaluate(r)) {
      if (f.status == model::Status::kFail) ++scan.summary.fail;
      if (f.status == model::Status::kPass) ++scan.summary.pass;
      scan.summary.rule_ids.insert(f.rule_id);
      scan.findings.push_back(std::move(f));
    }
  }
  return scan;
}

class SeverityTraceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { scan_ = new test::Scan(ScanWithOverride()); }
  static void TearDownTestSuite() {
    delete scan_;
    scan_ = nullptr;
  }

  static const model::Finding& Find(const std::string& rule_id, const std::string& arn) {
    for (const model::Finding& f : scan_->findings) {
      if (f.rule_id == rule_id && f.resource_id == arn) return f;
    }
    ADD_FAILURE() << "no finding of " << rule_id << " on " << arn;
    static const model::Finding kNone;
    return kNone;
  }

  std::string Render(const std::string& format) const {
    const Renderer* renderer = FindRenderer(format);
    EXPECT_NE(renderer, nullptr) << format;
    return renderer == nullptr
               ? ""
               : renderer->render(scan_->findings, scan_->summary, test::FixedOptions());
  }

  static test::Scan* scan_;
};

test::Scan* SeverityTraceTest::scan_ = nullptr;

// The element of `array` for `rule_id` on `arn`, each read at its JSON pointer.
Json Element(const Json& array, const std::string& rule_key, const std::string& rule_id,
             const std::string& arn_key, const std::string& arn) {
  const Json::json_pointer rule_at(rule_key), arn_at(arn_key);
  for (const Json& item : array) {
    if (item.contains(rule_at) && item[rule_at] == rule_id && item.contains(arn_at) &&
        item[arn_at] == arn) {
      return item;
    }
  }
  ADD_FAILURE() << "no element for " << rule_id << " on " << arn;
  return Json::object();
}

TEST_F(SeverityTraceTest, TheModelHasTheRuleSeverityAndEachChange) {
  const model::Finding& overridden = Find(kManagedRule, kOverriddenArn);
  EXPECT_EQ(overridden.status, model::Status::kFail);
  EXPECT_EQ(overridden.severity, model::Severity::kHigh);
  EXPECT_EQ(overridden.RuleSeverity(), model::Severity::kMedium);
  ASSERT_THAT(overridden.severity_changes, SizeIs(1));
  EXPECT_EQ(overridden.severity_changes[0].reason, kOverrideReason);

  const model::Finding& raised = Find(kInlineRule, kRaisedArn);
  EXPECT_EQ(raised.severity, model::Severity::kHigh);
  EXPECT_EQ(raised.RuleSeverity(), model::Severity::kMedium);
  ASSERT_THAT(raised.severity_changes, SizeIs(1));
  EXPECT_THAT(raised.severity_changes[0].reason,
              HasSubstr("raised: the role can be assumed from outside account 111122223333"));

  const model::Finding& plain = Find(kInlineRule, kPlainArn);
  EXPECT_EQ(plain.severity, model::Severity::kMedium);
  EXPECT_THAT(plain.severity_changes, IsEmpty());
}

TEST_F(SeverityTraceTest, JsonAndJsonlWriteBothSeveritiesForEveryFinding) {
  const Json json = Json::parse(Render("json"));
  std::vector<Json> lines;
  const std::string jsonl = Render("jsonl");
  for (std::size_t from = 0, end; (end = jsonl.find('\n', from)) != std::string::npos;
       from = end + 1) {
    const Json line = Json::parse(jsonl.substr(from, end - from));
    if (line.contains("rule_id")) lines.push_back(line);
  }
  for (const Json& findings : {json["findings"], Json(lines)}) {
    const auto element = [&findings](const char* rule_id, const char* arn) {
      return Element(findings, "/rule_id", rule_id, "/resource_id", arn);
    };
    const Json overridden = element(kManagedRule, kOverriddenArn);
    EXPECT_EQ(overridden["severity"], "SEVERITY_HIGH");
    EXPECT_EQ(overridden["rule_severity"], "SEVERITY_MEDIUM");
    EXPECT_EQ(overridden["severity_changes"],
              Json::parse(R"([{"from_severity": "SEVERITY_MEDIUM", "to_severity": "SEVERITY_HIGH",
                              "reason": "override at org-overrides.yaml:4:11"}])"));

    const Json raised = element(kInlineRule, kRaisedArn);
    EXPECT_EQ(raised["severity"], "SEVERITY_HIGH");
    EXPECT_EQ(raised["rule_severity"], "SEVERITY_MEDIUM");
    ASSERT_THAT(raised["severity_changes"], SizeIs(1));
    EXPECT_EQ(raised["severity_changes"][0]["from_severity"], "SEVERITY_MEDIUM");
    EXPECT_EQ(raised["severity_changes"][0]["to_severity"], "SEVERITY_HIGH");
    EXPECT_THAT(raised["severity_changes"][0]["reason"].get<std::string>(),
                HasSubstr("raised: the role can be assumed from outside account"));

    // Every field is written: unchanged findings say their severity is the rule's own.
    const Json plain = element(kInlineRule, kPlainArn);
    EXPECT_EQ(plain["rule_severity"], plain["severity"]);
    EXPECT_EQ(plain["severity_changes"], Json::array());
  }
}

TEST_F(SeverityTraceTest, SarifResultPropertiesSayTheRuleSeverityAndTheLevelStaysEffective) {
  std::string schema;
  if (!test::ReadFile(test::SchemaPath("sarif-2.1.0.schema.json"), &schema)) {
    GTEST_SKIP() << "SARIF schema not found";
  }
  const Json log = Json::parse(Render("sarif"));
  EXPECT_THAT(test::JsonSchemaValidator(Json::parse(schema)).Validate(log), IsEmpty());
  const Json& results = log["runs"][0]["results"];
  const auto element = [&results](const char* rule_id, const char* arn) {
    return Element(results, "/ruleId", rule_id,
                   "/locations/0/logicalLocations/0/fullyQualifiedName", arn);
  };
  const Json overridden = element(kManagedRule, kOverriddenArn);
  EXPECT_EQ(overridden["level"], "error");  // high, the effective severity
  EXPECT_EQ(overridden["properties"]["severity"], "high");
  EXPECT_EQ(overridden["properties"]["ruleSeverity"], "medium");
  EXPECT_EQ(overridden["properties"]["severityChanges"],
            Json::parse(R"([{"from": "medium", "to": "high",
                            "reason": "override at org-overrides.yaml:4:11"}])"));

  const Json raised = element(kInlineRule, kRaisedArn);
  EXPECT_EQ(raised["level"], "error");
  EXPECT_EQ(raised["properties"]["ruleSeverity"], "medium");
  ASSERT_THAT(raised["properties"]["severityChanges"], SizeIs(1));
  EXPECT_EQ(raised["properties"]["severityChanges"][0]["to"], "high");

  const Json plain = element(kInlineRule, kPlainArn);
  EXPECT_EQ(plain["level"], "warning");
  EXPECT_FALSE(plain["properties"].contains("ruleSeverity"));
  EXPECT_FALSE(plain["properties"].contains("severityChanges"));
}

TEST_F(SeverityTraceTest, OcsfKeepsTheEffectiveSeverityAndPutsTheRulesInUnmapped) {
  std::string schema;
  if (!test::ReadFile(test::SchemaPath("ocsf-1.5.0-server-export.json"), &schema)) {
    GTEST_SKIP() << "OCSF schema export not found";
  }
  test::OcsfSchemaChecker checker(Json::parse(schema));
  const Json events = Json::parse(Render("ocsf"));
  for (const Json& event : events) {
    EXPECT_THAT(checker.CheckEvent(event), IsEmpty()) << event.dump(2);
  }
  const auto element = [&events](const char* rule_id, const char* arn) {
    return Element(events, "/finding_info/analytic/uid", rule_id, "/resources/0/uid", arn);
  };
  const Json overridden = element(kManagedRule, kOverriddenArn);
  EXPECT_EQ(overridden["severity_id"], 4);
  EXPECT_EQ(overridden["severity"], "High");
  EXPECT_EQ(overridden["unmapped"], Json::parse(R"({"rule_severity_id": 3,
      "rule_severity": "Medium", "severity_changes": [{"from": "Medium", "to": "High",
      "reason": "override at org-overrides.yaml:4:11"}]})"));

  const Json raised = element(kInlineRule, kRaisedArn);
  EXPECT_EQ(raised["severity_id"], 4);
  EXPECT_EQ(raised["unmapped"]["rule_severity_id"], 3);
  EXPECT_EQ(raised["unmapped"]["severity_changes"][0]["to"], "High");

  EXPECT_FALSE(element(kInlineRule, kPlainArn).contains("unmapped"));
}

TEST_F(SeverityTraceTest, AsffOriginalIsTheRuleSeverityAndProductFieldsSayWhy) {
  std::string model;
  if (!test::ReadFile(test::SchemaPath("asff-securityhub-2018-10-26.botocore-service-2.json"),
                      &model)) {
    GTEST_SKIP() << "Security Hub API model not found";
  }
  test::BotocoreShapeValidator validator(Json::parse(model));
  const Json findings = Json::parse(Render("asff"));
  for (const Json& f : findings) {
    EXPECT_THAT(validator.Validate(f, "AwsSecurityFinding"), IsEmpty()) << f.dump(2);
  }
  const auto element = [&findings](const char* rule_id, const char* arn) {
    return Element(findings, "/GeneratorId", rule_id, "/Resources/0/Id", arn);
  };
  const Json overridden = element(kManagedRule, kOverriddenArn);
  EXPECT_EQ(overridden["Severity"], Json::parse(R"({"Label": "HIGH", "Original": "MEDIUM"})"));
  EXPECT_EQ(overridden["FindingProviderFields"]["Severity"], overridden["Severity"]);
  EXPECT_EQ(overridden["ProductFields"]["kmsguard/RuleSeverity"], "MEDIUM");
  EXPECT_EQ(overridden["ProductFields"]["kmsguard/SeverityChange/0"],
            "MEDIUM -> HIGH: override at org-overrides.yaml:4:11");

  const Json raised = element(kInlineRule, kRaisedArn);
  EXPECT_EQ(raised["Severity"], Json::parse(R"({"Label": "HIGH", "Original": "MEDIUM"})"));
  EXPECT_THAT(raised["ProductFields"]["kmsguard/SeverityChange/0"].get<std::string>(),
              HasSubstr("MEDIUM -> HIGH: raised: the role can be assumed from outside account"));

  const Json plain = element(kInlineRule, kPlainArn);
  EXPECT_EQ(plain["Severity"], Json::parse(R"({"Label": "MEDIUM", "Original": "MEDIUM"})"));
  EXPECT_FALSE(plain["ProductFields"].contains("kmsguard/RuleSeverity"));
  EXPECT_FALSE(plain["ProductFields"].contains("kmsguard/SeverityChange/0"));
}

// A row of the table (the line holding every one of `cells`) and the indented lines under it.
std::string RowAndLinesUnder(const std::string& table, const std::vector<std::string>& cells) {
  std::string out;
  bool in_row = false;
  for (std::size_t from = 0, end; (end = table.find('\n', from)) != std::string::npos;
       from = end + 1) {
    const std::string line = table.substr(from, end - from);
    if (in_row) {
      if (!line.starts_with("  ")) break;
      out += line + "\n";
      continue;
    }
    bool all = true;
    for (const std::string& cell : cells) all = all && line.find(cell) != std::string::npos;
    if (all) {
      out = line + "\n";
      in_row = true;
    }
  }
  EXPECT_TRUE(in_row) << "no row with all of the cells";
  return out;
}

TEST_F(SeverityTraceTest, TheTableSaysTheRulesSeverityUnderTheRow) {
  const std::string table = Render("table");
  const std::string overridden =
      RowAndLinesUnder(table, {kManagedRule, "policy/KmsDecryptAllKeys-Managed"});
  EXPECT_THAT(overridden, testing::StartsWith("high      FAIL  "));
  EXPECT_THAT(overridden, HasSubstr("\n  severity: high (rule: medium): override at "
                                    "org-overrides.yaml:4:11\n"));
  const std::string raised = RowAndLinesUnder(table, {kInlineRule, "role/partner-audit-access"});
  EXPECT_THAT(raised, testing::StartsWith("high      FAIL (conditional)  "));
  EXPECT_THAT(raised, HasSubstr("\n  severity: high (rule: medium): raised: the role can be "
                                "assumed from outside account 111122223333 by other-account "));
  // The severity line comes first, then the exposure.
  EXPECT_LT(raised.find("  severity: "), raised.find("  exposed: "));
  const std::string plain = RowAndLinesUnder(table, {kInlineRule, "user/bob"});
  EXPECT_THAT(plain, testing::StartsWith("medium    FAIL  "));
  EXPECT_THAT(plain, Not(HasSubstr("severity:")));

  // The SEVERITY column keeps its width, so the table still fits 80 columns; the line under the
  // row wraps like the others.
  TableOptions narrow;
  narrow.width = 80;
  const std::string fitted = RenderTable(scan_->findings, scan_->summary, narrow);
  for (std::size_t from = 0, end; (end = fitted.find('\n', from)) != std::string::npos;
       from = end + 1) {
    EXPECT_LE(internal::DisplayWidth(fitted.substr(from, end - from)), 80u);
  }
  EXPECT_THAT(fitted, HasSubstr("\n  severity: high (rule: medium): override at"));

  // Several changes: each step, in order.
  model::Finding twice = Find(kManagedRule, kOverriddenArn);
  twice.severity = model::Severity::kCritical;
  twice.severity_changes.push_back(
      {model::Severity::kHigh, model::Severity::kCritical, "raised: for a test"});
  EXPECT_THAT(RenderTable({twice}, {}, TableOptions()),
              HasSubstr("\n  severity: critical (rule: medium): medium -> high override at "
                        "org-overrides.yaml:4:11; high -> critical raised: for a test\n"));
}

TEST_F(SeverityTraceTest, TheHtmlRowAndDetailsShowTheRuleSeverityAndEachChange) {
  const std::string html = Render("html");
  // The finding's <tbody>: its rule's data-rule and its resource's ARN.
  const auto body = [&html](const std::string& rule_id, const std::string& arn) {
    for (std::size_t start = 0;
         (start = html.find("<tbody class=\"finding\"", start)) != std::string::npos; ++start) {
      const std::string block = html.substr(start, html.find("</tbody>", start) - start);
      if (block.find("data-rule=\"" + rule_id + "\"") != std::string::npos &&
          block.find("<code>" + arn + "</code>") != std::string::npos) {
        return block;
      }
    }
    ADD_FAILURE() << "no finding of " << rule_id << " on " << arn;
    return std::string();
  };
  const std::string overridden = body(kManagedRule, kOverriddenArn);
  EXPECT_THAT(overridden, HasSubstr("<span class=\"badge severity-high\">high</span> <span "
                                    "class=\"tag rule-severity\">(rule: medium)</span>"));
  EXPECT_THAT(overridden, HasSubstr("<h4>Severity</h4><p>high; the rule states medium</p>"));
  EXPECT_THAT(overridden,
              HasSubstr("<li>medium &rarr; high: override at org-overrides.yaml:4:11</li>"));
  EXPECT_THAT(body(kInlineRule, kRaisedArn), HasSubstr("(rule: medium)"));
  EXPECT_THAT(body(kInlineRule, kRaisedArn),
              HasSubstr("<li>medium &rarr; high: raised: the role can be "
                        "assumed from outside account 111122223333"));
  EXPECT_THAT(body(kInlineRule, kPlainArn), Not(HasSubstr("rule-severity")));
  EXPECT_THAT(body(kInlineRule, kPlainArn), Not(HasSubstr("<h4>Severity</h4>")));
}

// `scan --baseline`: an override that re-rates a finding makes it UPDATED (its uid leaves
// severity out), never NEW; and outputs carrying the new fields read back as baselines.
TEST_F(SeverityTraceTest, ABaselineSeesAReRatedFindingAsUpdatedNotNew) {
  const test::Scan before = test::ScanBundledExample();
  BaselineRead read = ReadBaseline(
      RenderJson(before.findings, before.summary, test::FixedOptions()), "before.json");
  ASSERT_THAT(read.diagnostics, IsEmpty());
  BaselineComparison comparison(std::move(read.baseline));
  const auto now = test::FixedTime() + std::chrono::hours(24);
  for (const model::Finding& f : scan_->findings) {
    const BaselineState state = comparison.Record(f, now).state;
    if (f.rule_id == kManagedRule && f.resource_id == kOverriddenArn) {
      EXPECT_EQ(state, BaselineState::kUpdated);
    } else if (f.rule_id == kManagedRule) {
      EXPECT_EQ(state, BaselineState::kUnchanged) << "a PASS re-rated is not a change";
    } else {
      EXPECT_EQ(state, BaselineState::kUnchanged) << f.rule_id << " " << f.resource_id;
    }
  }
  EXPECT_EQ(comparison.counts().new_findings, 0);
  EXPECT_EQ(comparison.counts().updated, 1);

  for (const char* format : {"json", "jsonl", "ocsf", "sarif"}) {
    const BaselineRead again = ReadBaseline(Render(format), "before");
    EXPECT_THAT(again.diagnostics, IsEmpty()) << format;
    EXPECT_FALSE(again.baseline.findings.empty()) << format;
  }
}

}  // namespace
}  // namespace kmsguard::render
