// The plugin server in-process, over real Unix and TCP sockets: PolicyPlugin, health, and the
// protocol's error channels.
#include "plugin/plugin_server.h"

#include <algorithm>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kmsguard/plugin/v1/plugin.grpc.pb.h"
#include "plugin/rule_loader.h"
#include "sdk/client/convert.h"
#include "sdk/client/plugin_client.h"
#include "tests/plugin/test_support.h"

namespace kmsguard::plugin {
namespace {

using ::testing::Contains;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kRuleId[] = "aws-iam-inline-kms-decrypt-all-keys";
constexpr char kAccount[] = "111122223333";
constexpr int kMaxBatch = 20;

// A role as it appears in get-account-authorization-details (the plugin normalizes it).
constexpr char kStarRole[] = R"json({
  "RoleName": "star-role", "Path": "/", "Arn": "arn:aws:iam::111122223333:role/star-role",
  "RolePolicyList": [{"PolicyName": "kms-all", "PolicyDocument":
    {"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}}],
  "AttachedManagedPolicies": []})json";

// A role already in the normalized shape (docs/resource-model.md).
constexpr char kScopedRole[] = R"json({
  "name": "scoped-role", "path": "/", "arn": "arn:aws:iam::111122223333:role/scoped-role",
  "inline_policies": [{"name": "one-key", "document":
    {"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Decrypt",
     "Resource":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}}],
  "attached_managed_policies": []})json";

std::string RoleArn(const std::string& name) {
  return "arn:aws:iam::" + std::string(kAccount) + ":role/" + name;
}

v1::Resource ProtoRole(const std::string& name, const std::string& document_json) {
  v1::Resource resource;
  resource.set_id(RoleArn(name));
  resource.set_type("AWS::IAM::Role");
  resource.set_partition("aws");
  resource.set_account(kAccount);
  resource.set_name(name);
  resource.set_document_json(document_json);
  return resource;
}

model::Resource ModelRole(const std::string& name, const char* document_json) {
  model::Resource resource;
  resource.id = RoleArn(name);
  resource.type = "AWS::IAM::Role";
  resource.partition = "aws";
  resource.account = kAccount;
  resource.name = name;
  resource.document = nlohmann::json::parse(document_json);
  return resource;
}

v1::EvaluateRequest Start(const std::vector<std::string>& rule_ids = {}) {
  v1::EvaluateRequest request;
  request.mutable_scan_start()->set_scan_id("test-scan");
  for (const auto& id : rule_ids) request.mutable_scan_start()->add_rule_ids(id);
  return request;
}

v1::EvaluateRequest Batch(const std::vector<v1::Resource>& resources) {
  v1::EvaluateRequest request;
  for (const auto& resource : resources)
    *request.mutable_resource_batch()->add_resources() = resource;
  return request;
}

v1::EvaluateRequest End() {
  v1::EvaluateRequest request;
  request.mutable_scan_end();
  return request;
}

struct RawScan {
  std::vector<v1::Finding> findings;
  std::vector<v1::ResourceError> errors;
  std::vector<v1::ScanSummary> summaries;
  grpc::Status status;
};

// Drives Evaluate with the generated stub, so the test can send what PluginClient never would.
// Small scans only: it writes everything before reading.
RawScan RunRaw(const std::string& address, const std::vector<v1::EvaluateRequest>& requests,
               bool close_stream = true) {
  auto stub =
      v1::PolicyPlugin::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto stream = stub->Evaluate(&context);
  for (const auto& request : requests) {
    if (!stream->Write(request)) break;
  }
  if (close_stream) stream->WritesDone();
  RawScan scan;
  v1::EvaluateResponse response;
  while (stream->Read(&response)) {
    if (response.has_finding_batch()) {
      for (const auto& f : response.finding_batch().findings()) scan.findings.push_back(f);
    } else if (response.has_resource_error()) {
      scan.errors.push_back(response.resource_error());
    } else if (response.has_scan_summary()) {
      scan.summaries.push_back(response.scan_summary());
    }
  }
  if (!close_stream) stream->WritesDone();
  scan.status = stream->Finish();
  return scan;
}

std::shared_ptr<const rules::RuleSet> BuiltinRules() {
  std::ostringstream log;
  absl::StatusOr<LoadedRules> loaded = LoadRules({}, log);
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(log.str(), "") << "built-in rules should load without diagnostics";
  return loaded.ok() ? loaded->rule_set : nullptr;
}

class PluginServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    ServerOptions options;
    options.listen_address = "unix:" + dir_.File("plugin.sock");
    options.max_batch_size = kMaxBatch;
    absl::StatusOr<std::unique_ptr<PluginServer>> started = PluginServer::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = *std::move(started);
    server_->InstallRuleSet(BuiltinRules());
    client_ = std::make_unique<client::PluginClient>(server_->address());
  }

  testing::TempDir dir_;
  std::unique_ptr<PluginServer> server_;
  std::unique_ptr<client::PluginClient> client_;
};

TEST_F(PluginServerTest, GetPluginInfoDescribesPluginAndBuiltinRule) {
  absl::StatusOr<client::PluginInfo> info = client_->GetPluginInfo();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->name, "kmsguard");
  EXPECT_EQ(info->version, KMSGUARD_VERSION);
  EXPECT_EQ(info->protocol_version, client::kProtocolVersion);
  EXPECT_EQ(info->max_batch_size, kMaxBatch);
  EXPECT_EQ(info->max_message_bytes, client::kDefaultMaxMessageBytes);
  EXPECT_THAT(info->resource_types, Contains("AWS::IAM::Role"));
  const client::RuleInfo* rule = nullptr;
  for (const auto& r : info->rules) {
    if (r.id == kRuleId) rule = &r;
  }
  ASSERT_NE(rule, nullptr) << "built-in rule " << kRuleId << " not listed";
  EXPECT_EQ(rule->severity, model::Severity::kMedium);
  EXPECT_FALSE(rule->version.empty());
  EXPECT_FALSE(rule->title.empty());
  EXPECT_THAT(rule->compliance, Contains(Field(&model::ComplianceRef::control, "KMS.2")));
}

TEST_F(PluginServerTest, HealthReportsServing) {
  EXPECT_TRUE(client_->WaitForServing(std::chrono::seconds(5)).ok());
}

TEST_F(PluginServerTest, EvaluateReportsFailPassAndAResourceErrorForBadJson) {
  const RawScan scan = RunRaw(
      server_->address(),
      {Start({kRuleId}),
       Batch({ProtoRole("star-role", kStarRole), ProtoRole("broken-role", "{\"RoleName\": nope"),
              ProtoRole("scoped-role", kScopedRole)}),
       End()});
  ASSERT_TRUE(scan.status.ok()) << scan.status.error_message();

  ASSERT_THAT(scan.findings, SizeIs(2));
  for (const auto& finding : scan.findings) {
    EXPECT_EQ(finding.rule_id(), kRuleId);
    EXPECT_EQ(finding.severity(), v1::SEVERITY_MEDIUM);
    if (finding.resource_id() == RoleArn("star-role")) {
      EXPECT_EQ(finding.status(), v1::STATUS_FAIL);
      EXPECT_EQ(finding.resource_name(), "star-role");
      EXPECT_THAT(finding.evidence(), Not(IsEmpty()));
    } else {
      EXPECT_EQ(finding.resource_id(), RoleArn("scoped-role"));
      EXPECT_EQ(finding.status(), v1::STATUS_PASS);
    }
  }

  ASSERT_THAT(scan.errors, SizeIs(1));
  EXPECT_EQ(scan.errors[0].resource_id(), RoleArn("broken-role"));
  EXPECT_EQ(scan.errors[0].code(), "resource_parse_error");
  EXPECT_THAT(scan.errors[0].message(), HasSubstr(RoleArn("broken-role")));
  EXPECT_THAT(scan.errors[0].message(), HasSubstr("line 1, column"));

  ASSERT_THAT(scan.summaries, SizeIs(1));
  const v1::ScanSummary& summary = scan.summaries[0];
  EXPECT_EQ(summary.scan_id(), "test-scan");
  EXPECT_EQ(summary.resources_received(), 3);
  EXPECT_EQ(summary.resources_evaluated(), 2);
  EXPECT_EQ(summary.resource_errors(), 1);
  EXPECT_EQ(summary.fail(), 1);
  EXPECT_EQ(summary.pass(), 1);
  EXPECT_EQ(summary.error(), 0);
  EXPECT_THAT(summary.rule_ids(), ::testing::ElementsAre(kRuleId));
  EXPECT_THAT(summary.accounts(), ::testing::ElementsAre(kAccount));
}

TEST_F(PluginServerTest, ClientScanConvertsFindingsBackToTheModel) {
  client::ScanOptions options;
  options.scan_id = "client-scan";
  options.rule_ids = {kRuleId};
  absl::StatusOr<client::ScanResult> result = client_->Scan(
      {ModelRole("star-role", kStarRole), ModelRole("scoped-role", kScopedRole)}, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->scan_id, "client-scan");
  EXPECT_THAT(result->resource_errors, IsEmpty());
  EXPECT_EQ(result->summary.fail, 1);
  EXPECT_EQ(result->summary.pass, 1);
  EXPECT_EQ(result->summary.resources_evaluated, 2);

  const model::Finding* fail = nullptr;
  for (const auto& finding : result->findings) {
    if (finding.status == model::Status::kFail) fail = &finding;
  }
  ASSERT_NE(fail, nullptr);
  EXPECT_EQ(fail->rule_id, kRuleId);
  EXPECT_EQ(fail->severity, model::Severity::kMedium);
  EXPECT_EQ(fail->resource_id, RoleArn("star-role"));
  EXPECT_EQ(fail->resource_type, "AWS::IAM::Role");
  EXPECT_EQ(fail->account, kAccount);
  EXPECT_THAT(fail->message, HasSubstr("star-role"));
  EXPECT_FALSE(fail->remediation.summary.empty());
  EXPECT_THAT(fail->compliance, Contains(Field(&model::ComplianceRef::control, "KMS.2")));
  ASSERT_THAT(fail->evidence, Not(IsEmpty()));
  EXPECT_EQ(fail->evidence[0].policy_name, "kms-all");
  EXPECT_THAT(fail->evidence[0].actions, Contains("kms:Decrypt"));
}

TEST_F(PluginServerTest, LargeScanArrivesCompleteAcrossManyBatches) {
  std::vector<model::Resource> resources;
  for (int i = 0; i < 1200; ++i) {
    resources.push_back(
        ModelRole("role-" + std::to_string(i), i % 2 == 0 ? kStarRole : kScopedRole));
  }
  client::ScanOptions options;
  options.batch_size = kMaxBatch;
  options.rule_ids = {kRuleId};
  absl::StatusOr<client::ScanResult> result = client_->Scan(resources, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->findings, SizeIs(1200));
  EXPECT_EQ(result->summary.resources_received, 1200);
  EXPECT_EQ(result->summary.fail, 600);
  EXPECT_EQ(result->summary.pass, 600);
}

// With the callbacks set, findings and resource errors go to them, in the order the plugin sent
// them, and nothing is kept in the result: what lets `kmsguard scan` render any size of scan.
TEST_F(PluginServerTest, CallbacksReceiveFindingsAndErrorsAsTheyArriveAndNothingIsKept) {
  std::vector<model::Resource> resources;
  for (int i = 0; i < 1200; ++i) {
    resources.push_back(
        ModelRole("role-" + std::to_string(i), i % 2 == 0 ? kStarRole : kScopedRole));
  }
  // Nested deeper than the plugin reads: a resource error, not a finding.
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  resources.push_back(ModelRole("broken", deep.c_str()));
  client::ScanOptions options;
  options.batch_size = kMaxBatch;
  options.rule_ids = {kRuleId};
  std::vector<std::string> seen;
  int fail = 0;
  std::vector<client::ResourceError> errors;
  options.on_finding = [&](model::Finding&& finding) {
    seen.push_back(finding.resource_id);
    fail += finding.status == model::Status::kFail ? 1 : 0;
  };
  options.on_resource_error = [&](client::ResourceError&& error) {
    errors.push_back(std::move(error));
  };
  absl::StatusOr<client::ScanResult> result = client_->Scan(resources, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->findings, IsEmpty());
  EXPECT_THAT(result->resource_errors, IsEmpty());
  ASSERT_THAT(seen, SizeIs(1200));
  EXPECT_EQ(seen.front(), RoleArn("role-0"));
  EXPECT_EQ(seen.back(), RoleArn("role-1199"));
  EXPECT_EQ(fail, 600);
  ASSERT_THAT(errors, SizeIs(1));
  EXPECT_EQ(errors[0].resource_id, RoleArn("broken"));
  EXPECT_EQ(result->summary.fail, 600);
  EXPECT_EQ(result->summary.resource_errors, 1);
}

// ScanStart.skip_specific_remediation: the same verdicts, without the generated rewrite.
TEST_F(PluginServerTest, SkippingTheSpecificRemediationKeepsVerdictsAndTheRuleText) {
  for (const bool skip : {false, true}) {
    client::ScanOptions options;
    options.rule_ids = {kRuleId};
    options.skip_specific_remediation = skip;
    absl::StatusOr<client::ScanResult> result = client_->Scan(
        {ModelRole("star-role", kStarRole), ModelRole("scoped-role", kScopedRole)}, options);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->summary.fail, 1);
    EXPECT_EQ(result->summary.pass, 1);
    for (const model::Finding& f : result->findings) {
      if (f.status != model::Status::kFail) continue;
      EXPECT_FALSE(f.remediation.summary.empty());
      EXPECT_EQ(f.remediation.console.find("Generated least-privilege") == std::string::npos,
                skip)
          << f.remediation.console;
    }
  }
}

// ScanStart.omit_pass_findings: PASS findings are counted in the summary but not sent; every
// other finding arrives as before.
TEST_F(PluginServerTest, OmittingPassFindingsCountsThemWithoutSendingThem) {
  for (const bool omit : {false, true}) {
    client::ScanOptions options;
    options.rule_ids = {kRuleId};
    options.omit_pass_findings = omit;
    absl::StatusOr<client::ScanResult> result = client_->Scan(
        {ModelRole("star-role", kStarRole), ModelRole("scoped-role", kScopedRole)}, options);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->summary.fail, 1) << omit;
    EXPECT_EQ(result->summary.pass, 1) << omit;
    ASSERT_THAT(result->findings, SizeIs(omit ? 1 : 2));
    const auto pass = std::count_if(result->findings.begin(), result->findings.end(),
                                    [](const model::Finding& f) {
                                      return f.status == model::Status::kPass;
                                    });
    EXPECT_EQ(pass, omit ? 0 : 1);
  }
}

TEST_F(PluginServerTest, RuleFilterNamingALoadedRuleScans) {
  client::ScanOptions options;
  options.rule_ids = {kRuleId};
  absl::StatusOr<client::ScanResult> result =
      client_->Scan({ModelRole("star-role", kStarRole)}, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->summary.fail, 1);
}

TEST_F(PluginServerTest, InvalidResourcesBecomeResourceErrorsAndTheScanGoesOn) {
  v1::Resource no_type = ProtoRole("no-type", kStarRole);
  no_type.clear_type();
  v1::Resource no_id = ProtoRole("no-id", kStarRole);
  no_id.clear_id();
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  const RawScan scan =
      RunRaw(server_->address(),
             {Start({kRuleId}),
              Batch({no_type, no_id, ProtoRole("deep", deep), ProtoRole("empty", ""),
                     ProtoRole("not-an-object", "[1, 2]"), ProtoRole("star-role", kStarRole)}),
              End()});
  ASSERT_TRUE(scan.status.ok()) << scan.status.error_message();
  ASSERT_THAT(scan.errors, SizeIs(4));
  EXPECT_EQ(scan.errors[0].code(), "resource_invalid");
  EXPECT_THAT(scan.errors[0].message(), HasSubstr("no type"));
  EXPECT_EQ(scan.errors[1].code(), "resource_invalid");
  EXPECT_THAT(scan.errors[1].message(), HasSubstr("no id"));
  EXPECT_EQ(scan.errors[2].code(), "resource_parse_error");
  EXPECT_THAT(scan.errors[2].message(), HasSubstr("nests deeper"));
  EXPECT_EQ(scan.errors[3].code(), "resource_parse_error");
  EXPECT_THAT(scan.errors[3].message(), HasSubstr("empty"));
  // A document that parses but is not a principal is the engine's to judge: an ERROR finding,
  // never a PASS.
  ASSERT_THAT(scan.findings, SizeIs(2));
  EXPECT_EQ(scan.findings[0].resource_id(), RoleArn("not-an-object"));
  EXPECT_EQ(scan.findings[0].status(), v1::STATUS_ERROR);
  EXPECT_EQ(scan.findings[1].resource_id(), RoleArn("star-role"));
  EXPECT_EQ(scan.findings[1].status(), v1::STATUS_FAIL);
  ASSERT_THAT(scan.summaries, SizeIs(1));
  EXPECT_EQ(scan.summaries[0].resources_received(), 6);
  EXPECT_EQ(scan.summaries[0].resource_errors(), 4);
}

// Every built-in rule over gRPC: a managed policy (export shape and normalized shape) gets its
// KMS.1 finding, a role's exposure and raised severity and the explanation cross the protocol.
TEST_F(PluginServerTest, BuiltinRulesJudgeManagedPoliciesAndCarryExposureAndExplanation) {
  const std::string policy_entry = R"json({
    "PolicyName": "Shared", "Arn": "arn:aws:iam::111122223333:policy/Shared", "Path": "/",
    "DefaultVersionId": "v2", "AttachmentCount": 3, "PermissionsBoundaryUsageCount": 0,
    "PolicyVersionList": [
      {"VersionId": "v1", "IsDefaultVersion": false, "Document": {"Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}}},
      {"VersionId": "v2", "IsDefaultVersion": true, "Document": {"Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}}]})json";
  const std::string normalized_policy = R"json({
    "name": "Norm", "arn": "arn:aws:iam::111122223333:policy/Norm", "path": "/",
    "aws_managed": false, "default_version_id": "v1", "attachment_count": 1,
    "permissions_boundary_usage_count": 0, "document": {"Version": "2012-10-17",
      "Statement": {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}}})json";
  const auto policy = [](const std::string& name, const std::string& document) {
    v1::Resource r;
    r.set_id("arn:aws:iam::111122223333:policy/" + name);
    r.set_type("AWS::IAM::Policy");
    r.set_partition("aws");
    r.set_account(kAccount);
    r.set_name(name);
    r.set_document_json(document);
    return r;
  };
  nlohmann::json partner = nlohmann::json::parse(kStarRole);
  partner["RoleName"] = "partner";
  partner["Arn"] = RoleArn("partner");
  partner["AssumeRolePolicyDocument"] = {
      {"Version", "2012-10-17"},
      {"Statement",
       {{{"Effect", "Allow"},
         {"Principal", {{"AWS", "arn:aws:iam::444455556666:root"}}},
         {"Action", "sts:AssumeRole"}}}}};
  const RawScan scan = RunRaw(
      server_->address(), {Start(),
                           Batch({policy("Shared", policy_entry), policy("Norm", normalized_policy),
                                  ProtoRole("partner", partner.dump())}),
                           End()});
  ASSERT_TRUE(scan.status.ok()) << scan.status.error_message();
  EXPECT_THAT(scan.errors, IsEmpty());
  std::map<std::string, const v1::Finding*> by_key;
  for (const auto& f : scan.findings) by_key[f.rule_id() + " " + f.resource_name()] = &f;
  ASSERT_EQ(by_key.size(), 4u) << "KMS.1 for each policy; KMS.2 and the strict tier for the role";

  const v1::Finding* shared = by_key["aws-iam-managed-kms-decrypt-all-keys Shared"];
  ASSERT_NE(shared, nullptr);
  EXPECT_EQ(shared->status(), v1::STATUS_PASS) << "only the non-default version grants";
  const v1::Finding* norm = by_key["aws-iam-managed-kms-decrypt-all-keys Norm"];
  ASSERT_NE(norm, nullptr);
  EXPECT_EQ(norm->status(), v1::STATUS_FAIL);
  EXPECT_EQ(norm->exposure(), "attached to 1 IAM identity");
  EXPECT_EQ(norm->rule_severity(), norm->severity());
  EXPECT_EQ(norm->severity_changes_size(), 0);

  const v1::Finding* role = by_key[std::string(kRuleId) + " partner"];
  ASSERT_NE(role, nullptr);
  EXPECT_EQ(role->status(), v1::STATUS_FAIL);
  EXPECT_EQ(role->severity(), v1::SEVERITY_HIGH);
  ASSERT_EQ(role->exposed_to_size(), 1);
  EXPECT_EQ(role->exposed_to(0), "other-account 444455556666 (arn:aws:iam::444455556666:root)");
  EXPECT_THAT(role->exposure(), HasSubstr("from outside account 111122223333"));
  EXPECT_THAT(role->explanation(), Contains(HasSubstr("Severity raised from medium to high")));
  EXPECT_EQ(role->rule_severity(), v1::SEVERITY_MEDIUM);
  ASSERT_EQ(role->severity_changes_size(), 1);
  EXPECT_EQ(role->severity_changes(0).from_severity(), v1::SEVERITY_MEDIUM);
  EXPECT_EQ(role->severity_changes(0).to_severity(), v1::SEVERITY_HIGH);
  EXPECT_THAT(role->severity_changes(0).reason(),
              HasSubstr("raised: the role can be assumed from outside account 111122223333"));
  EXPECT_THAT(role->explanation(), Contains(HasSubstr("kms:Decrypt granted")));
  const v1::Finding* strict = by_key["aws-iam-kms-decrypt-broad-scope partner"];
  ASSERT_NE(strict, nullptr);
  EXPECT_EQ(strict->status(), v1::STATUS_PASS) << "every key belongs to the every-key rule";
  EXPECT_EQ(strict->severity(), v1::SEVERITY_LOW);
}

// Regression (user trial): a finding echoing bytes of a URL-encoded policy with %FF carried
// invalid UTF-8 into a proto string field; the host could not parse the response and the scan
// hung. Now the bytes arrive as U+FFFD and the scan completes with every resource counted.
TEST_F(PluginServerTest, InvalidUtf8FromAUrlEncodedPolicyDoesNotBreakTheStream) {
  const std::string bad_bytes_role = R"json({
    "RoleName": "bad-bytes", "Path": "/", "Arn": "arn:aws:iam::111122223333:role/bad-bytes",
    "RolePolicyList": [{"PolicyName": "bad-bytes", "PolicyDocument":
      "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Sid%22%3A%22x%FF%22%2C%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22kms%3A*%22%2C%22Resource%22%3A%22*%22%7D%7D"}],
    "AttachedManagedPolicies": []})json";
  client::ScanOptions options;
  options.timeout = std::chrono::seconds(20);  // a regression fails here rather than hanging
  absl::StatusOr<client::ScanResult> result = client_->Scan(
      {ModelRole("bad-bytes", bad_bytes_role.c_str()), ModelRole("star-role", kStarRole)},
      options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->summary.resources_received, 2);
  std::string all_text;
  for (const auto& f : result->findings) {
    EXPECT_EQ(client::ValidUtf8(f.message), f.message);
    all_text += f.message;
    for (const auto& line : f.explanation) all_text += line;
    for (const auto& e : f.evidence) all_text += e.sid;
  }
  for (const auto& e : result->resource_errors) all_text += e.message;
  EXPECT_THAT(all_text, HasSubstr("\xEF\xBF\xBD")) << "the 0xFF byte should show as U+FFFD";
  EXPECT_THAT(result->findings,
              Contains(::testing::AllOf(
                  Field(&model::Finding::resource_id, RoleArn("star-role")),
                  Field(&model::Finding::status, model::Status::kFail))));
}

// A snapshot of any size passes without raising gRPC's message limit: 100,000 resources in
// batches of 1,000, written on one thread while this one reads (the plugin answers each batch
// before it reads the next), with every resource counted in the summary.
TEST(PluginServerStreamTest, AHundredThousandResourcesStreamInBatches) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  ServerOptions options;
  options.listen_address = "unix:" + dir.File("plugin.sock");
  absl::StatusOr<std::unique_ptr<PluginServer>> server = PluginServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  (*server)->InstallRuleSet(BuiltinRules());
  auto stub = v1::PolicyPlugin::NewStub(
      grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  auto stream = stub->Evaluate(&context);
#if defined(__SANITIZE_ADDRESS__)
  // The sanitizer build is an unoptimized Debug build, ten times slower: the same stream, shorter.
  constexpr int kResources = 20000;
#else
  constexpr int kResources = 100000;
#endif
  constexpr int kBatch = 1000;
  std::thread writer([&] {
    if (!stream->Write(Start({kRuleId}))) return;
    for (int first = 0; first < kResources; first += kBatch) {
      v1::EvaluateRequest request;
      for (int i = first; i < first + kBatch; ++i) {
        *request.mutable_resource_batch()->add_resources() =
            ProtoRole("r" + std::to_string(i), i % 10 == 0 ? kStarRole : kScopedRole);
      }
      if (!stream->Write(request)) return;
    }
    if (stream->Write(End())) stream->WritesDone();
  });
  std::int64_t fail = 0;
  std::int64_t pass = 0;
  std::vector<v1::ScanSummary> summaries;
  v1::EvaluateResponse response;
  while (stream->Read(&response)) {
    for (const auto& finding : response.finding_batch().findings()) {
      (finding.status() == v1::STATUS_FAIL ? fail : pass) += 1;
    }
    if (response.has_scan_summary()) summaries.push_back(response.scan_summary());
  }
  writer.join();
  const grpc::Status status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_THAT(summaries, SizeIs(1));
  EXPECT_EQ(summaries[0].resources_received(), kResources);
  EXPECT_EQ(summaries[0].resources_evaluated(), kResources);
  EXPECT_EQ(fail, kResources / 10);
  EXPECT_EQ(pass, kResources - kResources / 10);
  EXPECT_EQ(summaries[0].fail(), fail);
}

// A host that goes away mid-stream costs the plugin nothing: the next host scans normally.
TEST_F(PluginServerTest, AClientDisconnectingMidStreamLeavesTheServerServing) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto stub = v1::PolicyPlugin::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    auto stream = stub->Evaluate(&context);
    ASSERT_TRUE(stream->Write(Start()));
    std::vector<v1::Resource> roles;
    for (int i = 0; i < kMaxBatch; ++i) roles.push_back(ProtoRole("r" + std::to_string(i), kScopedRole));
    ASSERT_TRUE(stream->Write(Batch(roles)));
    v1::EvaluateResponse response;
    ASSERT_TRUE(stream->Read(&response)) << "the first batch is answered";
    context.TryCancel();  // the host disappears with the scan half done
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  absl::StatusOr<client::ScanResult> result = client_->Scan({ModelRole("star-role", kStarRole)});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->summary.fail, 1);
  EXPECT_TRUE(client_->WaitForServing(std::chrono::seconds(2)).ok());
}

// Deadlines reach the plugin: a scan whose deadline passes is cut short with DEADLINE_EXCEEDED
// rather than evaluated to the end.
TEST_F(PluginServerTest, AnExpiredDeadlineEndsTheScan) {
  std::vector<model::Resource> many;
  for (int i = 0; i < 2000; ++i) many.push_back(ModelRole("r" + std::to_string(i), kScopedRole));
  client::ScanOptions options;
  options.timeout = std::chrono::milliseconds(1);
  options.batch_size = kMaxBatch;
  absl::StatusOr<client::ScanResult> result = client_->Scan(many, options);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDeadlineExceeded) << result.status();
}

// Issue 14, item 6: what the file readers refuse, the protocol refuses too. A repeated key in
// document_json (which value counts is undefined) and a resource type in another case (it would
// match no rule and pass in silence) are resource errors, not quiet PASSes or nothing.
TEST_F(PluginServerTest, ARepeatedKeyOrATypeInAnotherCaseIsAResourceError) {
  v1::Resource repeated = ProtoRole(
      "repeated", R"json({"RoleName": "repeated", "Arn": "arn:aws:iam::111122223333:role/repeated",
        "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Statement": [{"Effect": "Allow",
          "Action": "kms:Decrypt", "Action": "s3:GetObject", "Resource": "*"}]}}]})json");
  v1::Resource lower = ProtoRole("lower", kStarRole);
  lower.set_type("aws::iam::role");
  const RawScan scan =
      RunRaw(server_->address(), {Start(), Batch({repeated, lower, ProtoRole("ok", kStarRole)}), End()});
  ASSERT_TRUE(scan.status.ok()) << scan.status.error_message();
  ASSERT_THAT(scan.errors, SizeIs(2));
  EXPECT_EQ(scan.errors[0].code(), "resource_parse_error");
  EXPECT_THAT(scan.errors[0].message(), HasSubstr("repeats the key \"Action\""));
  EXPECT_EQ(scan.errors[1].code(), "resource_invalid");
  EXPECT_THAT(scan.errors[1].message(), HasSubstr("did you mean \"AWS::IAM::Role\""));
  ASSERT_THAT(scan.summaries, SizeIs(1));
  EXPECT_EQ(scan.summaries[0].resource_errors(), 2);
  EXPECT_EQ(scan.summaries[0].fail(), 1);  // the third role is still judged
}

// Issue 14, item 3: calls whose host gave up must stop evaluating, and must not keep the next
// scan waiting. Four hosts stream expensive roles with a deadline far too short and go away; a
// one-role scan started right after must be answered (its own generous deadline is the bound).
TEST_F(PluginServerTest, AbandonedCallsDoNotStarveTheNextScan) {
  // One role whose policy takes real work: many wildcard statements (coverage searches, and
  // remediation of what they grant).
  std::string statements;
  for (int i = 0; i < 300; ++i) {
    if (!statements.empty()) statements += ",";
    statements += R"({"Sid":"S)" + std::to_string(i) +
                  R"(","Effect":"Allow","Action":["kms:Decrypt","s3:Get*"],"Resource":"arn:aws:kms:*:)" +
                  std::to_string(100000000000 + i) + R"(:key/*"})";
  }
  const std::string heavy = R"json({"RoleName": "heavy", "Arn": "arn:aws:iam::111122223333:role/heavy",
      "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17",
      "Statement": [)json" + statements + R"json(,{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}}]})json";
  std::vector<std::thread> hosts;
  for (int h = 0; h < 4; ++h) {
    hosts.emplace_back([&, h] {
      auto stub = v1::PolicyPlugin::NewStub(
          grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
      auto stream = stub->Evaluate(&context);
      if (!stream->Write(Start())) return;
      for (int b = 0; b < 50; ++b) {
        std::vector<v1::Resource> batch;
        for (int i = 0; i < kMaxBatch; ++i) {
          batch.push_back(ProtoRole("heavy-" + std::to_string(h) + "-" + std::to_string(b) + "-" +
                                        std::to_string(i),
                                    heavy));
        }
        if (!stream->Write(Batch(batch))) break;
      }
      stream->WritesDone();
      v1::EvaluateResponse ignored;
      while (stream->Read(&ignored)) {
      }
      EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
    });
  }
  for (std::thread& host : hosts) host.join();
  client::ScanOptions options;
  options.timeout = std::chrono::seconds(20);
  absl::StatusOr<client::ScanResult> result =
      client_->Scan({ModelRole("star-role", kStarRole)}, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->summary.fail, 1);
  EXPECT_TRUE(client_->WaitForServing(std::chrono::seconds(2)).ok());
}

struct ViolationCase {
  std::string name;
  std::vector<v1::EvaluateRequest> requests;
  grpc::StatusCode code;
  std::string message;
};

// What --gtest_list_tests (and so the ctest listing) shows as "GetParam() = ...": the case name,
// rather than gtest's byte dump of the struct (which held pointers, so names changed every run).
void PrintTo(const ViolationCase& c, std::ostream* os) { *os << c.name; }

class ProtocolViolationTest : public PluginServerTest,
                              public ::testing::WithParamInterface<ViolationCase> {};

// Protocol violations end the call with a status; nothing is evaluated.
TEST_P(ProtocolViolationTest, EndsTheCallWithAStatus) {
  const ViolationCase& c = GetParam();
  const RawScan scan = RunRaw(server_->address(), c.requests);
  EXPECT_EQ(scan.status.error_code(), c.code) << scan.status.error_message();
  EXPECT_THAT(scan.status.error_message(), HasSubstr(c.message));
  EXPECT_THAT(scan.summaries, IsEmpty());
}

std::vector<v1::Resource> Roles(int n) {
  std::vector<v1::Resource> roles;
  for (int i = 0; i < n; ++i) roles.push_back(ProtoRole("r" + std::to_string(i), kScopedRole));
  return roles;
}

INSTANTIATE_TEST_SUITE_P(Cases, ProtocolViolationTest,
                         ::testing::Values(ViolationCase{"BatchBeforeScanStart",
                                                         {Batch(Roles(1)), End()},
                                                         grpc::StatusCode::INVALID_ARGUMENT,
                                                         "ResourceBatch sent before ScanStart"},
                                           ViolationCase{"ScanEndBeforeScanStart",
                                                         {End()},
                                                         grpc::StatusCode::INVALID_ARGUMENT,
                                                         "ScanEnd sent before ScanStart"},
                                           ViolationCase{"ScanStartTwice",
                                                         {Start(), Start(), End()},
                                                         grpc::StatusCode::INVALID_ARGUMENT,
                                                         "ScanStart sent twice"},
                                           ViolationCase{"EmptyRequest",
                                                         {Start(), v1::EvaluateRequest(), End()},
                                                         grpc::StatusCode::INVALID_ARGUMENT,
                                                         "none of"},
                                           ViolationCase{"ClosedBeforeScanEnd",
                                                         {Start(), Batch(Roles(1))},
                                                         grpc::StatusCode::INVALID_ARGUMENT,
                                                         "closed before ScanEnd"},
                                           ViolationCase{
                                               "BatchOverTheLimit",
                                               {Start(), Batch(Roles(kMaxBatch + 1)), End()},
                                               grpc::StatusCode::RESOURCE_EXHAUSTED,
                                               "the limit is 20"},
                                           ViolationCase{"UnknownRuleId",
                                                         {Start({kRuleId, "no-such-rule"}), End()},
                                                         grpc::StatusCode::INVALID_ARGUMENT,
                                                         "no-such-rule"}),
                         [](const ::testing::TestParamInfo<ViolationCase>& param_info) {
                           return param_info.param.name;
                         });

TEST(PluginServerNoRulesTest, NotServingAndFailedPreconditionUntilRulesAreInstalled) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  ServerOptions options;
  options.listen_address = "unix:" + dir.File("plugin.sock");
  absl::StatusOr<std::unique_ptr<PluginServer>> server = PluginServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  client::PluginClient plugin_client((*server)->address());

  // GetPluginInfo first (it waits up to 30 s): the connection is up before the short wait, which
  // under ASan on a loaded machine could otherwise end before it ("no connection", not the
  // NOT_SERVING this test is about).
  absl::StatusOr<client::PluginInfo> info = plugin_client.GetPluginInfo();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_THAT(info->rules, IsEmpty());
  const absl::Status waiting = plugin_client.WaitForServing(std::chrono::milliseconds(300));
  EXPECT_EQ(waiting.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(waiting.message()), HasSubstr("NOT_SERVING"));
  absl::StatusOr<client::ScanResult> refused =
      plugin_client.Scan({ModelRole("star-role", kStarRole)});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);

  (*server)->InstallRuleSet(BuiltinRules());
  EXPECT_TRUE(plugin_client.WaitForServing(std::chrono::seconds(5)).ok());
  absl::StatusOr<client::ScanResult> scanned =
      plugin_client.Scan({ModelRole("star-role", kStarRole)});
  ASSERT_TRUE(scanned.ok()) << scanned.status();
  EXPECT_EQ(scanned->summary.fail, 1);

  (*server)->InstallRuleSet(std::make_shared<const rules::RuleSet>(std::vector<rules::Rule>()));
  EXPECT_EQ(plugin_client.WaitForServing(std::chrono::milliseconds(300)).code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST(PluginServerTcpTest, ServesOnALoopbackPortChosenByTheSystem) {
  ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  absl::StatusOr<std::unique_ptr<PluginServer>> server = PluginServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_THAT((*server)->address(), ::testing::StartsWith("127.0.0.1:"));
  EXPECT_NE((*server)->address(), "127.0.0.1:0");
  (*server)->InstallRuleSet(BuiltinRules());
  client::PluginClient plugin_client((*server)->address());
  EXPECT_TRUE(plugin_client.WaitForServing(std::chrono::seconds(5)).ok());
  absl::StatusOr<client::PluginInfo> info = plugin_client.GetPluginInfo();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_THAT(info->rules, Not(IsEmpty()));
}

// Regression (user trial): with gRPC's default SO_REUSEPORT, two servers bound the same port.
TEST(PluginServerTcpTest, ASecondServerOnTheSamePortFailsClearly) {
  ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  absl::StatusOr<std::unique_ptr<PluginServer>> first = PluginServer::Start(options);
  ASSERT_TRUE(first.ok()) << first.status();
  options.listen_address = (*first)->address();
  absl::StatusOr<std::unique_ptr<PluginServer>> second = PluginServer::Start(options);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr((*first)->address()));
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("in use"));
}

TEST(PluginServerAddressTest, RefusesANonLoopbackAddressMentioningTls) {
  ServerOptions options;
  options.listen_address = "0.0.0.0:0";
  absl::StatusOr<std::unique_ptr<PluginServer>> server = PluginServer::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(server.status().message()), HasSubstr("TLS"));
}

TEST(PluginServerAddressTest, SocketFileIsRemovedAtShutdown) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string socket = dir.File("plugin.sock");
  ServerOptions options;
  options.listen_address = "unix:" + socket;
  {
    absl::StatusOr<std::unique_ptr<PluginServer>> server = PluginServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    EXPECT_TRUE(std::filesystem::exists(socket));
  }
  EXPECT_FALSE(std::filesystem::exists(socket));
}

}  // namespace
}  // namespace kmsguard::plugin
