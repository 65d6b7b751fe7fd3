// `kmsguard scan --format json` claims the proto3 JSON mapping of kmsguard.plugin.v1.Finding:
// protobuf's own JSON parser must read each finding object back into the message the plugin
// sends for that finding (the extra "uid" aside).
#include <gmock/gmock.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <string>

#include "nlohmann/json.hpp"
#include "sdk/client/convert.h"
#include "sdk/render/render.h"

namespace kmsguard::client {
namespace {

model::Finding FullFinding() {
  model::Finding f;
  f.rule_id = "aws-iam-inline-kms-decrypt-all-keys";
  f.rule_version = "1.0.0";
  f.title = "Title";
  f.severity = model::Severity::kHigh;
  f.status = model::Status::kWarning;
  f.resource_id = "arn:aws:iam::111122223333:role/app";
  f.resource_type = "AWS::IAM::Role";
  f.resource_name = "app";
  f.partition = "aws";
  f.account = "111122223333";
  f.organization = "o-exampleorgid";
  f.organizational_unit = "ou-root-exampleou";
  f.sub_key = "inline-1";
  f.message = "message \"quoted\"\nsecond line";
  f.remediation = {.summary = "s", .console = "c", .cli = "l", .terraform = "t"};
  f.compliance = {{"AWS Foundational Security Best Practices", "KMS.2"}};
  model::Evidence e;
  e.policy_name = "inline-1";
  e.statement_index = 2;
  e.sid = "Sid1";
  e.effect = "Allow";
  e.actions = {"kms:Decrypt"};
  e.action_patterns = {"kms:*"};
  e.not_action = true;
  e.resource_patterns = {"*"};
  e.condition_keys = {"Bool:aws:SecureTransport"};
  e.note = "note";
  f.evidence = {e, model::Evidence()};
  f.conditional = true;
  f.source = {"gaad.json", 3, 7, "/RoleDetailList/0", "arn:aws:iam::111122223333:role/app"};
  f.exposed_to = {"user/alice"};
  f.exposure = "held by user alice";
  f.explanation = {"why 1", "why 2"};
  f.severity_changes = {
      {model::Severity::kMedium, model::Severity::kHigh, "override at o.yaml:4:11"}};
  return f;
}

TEST(RenderJsonProtoTest, EachFindingParsesAsTheProtoFinding) {
  model::Finding pass;  // every field at its default
  pass.rule_id = "r";
  const std::vector<model::Finding> findings = {FullFinding(), pass};
  const nlohmann::json out =
      nlohmann::json::parse(render::RenderJson(findings, model::ScanSummary(), {}));
  ASSERT_EQ(out["findings"].size(), findings.size());
  for (std::size_t i = 0; i < findings.size(); ++i) {
    plugin::v1::Finding parsed;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    nlohmann::json object = out["findings"][i];
    EXPECT_EQ(object["uid"], render::FindingUid(findings[i]));
    object.erase("uid");  // not a proto field: everything else must be
    const auto status = google::protobuf::util::JsonStringToMessage(object.dump(), &parsed, options);
    ASSERT_TRUE(status.ok()) << status.ToString() << "\n" << object.dump(2);
    plugin::v1::Finding expected;
    ToProto(findings[i], &expected);
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed, expected))
        << parsed.DebugString() << "\nvs\n" << expected.DebugString();
  }
}

TEST(RenderJsonProtoTest, SummaryParsesAsTheProtoSummary) {
  model::ScanSummary summary;
  summary.resources_received = 5;
  summary.resources_evaluated = 4;
  summary.resource_errors = 1;
  summary.fail = 2;
  summary.pass = 2;
  summary.rule_ids = {"a", "b"};
  summary.accounts = {"111122223333"};
  const nlohmann::json out = nlohmann::json::parse(render::RenderJson({}, summary, {}));
  plugin::v1::ScanSummary parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(out["summary"].dump(), &parsed).ok());
  plugin::v1::ScanSummary expected;
  ToProto(summary, &expected);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed, expected))
      << parsed.DebugString() << "\nvs\n" << expected.DebugString();
}

}  // namespace
}  // namespace kmsguard::client
