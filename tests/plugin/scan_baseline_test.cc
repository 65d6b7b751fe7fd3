// `kmsguard scan --baseline FILE` end to end with the real binary: the bundled example and a
// changed copy (user erin deleted, role ec2-app-server's policy scoped to one key), compared in
// both directions with a baseline in each format it reads, output in every format; refusals and
// --fail-on new.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/plugin/test_support.h"

namespace kmsguard {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;
using testing::BundledExample;
using testing::ProcessResult;

constexpr char kKey[] = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

class ScanBaselineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    Json gaad = Json::parse(testing::ReadFile(BundledExample()));
    Json& users = gaad["UserDetailList"];
    const std::size_t before = users.size();
    users.erase(std::remove_if(users.begin(), users.end(),
                               [](const Json& u) { return u["UserName"] == "erin"; }),
                users.end());
    ASSERT_EQ(users.size(), before - 1);
    bool changed = false;
    for (Json& role : gaad["RoleDetailList"]) {
      if (role["RoleName"] != "ec2-app-server") continue;
      for (Json& policy : role["RolePolicyList"]) {
        if (policy["PolicyName"] != "app-kms-full") continue;
        policy["PolicyDocument"]["Statement"][0]["Resource"] = kKey;
        changed = true;
      }
    }
    ASSERT_TRUE(changed);
    changed_ = dir_.File("changed.json");
    std::ofstream(changed_) << gaad.dump(1);
  }

  ProcessResult Scan(const std::string& input, const std::vector<std::string>& flags) {
    std::vector<std::string> args = {KMSGUARD_BINARY, "scan", input};
    args.insert(args.end(), flags.begin(), flags.end());
    return testing::Run(args);
  }

  // The earlier scan's output in `format`, kept as a file.
  std::string Baseline(const std::string& input, const std::string& format) {
    const ProcessResult r = Scan(input, {"--format", format});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const std::string path = dir_.File("baseline-" + format + "-" + std::to_string(++files_));
    std::ofstream(path) << r.out;
    return path;
  }

  testing::TempDir dir_;
  std::string changed_;
  int files_ = 0;
};

// JSON's state per principal ("user/erin" style names from resource_id's last part).
std::map<std::string, std::string> OpenStates(const Json& doc) {
  std::map<std::string, std::string> out;
  for (const Json& f : doc["findings"]) {
    const std::string state = f["baseline_state"];
    if (f["status"] == "STATUS_PASS" && state != "RESOLVED") continue;
    out[f["resource_name"].get<std::string>() + " " + f["rule_id"].get<std::string>()] = state;
  }
  return out;
}

TEST_F(ScanBaselineTest, EveryBaselineFormatGivesTheSameComparison) {
  for (const std::string format : {"json", "jsonl", "ocsf", "sarif"}) {
    SCOPED_TRACE(format);
    const std::string baseline = Baseline(BundledExample(), format);
    const ProcessResult r = Scan(changed_, {"--baseline", baseline, "--format", "json"});
    ASSERT_EQ(r.exit_code, 1) << r.err;  // FAILs remain
    const Json doc = Json::parse(r.out);
    const std::map<std::string, std::string> states = OpenStates(doc);
    EXPECT_EQ(states.at("ec2-app-server aws-iam-inline-kms-decrypt-all-keys"), "RESOLVED");
    EXPECT_EQ(states.at("bob aws-iam-inline-kms-decrypt-all-keys"), "UNCHANGED");
    EXPECT_EQ(states.count("erin aws-iam-inline-kms-decrypt-all-keys"), 0u);  // gone
    ASSERT_EQ(doc["resolved"].size(), 1u) << doc["resolved"].dump(2);
    EXPECT_EQ(doc["resolved"][0]["resource_id"], "arn:aws:iam::111122223333:user/erin");
    const Json& counts = doc["summary"]["baseline"];
    EXPECT_EQ(counts["format"], format);
    EXPECT_EQ(counts["new"], 0);
    EXPECT_EQ(counts["updated"], 0);
    EXPECT_EQ(counts["resolved"], 2);  // ec2-app-server passing, erin gone
    EXPECT_EQ(counts["not_covered"], 0);
    // 34 findings now: ec2-app-server's inline FAIL resolved by passing, the rest unchanged (a
    // PASS absent from a SARIF baseline, which lists none, is taken as unchanged).
    EXPECT_EQ(counts["unchanged"], 33);
  }
}

TEST_F(ScanBaselineTest, EveryOutputFormatCarriesTheComparison) {
  const std::string baseline = Baseline(BundledExample(), "jsonl");
  std::map<std::string, std::string> out;
  for (const std::string format : {"json", "jsonl", "ocsf", "asff", "sarif", "table", "html"}) {
    const ProcessResult r = Scan(changed_, {"--baseline", baseline, "--format", format, "--wide"});
    EXPECT_EQ(r.exit_code, 1) << format << ": " << r.err;
    out[format] = r.out;
  }
  EXPECT_THAT(out["jsonl"], HasSubstr("\"baseline_state\":\"RESOLVED\""));
  const Json sarif = Json::parse(out["sarif"]);
  int absent = 0;
  for (const Json& result : sarif["runs"][0]["results"]) {
    ASSERT_TRUE(result.contains("baselineState"));
    if (result["baselineState"] == "absent") {
      ++absent;
      EXPECT_EQ(result["partialFingerprints"]["kmsguardFindingUid/v1"].get<std::string>().size(),
                32u);
    }
  }
  EXPECT_EQ(absent, 1);
  int closed = 0;
  for (const Json& event : Json::parse(out["ocsf"])) {
    if (event["activity_id"] == 3) ++closed;
  }
  EXPECT_EQ(closed, 2);
  int archived = 0;
  for (const Json& finding : Json::parse(out["asff"])) {
    if (finding["RecordState"] == "ARCHIVED") {
      ++archived;
      EXPECT_EQ(finding["Workflow"]["Status"], "RESOLVED");
    }
  }
  EXPECT_EQ(archived, 1);
  EXPECT_THAT(out["table"], HasSubstr("resolved since the baseline (2):"));
  EXPECT_THAT(out["table"], HasSubstr("user/erin  (gone)"));
  EXPECT_THAT(out["table"], HasSubstr("role/ec2-app-server  (now PASS)"));
  EXPECT_THAT(out["html"], HasSubstr("Resolved: gone since the baseline (1)"));
}

// Backwards: the changed copy as the baseline, so erin and ec2-app-server are NEW.
TEST_F(ScanBaselineTest, NewFindingsAndFailOnNew) {
  const std::string baseline = Baseline(changed_, "sarif");
  ProcessResult r = Scan(BundledExample(), {"--baseline", baseline, "--format", "table", "--wide"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.out, HasSubstr("FAIL [new]"));
  EXPECT_THAT(r.out, HasSubstr("baseline (sarif): 2 new, 34 unchanged, 0 updated, 0 resolved"));
  r = Scan(BundledExample(), {"--baseline", baseline, "--fail-on", "new"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  // Against itself nothing is new: --fail-on new passes, the default still fails.
  const std::string same = Baseline(BundledExample(), "json");
  r = Scan(BundledExample(), {"--baseline", same, "--fail-on", "new"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = Scan(BundledExample(), {"--baseline", same});
  EXPECT_EQ(r.exit_code, 1) << r.err;
}

TEST_F(ScanBaselineTest, FailOnNewWithoutABaselineIsAUsageError) {
  const ProcessResult r = Scan(BundledExample(), {"--fail-on", "new"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--fail-on new needs --baseline"));
  EXPECT_TRUE(r.out.empty());
}

TEST_F(ScanBaselineTest, ABaselineThatIsNotAScanOutputIsRefusedBeforeTheScan) {
  const std::string broken = dir_.File("broken.json");
  std::ofstream(broken) << "{\n  \"format\": \"kmsguard.findings.v1\",\n  oops\n}\n";
  ProcessResult r = Scan(BundledExample(), {"--baseline", broken});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(broken + ":3:3: error: not a JSON"));
  EXPECT_THAT(r.err, HasSubstr("[baseline_error]"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("rule(s) loaded")));  // nothing was started
  EXPECT_TRUE(r.out.empty());

  // A snapshot given by mistake, and an ASFF output: by pointer.
  r = Scan(BundledExample(), {"--baseline", BundledExample()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("not a kmsguard output"));
  const std::string asff = Baseline(BundledExample(), "asff");
  r = Scan(BundledExample(), {"--baseline", asff});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(asff + "#/0: error: ASFF"));

  r = Scan(BundledExample(), {"--baseline", dir_.File("missing.json")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("missing.json"));
}

TEST_F(ScanBaselineTest, AGzipBaselineIsRead) {
  const std::string baseline = Baseline(BundledExample(), "jsonl");
  const ProcessResult zipped = testing::Shell("gzip -k '" + baseline + "'");
  ASSERT_EQ(zipped.exit_code, 0) << zipped.err;
  const ProcessResult r =
      Scan(changed_, {"--baseline", baseline + ".gz", "--format", "json"});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(Json::parse(r.out)["summary"]["baseline"]["resolved"], 2);
}

}  // namespace
}  // namespace kmsguard
