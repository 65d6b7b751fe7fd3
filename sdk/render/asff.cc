// AWS Security Finding Format (ASFF), as the AwsSecurityFinding shape of the Security Hub API
// model (botocore securityhub/2018-10-26/service-2.json) defines it. All 12 attributes the user
// guide lists as required are written (the API model's 10, plus Severity and Types), and the
// finding provider's own Severity and Types also go in FindingProviderFields, which is where
// BatchImportFindings takes a provider's updates of them from.
//
// Mapping choices (docs/findings.md):
// - Id is the finding uid; ProductArn is the account's default product
//   (arn:PARTITION:securityhub:REGION:ACCOUNT:product/ACCOUNT/default), REGION the importing region.
// - Severity: FAIL and WARNING carry the rule's severity; PASS and ERROR are INFORMATIONAL, as
//   Security Hub's own control findings are when they pass or cannot be evaluated. Original
//   ("the native severity from the finding product") is always the severity the rule file
//   states, as a Label value; when an override or a raise changed it, ProductFields
//   kmsguard/RuleSeverity and kmsguard/SeverityChange/N (from, to, why) say how.
// - Compliance.Status: PASS PASSED, WARNING WARNING, FAIL FAILED, ERROR NOT_AVAILABLE (with a
//   StatusReasons entry saying why).
// - Workflow.Status: NEW, except RESOLVED for PASS; Security Hub keeps the customer's workflow
//   state of an existing finding (BatchImportFindings cannot change it).
// - Text fields are cut to the documented limits (Title 256, Description 1024,
//   Recommendation.Text 512, ProductFields values 2048 characters).
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "sdk/core/arn.h"
#include "sdk/model/resource.h"
#include "sdk/render/baseline.h"
#include "sdk/render/json_stream.h"
#include "sdk/render/render.h"
#include "sdk/render/render_support.h"

namespace kmsguard::render {

namespace {

using Json = nlohmann::ordered_json;

constexpr std::size_t kTitleMax = 256;
constexpr std::size_t kDescriptionMax = 1024;
constexpr std::size_t kRecommendationMax = 512;
constexpr std::size_t kFieldValueMax = 2048;
constexpr std::size_t kFieldsMax = 50;
constexpr char kFsbp[] = "AWS Foundational Security Best Practices";

using core::IsAccountId;

std::string SeverityLabel(model::Severity severity) {
  return absl::AsciiStrToUpper(std::string(model::SeverityName(severity)));
}

std::string ComplianceStatus(model::Status status) {
  switch (status) {
    case model::Status::kPass:
      return "PASSED";
    case model::Status::kWarning:
      return "WARNING";
    case model::Status::kFail:
      return "FAILED";
    case model::Status::kSuppressed:
      return "FAILED";  // with Workflow.Status SUPPRESSED
    case model::Status::kError:
      break;
  }
  return "NOT_AVAILABLE";
}

// The ASFF resource type of a CloudFormation type name; "Other" for types ASFF does not name.
std::string ResourceType(const std::string& type) {
  if (type == model::kIamRole) return "AwsIamRole";
  if (type == model::kIamUser) return "AwsIamUser";
  if (type == model::kIamGroup) return "AwsIamGroup";
  if (type == model::kIamManagedPolicy) return "AwsIamPolicy";
  return "Other";
}

bool IsAws(const model::Finding& f) { return f.provider.empty() || f.provider == "aws"; }

// Resources[].Details: the type's own details object with the name and the policies concerned.
Json ResourceDetails(const model::Finding& f) {
  Json policies = Json::array();
  const std::vector<std::string> names = internal::PolicyNames(f);
  if (f.resource_type == model::kIamRole) {
    for (const std::string& name : names) policies.push_back({{"PolicyName", name}});
    Json details = {{"RoleName", f.resource_name}};
    if (!policies.empty()) details["RolePolicyList"] = std::move(policies);
    return {{"AwsIamRole", std::move(details)}};
  }
  if (f.resource_type == model::kIamUser) {
    for (const std::string& name : names) policies.push_back({{"PolicyName", name}});
    Json details = {{"UserName", f.resource_name}};
    if (!policies.empty()) details["UserPolicyList"] = std::move(policies);
    return {{"AwsIamUser", std::move(details)}};
  }
  if (f.resource_type == model::kIamGroup) {
    for (const std::string& name : names) policies.push_back({{"PolicyName", name}});
    Json details = {{"GroupName", f.resource_name}};
    if (!policies.empty()) details["GroupPolicyList"] = std::move(policies);
    return {{"AwsIamGroup", std::move(details)}};
  }
  if (f.resource_type == model::kIamManagedPolicy) {
    return {{"AwsIamPolicy", {{"PolicyName", f.resource_name}}}};
  }
  Json other = {{"Type", internal::Truncate(f.resource_type, kFieldValueMax)}};
  // Another cloud's resource: where it is, in that cloud's terms (Resources[].Region is an AWS
  // region, the importing one).
  if (!IsAws(f)) {
    other["Cloud"] = internal::CloudName(f.provider);
    if (!f.account.empty()) other["CloudAccount"] = internal::Truncate(f.account, kFieldValueMax);
    if (!f.region.empty()) other["CloudLocation"] = internal::Truncate(f.region, kFieldValueMax);
  }
  return {{"Other", std::move(other)}};
}

// kmsguard's own fields, within the FieldMap limits (50 pairs, values of 2048 characters).
Json ProductFields(const model::Finding& f) {
  Json fields = Json::object();
  const auto add = [&fields](std::string key, const std::string& value) {
    if (value.empty() || fields.size() >= kFieldsMax) return;
    fields[std::move(key)] = internal::Truncate(value, kFieldValueMax);
  };
  add("kmsguard/RuleId", f.rule_id);
  add("kmsguard/RuleVersion", f.rule_version);
  add("kmsguard/Status", std::string(model::StatusName(f.status)));
  add("kmsguard/FindingUid", FindingUid(f));
  add("kmsguard/SubKey", f.sub_key);
  add("kmsguard/Conditional", f.conditional ? "true" : "");
  add("kmsguard/Exposure", f.exposure);
  if (!IsAws(f)) {
    add("kmsguard/Cloud", internal::CloudName(f.provider));
    add("kmsguard/CloudAccount", f.account);
  }
  // Before the evidence, which may fill the 50 pairs.
  if (!f.severity_changes.empty()) {
    add("kmsguard/RuleSeverity", SeverityLabel(f.RuleSeverity()));
    for (std::size_t i = 0; i < f.severity_changes.size(); ++i) {
      const model::SeverityChange& change = f.severity_changes[i];
      add(absl::StrCat("kmsguard/SeverityChange/", i),
          absl::StrCat(SeverityLabel(change.from), " -> ", SeverityLabel(change.to),
                       change.reason.empty() ? "" : ": ", change.reason));
    }
  }
  for (std::size_t i = 0; i < f.evidence.size(); ++i) {
    add(absl::StrCat("kmsguard/Evidence/", i), internal::EvidenceLine(f.evidence[i]));
  }
  return fields;
}

Json FindingJson(const model::Finding& f, const std::string& account, const RenderOptions& options,
                 const std::string& timestamp) {
  const std::string partition = f.partition.empty() ? "aws" : f.partition;
  const std::string region =
      !IsAws(f) || f.region.empty() || f.region == "global" ? options.aws_region : f.region;
  const bool actionable = f.status == model::Status::kFail || f.status == model::Status::kWarning;
  const Json severity = {
      {"Label", actionable ? SeverityLabel(f.severity) : std::string("INFORMATIONAL")},
      {"Original", SeverityLabel(f.RuleSeverity())}};
  // "AWS Security Best Practices" is the ASFF category of AWS configuration checks; a Google
  // Cloud or Azure finding is under the namespace alone (Types: namespace[/category[/classifier]],
  // https://docs.aws.amazon.com/securityhub/latest/userguide/asff-type-taxonomy.html).
  const Json types =
      Json::array({IsAws(f) ? "Software and Configuration Checks/AWS Security Best Practices"
                            : "Software and Configuration Checks"});

  Json out = {
      {"SchemaVersion", "2018-10-08"},
      {"Id", FindingUid(f)},
      {"ProductArn", absl::StrCat("arn:", partition, ":securityhub:", options.aws_region, ":",
                                  account, ":product/", account, "/default")},
      {"ProductName", options.product.name},
      {"CompanyName", options.product.name},
      {"GeneratorId", f.rule_id},
      {"AwsAccountId", account},
      {"Types", types},
      {"FirstObservedAt", timestamp},
      {"LastObservedAt", timestamp},
      {"CreatedAt", timestamp},
      {"UpdatedAt", timestamp},
      {"Severity", severity},
      {"Title", internal::Truncate(f.title.empty() ? f.rule_id : f.title, kTitleMax)},
      {"Description", internal::Truncate(f.message.empty() ? f.title : f.message, kDescriptionMax)},
  };
  Json recommendation = Json::object();
  if (!f.remediation.summary.empty()) {
    recommendation["Text"] = internal::Truncate(f.remediation.summary, kRecommendationMax);
  }
  if (const std::string url = internal::FirstControlUrl(f.compliance); !url.empty()) {
    recommendation["Url"] = url;
  }
  if (!recommendation.empty()) out["Remediation"] = {{"Recommendation", std::move(recommendation)}};
  out["ProductFields"] = ProductFields(f);
  Json resource = {{"Type", ResourceType(f.resource_type)},
                   {"Id", f.resource_id},
                   {"Partition", partition},
                   {"Region", region}};
  if (!f.resource_name.empty() || !IsAws(f)) resource["Details"] = ResourceDetails(f);
  out["Resources"] = Json::array({std::move(resource)});

  Json compliance = {{"Status", ComplianceStatus(f.status)}};
  Json requirements = Json::array();
  Json standards = Json::array();
  for (const model::ComplianceRef& ref : f.compliance) {
    requirements.push_back(absl::StrCat(ref.standard, " ", ref.control));
    if (ref.standard == kFsbp && !compliance.contains("SecurityControlId")) {
      compliance["SecurityControlId"] = ref.control;
      standards.push_back(
          {{"StandardsId", "standards/aws-foundational-security-best-practices/v/1.0.0"}});
    }
  }
  if (!requirements.empty()) compliance["RelatedRequirements"] = std::move(requirements);
  if (!standards.empty()) compliance["AssociatedStandards"] = std::move(standards);
  if (f.status == model::Status::kError) {
    compliance["StatusReasons"] = Json::array(
        {{{"ReasonCode", "KMSGUARD_EVALUATION_ERROR"},
          {"Description", internal::Truncate(f.message, kDescriptionMax)}}});
  }
  out["Compliance"] = std::move(compliance);
  out["FindingProviderFields"] = {{"Severity", severity}, {"Types", types}};
  out["RecordState"] = "ACTIVE";
  out["Workflow"] = {{"Status", f.status == model::Status::kPass         ? "RESOLVED"
                                : f.status == model::Status::kSuppressed ? "SUPPRESSED"
                                                                         : "NEW"}};
  return out;
}

}  // namespace

std::string RenderAsff(const std::vector<model::Finding>& findings, const RenderOptions& options) {
  return internal::RenderThroughWriter(&OpenAsffWriter, findings, {}, options);
}

namespace {

// A JSON array and a newline, each finding written as it comes. A finding without an AWS account
// id takes RenderOptions::aws_account_id; without that it is left out, since ASFF cannot express
// one (AwsAccountId is a 12-digit id; docs/findings.md), and notices() say how many.
// The partition field of an ARN ("aws" when it has none).
std::string PartitionOfArn(std::string_view arn) {
  if (!arn.starts_with("arn:")) return "aws";
  const std::size_t end = arn.find(':', 4);
  return end == std::string_view::npos || end == 4 ? "aws" : std::string(arn.substr(4, end - 4));
}

// With a baseline: FirstObservedAt from it, and the finding's state among the ProductFields.
Json WithBaseline(Json json, const std::optional<BaselineComparison::Mark>& mark) {
  if (!mark.has_value()) return json;
  json["FirstObservedAt"] = internal::Iso8601(mark->first_seen);
  if (json["ProductFields"].size() < kFieldsMax) {
    json["ProductFields"]["kmsguard/BaselineState"] = BaselineStateName(mark->state);
  }
  return json;
}

class AsffWriter final : public FindingWriter {
 public:
  AsffWriter(std::ostream& out, const RenderOptions& options)
      : out_(out),
        options_(options),
        timestamp_(internal::Iso8601(options.time)),
        findings_(out, 0) {}

  void Write(const model::Finding& finding) override {
    if (!out_) return;
    std::optional<BaselineComparison::Mark> mark;
    if (options_.baseline != nullptr) mark = options_.baseline->Record(finding, options_.time);
    // A Google Cloud project number is 12 digits too: only an AWS finding's account is an AWS
    // account.
    const bool aws = IsAws(finding);
    if (aws && IsAccountId(finding.account)) {
      findings_.Add(WithBaseline(FindingJson(finding, finding.account, options_, timestamp_), mark));
    } else if (IsAccountId(options_.aws_account_id)) {
      findings_.Add(WithBaseline(
          FindingJson(finding, options_.aws_account_id, options_, timestamp_), mark));
    } else {
      LeftOut& count = aws ? left_out_aws_ : left_out_other_[finding.provider];
      ++count.findings;
      if (finding.status == model::Status::kFail) ++count.fail;
    }
  }

  std::vector<std::string> notices() const override {
    std::vector<std::string> out;
    if (left_out_aws_.findings > 0) {
      out.push_back(absl::StrCat(left_out_aws_.findings, " finding(s) (", left_out_aws_.fail,
                                 " FAIL) are not in the ASFF output: their resources name no AWS "
                                 "account (a Terraform plan or CloudFormation template, say), and "
                                 "ASFF requires AwsAccountId; give the account with "
                                 "--aws-account-id"));
    }
    for (const auto& [provider, count] : left_out_other_) {
      out.push_back(absl::StrCat(
          count.findings, " finding(s) (", count.fail, " FAIL) of ", internal::CloudName(provider),
          " are not in the ASFF output: ASFF holds findings of an AWS account; to import them "
          "into Security Hub anyway, give the importing account with --aws-account-id (they are "
          "written with resource type Other and their cloud in ProductFields), or use --format "
          "ocsf or sarif"));
    }
    return out;
  }

  absl::Status Finish(const model::ScanSummary& summary) override {
    if (options_.baseline != nullptr) {
      // The baseline's open findings gone from this scan: archived and resolved, under their Id.
      for (const BaselineFinding* b : options_.baseline->Gone(summary)) {
        if (!IsAccountId(b->account)) continue;  // ASFF cannot name it; it had no Id there
        model::Finding gone = GoneFinding(*b);
        gone.partition = PartitionOfArn(b->resource_id);
        Json json = FindingJson(gone, b->account, options_, timestamp_);
        json["Id"] = b->uid;
        json["FirstObservedAt"] = internal::Iso8601(b->first_seen);
        json["ProductFields"]["kmsguard/FindingUid"] = b->uid;
        if (json["ProductFields"].size() < kFieldsMax) {
          json["ProductFields"]["kmsguard/BaselineState"] = "RESOLVED";
        }
        json["RecordState"] = "ARCHIVED";
        json["Workflow"] = {{"Status", "RESOLVED"}};
        findings_.Add(json);
      }
    }
    findings_.Close();
    out_ << '\n';
    return internal::FlushStatus(out_);
  }

 private:
  std::ostream& out_;
  const RenderOptions options_;
  const std::string timestamp_;
  internal::JsonArrayStream findings_;
  struct LeftOut {
    std::int64_t findings = 0;
    std::int64_t fail = 0;
  };
  LeftOut left_out_aws_;
  std::map<std::string, LeftOut> left_out_other_;  // by provider
};

}  // namespace

std::unique_ptr<FindingWriter> OpenAsffWriter(std::ostream& out, const RenderOptions& options) {
  return internal::HonorSeverityTrace(std::make_unique<AsffWriter>(out, options), options);
}

}  // namespace kmsguard::render
