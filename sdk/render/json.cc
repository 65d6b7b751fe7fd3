// kmsguard's own JSON and JSON Lines. A finding object is the proto3 JSON mapping of
// kmsguard.plugin.v1.Finding (proto field names, enum value names), so any protobuf JSON parser
// reads it as that message (ignoring "uid", which the proto does not carry); every field is
// written, defaults included, so consumers need not know proto3's default rules.
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "sdk/render/json_stream.h"
#include "sdk/render/render.h"
#include "sdk/render/render_support.h"

namespace kmsguard::render {

namespace {

using Json = nlohmann::ordered_json;

constexpr char kFormat[] = "kmsguard.findings.v1";

std::string SeverityEnum(model::Severity severity) {
  constexpr std::string_view kNames[] = {"SEVERITY_INFORMATIONAL", "SEVERITY_LOW",
                                         "SEVERITY_MEDIUM", "SEVERITY_HIGH", "SEVERITY_CRITICAL"};
  return std::string(kNames[static_cast<int>(severity)]);
}

std::string StatusEnum(model::Status status) {
  return "STATUS_" + std::string(model::StatusName(status));
}

Json EvidenceJson(const model::Evidence& e) {
  return {{"policy_name", e.policy_name},
          {"statement_index", e.statement_index},
          {"sid", e.sid},
          {"effect", e.effect},
          {"actions", e.actions},
          {"action_patterns", e.action_patterns},
          {"not_action", e.not_action},
          {"resource_patterns", e.resource_patterns},
          {"not_resource", e.not_resource},
          {"condition_keys", e.condition_keys},
          {"note", e.note}};
}

Json FindingJson(const model::Finding& f) {
  Json compliance = Json::array();
  for (const model::ComplianceRef& ref : f.compliance) {
    compliance.push_back({{"standard", ref.standard}, {"control", ref.control}});
  }
  Json evidence = Json::array();
  for (const model::Evidence& e : f.evidence) evidence.push_back(EvidenceJson(e));
  Json out = {
      {"uid", FindingUid(f)},
      {"rule_id", f.rule_id},
      {"rule_version", f.rule_version},
      {"title", f.title},
      {"severity", SeverityEnum(f.severity)},
      {"status", StatusEnum(f.status)},
      {"resource_id", f.resource_id},
      {"resource_type", f.resource_type},
      {"resource_name", f.resource_name},
      {"provider", f.provider},
      {"partition", f.partition},
      {"account", f.account},
      {"region", f.region},
      {"sub_key", f.sub_key},
      {"message", f.message},
      {"remediation",
       {{"summary", f.remediation.summary},
        {"console", f.remediation.console},
        {"cli", f.remediation.cli},
        {"terraform", f.remediation.terraform}}},
      {"compliance", std::move(compliance)},
      {"evidence", std::move(evidence)},
      {"conditional", f.conditional},
      {"source",
       {{"file", f.source.file},
        {"line", f.source.line},
        {"column", f.source.column},
        {"json_pointer", f.source.json_pointer},
        {"resource_id", f.source.resource_id}}},
      {"exposed_to", f.exposed_to},
      {"exposure", f.exposure},
      {"explanation", f.explanation},
  };
  if (f.status == model::Status::kSuppressed) {
    out["suppression"] = {{"status", StatusEnum(f.suppression.status)},
                          {"reason", f.suppression.reason},
                          {"owner", f.suppression.owner},
                          {"expires", f.suppression.expires}};
  }
  return out;
}

// The proto's ScanSummary, less scan_id (a host-side notion).
Json SummaryJson(const model::ScanSummary& s) {
  return {{"resources_received", s.resources_received},
          {"resources_evaluated", s.resources_evaluated},
          {"resource_errors", s.resource_errors},
          {"pass", s.pass},
          {"warning", s.warning},
          {"fail", s.fail},
          {"error", s.error},
          {"suppressed", s.suppressed},
          {"rule_ids", s.rule_ids},
          {"resource_types", s.resource_types},
          {"accounts", s.accounts},
          {"regions", s.regions}};
}

Json ToolJson(const ProductInfo& product) {
  return {{"name", product.name}, {"version", product.version}};
}

// The members both forms write before the findings (JSON) or in the last line (JSON Lines).
Json HeaderJson(const RenderOptions& options) {
  return {{"format", kFormat},
          {"generated_at", internal::Iso8601(options.time)},
          {"tool", ToolJson(options.product)}};
}

// {"format", "generated_at", "tool", "findings": [...], "summary"}, as dump(2) writes it: the
// members before the findings go out with the first finding (or at Finish), each finding as it
// comes, the summary at Finish.
class JsonWriter final : public FindingWriter {
 public:
  JsonWriter(std::ostream& out, const RenderOptions& options)
      : out_(out), options_(options), findings_(out, 2) {}

  void Write(const model::Finding& finding) override {
    if (!out_) return;  // the output is lost anyway; Finish says so
    Start();
    findings_.Add(FindingJson(finding));
  }

  absl::Status Finish(const model::ScanSummary& summary) override {
    Start();
    findings_.Close();
    const Json tail = {{"summary", SummaryJson(summary)}};
    out_ << ",\n" << internal::ObjectMembers(tail) << "\n}\n";
    return internal::FlushStatus(out_);
  }

 private:
  void Start() {
    if (started_) return;
    started_ = true;
    out_ << "{\n" << internal::ObjectMembers(HeaderJson(options_)) << ",\n  \"findings\": ";
  }

  std::ostream& out_;
  const RenderOptions options_;
  internal::JsonArrayStream findings_;
  bool started_ = false;
};

class JsonLinesWriter final : public FindingWriter {
 public:
  JsonLinesWriter(std::ostream& out, const RenderOptions& options) : out_(out), options_(options) {}

  void Write(const model::Finding& finding) override {
    if (!out_) return;
    out_ << internal::DumpJson(FindingJson(finding), -1) << '\n';
  }

  absl::Status Finish(const model::ScanSummary& summary) override {
    Json last = HeaderJson(options_);
    last["summary"] = SummaryJson(summary);
    out_ << internal::DumpJson(last, -1) << '\n';
    return internal::FlushStatus(out_);
  }

 private:
  std::ostream& out_;
  const RenderOptions options_;
};

}  // namespace

std::string RenderJson(const std::vector<model::Finding>& findings,
                       const model::ScanSummary& summary, const RenderOptions& options) {
  return internal::RenderThroughWriter(&OpenJsonWriter, findings, summary, options);
}

std::string RenderJsonLines(const std::vector<model::Finding>& findings,
                            const model::ScanSummary& summary, const RenderOptions& options) {
  return internal::RenderThroughWriter(&OpenJsonLinesWriter, findings, summary, options);
}

std::unique_ptr<FindingWriter> OpenJsonWriter(std::ostream& out, const RenderOptions& options) {
  return std::make_unique<JsonWriter>(out, options);
}

std::unique_ptr<FindingWriter> OpenJsonLinesWriter(std::ostream& out,
                                                   const RenderOptions& options) {
  return std::make_unique<JsonLinesWriter>(out, options);
}

}  // namespace kmsguard::render
