// OCSF 1.5.0 Compliance Finding (class 2003). Attribute names and enums follow the schema's
// definition files (events/findings/compliance_finding.json, objects/compliance.json, ...).
//
// Mapping choices:
// - compliance.status_id: PASS 1 "Pass", WARNING 2 "Warning", FAIL 3 "Fail". ERROR maps to
//   0 "Unknown" ("The status is unknown"): the check gave no verdict, and Warning already carries
//   WARNING; status_code keeps kmsguard's own status and status_details says why.
// - The event's status_id is the finding's workflow state, set by the consumer: always 1 "New".
//   With a baseline (`scan --baseline`), activity_id says what happened since: 1 Create (a NEW
//   finding), 2 Update (UNCHANGED, UPDATED), 3 Close (RESOLVED: now passing, or gone, when the
//   event says status_id 4 "Resolved"); finding_info.first_seen_time and last_seen_time are set.
// - The rule is finding_info.analytic (type_id 1 "Rule"); the schema has no rule slot in
//   metadata or compliance.
// - resource_details has no account attribute: the account is cloud.account.uid. The evidence
//   (policy statements) goes in resources[0].data, the resource's free-form "additional data",
//   with the effective exposure (data.exposure, data.exposed_to) and the explanation lines
//   (data.explanation): OCSF 1.5 has no attribute for either.
// - severity_id and severity are the finding's effective severity. When an override or a raise
//   changed it, the event's `unmapped` object says what the rule states (rule_severity_id,
//   rule_severity) and each change (severity_changes: from, to, reason): OCSF 1.5 has no
//   attribute for a source's original severity.

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
#include "sdk/core/json_text.h"
#include "sdk/core/digest.h"
#include "sdk/render/baseline.h"
#include "sdk/render/render.h"
#include "sdk/render/render_support.h"

namespace kmsguard::render {

namespace {

struct CloudNames {
  std::string provider;
  int account_type_id = 0;
  const char* account_type = "Unknown";
};

CloudNames CloudNamesOf(const std::string& provider) {
  if (provider == "aws") return {"AWS", 10, "AWS Account"};
  if (provider == "gcp") return {"GCP", 11, "GCP Project"};
  if (provider == "azure") return {"Azure", 13, "Azure Subscription"};
  return {absl::AsciiStrToUpper(provider), 0, "Unknown"};
}

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

void WriteEvidence(const model::Evidence& e, core::JsonText& out) {
  out.BeginObject().Member("policy_name", e.policy_name);
  if (e.statement_index >= 0) {
    out.Member("statement_index", e.statement_index);
    if (!e.sid.empty()) out.Member("sid", e.sid);
    out.Member("effect", e.effect)
        .Member("actions", e.actions)
        .Member(e.not_action ? "not_action" : "action", e.action_patterns)
        .Member(e.not_resource ? "not_resource" : "resource", e.resource_patterns);
    if (!e.condition_keys.empty()) out.Member("condition_keys", e.condition_keys);
  }
  if (!e.note.empty()) out.Member("note", e.note);
  out.EndObject();
}

// What the baseline adds to an event (null without one).
struct EventBaseline {
  BaselineState state = BaselineState::kNone;
  std::int64_t first_seen_ms = 0;
  std::string_view uid;  // the finding's uid (the comparison computed it; a gone one's from the baseline)
};

// One Compliance Finding event, written straight into `out` (json_text.h), members in the order
// the schema's examples give them.
void WriteFinding(const model::Finding& f, const ProductInfo& product, std::int64_t time_ms,
                  const EventBaseline* baseline, core::JsonText& out) {
  const int severity_id = static_cast<int>(f.severity) + 1;  // informational = 1
  const ComplianceStatus compliance_status = ComplianceStatusOf(f.status);
  int activity = 1;
  std::string_view activity_name = "Create";
  if (baseline != nullptr && (baseline->state == BaselineState::kUnchanged ||
                              baseline->state == BaselineState::kUpdated)) {
    activity = 2;
    activity_name = "Update";
  } else if (baseline != nullptr && baseline->state == BaselineState::kResolved) {
    activity = 3;
    activity_name = "Close";
  }
  const bool resolved = baseline != nullptr && baseline->state == BaselineState::kResolved;
  out.BeginObject()
      .Member("class_uid", 2003)
      .Member("class_name", "Compliance Finding")
      .Member("category_uid", 2)
      .Member("category_name", "Findings")
      .Member("activity_id", activity)
      .Member("activity_name", activity_name)
      .Member("type_uid", 200300 + activity)
      .Member("type_name", absl::StrCat("Compliance Finding: ", std::string(activity_name)))
      .Member("time", time_ms)
      .Member("severity_id", severity_id)
      .Member("severity", kSeverityCaptions[severity_id - 1])
      .Member("status_id", resolved ? 4 : 1)
      .Member("status", resolved ? "Resolved" : "New")
      .Member("status_code", model::StatusName(f.status))
      .Member("message", f.message);

  out.Key("compliance")
      .BeginObject()
      .Member("status", compliance_status.caption)
      .Member("status_id", compliance_status.id)
      .Member("status_code", model::StatusName(f.status));
  if (!f.compliance.empty()) {
    out.Member("control", f.compliance.front().control);
    out.Key("standards").BeginArray();
    for (const model::ComplianceRef& ref : f.compliance) out.String(ref.standard);
    out.EndArray();
  }
  if (f.status == model::Status::kError) {
    out.Key("status_details").BeginArray().String(f.message).EndArray();
  }
  out.EndObject();

  out.Key("finding_info")
      .BeginObject()
      .Member("uid", baseline != nullptr && !baseline->uid.empty() ? std::string(baseline->uid)
                                                                    : FindingUid(f))
      .Member("title", f.title)
      .Member("desc", f.message);
  if (baseline != nullptr) {
    out.Member("first_seen_time", baseline->first_seen_ms).Member("last_seen_time", time_ms);
  }
  out.Key("types")
      .BeginArray()
      .String(f.provider == "aws" ? "Software and Configuration Checks/AWS Security Best Practices"
                                  : "Software and Configuration Checks")
      .EndArray();
  out.Key("analytic")
      .BeginObject()
      .Member("uid", f.rule_id)
      .Member("name", f.title)
      .Member("type_id", 1)
      .Member("type", "Rule")
      .Member("version", f.rule_version)
      .EndObject();
  out.EndObject();

  out.Key("resources").BeginArray().BeginObject();
  out.Member("uid", f.resource_id).Member("name", f.resource_name).Member("type", f.resource_type);
  if (!f.partition.empty()) out.Member("cloud_partition", f.partition);
  if (!f.region.empty()) out.Member("region", f.region);
  out.Key("data").BeginObject();
  out.Key("evidence").BeginArray();
  for (const model::Evidence& e : f.evidence) WriteEvidence(e, out);
  out.EndArray();
  out.Member("conditional", f.conditional);
  if (!f.sub_key.empty()) out.Member("sub_key", f.sub_key);
  if (!f.exposure.empty()) out.Member("exposure", f.exposure);
  if (!f.exposed_to.empty()) out.Member("exposed_to", f.exposed_to);
  if (!f.explanation.empty()) out.Member("explanation", f.explanation);
  out.EndObject();  // data
  out.EndObject().EndArray();  // the resource, resources

  // OCSF's account object types the container by cloud (objects/account.json type_id): an AWS
  // account, a Google Cloud project, an Azure subscription.
  const CloudNames cloud = CloudNamesOf(f.provider);
  out.Key("cloud").BeginObject().Member("provider", cloud.provider);
  if (!f.account.empty()) {
    out.Key("account")
        .BeginObject()
        .Member("uid", f.account)
        .Member("type_id", cloud.account_type_id)
        .Member("type", cloud.account_type)
        .EndObject();
  }
  // objects/organization.json: uid is a Google Cloud organization (here: an Azure tenant, the
  // construct the object lists as Oracle's tenancy), ou_uid a Google Cloud folder.
  if (!f.organization.empty() || !f.organizational_unit.empty()) {
    out.Key("org").BeginObject();
    if (!f.organization.empty()) out.Member("uid", f.organization);
    if (!f.organizational_unit.empty()) out.Member("ou_uid", f.organizational_unit);
    out.EndObject();
  }
  // cloud.project_uid names a Google Cloud project; the account above names it too, typed.
  if (f.provider == "gcp" && !f.account.empty()) out.Member("project_uid", f.account);
  if (!f.region.empty()) out.Member("region", f.region);
  if (!f.partition.empty()) out.Member("cloud_partition", f.partition);
  out.EndObject();

  out.Key("metadata").BeginObject().Member("version", "1.5.0");
  out.Key("product")
      .BeginObject()
      .Member("name", product.name)
      .Member("vendor_name", product.name)
      .Member("version", product.version)
      .EndObject();
  out.Key("profiles").BeginArray().String("cloud").EndArray();
  out.EndObject();

  if (const std::string text = internal::RemediationText(f); !text.empty()) {
    out.Key("remediation").BeginObject().Member("desc", text).EndObject();
  }
  if (!f.severity_changes.empty()) {
    // severity and severity_id are the effective severity; OCSF 1.5 has no attribute for the
    // severity the source first gave, so it goes in the event's unmapped data, with OCSF's
    // captions and ids.
    const int rule_severity_id = static_cast<int>(f.RuleSeverity()) + 1;
    out.Key("unmapped")
        .BeginObject()
        .Member("rule_severity_id", rule_severity_id)
        .Member("rule_severity", kSeverityCaptions[rule_severity_id - 1]);
    out.Key("severity_changes").BeginArray();
    for (const model::SeverityChange& change : f.severity_changes) {
      out.BeginObject()
          .Member("from", kSeverityCaptions[static_cast<int>(change.from)])
          .Member("to", kSeverityCaptions[static_cast<int>(change.to)])
          .Member("reason", change.reason)
          .EndObject();
    }
    out.EndArray().EndObject();
  }
  out.EndObject();
}

}  // namespace

std::string FindingUid(const model::Finding& f) {
  // A Google Cloud finding's account is left out (written empty): its resource id already names
  // the project, and the scan names the project by id or by number depending on whether it could
  // join the two (gcp::ProjectAccount), so the account would change the uid with the inputs.
  static const std::string kNone;
  const std::string* account = f.provider == "gcp" ? &kNone : &f.account;
  std::string input;
  for (const std::string* field :
       {&f.rule_id, &f.provider, &f.partition, account, &f.region, &f.resource_id, &f.sub_key}) {
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
        time_(options.time),
        time_ms_(internal::EpochMillis(options.time)),
        baseline_(options.baseline),
        events_(out, 0) {}

  void Write(const model::Finding& finding) override {
    if (!out_) return;  // the output is lost anyway; Finish says so
    text_.clear();
    core::JsonText json(&text_, 2, 1);  // an element of the top-level array
    if (baseline_ != nullptr) {
      const BaselineComparison::Mark mark = baseline_->Record(finding, time_);
      const EventBaseline event{mark.state, internal::EpochMillis(mark.first_seen), mark.uid};
      WriteFinding(finding, product_, time_ms_, &event, json);
    } else {
      WriteFinding(finding, product_, time_ms_, nullptr, json);
    }
    events_.AddText(text_);
  }

  absl::Status Finish(const model::ScanSummary& summary) override {
    if (baseline_ != nullptr) {
      // The baseline's open findings gone from this scan: a Close event each, with what the
      // baseline said of them.
      for (const BaselineFinding* b : baseline_->Gone(summary)) {
        const model::Finding gone = GoneFinding(*b);
        const EventBaseline event{BaselineState::kResolved, internal::EpochMillis(b->first_seen),
                                  b->uid};
        text_.clear();
        core::JsonText json(&text_, 2, 1);
        WriteFinding(gone, product_, time_ms_, &event, json);
        events_.AddText(text_);
      }
    }
    events_.Close();
    return internal::FlushStatus(out_);
  }

 private:
  std::ostream& out_;
  const ProductInfo product_;
  const std::chrono::system_clock::time_point time_;
  const std::int64_t time_ms_;
  const std::shared_ptr<BaselineComparison> baseline_;
  internal::JsonArrayStream events_;
  std::string text_;  // reused: one event's text
};

}  // namespace

std::unique_ptr<FindingWriter> OpenOcsfWriter(std::ostream& out, const RenderOptions& options) {
  return internal::HonorSeverityTrace(std::make_unique<OcsfWriter>(out, options), options);
}

}  // namespace kmsguard::render
