#include "sdk/render/render.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/sdk/render/render_test_support.h"

namespace kmsguard::render {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::SizeIs;
using Json = nlohmann::json;
using test::OcsfSchemaChecker;

model::Finding FailFinding() {
  model::Finding f;
  f.rule_id = "aws-iam-inline-kms-decrypt-all-keys";
  f.rule_version = "1.0.0";
  f.title = "IAM principals should not have inline policies that allow decryption on all keys";
  f.severity = model::Severity::kMedium;
  f.status = model::Status::kFail;
  f.resource_id = "arn:aws:iam::111122223333:role/app";
  f.resource_type = "AWS::IAM::Role";
  f.resource_name = "app";
  f.partition = "aws";
  f.account = "111122223333";
  f.message = "role app has inline policies (kms-all) that allow kms:Decrypt on all KMS keys.";
  f.remediation = {"Scope it.", "1. Open the console.", "aws iam put-role-policy ...",
                   "resource \"aws_iam_role_policy\" {}"};
  f.compliance = {{"AWS Foundational Security Best Practices", "KMS.2"}};
  model::Evidence e;
  e.policy_name = "kms-all";
  e.statement_index = 0;
  e.sid = "Broad";
  e.effect = "Allow";
  e.actions = {"kms:Decrypt", "kms:ReEncryptFrom"};
  e.action_patterns = {"kms:*"};
  e.resource_patterns = {"*"};
  f.evidence.push_back(e);
  return f;
}

model::Finding PassFinding() {
  model::Finding f = FailFinding();
  f.status = model::Status::kPass;
  f.resource_id = "arn:aws:iam::111122223333:user/ok";
  f.resource_type = "AWS::IAM::User";
  f.resource_name = "ok";
  f.message = "user ok has no inline policy.";
  f.remediation = {};
  f.evidence.clear();
  return f;
}

Json Render(const std::vector<model::Finding>& findings) {
  return Json::parse(RenderOcsf(findings, ProductInfo{"kmsguard", "0.1.0"}));
}

TEST(RenderOcsfTest, FailFindingHasTheComplianceFindingFields) {
  const Json out = Render({FailFinding(), PassFinding()});
  ASSERT_TRUE(out.is_array());
  ASSERT_THAT(out, SizeIs(2));
  const Json& f = out[0];
  EXPECT_EQ(f["class_uid"], 2003);
  EXPECT_EQ(f["class_name"], "Compliance Finding");
  EXPECT_EQ(f["category_uid"], 2);
  EXPECT_EQ(f["activity_id"], 1);
  EXPECT_EQ(f["type_uid"], 200301);
  EXPECT_TRUE(f["time"].is_number_integer());
  EXPECT_GT(f["time"].get<std::int64_t>(), 1600000000000);  // milliseconds, not seconds
  EXPECT_EQ(f["severity_id"], 3);
  EXPECT_EQ(f["severity"], "Medium");
  EXPECT_EQ(f["status_id"], 1);
  EXPECT_EQ(f["status"], "New");
  EXPECT_EQ(f["status_code"], "FAIL");
  EXPECT_EQ(f["message"], FailFinding().message);
  EXPECT_EQ(f["compliance"]["status"], "Fail");
  EXPECT_EQ(f["compliance"]["status_id"], 3);
  EXPECT_EQ(f["compliance"]["control"], "KMS.2");
  EXPECT_EQ(f["compliance"]["standards"], Json({"AWS Foundational Security Best Practices"}));
  EXPECT_THAT(f["finding_info"]["uid"].get<std::string>(), MatchesRegex("[0-9a-f]{32}"));
  EXPECT_EQ(f["finding_info"]["title"], FailFinding().title);
  EXPECT_EQ(f["finding_info"]["desc"], FailFinding().message);
  EXPECT_TRUE(f["finding_info"]["types"].is_array());
  EXPECT_EQ(f["finding_info"]["analytic"]["uid"], "aws-iam-inline-kms-decrypt-all-keys");
  EXPECT_EQ(f["finding_info"]["analytic"]["type_id"], 1);
  EXPECT_EQ(f["finding_info"]["analytic"]["version"], "1.0.0");
  const Json& resource = f["resources"][0];
  EXPECT_EQ(resource["uid"], "arn:aws:iam::111122223333:role/app");
  EXPECT_EQ(resource["name"], "app");
  EXPECT_EQ(resource["type"], "AWS::IAM::Role");
  EXPECT_EQ(resource["cloud_partition"], "aws");
  EXPECT_EQ(resource["region"], "global");
  EXPECT_EQ(resource["data"]["evidence"][0]["sid"], "Broad");
  EXPECT_EQ(resource["data"]["evidence"][0]["action"], Json({"kms:*"}));
  const std::string remediation = f["remediation"]["desc"];
  EXPECT_THAT(remediation, HasSubstr("Scope it."));
  EXPECT_THAT(remediation, HasSubstr("Console:\n1. Open the console."));
  EXPECT_THAT(remediation, HasSubstr("AWS CLI:\naws iam put-role-policy"));
  EXPECT_THAT(remediation, HasSubstr("Terraform:\nresource \"aws_iam_role_policy\""));
  EXPECT_EQ(f["cloud"]["provider"], "AWS");
  EXPECT_EQ(f["cloud"]["account"]["uid"], "111122223333");
  EXPECT_EQ(f["cloud"]["region"], "global");
  EXPECT_EQ(f["metadata"]["version"], "1.5.0");
  EXPECT_EQ(f["metadata"]["product"]["name"], "kmsguard");
  EXPECT_EQ(f["metadata"]["product"]["version"], "0.1.0");
  EXPECT_TRUE(f["metadata"]["product"].contains("vendor_name"));

  const Json& pass = out[1];
  EXPECT_EQ(pass["compliance"]["status"], "Pass");
  EXPECT_EQ(pass["compliance"]["status_id"], 1);
  EXPECT_EQ(pass["status_code"], "PASS");
  EXPECT_FALSE(pass.contains("remediation"));
  EXPECT_NE(pass["finding_info"]["uid"], f["finding_info"]["uid"]);
}

TEST(RenderOcsfTest, WarningAndErrorStatuses) {
  model::Finding warning = FailFinding();
  warning.status = model::Status::kWarning;
  model::Finding error = FailFinding();
  error.status = model::Status::kError;
  error.message = "role app could not be evaluated: bad JSON";
  const Json out = Render({warning, error});
  EXPECT_EQ(out[0]["compliance"]["status"], "Warning");
  EXPECT_EQ(out[0]["compliance"]["status_id"], 2);
  EXPECT_EQ(out[1]["compliance"]["status"], "Unknown");
  EXPECT_EQ(out[1]["compliance"]["status_id"], 0);
  EXPECT_EQ(out[1]["compliance"]["status_code"], "ERROR");
  EXPECT_EQ(out[1]["compliance"]["status_details"], Json({error.message}));
}

TEST(FindingUidTest, StableAcrossMessageStatusAndSeverityChangesButNotIdentity) {
  const model::Finding base = FailFinding();
  const std::string uid = FindingUid(base);
  EXPECT_THAT(uid, MatchesRegex("[0-9a-f]{32}"));
  model::Finding changed = base;
  changed.message = "something else";
  changed.severity = model::Severity::kCritical;
  changed.status = model::Status::kPass;
  changed.evidence.clear();
  EXPECT_EQ(FindingUid(changed), uid);
  EXPECT_EQ(Render({changed})[0]["finding_info"]["uid"], Render({base})[0]["finding_info"]["uid"]);

  model::Finding other = base;
  other.sub_key = "kms-all";
  EXPECT_NE(FindingUid(other), uid);
  other = base;
  other.resource_id = "arn:aws:iam::111122223333:role/app2";
  EXPECT_NE(FindingUid(other), uid);
  other = base;
  other.account = "444455556666";
  EXPECT_NE(FindingUid(other), uid);
  // Length-prefixing keeps field boundaries: moving a character across fields changes the id.
  model::Finding a = base, b = base;
  a.resource_id = "x";
  a.sub_key = "yz";
  b.resource_id = "xy";
  b.sub_key = "z";
  EXPECT_NE(FindingUid(a), FindingUid(b));
  // Pinned: the id is a contract with hosts that track findings across scans. Recompute with
  //   printf '%s' '35:aws-iam-inline-kms-decrypt-all-keys;3:aws;3:aws;12:111122223333;6:global;'
  //   '34:arn:aws:iam::111122223333:role/app;0:;' (one string) | sha256sum | cut -c1-32
  EXPECT_EQ(uid, "9caaaa05d1944099ccc089e106082129");
}

TEST(RenderOcsfTest, OutputConformsToTheOcsf150Definitions) {
  const std::filesystem::path schema_path =
      std::filesystem::path(KMSGUARD_SHARED_DIR) / "schemas" / "ocsf-1.5.0-server-export.json";
  if (!std::filesystem::exists(schema_path)) {
    GTEST_SKIP() << "OCSF schema export not found at " << schema_path;
  }
  std::ifstream in(schema_path);
  OcsfSchemaChecker checker(Json::parse(in));
  model::Finding error = FailFinding();
  error.status = model::Status::kError;
  model::Finding exposed = FailFinding();
  exposed.exposed_to = {"user/alice", "user/bob"};
  exposed.exposure = "inherited by 2 member users: alice, bob";
  exposed.explanation = {"inline policy \"kms-all\": kms:Decrypt granted: ..."};
  for (const Json& event : Render({FailFinding(), PassFinding(), error, exposed})) {
    EXPECT_THAT(checker.CheckEvent(event), ::testing::IsEmpty()) << event.dump(2);
  }
  // The checker itself catches mistakes.
  Json bad = Render({FailFinding()})[0];
  bad["compliance"]["status_id"] = 7;
  bad["resources"][0]["account"] = "x";
  bad.erase("cloud");
  EXPECT_THAT(checker.CheckEvent(bad), SizeIs(3));
}

TEST(RenderOcsfTest, ExposureAndExplanationGoInResourceData) {
  model::Finding f = FailFinding();
  f.exposed_to = {"user/alice", "user/bob"};
  f.exposure = "inherited by 2 member users: alice, bob";
  f.explanation = {"line one", "line two"};
  const Json data = Render({f, PassFinding()})[0]["resources"][0]["data"];
  EXPECT_EQ(data["exposed_to"], Json({"user/alice", "user/bob"}));
  EXPECT_EQ(data["exposure"], "inherited by 2 member users: alice, bob");
  EXPECT_EQ(data["explanation"], Json({"line one", "line two"}));
  const Json pass = Render({PassFinding()})[0]["resources"][0]["data"];
  EXPECT_FALSE(pass.contains("exposure"));
  EXPECT_FALSE(pass.contains("exposed_to"));
  EXPECT_FALSE(pass.contains("explanation"));
}

TEST(RenderTableTest, ExposureUnderTheFindingAndExplanationWhenAsked) {
  model::Finding f = FailFinding();
  f.exposure = "assumable by service ec2.amazonaws.com";
  f.explanation = {"inline policy \"kms-all\": kms:Decrypt granted: because", "second\nline"};
  model::Finding managed = FailFinding();
  managed.resource_type = "AWS::IAM::Policy";
  managed.resource_name = "Shared";
  managed.evidence[0].policy_name = "arn:aws:iam::111122223333:policy/team/Shared";
  model::ScanSummary summary;
  std::string table = RenderTable({f, managed}, summary);
  EXPECT_THAT(table, HasSubstr("(stmt 0 \"Broad\")\n  exposed: assumable by service "
                               "ec2.amazonaws.com\n"));
  EXPECT_THAT(table, Not(HasSubstr("why:")));
  // A managed policy's row names it, not its whole ARN.
  EXPECT_THAT(table, MatchesRegex("(.|\n)*policy/Shared +Shared +kms:Decrypt(.|\n)*"));

  TableOptions options;
  options.explain = true;
  table = RenderTable({f}, summary, options);
  EXPECT_THAT(table, HasSubstr("  exposed: assumable by service ec2.amazonaws.com\n"
                               "  why: inline policy \"kms-all\": kms:Decrypt granted: because\n"
                               "  why: second line\n"));
  // PASS findings and their explanations only with show_pass.
  model::Finding pass = PassFinding();
  pass.explanation = {"nothing granted"};
  EXPECT_THAT(RenderTable({pass}, summary, options), Not(HasSubstr("nothing granted")));
  options.show_pass = true;
  EXPECT_THAT(RenderTable({pass}, summary, options), HasSubstr("user/ok"));
  EXPECT_THAT(RenderTable({pass}, summary, options), HasSubstr("  why: nothing granted\n"));
}

TEST(RenderTableTest, ShowsGrantsAndCounts) {
  model::Finding conditional = FailFinding();
  conditional.resource_id = "arn:aws:iam::111122223333:role/partner";
  conditional.resource_name = "partner";
  conditional.conditional = true;
  conditional.evidence[0].condition_keys = {"StringEquals:kms:ViaService"};
  model::Finding error = PassFinding();
  error.status = model::Status::kError;
  error.resource_name = "broken";
  error.message = "user broken could not be evaluated: inline policy \"x\" does not parse";
  model::ScanSummary summary;
  summary.resources_received = 4;
  summary.resources_evaluated = 4;
  const std::string table =
      RenderTable({PassFinding(), FailFinding(), conditional, error}, summary);
  EXPECT_THAT(table, HasSubstr("SEVERITY  STATUS"));
  EXPECT_THAT(table, HasSubstr("role/app"));
  EXPECT_THAT(table, HasSubstr("kms:Decrypt, kms:ReEncryptFrom on \"*\" (stmt 0 \"Broad\")"));
  EXPECT_THAT(table, HasSubstr("FAIL (conditional)"));
  EXPECT_THAT(table, HasSubstr("[conditional: StringEquals:kms:ViaService]"));
  EXPECT_THAT(table, HasSubstr("user/broken"));
  EXPECT_THAT(table, Not(HasSubstr("user/ok")));  // PASS rows hidden by default
  EXPECT_THAT(table, HasSubstr("4 findings: 2 FAIL, 1 ERROR, 0 WARNING, 1 PASS (PASS not listed)"));
  EXPECT_THAT(table, HasSubstr("resources: 4 received, 4 evaluated"));
  // FAIL rows come before the ERROR row.
  EXPECT_LT(table.find("role/app"), table.find("user/broken"));

  EXPECT_THAT(RenderTable({PassFinding()}, summary, /*show_pass=*/true), HasSubstr("user/ok"));
}

}  // namespace
}  // namespace kmsguard::render
