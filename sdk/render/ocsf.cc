// OCSF 1.5.0 Compliance Finding (class 2003). Attribute names and enums follow the schema's
// definition files (events/findings/compliance_finding.json, objects/compliance.json, ...).
//
// Mapping choices:
// - compliance.status_id: PASS 1 "Pass", WARNING 2 "Warning", FAIL 3 "Fail". ERROR maps to
//   0 "Unknown" ("The status is unknown"): the check gave no verdict, and Warning already carries
//   WARNING; status_code keeps kmsguard's own status and status_details says why.
// - The event's status_id is the finding's workflow state, set by the consumer: always 1 "New".
// - The rule is finding_info.analytic (type_id 1 "Rule"); the schema has no rule slot in
//   metadata or compliance.
// - resource_details has no account attribute: the account is cloud.account.uid. The evidence
//   (policy statements) goes in resources[0].data, the resource's free-form "additional data",
//   with the effective exposure (data.exposure, data.exposed_to) and the explanation lines
//   (data.explanation): OCSF 1.5 has no attribute for either.

#include <chrono>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "sdk/render/json_stream.h"
#include "sdk/core/digest.h"
#include "sdk/render/render.h"
#include "sdk/render/render_support.h"

namespace kmsguard::render {

namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kSeverityCaptions[] = {"Informational", "Low", "Medium", "High",
                                                  "Critical"};

struct ComplianceStatus {
  int id;
  std::string_view caption;
};

ComplianceStatus ComplianceStatusOf(model::Status status) {
  switch (status) {
    case model::Status::kPass:
      return {1, "Pass"};
    case model::Status::kWarning:
      return {2, "Warning"};
    case model::Status::kFail:
      return {3, "Fail"};
    case model::Status::kSuppressed:
      return {3, "Fail"};  // accepted by an exception: the finding's status says so
    case model::Status::kError:
      break;
  }
  return {0, "Unknown"};
}

Json EvidenceJson(const model::Evidence& e) {
  Json out = {{"policy_name", e.policy_name}};
  if (e.statement_index >= 0) {
    out["statement_index"] = e.statement_index;
    if (!e.sid.empty()) out["sid"] = e.sid;
    out["effect"] = e.effect;
    out["actions"] = e.actions;
    out[e.not_action ? "not_action" : "action"] = e.action_patterns;
    out[e.not_resource ? "not_resource" : "resource"] = e.resource_patterns;
    if (!e.condition_keys.empty()) out["condition_keys"] = e.condition_keys;
  }
  if (!e.note.empty()) out["note"] = e.note;
  return out;
}

std::string RemediationText(const model::Remediation& r) {
  std::string out = r.summary;
  const auto section = [&out](const char* title, const std::string& text) {
    if (text.empty()) return;
    absl::StrAppend(&out, out.empty() ? "" : "\n\n", title, ":\n", text);
  };
  section("Console", r.console);
  section("AWS CLI", r.cli);
  section("Terraform", r.terraform);
  return out;
}

Json FindingJson(const model::Finding& f, const ProductInfo& product, std::int64_t time_ms) {
  const int severity_id = static_cast<int>(f.severity) + 1;  // informational = 1
  const ComplianceStatus compliance_status = ComplianceStatusOf(f.status);
  const std::string provider = absl::AsciiStrToUpper(f.provider);

  Json compliance = {{"status", compliance_status.caption},
                     {"status_id", compliance_status.id},
                     {"status_code", model::StatusName(f.status)}};
  if (!f.compliance.empty()) {
    compliance["control"] = f.compliance.front().control;
    Json standards = Json::array();
    for (const model::ComplianceRef& ref : f.compliance) standards.push_back(ref.standard);
    compliance["standards"] = std::move(standards);
  }
  if (f.status == model::Status::kError) compliance["status_details"] = Json::array({f.message});

  Json resource = {{"uid", f.resource_id}, {"name", f.resource_name}, {"type", f.resource_type}};
  if (!f.partition.empty()) resource["cloud_partition"] = f.partition;
  if (!f.region.empty()) resource["region"] = f.region;
  Json evidence = Json::array();
  for (const model::Evidence& e : f.evidence) evidence.push_back(EvidenceJson(e));
  resource["data"] = {{"evidence", std::move(evidence)}, {"conditional", f.conditional}};
  if (!f.sub_key.empty()) resource["data"]["sub_key"] = f.sub_key;
  if (!f.exposure.empty()) resource["data"]["exposure"] = f.exposure;
  if (!f.exposed_to.empty()) resource["data"]["exposed_to"] = f.exposed_to;
  if (!f.explanation.empty()) resource["data"]["explanation"] = f.explanation;

  Json cloud = {{"provider", provider}};
  if (!f.account.empty()) {
    cloud["account"] = {{"uid", f.account}, {"type_id", 10}, {"type", "AWS Account"}};
  }
  if (!f.region.empty()) cloud["region"] = f.region;
  if (!f.partition.empty()) cloud["cloud_partition"] = f.partition;

  Json out = {
      {"class_uid", 2003},
      {"class_name", "Compliance Finding"},
      {"category_uid", 2},
      {"category_name", "Findings"},
      {"activity_id", 1},
      {"activity_name", "Create"},
      {"type_uid", 200301},
      {"type_name", "Compliance Finding: Create"},
      {"time", time_ms},
      {"severity_id", severity_id},
      {"severity", kSeverityCaptions[severity_id - 1]},
      {"status_id", 1},
      {"status", "New"},
      {"status_code", model::StatusName(f.status)},
      {"message", f.message},
      {"compliance", std::move(compliance)},
      {"finding_info",
       {{"uid", FindingUid(f)},
        {"title", f.title},
        {"desc", f.message},
        {"types", Json::array({f.provider == "aws"
                                   ? "Software and Configuration Checks/AWS Security Best Practices"
                                   : "Software and Configuration Checks"})},
        {"analytic",
         {{"uid", f.rule_id},
          {"name", f.title},
          {"type_id", 1},
          {"type", "Rule"},
          {"version", f.rule_version}}}}},
      {"resources", Json::array({std::move(resource)})},
      {"cloud", std::move(cloud)},
      {"metadata",
       {{"version", "1.5.0"},
        {"product",
         {{"name", product.name}, {"vendor_name", product.name}, {"version", product.version}}},
        {"profiles", Json::array({"cloud"})}}},
  };
  if (const std::string text = RemediationText(f.remediation); !text.empty()) {
    out["remediation"] = {{"desc", text}};
  }
  return out;
}

}  // namespace

std::string FindingUid(const model::Finding& f) {
  std::string input;
  for (const std::string* field :
       {&f.rule_id, &f.provider, &f.partition, &f.account, &f.region, &f.resource_id, &f.sub_key}) {
    // Length-prefixed, so no two field lists give the same input ("a","bc" vs "ab","c").
    absl::StrAppend(&input, field->size(), ":", *field, ";");
  }
  const core::Sha256Digest digest = core::Sha256(input);
  return absl::BytesToHexString(
             absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()))
      .substr(0, 32);
}

std::string RenderOcsf(const std::vector<model::Finding>& findings, const ProductInfo& product) {
  RenderOptions options;
  options.product = product;
  return RenderOcsf(findings, options);
}

std::string RenderOcsf(const std::vector<model::Finding>& findings, const RenderOptions& options) {
  return internal::RenderThroughWriter(&OpenOcsfWriter, findings, {}, options);
}

namespace {

// A JSON array, each event written as it comes; no newline after the array.
class OcsfWriter final : public FindingWriter {
 public:
  OcsfWriter(std::ostream& out, const RenderOptions& options)
      : out_(out),
        product_(options.product),
        time_ms_(internal::EpochMillis(options.time)),
        events_(out, 0) {}

  void Write(const model::Finding& finding) override {
    if (!out_) return;  // the output is lost anyway; Finish says so
    events_.Add(FindingJson(finding, product_, time_ms_));
  }

  absl::Status Finish(const model::ScanSummary&) override {
    events_.Close();
    return internal::FlushStatus(out_);
  }

 private:
  std::ostream& out_;
  const ProductInfo product_;
  const std::int64_t time_ms_;
  internal::JsonArrayStream events_;
};

}  // namespace

std::unique_ptr<FindingWriter> OpenOcsfWriter(std::ostream& out, const RenderOptions& options) {
  return std::make_unique<OcsfWriter>(out, options);
}

}  // namespace kmsguard::render
