// The proto <-> model conversions both sides of the protocol share (sdk/client/convert.h).
#include "sdk/client/convert.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace kmsguard::client {
namespace {

using ::testing::HasSubstr;

model::Finding FullFinding() {
  model::Finding f;
  f.rule_id = "rule-1";
  f.rule_version = "1.2.3";
  f.title = "Title";
  f.severity = model::Severity::kHigh;
  f.status = model::Status::kWarning;
  f.resource_id = "arn:aws-cn:iam::111122223333:user/alice";
  f.resource_type = "AWS::IAM::User";
  f.resource_name = "alice";
  f.provider = "aws";
  f.partition = "aws-cn";
  f.account = "111122223333";
  f.organization = "o-exampleorgid";
  f.organizational_unit = "ou-root-exampleou";
  f.region = "global";
  f.sub_key = "inline-1";
  f.message = "message";
  f.remediation = {.summary = "s", .console = "c", .cli = "l", .terraform = "t"};
  f.compliance = {{"AWS Foundational Security Best Practices", "KMS.2"}, {"Other", "X.1"}};
  model::Evidence e;
  e.policy_name = "inline-1";
  e.statement_index = 2;
  e.sid = "Sid1";
  e.effect = "Allow";
  e.actions = {"kms:Decrypt"};
  e.action_patterns = {"kms:*"};
  e.not_action = true;
  e.resource_patterns = {"*"};
  e.not_resource = true;
  e.condition_keys = {"StringEquals:kms:ViaService"};
  e.note = "note";
  f.evidence = {e, model::Evidence()};
  f.conditional = true;
  f.source = {.file = "a.json",
              .line = 3,
              .column = 4,
              .json_pointer = "/UserDetailList/0",
              .resource_id = f.resource_id};
  f.exposed_to = {"user/alice", "other-account 444455556666 (arn:aws:iam::444455556666:root)"};
  f.exposure = "held by user alice";
  f.explanation = {"inline policy \"inline-1\": kms:Decrypt granted: ...", "second line"};
  return f;
}

TEST(ConvertTest, FindingSurvivesTheRoundTripFieldByField) {
  const model::Finding in = FullFinding();
  plugin::v1::Finding message;
  ToProto(in, &message);
  const model::Finding out = FromProto(message);
  EXPECT_EQ(out.rule_id, in.rule_id);
  EXPECT_EQ(out.rule_version, in.rule_version);
  EXPECT_EQ(out.title, in.title);
  EXPECT_EQ(out.severity, in.severity);
  EXPECT_EQ(out.status, in.status);
  EXPECT_EQ(out.resource_id, in.resource_id);
  EXPECT_EQ(out.resource_type, in.resource_type);
  EXPECT_EQ(out.resource_name, in.resource_name);
  EXPECT_EQ(out.provider, in.provider);
  EXPECT_EQ(out.partition, in.partition);
  EXPECT_EQ(out.account, in.account);
  EXPECT_EQ(out.organization, in.organization);
  EXPECT_EQ(out.organizational_unit, in.organizational_unit);
  EXPECT_EQ(out.region, in.region);
  EXPECT_EQ(out.sub_key, in.sub_key);
  EXPECT_EQ(out.message, in.message);
  EXPECT_EQ(out.remediation.summary, "s");
  EXPECT_EQ(out.remediation.console, "c");
  EXPECT_EQ(out.remediation.cli, "l");
  EXPECT_EQ(out.remediation.terraform, "t");
  ASSERT_EQ(out.compliance.size(), 2u);
  EXPECT_EQ(out.compliance[1].standard, "Other");
  EXPECT_EQ(out.compliance[1].control, "X.1");
  ASSERT_EQ(out.evidence.size(), 2u);
  const model::Evidence& e = out.evidence[0];
  EXPECT_EQ(e.policy_name, "inline-1");
  EXPECT_EQ(e.statement_index, 2);
  EXPECT_EQ(e.sid, "Sid1");
  EXPECT_EQ(e.effect, "Allow");
  EXPECT_EQ(e.actions, std::vector<std::string>{"kms:Decrypt"});
  EXPECT_EQ(e.action_patterns, std::vector<std::string>{"kms:*"});
  EXPECT_TRUE(e.not_action);
  EXPECT_EQ(e.resource_patterns, std::vector<std::string>{"*"});
  EXPECT_TRUE(e.not_resource);
  EXPECT_EQ(e.condition_keys, std::vector<std::string>{"StringEquals:kms:ViaService"});
  EXPECT_EQ(e.note, "note");
  EXPECT_EQ(out.evidence[1].statement_index, -1);
  EXPECT_TRUE(out.conditional);
  EXPECT_EQ(out.source.ToString(), in.source.ToString());
  EXPECT_EQ(out.exposed_to, in.exposed_to);
  EXPECT_EQ(out.exposure, in.exposure);
  EXPECT_EQ(out.explanation, in.explanation);
  // Added fields keep their numbers: 20, 21, 22 (never renumbered).
  const auto* descriptor = plugin::v1::Finding::descriptor();
  EXPECT_EQ(descriptor->FindFieldByName("exposed_to")->number(), 20);
  EXPECT_EQ(descriptor->FindFieldByName("exposure")->number(), 21);
  EXPECT_EQ(descriptor->FindFieldByName("explanation")->number(), 22);
}

TEST(ConvertTest, EnumsMapBothWaysAndUnknownVerdictsAreErrors) {
  for (const model::Status s : {model::Status::kPass, model::Status::kWarning, model::Status::kFail,
                                model::Status::kError, model::Status::kSuppressed}) {
    EXPECT_EQ(FromProto(ToProto(s)), s);
  }
  for (int i = 0; i < 5; ++i) {
    const auto severity = static_cast<model::Severity>(i);
    EXPECT_EQ(FromProto(ToProto(severity)), severity);
    EXPECT_EQ(static_cast<int>(ToProto(severity)), i + 1) << "OCSF severity_id";
  }
  EXPECT_EQ(FromProto(plugin::v1::STATUS_UNSPECIFIED), model::Status::kError);
  EXPECT_EQ(FromProto(static_cast<plugin::v1::Status>(42)), model::Status::kError);
  EXPECT_EQ(FromProto(plugin::v1::SEVERITY_UNSPECIFIED), model::Severity::kMedium);
}

TEST(ConvertTest, SuppressionSurvivesTheRoundTrip) {
  model::Finding in = FullFinding();
  in.status = model::Status::kSuppressed;
  in.suppression = {.status = model::Status::kWarning,
                    .reason = "accepted",
                    .owner = "team@example.com",
                    .expires = "2030-01-31"};
  plugin::v1::Finding message;
  ToProto(in, &message);
  EXPECT_EQ(message.status(), plugin::v1::STATUS_SUPPRESSED);
  const model::Finding out = FromProto(message);
  EXPECT_EQ(out.status, model::Status::kSuppressed);
  EXPECT_EQ(out.suppression.status, model::Status::kWarning);
  EXPECT_EQ(out.suppression.reason, "accepted");
  EXPECT_EQ(out.suppression.owner, "team@example.com");
  EXPECT_EQ(out.suppression.expires, "2030-01-31");

  model::Finding plain = FullFinding();
  plugin::v1::Finding plain_message;
  ToProto(plain, &plain_message);
  EXPECT_FALSE(plain_message.has_suppression());
}

TEST(ConvertTest, SeverityChangesSurviveTheRoundTripWithTheRuleSeverity) {
  model::Finding in = FullFinding();
  in.severity = model::Severity::kCritical;
  in.severity_changes = {
      {model::Severity::kMedium, model::Severity::kHigh, "override at org.yaml:4:11"},
      {model::Severity::kHigh, model::Severity::kCritical, "raised: the role can be assumed"}};
  plugin::v1::Finding message;
  ToProto(in, &message);
  EXPECT_EQ(message.severity(), plugin::v1::SEVERITY_CRITICAL);
  EXPECT_EQ(message.rule_severity(), plugin::v1::SEVERITY_MEDIUM);
  ASSERT_EQ(message.severity_changes_size(), 2);
  EXPECT_EQ(message.severity_changes(0).from_severity(), plugin::v1::SEVERITY_MEDIUM);
  EXPECT_EQ(message.severity_changes(0).to_severity(), plugin::v1::SEVERITY_HIGH);
  EXPECT_EQ(message.severity_changes(0).reason(), "override at org.yaml:4:11");
  model::Finding out = FromProto(message);
  EXPECT_EQ(out.severity, model::Severity::kCritical);
  EXPECT_EQ(out.RuleSeverity(), model::Severity::kMedium);
  ASSERT_EQ(out.severity_changes.size(), 2u);
  EXPECT_EQ(out.severity_changes[1].from, model::Severity::kHigh);
  EXPECT_EQ(out.severity_changes[1].to, model::Severity::kCritical);
  EXPECT_EQ(out.severity_changes[1].reason, "raised: the role can be assumed");
  // Moved into the message, the same.
  plugin::v1::Finding moved;
  ToProto(model::Finding(in), &moved);
  EXPECT_EQ(moved.SerializeAsString(), message.SerializeAsString());

  // Unchanged: the rule severity is the severity, and no change is sent.
  plugin::v1::Finding plain;
  ToProto(FullFinding(), &plain);
  EXPECT_EQ(plain.rule_severity(), plugin::v1::SEVERITY_HIGH);
  EXPECT_EQ(plain.severity_changes_size(), 0);
  EXPECT_TRUE(FromProto(plain).severity_changes.empty());

  // A plugin that predates the fields: SEVERITY_UNSPECIFIED, nothing changed.
  plain.clear_rule_severity();
  EXPECT_TRUE(FromProto(plain).severity_changes.empty());
  // One that states a rule severity without the changes: one change without a reason.
  plain.set_rule_severity(plugin::v1::SEVERITY_LOW);
  out = FromProto(plain);
  ASSERT_EQ(out.severity_changes.size(), 1u);
  EXPECT_EQ(out.RuleSeverity(), model::Severity::kLow);
  EXPECT_EQ(out.severity_changes[0].to, model::Severity::kHigh);
  EXPECT_EQ(out.severity_changes[0].reason, "");

  // Added fields keep their numbers (never renumbered).
  const auto* descriptor = plugin::v1::Finding::descriptor();
  EXPECT_EQ(descriptor->FindFieldByName("rule_severity")->number(), 24);
  EXPECT_EQ(descriptor->FindFieldByName("severity_changes")->number(), 25);
}

TEST(ConvertTest, SummarySurvivesTheRoundTrip) {
  model::ScanSummary in;
  in.resources_received = 9;
  in.resources_evaluated = 8;
  in.resource_errors = 1;
  in.pass = 2;
  in.warning = 3;
  in.fail = 4;
  in.error = 5;
  in.rule_ids = {"b", "a"};
  in.resource_types = {"AWS::IAM::Role"};
  in.accounts = {"1", "2"};
  in.regions = {"global"};
  plugin::v1::ScanSummary message;
  ToProto(in, &message);
  EXPECT_THAT(message.rule_ids(), ::testing::ElementsAre("a", "b"));
  const model::ScanSummary out = FromProto(message);
  EXPECT_EQ(out.resources_received, 9);
  EXPECT_EQ(out.resources_evaluated, 8);
  EXPECT_EQ(out.resource_errors, 1);
  EXPECT_EQ(out.pass, 2);
  EXPECT_EQ(out.warning, 3);
  EXPECT_EQ(out.fail, 4);
  EXPECT_EQ(out.error, 5);
  EXPECT_EQ(out.rule_ids, in.rule_ids);
  EXPECT_EQ(out.resource_types, in.resource_types);
  EXPECT_EQ(out.accounts, in.accounts);
  EXPECT_EQ(out.regions, in.regions);
}

TEST(ConvertTest, ResourceRoundTripKeepsFieldsAndDefaults) {
  model::Resource in;
  in.id = "arn:aws:iam::1:role/r";
  in.type = "AWS::IAM::Role";
  in.partition = "aws";
  in.account = "1";
  in.name = "r";
  in.document = {{"name", "r"}, {"bad", std::string("\xff\xfe")}};
  in.source.file = "x.json";
  in.source.json_pointer = "/RoleDetailList/0";
  plugin::v1::Resource message;
  ToProto(in, &message);  // invalid UTF-8 is replaced, not thrown on
  absl::StatusOr<model::Resource> out = ResourceFromProto(message);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->id, in.id);
  EXPECT_EQ(out->name, "r");
  // The document arrives as text, read once by the engine (kept here already parsed).
  EXPECT_EQ(model::DocumentJson(*out)["name"], "r");
  EXPECT_EQ(model::DocumentJson(*out)["bad"], "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_NE(out->document_tree, nullptr);
  EXPECT_EQ(out->source.json_pointer, "/RoleDetailList/0");
  EXPECT_EQ(out->source.resource_id, in.id);

  message.clear_provider();
  message.clear_region();
  out = ResourceFromProto(message);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->provider, "aws");
  EXPECT_EQ(out->region, "global");
}

TEST(ConvertTest, ResourceDocumentErrorsNameTheResourceAndThePosition) {
  plugin::v1::Resource message;
  message.set_id("arn:aws:iam::1:role/r");
  message.set_document_json("{\n  \"a\": tru\n}");
  absl::StatusOr<model::Resource> out = ResourceFromProto(message);
  ASSERT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("arn:aws:iam::1:role/r"));
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("line 2, column 11: syntax error"));
  EXPECT_THAT(std::string(out.status().message()), ::testing::Not(HasSubstr("json.exception")));
}

TEST(ConvertTest, JsonNestingDepthIgnoresBracketsInStrings) {
  EXPECT_EQ(JsonNestingDepth(R"({"a": [1, {"b": "[[[[\"{{"}]})", 100), 3);
  EXPECT_EQ(JsonNestingDepth("1", 100), 0);
  EXPECT_EQ(JsonNestingDepth(std::string(1000, '['), 100), 101);
}

// Regression: a finding that echoed a raw 0xFF byte (from a URL-encoded policy with %FF) made the
// response unparseable for the host, and the scan hung. Each maximal invalid subpart becomes one
// U+FFFD; well-formed text is untouched.
TEST(ValidUtf8Test, ReplacesEachIllFormedSequenceAndKeepsValidText) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(ValidUtf8("plain ascii"), "plain ascii");
  EXPECT_EQ(ValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9D\x84\x9E"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9D\x84\x9E");
  EXPECT_EQ(ValidUtf8(""), "");
  EXPECT_EQ(ValidUtf8("x\xFFy"), "x" + fffd + "y");
  EXPECT_EQ(ValidUtf8("a\xE2\x82"), "a" + fffd) << "truncated sequence at the end";
  EXPECT_EQ(ValidUtf8("\xC0\xAF"), fffd + fffd) << "overlong encoding of '/'";
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80"), fffd + fffd + fffd) << "UTF-16 surrogate";
  EXPECT_EQ(ValidUtf8("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd) << "above U+10FFFF";
  EXPECT_EQ(ValidUtf8(std::string("a\0b", 3)), std::string("a\0b", 3));
}

TEST(ValidUtf8Test, FindingWithInvalidBytesSerializesAndParsesBack) {
  model::Finding finding = FullFinding();
  finding.message = "policy Sid \"x\xFF\" could not be read";
  finding.evidence[0].sid = "x\xFF";
  finding.exposed_to = {"user/\xC3"};
  plugin::v1::Finding message;
  ToProto(finding, &message);
  std::string wire;
  ASSERT_TRUE(message.SerializeToString(&wire));
  plugin::v1::Finding parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire)) << "protobuf rejects invalid UTF-8 in string fields";
  EXPECT_EQ(parsed.message(), "policy Sid \"x\xEF\xBF\xBD\" could not be read");
  EXPECT_EQ(parsed.evidence(0).sid(), "x\xEF\xBF\xBD");
  EXPECT_EQ(parsed.exposed_to(0), "user/\xEF\xBF\xBD");
}

}  // namespace
}  // namespace kmsguard::client
