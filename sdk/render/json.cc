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
#include "sdk/render/baseline.h"
#include "sdk/render/json_stream.h"
#include "sdk/core/json_text.h"
#include "sdk/render/render.h"
#include "sdk/render/render_support.h"

namespace kmsguard::render {

namespace {

using Json = nlohmann::ordered_json;

constexpr char kFormat[] = "kmsguard.findings.v1";

std::string_view SeverityEnum(model::Severity severity) {
  constexpr std::string_view kNames[] = {"SEVERITY_INFORMATIONAL", "SEVERITY_LOW",
                                         "SEVERITY_MEDIUM", "SEVERITY_HIGH", "SEVERITY_CRITICAL"};
  return kNames[static_cast<int>(severity)];
}

std::string StatusEnum(model::Status status) {
  return "STATUS_" + std::string(model::StatusName(status));
}

// With a baseline: the finding's state and first-seen time, last in its object.
void WriteBaselineMembers(const BaselineComparison::Mark& mark, core::JsonText& out) {
  out.Member("baseline_state", BaselineStateName(mark.state))
      .Member("first_seen_at", internal::Iso8601(mark.first_seen));
}

// One finding as kmsguard's JSON object, written straight into `out` (json_text.h): the same
// bytes a nlohmann ordered_json of these members in this order dumps.
// `severity_trace` off: no rule_severity and severity_changes (RenderOptions::severity_trace).
void WriteFinding(const model::Finding& f, const BaselineComparison::Mark* mark,
                  bool severity_trace, core::JsonText& out) {
  out.BeginObject()
      .Member("uid", mark != nullptr ? mark->uid : FindingUid(f))
      .Member("rule_id", f.rule_id)
      .Member("rule_version", f.rule_version)
      .Member("title", f.title)
      .Member("severity", SeverityEnum(f.severity));
  if (severity_trace) {
    out.Member("rule_severity", SeverityEnum(f.RuleSeverity()));
    out.Key("severity_changes").BeginArray();
    for (const model::SeverityChange& change : f.severity_changes) {
      out.BeginObject()
          .Member("from_severity", SeverityEnum(change.from))
          .Member("to_severity", SeverityEnum(change.to))
          .Member("reason", change.reason)
          .EndObject();
    }
    out.EndArray();
  }
  out.Member("status", StatusEnum(f.status))
      .Member("resource_id", f.resource_id)
      .Member("resource_type", f.resource_type)
      .Member("resource_name", f.resource_name)
      .Member("provider", f.provider)
      .Member("partition", f.partition)
      .Member("account", f.account);
  // Only when known (never for AWS), so AWS outputs keep their bytes (docs/findings.md).
  if (!f.organization.empty()) out.Member("organization", f.organization);
  if (!f.organizational_unit.empty()) out.Member("organizational_unit", f.organizational_unit);
  out.Member("region", f.region).Member("sub_key", f.sub_key).Member("message", f.message);
  out.Key("remediation")
      .BeginObject()
      .Member("summary", f.remediation.summary)
      .Member("console", f.remediation.console)
      .Member("cli", f.remediation.cli)
      .Member("terraform", f.remediation.terraform)
      .EndObject();
  out.Key("compliance").BeginArray();
  for (const model::ComplianceRef& ref : f.compliance) {
    out.BeginObject().Member("standard", ref.standard).Member("control", ref.control).EndObject();
  }
  out.EndArray();
  out.Key("evidence").BeginArray();
  for (const model::Evidence& e : f.evidence) {
    out.BeginObject()
        .Member("policy_name", e.policy_name)
        .Member("statement_index", e.statement_index)
        .Member("sid", e.sid)
        .Member("effect", e.effect)
        .Member("actions", e.actions)
        .Member("action_patterns", e.action_patterns)
        .Member("not_action", e.not_action)
        .Member("resource_patterns", e.resource_patterns)
        .Member("not_resource", e.not_resource)
        .Member("condition_keys", e.condition_keys)
        .Member("note", e.note)
        .EndObject();
  }
  out.EndArray();
  out.Member("conditional", f.conditional);
  out.Key("source")
      .BeginObject()
      .Member("file", f.source.file)
      .Member("line", f.source.line)
      .Member("column", f.source.column)
      .Member("json_pointer", f.source.json_pointer)
      .Member("resource_id", f.source.resource_id)
      .EndObject();
  out.Member("exposed_to", f.exposed_to)
      .Member("exposure", f.exposure)
      .Member("explanation", f.explanation);
  if (f.status == model::Status::kSuppressed) {
    out.Key("suppression")
        .BeginObject()
        .Member("status", StatusEnum(f.suppression.status))
        .Member("reason", f.suppression.reason)
        .Member("owner", f.suppression.owner)
        .Member("expires", f.suppression.expires)
        .EndObject();
  }
  if (mark != nullptr) WriteBaselineMembers(*mark, out);
  out.EndObject();
}

// A baseline finding gone from this scan, which it covered: what the baseline said of it.
void WriteResolved(const BaselineFinding& b, core::JsonText& out) {
  out.BeginObject()
      .Member("uid", b.uid)
      .Member("rule_id", b.rule_id)
      .Member("title", b.title)
      .Member("severity", SeverityEnum(b.severity))
      .Member("status", StatusEnum(b.status))
      .Member("resource_id", b.resource_id)
      .Member("resource_type", b.resource_type)
      .Member("resource_name", b.resource_name)
      .Member("account", b.account)
      .Member("baseline_state", BaselineStateName(BaselineState::kResolved))
      .Member("first_seen_at", internal::Iso8601(b.first_seen))
      .EndObject();
}

// The comparison's counts, in the summary.
Json BaselineCountsJson(const BaselineComparison& comparison) {
  const BaselineCounts& c = comparison.counts();
  return {{"format", comparison.baseline().format},
          {"new", c.new_findings},
          {"unchanged", c.unchanged},
          {"updated", c.updated},
          {"resolved", c.resolved},
          {"not_covered", c.not_covered}};
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
    text_.clear();
    // Inside "findings": [...] at two spaces: each finding's lines four spaces in, dump(2) style.
    core::JsonText json(&text_, 2, 2);
    if (options_.baseline != nullptr) {
      const BaselineComparison::Mark mark = options_.baseline->Record(finding, options_.time);
      WriteFinding(finding, &mark, options_.severity_trace, json);
    } else {
      WriteFinding(finding, nullptr, options_.severity_trace, json);
    }
    findings_.AddText(text_);
  }

  absl::Status Finish(const model::ScanSummary& summary) override {
    Start();
    findings_.Close();
    Json tail = {{"summary", SummaryJson(summary)}};
    if (options_.baseline != nullptr) {
      // "resolved": the baseline's open findings gone from this scan, before the summary.
      out_ << ",\n  \"resolved\": ";
      internal::JsonArrayStream resolved(out_, 2);
      for (const BaselineFinding* b : options_.baseline->Gone(summary)) {
        text_.clear();
        core::JsonText json(&text_, 2, 2);
        WriteResolved(*b, json);
        resolved.AddText(text_);
      }
      resolved.Close();
      tail["summary"]["baseline"] = BaselineCountsJson(*options_.baseline);
    }
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
  std::string text_;  // reused: one finding's text
};

class JsonLinesWriter final : public FindingWriter {
 public:
  JsonLinesWriter(std::ostream& out, const RenderOptions& options) : out_(out), options_(options) {}

  void Write(const model::Finding& finding) override {
    if (!out_) return;
    text_.clear();
    core::JsonText json(&text_);
    if (options_.baseline != nullptr) {
      const BaselineComparison::Mark mark = options_.baseline->Record(finding, options_.time);
      WriteFinding(finding, &mark, options_.severity_trace, json);
    } else {
      WriteFinding(finding, nullptr, options_.severity_trace, json);
    }
    text_.push_back('\n');
    out_.write(text_.data(), static_cast<std::streamsize>(text_.size()));
  }

  absl::Status Finish(const model::ScanSummary& summary) override {
    Json last = HeaderJson(options_);
    last["summary"] = SummaryJson(summary);
    if (options_.baseline != nullptr) {
      // One line per baseline finding resolved by being gone, before the summary line.
      for (const BaselineFinding* b : options_.baseline->Gone(summary)) {
        text_.clear();
        core::JsonText json(&text_);
        WriteResolved(*b, json);
        text_.push_back('\n');
        out_.write(text_.data(), static_cast<std::streamsize>(text_.size()));
      }
      last["summary"]["baseline"] = BaselineCountsJson(*options_.baseline);
    }
    out_ << core::DumpJson(last) << '\n';
    return internal::FlushStatus(out_);
  }

 private:
  std::ostream& out_;
  const RenderOptions options_;
  std::string text_;  // reused: one finding's line
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
  return internal::HonorSeverityTrace(std::make_unique<JsonWriter>(out, options), options);
}

std::unique_ptr<FindingWriter> OpenJsonLinesWriter(std::ostream& out,
                                                   const RenderOptions& options) {
  return internal::HonorSeverityTrace(std::make_unique<JsonLinesWriter>(out, options), options);
}

}  // namespace kmsguard::render
