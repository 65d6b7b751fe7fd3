// `scan --baseline`: the reader of each format (with each refusal's place), the comparison's
// states and coverage rules, and every format's output with a baseline, validated against the
// reference schemas as the formats' own tests do.
#include "sdk/render/baseline.h"

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sdk/render/render.h"
#include "tests/sdk/render/render_test_support.h"

namespace kmsguard::render {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using Json = nlohmann::json;

constexpr char kAccount[] = "111122223333";

model::Finding Make(std::string rule, std::string name, model::Status status,
                    model::Severity severity = model::Severity::kMedium) {
  model::Finding f;
  f.rule_id = std::move(rule);
  f.title = "A rule";
  f.provider = "aws";
  f.partition = "aws";
  f.account = kAccount;
  f.region = "global";
  f.resource_type = "AWS::IAM::Role";
  f.resource_name = name;
  f.resource_id = "arn:aws:iam::111122223333:role/" + name;
  f.status = status;
  f.severity = severity;
  f.message = "m";
  return f;
}

model::ScanSummary SummaryOf(const std::vector<model::Finding>& findings) {
  model::ScanSummary s;
  for (const model::Finding& f : findings) {
    s.rule_ids.insert(f.rule_id);
    s.resource_types.insert(f.resource_type);
    s.accounts.insert(f.account);
    s.regions.insert(f.region);
    ++s.resources_received;
  }
  return s;
}

// A baseline read back from kmsguard's own JSON of `findings`.
Baseline BaselineOf(const std::vector<model::Finding>& findings) {
  const std::string text = RenderJson(findings, SummaryOf(findings), test::FixedOptions());
  BaselineRead read = ReadBaseline(text, "before.json");
  EXPECT_THAT(read.diagnostics, IsEmpty());
  return std::move(read.baseline);
}

std::string Loc(const core::Diagnostics& d) {
  return d.empty() ? "(none)" : d.front().location.ToString();
}

// ---- Readers -------------------------------------------------------------------------------

class BaselineReaderTest : public ::testing::TestWithParam<std::string> {};

// Each format kmsguard writes reads back with every open finding's uid, status and severity;
// PASS findings (json, jsonl, ocsf list them) come back too.
TEST_P(BaselineReaderTest, ReadsWhatKmsguardWrote) {
  const std::vector<model::Finding> findings = {
      Make("r1", "a", model::Status::kFail, model::Severity::kHigh),
      Make("r1", "b", model::Status::kWarning, model::Severity::kLow),
      Make("r2", "a", model::Status::kPass)};
  const Renderer* renderer = FindRenderer(GetParam());
  ASSERT_NE(renderer, nullptr);
  const std::string text = renderer->render(findings, SummaryOf(findings), test::FixedOptions());
  BaselineRead read = ReadBaseline(text, "before");
  ASSERT_THAT(read.diagnostics, IsEmpty()) << Loc(read.diagnostics);
  EXPECT_EQ(read.baseline.format, GetParam());
  std::map<std::string, const BaselineFinding*> by_uid;
  for (const BaselineFinding& b : read.baseline.findings) by_uid[b.uid] = &b;
  const BaselineFinding* fail = by_uid[FindingUid(findings[0])];
  ASSERT_NE(fail, nullptr);
  EXPECT_EQ(fail->status, model::Status::kFail);
  EXPECT_EQ(fail->severity, model::Severity::kHigh);
  EXPECT_EQ(fail->rule_id, "r1");
  EXPECT_EQ(fail->resource_id, findings[0].resource_id);
  EXPECT_EQ(fail->account, kAccount);
  EXPECT_EQ(fail->first_seen, test::FixedTime());
  const BaselineFinding* warning = by_uid[FindingUid(findings[1])];
  ASSERT_NE(warning, nullptr);
  EXPECT_EQ(warning->status, model::Status::kWarning);
  EXPECT_EQ(warning->severity, model::Severity::kLow);
  // SARIF lists no PASS; the others do.
  EXPECT_EQ(read.baseline.findings.size(), GetParam() == "sarif" ? 2u : 3u);
}

INSTANTIATE_TEST_SUITE_P(Formats, BaselineReaderTest,
                         ::testing::Values("json", "jsonl", "ocsf", "sarif"));

TEST(BaselineReaderRefusalTest, TextThatIsNotJsonIsRefusedAtItsLineAndColumn) {
  const BaselineRead read = ReadBaseline("{\n  \"format\": \"kmsguard.findings.v1\",\n  oops\n}",
                                         "before.json");
  ASSERT_THAT(read.diagnostics, SizeIs(1));
  EXPECT_EQ(read.diagnostics[0].code, "baseline_error");
  EXPECT_EQ(Loc(read.diagnostics), "before.json:3:3");
  EXPECT_THAT(read.baseline.findings, IsEmpty());
}

TEST(BaselineReaderRefusalTest, AJsonFindingOfTheWrongShapeIsRefusedAtItsPointer) {
  const std::vector<model::Finding> findings = {Make("r1", "a", model::Status::kFail)};
  Json json = Json::parse(RenderJson(findings, SummaryOf(findings), test::FixedOptions()));
  json["findings"][0].erase("uid");
  json["findings"][0]["status"] = "STATUS_MAYBE";
  const BaselineRead read = ReadBaseline(json.dump(2), "before.json");
  ASSERT_THAT(read.diagnostics, SizeIs(2));
  EXPECT_EQ(read.diagnostics[0].location.ToString(), "before.json#/findings/0/uid");
  EXPECT_EQ(read.diagnostics[1].location.ToString(), "before.json#/findings/0/status");
  EXPECT_THAT(read.diagnostics[1].message, HasSubstr("STATUS_MAYBE"));
}

TEST(BaselineReaderRefusalTest, ABrokenJsonLinesLineIsRefusedAtItsLine) {
  const std::vector<model::Finding> findings = {Make("r1", "a", model::Status::kFail),
                                                Make("r1", "b", model::Status::kFail)};
  std::string text = RenderJsonLines(findings, SummaryOf(findings), test::FixedOptions());
  const std::size_t second = text.find('\n') + 1;
  text.insert(second + 7, "#");  // {"uid":#... line 2, column 8
  const BaselineRead read = ReadBaseline(text, "before.jsonl");
  ASSERT_THAT(read.diagnostics, SizeIs(1));
  EXPECT_EQ(Loc(read.diagnostics), "before.jsonl:2:8");
}

TEST(BaselineReaderRefusalTest, JsonLinesWithoutItsSummaryLineIsIncomplete) {
  const std::vector<model::Finding> findings = {Make("r1", "a", model::Status::kFail),
                                                Make("r1", "b", model::Status::kFail)};
  std::string text = RenderJsonLines(findings, SummaryOf(findings), test::FixedOptions());
  text.erase(text.rfind('\n', text.size() - 2) + 1);  // the summary line
  const BaselineRead read = ReadBaseline(text, "cut.jsonl");
  ASSERT_THAT(read.diagnostics, SizeIs(1));
  EXPECT_THAT(read.diagnostics[0].message, HasSubstr("no summary line"));
  EXPECT_EQ(Loc(read.diagnostics), "cut.jsonl:3:1");
}

TEST(BaselineReaderRefusalTest, OtherJsonIsRefused) {
  const std::vector<model::Finding> findings = {Make("r1", "a", model::Status::kFail)};
  const std::string asff = RenderAsff(findings, test::FixedOptions());
  BaselineRead read = ReadBaseline(asff, "findings.asff.json");
  ASSERT_THAT(read.diagnostics, SizeIs(1));
  EXPECT_EQ(Loc(read.diagnostics), "findings.asff.json#/0");
  EXPECT_THAT(read.diagnostics[0].message, HasSubstr("ASFF"));

  read = ReadBaseline(R"({"UserDetailList": []})", "gaad.json");
  ASSERT_THAT(read.diagnostics, SizeIs(1));
  EXPECT_THAT(read.diagnostics[0].message, HasSubstr("not a kmsguard output"));

  read = ReadBaseline(R"([{"class_uid": 2004}])", "other.ocsf.json");
  ASSERT_THAT(read.diagnostics, SizeIs(1));
  EXPECT_EQ(Loc(read.diagnostics), "other.ocsf.json#/0");

  Json sarif = Json::parse(RenderSarif(findings, SummaryOf(findings), test::FixedOptions()));
  sarif["runs"][0]["results"][0]["partialFingerprints"].erase("kmsguardFindingUid/v1");
  read = ReadBaseline(sarif.dump(), "old.sarif");
  ASSERT_THAT(read.diagnostics, SizeIs(1));
  EXPECT_EQ(Loc(read.diagnostics),
            "old.sarif#/runs/0/results/0/partialFingerprints/kmsguardFindingUid/v1");

  Json json = Json::parse(RenderJson(findings, SummaryOf(findings), test::FixedOptions()));
  json["generated_at"] = "yesterday";
  read = ReadBaseline(json.dump(), "b.json");
  ASSERT_THAT(read.diagnostics, SizeIs(1));
  EXPECT_EQ(Loc(read.diagnostics), "b.json#/generated_at");
}

// ---- States ----------------------------------------------------------------------------------

TEST(BaselineComparisonTest, StatesOfFindingsPresentNow) {
  const model::Finding unchanged = Make("r1", "same", model::Status::kFail);
  const model::Finding reseverity = Make("r1", "sev", model::Status::kFail);
  const model::Finding restatus = Make("r1", "stat", model::Status::kFail);
  const model::Finding fixed = Make("r1", "fixed", model::Status::kFail);
  const model::Finding accepted = Make("r1", "accepted", model::Status::kFail);
  const model::Finding was_pass = Make("r1", "regressed", model::Status::kPass);
  const model::Finding still_pass = Make("r1", "fine", model::Status::kPass);
  BaselineComparison c(
      BaselineOf({unchanged, reseverity, restatus, fixed, accepted, was_pass, still_pass}));
  const auto now = test::FixedTime() + std::chrono::hours(24);

  const auto state = [&](model::Finding f) { return c.Record(f, now).state; };
  EXPECT_EQ(state(unchanged), BaselineState::kUnchanged);
  model::Finding f = reseverity;
  f.severity = model::Severity::kCritical;
  EXPECT_EQ(state(f), BaselineState::kUpdated);
  f = restatus;
  f.status = model::Status::kWarning;
  EXPECT_EQ(state(f), BaselineState::kUpdated);
  f = fixed;
  f.status = model::Status::kPass;
  EXPECT_EQ(state(f), BaselineState::kResolved);
  f = accepted;
  f.status = model::Status::kSuppressed;
  EXPECT_EQ(state(f), BaselineState::kResolved);
  f = was_pass;
  f.status = model::Status::kFail;
  EXPECT_EQ(state(f), BaselineState::kNew);
  EXPECT_EQ(state(still_pass), BaselineState::kUnchanged);
  EXPECT_EQ(state(Make("r1", "brand-new", model::Status::kFail)), BaselineState::kNew);
  // A message, title or rule version change is not a change of the finding.
  f = Make("r1", "fine", model::Status::kPass);
  f.message = "reworded";
  f.rule_version = "9";
  EXPECT_EQ(c.Classify(f, now).state, BaselineState::kUnchanged);

  // First seen: the baseline's time for a finding it held, now for a new one.
  EXPECT_EQ(c.Classify(unchanged, now).first_seen, test::FixedTime());
  EXPECT_EQ(c.Classify(Make("r1", "brand-new", model::Status::kFail), now).first_seen, now);

  const BaselineCounts& n = c.counts();
  EXPECT_EQ(n.new_findings, 2);
  EXPECT_EQ(n.unchanged, 2);
  EXPECT_EQ(n.updated, 2);
  EXPECT_EQ(n.resolved, 2);
}

TEST(BaselineComparisonTest, FirstSeenCarriesOverThroughAnOutputWithABaseline) {
  const model::Finding f = Make("r1", "a", model::Status::kFail);
  RenderOptions second = test::FixedOptions();
  second.time = test::FixedTime() + std::chrono::hours(24);
  second.baseline = std::make_shared<BaselineComparison>(BaselineOf({f}));
  const std::string text = RenderJsonLines({f}, SummaryOf({f}), second);
  BaselineRead read = ReadBaseline(text, "second.jsonl");
  ASSERT_THAT(read.diagnostics, IsEmpty()) << Loc(read.diagnostics);
  ASSERT_THAT(read.baseline.findings, SizeIs(1));
  EXPECT_EQ(read.baseline.findings[0].first_seen, test::FixedTime());
}

// What is gone from this scan is resolved only inside its coverage.
TEST(BaselineComparisonTest, GoneFindingsResolveOnlyWhereThisScanLooked) {
  const model::Finding gone = Make("r1", "deleted", model::Status::kFail);
  model::Finding other_account = Make("r1", "elsewhere", model::Status::kFail);
  other_account.account = "444455556666";
  other_account.resource_id = "arn:aws:iam::444455556666:role/elsewhere";
  const model::Finding other_rule = Make("r9", "deleted", model::Status::kFail);
  model::Finding other_type = Make("r1", "u", model::Status::kFail);
  other_type.resource_type = "AWS::IAM::User";
  const model::Finding broken = Make("r1", "broken", model::Status::kFail);
  const model::Finding was_pass = Make("r1", "gone-pass", model::Status::kPass);
  const Baseline baseline = BaselineOf({gone, other_account, other_rule, other_type, broken,
                                        was_pass});

  // This scan: one role of account 111122223333, rule r1.
  const std::vector<model::Finding> now = {Make("r1", "kept", model::Status::kPass)};
  const model::ScanSummary summary = SummaryOf(now);

  BaselineComparison c(baseline);
  for (const model::Finding& f : now) c.Record(f, test::FixedTime());
  c.MarkUnevaluated(broken.resource_id);
  std::vector<std::string> resolved;
  for (const BaselineFinding* b : c.Gone(summary)) resolved.push_back(b->resource_id);
  EXPECT_THAT(resolved, ElementsAre(gone.resource_id));
  EXPECT_EQ(c.counts().resolved, 1);
  EXPECT_EQ(c.counts().not_covered, 4);  // another account, rule, type; an unevaluated resource

  // A problem whose resource is unknown: nothing gone is resolved.
  BaselineComparison unknown(baseline);
  unknown.MarkUnevaluated("");
  EXPECT_THAT(unknown.Gone(summary), IsEmpty());

  // A baseline of another account resolves nothing.
  BaselineComparison elsewhere(BaselineOf({other_account}));
  EXPECT_THAT(elsewhere.Gone(summary), IsEmpty());
  EXPECT_EQ(elsewhere.counts().not_covered, 1);
}

// ---- Outputs ---------------------------------------------------------------------------------

struct ChangedScan {
  std::vector<model::Finding> before;
  std::vector<model::Finding> now;
  model::ScanSummary summary;
};

// new, unchanged, updated, resolved by passing, resolved by being gone.
ChangedScan Changed() {
  ChangedScan s;
  const model::Finding unchanged = Make("r1", "same", model::Status::kFail);
  const model::Finding updated = Make("r1", "worse", model::Status::kWarning);
  const model::Finding fixed = Make("r1", "fixed", model::Status::kFail);
  const model::Finding gone = Make("r1", "deleted", model::Status::kFail, model::Severity::kHigh);
  s.before = {unchanged, updated, fixed, gone};
  model::Finding worse = updated;
  worse.status = model::Status::kFail;
  model::Finding now_pass = fixed;
  now_pass.status = model::Status::kPass;
  s.now = {unchanged, worse, now_pass, Make("r1", "fresh", model::Status::kFail)};
  s.summary = SummaryOf(s.now);
  return s;
}

RenderOptions WithBaseline(const ChangedScan& s) {
  RenderOptions options = test::FixedOptions();
  options.time = test::FixedTime() + std::chrono::hours(24);
  options.baseline = std::make_shared<BaselineComparison>(BaselineOf(s.before));
  return options;
}

std::map<std::string, std::string> StateByName(const Json& findings, const char* state_key) {
  std::map<std::string, std::string> out;
  for (const Json& f : findings) out[f["resource_name"]] = f[state_key];
  return out;
}

TEST(BaselineOutputTest, JsonCarriesStatesFirstSeenResolvedAndCounts) {
  const ChangedScan s = Changed();
  const Json json = Json::parse(RenderJson(s.now, s.summary, WithBaseline(s)));
  EXPECT_EQ(StateByName(json["findings"], "baseline_state"),
            (std::map<std::string, std::string>{{"same", "UNCHANGED"},
                                                {"worse", "UPDATED"},
                                                {"fixed", "RESOLVED"},
                                                {"fresh", "NEW"}}));
  EXPECT_EQ(json["findings"][0]["first_seen_at"], "2024-05-01T12:00:00.000Z");
  EXPECT_EQ(json["findings"][3]["first_seen_at"], "2024-05-02T12:00:00.000Z");
  ASSERT_THAT(json["resolved"], SizeIs(1));
  EXPECT_EQ(json["resolved"][0]["resource_name"], "deleted");
  EXPECT_EQ(json["resolved"][0]["baseline_state"], "RESOLVED");
  EXPECT_EQ(json["resolved"][0]["severity"], "SEVERITY_HIGH");
  EXPECT_EQ(json["summary"]["baseline"],
            (Json{{"format", "json"}, {"new", 1}, {"unchanged", 1}, {"updated", 1},
                  {"resolved", 2}, {"not_covered", 0}}));
}

TEST(BaselineOutputTest, JsonLinesPutsResolvedLinesBeforeTheSummaryLine) {
  const ChangedScan s = Changed();
  const std::string text = RenderJsonLines(s.now, s.summary, WithBaseline(s));
  std::vector<Json> lines;
  const std::vector<std::string> texts = absl::StrSplit(text, '\n', absl::SkipEmpty());
  for (const std::string& line : texts) lines.push_back(Json::parse(line));
  ASSERT_THAT(lines, SizeIs(6));
  EXPECT_EQ(lines[3]["baseline_state"], "NEW");
  EXPECT_EQ(lines[4]["resource_name"], "deleted");
  EXPECT_EQ(lines[4]["baseline_state"], "RESOLVED");
  EXPECT_EQ(lines[5]["summary"]["baseline"]["resolved"], 2);
  // Read back as the next baseline, the gone finding is no longer open.
  const BaselineRead read = ReadBaseline(text, "now.jsonl");
  ASSERT_THAT(read.diagnostics, IsEmpty()) << Loc(read.diagnostics);
  for (const BaselineFinding& b : read.baseline.findings) {
    if (b.resource_name == "deleted") {
      EXPECT_FALSE(IsOpen(b.status));
    }
  }
}

class BaselineSchemaTest : public ::testing::Test {
 protected:
  static bool Load(const char* name, Json* out) {
    std::string text;
    if (!test::ReadFile(test::SchemaPath(name), &text)) return false;
    *out = Json::parse(text);
    return true;
  }
};

TEST_F(BaselineSchemaTest, SarifHasBaselineStateAndValidates) {
  Json schema;
  if (!Load("sarif-2.1.0.schema.json", &schema)) GTEST_SKIP() << "SARIF schema not found";
  const ChangedScan s = Changed();
  const Json log = Json::parse(RenderSarif(s.now, s.summary, WithBaseline(s)));
  test::JsonSchemaValidator validator(schema);
  EXPECT_THAT(validator.Validate(log), IsEmpty()) << log.dump(2);
  std::map<std::string, std::string> states;
  for (const Json& r : log["runs"][0]["results"]) {
    states[r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]] = r["baselineState"];
  }
  EXPECT_EQ(states, (std::map<std::string, std::string>{
                        {"arn:aws:iam::111122223333:role/same", "unchanged"},
                        {"arn:aws:iam::111122223333:role/worse", "updated"},
                        {"arn:aws:iam::111122223333:role/fresh", "new"},
                        {"arn:aws:iam::111122223333:role/deleted", "absent"}}));
  // The absent result is no alert: kind pass, level none. A planted wrong state is caught.
  for (Json r : log["runs"][0]["results"]) {
    if (r["baselineState"] != "absent") continue;
    EXPECT_EQ(r["kind"], "pass");
    EXPECT_EQ(r["level"], "none");
    Json bad = log;
    bad["runs"][0]["results"][0]["baselineState"] = "resolved";
    EXPECT_THAT(validator.Validate(bad), SizeIs(1));
  }
}

TEST_F(BaselineSchemaTest, OcsfHasActivityStatusAndSeenTimesAndValidates) {
  Json schema;
  if (!Load("ocsf-1.5.0-server-export.json", &schema)) GTEST_SKIP() << "OCSF export not found";
  test::OcsfSchemaChecker checker(schema);
  const ChangedScan s = Changed();
  const Json events = Json::parse(RenderOcsf(s.now, WithBaseline(s)));
  ASSERT_THAT(events, SizeIs(4));  // RenderOcsf has no summary: nothing gone is resolved
  std::map<std::string, std::pair<int, int>> by_name;
  for (const Json& e : events) {
    EXPECT_THAT(checker.CheckEvent(e), IsEmpty()) << e.dump(2);
    by_name[e["resources"][0]["name"]] = {e["activity_id"], e["status_id"]};
    EXPECT_EQ(e["type_uid"], 200300 + e["activity_id"].get<int>());
    EXPECT_EQ(e["finding_info"]["last_seen_time"], 1714651200000);
  }
  EXPECT_EQ(by_name["fresh"], std::make_pair(1, 1));  // Create, New
  EXPECT_EQ(by_name["same"], std::make_pair(2, 1));   // Update
  EXPECT_EQ(by_name["worse"], std::make_pair(2, 1));
  EXPECT_EQ(by_name["fixed"], std::make_pair(3, 4));  // Close, Resolved
  EXPECT_EQ(events[0]["finding_info"]["first_seen_time"], 1714564800000);

  // Through the writer with the summary, the gone finding is a Close event too.
  const std::shared_ptr<BaselineComparison> comparison =
      std::make_shared<BaselineComparison>(BaselineOf(s.before));
  RenderOptions options = WithBaseline(s);
  options.baseline = comparison;
  std::ostringstream out;
  const std::unique_ptr<FindingWriter> writer = OpenOcsfWriter(out, options);
  for (const model::Finding& f : s.now) writer->Write(f);
  ASSERT_TRUE(writer->Finish(s.summary).ok());
  const Json all = Json::parse(out.str());
  ASSERT_THAT(all, SizeIs(5));
  EXPECT_THAT(checker.CheckEvent(all[4]), IsEmpty()) << all[4].dump(2);
  EXPECT_EQ(all[4]["resources"][0]["name"], "deleted");
  EXPECT_EQ(all[4]["activity_id"], 3);
  EXPECT_EQ(all[4]["status_id"], 4);
  EXPECT_EQ(all[4]["finding_info"]["uid"], FindingUid(s.before[3]));
}

TEST_F(BaselineSchemaTest, AsffArchivesWhatIsGoneAndValidates) {
  Json model;
  if (!Load("asff-securityhub-2018-10-26.botocore-service-2.json", &model)) {
    GTEST_SKIP() << "Security Hub model not found";
  }
  test::BotocoreShapeValidator validator(model);
  const ChangedScan s = Changed();
  RenderOptions options = WithBaseline(s);
  std::ostringstream out;
  const std::unique_ptr<FindingWriter> writer = OpenAsffWriter(out, options);
  for (const model::Finding& f : s.now) writer->Write(f);
  ASSERT_TRUE(writer->Finish(s.summary).ok());
  const Json findings = Json::parse(out.str());
  ASSERT_THAT(findings, SizeIs(5));
  for (const Json& f : findings) {
    EXPECT_THAT(validator.Validate(f, "AwsSecurityFinding"), IsEmpty()) << f.dump(2);
  }
  EXPECT_EQ(findings[0]["FirstObservedAt"], "2024-05-01T12:00:00.000Z");  // same
  EXPECT_EQ(findings[3]["FirstObservedAt"], "2024-05-02T12:00:00.000Z");  // fresh
  EXPECT_EQ(findings[3]["ProductFields"]["kmsguard/BaselineState"], "NEW");
  const Json& gone = findings[4];
  EXPECT_EQ(gone["Id"], FindingUid(s.before[3]));
  EXPECT_EQ(gone["RecordState"], "ARCHIVED");
  EXPECT_EQ(gone["Workflow"]["Status"], "RESOLVED");
  EXPECT_EQ(gone["FirstObservedAt"], "2024-05-01T12:00:00.000Z");
  EXPECT_EQ(findings[2]["Workflow"]["Status"], "RESOLVED");  // fixed: PASS now
  EXPECT_EQ(findings[2]["RecordState"], "ACTIVE");
}

std::string RenderTableWith(const ChangedScan& s) {
  std::ostringstream out;
  const std::unique_ptr<FindingWriter> writer = OpenTableWriter(out, WithBaseline(s));
  for (const model::Finding& f : s.now) writer->Write(f);
  EXPECT_TRUE(writer->Finish(s.summary).ok());
  return out.str();
}

TEST(BaselineOutputTest, TableMarksNewAndUpdatedAndListsResolved) {
  const ChangedScan s = Changed();
  const std::string table = RenderTableWith(s);
  EXPECT_THAT(table, HasSubstr("FAIL [new]"));
  EXPECT_THAT(table, HasSubstr("FAIL [updated]"));
  EXPECT_THAT(table, HasSubstr("resolved since the baseline (2):"));
  EXPECT_THAT(table, HasSubstr("role/fixed  (now PASS)"));
  EXPECT_THAT(table, HasSubstr("high  r1  role/deleted  (gone)"));
  EXPECT_THAT(table, HasSubstr("baseline (json): 1 new, 1 unchanged, 1 updated, 2 resolved\n"));
}

TEST(BaselineOutputTest, HtmlHasBadgesAFilterCountsAndTheResolvedList) {
  const ChangedScan s = Changed();
  const std::string html = RenderHtml(s.now, s.summary, WithBaseline(s));
  EXPECT_THAT(html, HasSubstr("data-baseline=\"NEW\""));
  EXPECT_THAT(html, HasSubstr("<span class=\"badge baseline-NEW\">new</span>"));
  EXPECT_THAT(html, HasSubstr("<span class=\"badge baseline-UPDATED\">updated</span>"));
  EXPECT_THAT(html, HasSubstr("id=\"baseline-filter\""));
  EXPECT_THAT(html, HasSubstr("<tr><th>new</th><td data-count=\"1\">1</td></tr>"));
  EXPECT_THAT(html, HasSubstr("<tr><th>resolved</th><td data-count=\"2\">2</td></tr>"));
  EXPECT_THAT(html, HasSubstr("Resolved: gone since the baseline (1)"));
  EXPECT_THAT(html, HasSubstr("arn:aws:iam::111122223333:role/deleted"));
  // The chart of new versus resolved, by severity: "fresh" (medium) is new; "fixed" (medium, now
  // PASS) and "deleted" (high, gone) are resolved, as the counts above say.
  EXPECT_THAT(html, HasSubstr("New versus resolved since the baseline (1 new, 2 resolved)"));
  EXPECT_THAT(html, HasSubstr("data-chart=\"baseline\" data-key=\"medium\" data-series=\"new\" "
                              "data-value=\"1\""));
  EXPECT_THAT(html, HasSubstr("data-chart=\"baseline\" data-key=\"medium\" "
                              "data-series=\"resolved\" data-value=\"1\""));
  EXPECT_THAT(html, HasSubstr("data-chart=\"baseline\" data-key=\"high\" "
                              "data-series=\"resolved\" data-value=\"1\""));
  EXPECT_THAT(html, HasSubstr("data-chart=\"baseline\" data-key=\"high\" data-series=\"new\" "
                              "data-value=\"0\""));
  // Without a baseline, none of it.
  const std::string plain = RenderHtml(s.now, s.summary, test::FixedOptions());
  EXPECT_THAT(plain, Not(HasSubstr("baseline")));
}

}  // namespace
}  // namespace kmsguard::render
