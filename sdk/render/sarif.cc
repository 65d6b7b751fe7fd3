// SARIF 2.1.0 (OASIS, errata 01 schema). Mapping choices (docs/findings.md):
// - tool.driver.rules: one reportingDescriptor per rule seen, sorted by id; properties carry
//   "security-severity" (the score code-scanning hosts rank by) and tags with the controls.
// - FAIL and WARNING -> result kind "fail"; the level follows the severity (SarifLevel): critical
//   and high -> "error", medium -> "warning", low and informational -> "note", and a WARNING is at
//   most "warning" (a conditional grant is not an error). A SUPPRESSED result keeps the level of
//   the verdict it suppresses. Each rule's defaultConfiguration.level is its severity's level.
// - PASS findings are not results: SARIF's kind "pass" exists, but code-scanning hosts do not
//   document it and would raise alerts. They are counted in run.properties.summary.
// - ERROR findings (a rule could not be evaluated) are tool execution notifications of the
//   invocation (level "error", associatedRule), not results: they are not findings about the
//   code but about the run.
// - locations: physicalLocation with the input file (and region.startLine when the source
//   location has a line), and always a logicalLocation naming the principal by ARN.
// - partialFingerprints["kmsguardFindingUid/v1"] = the finding uid, so hosts match results across
//   runs by identity rather than by line.
// - One run of at most RenderOptions::sarif_max_results results (25,000, what GitHub code scanning
//   accepts per run; it also refuses more than 20 runs per file). Past it, the most severe are kept
//   (FAIL before WARNING before SUPPRESSED, then by severity, then in arrival order) and the rest
//   are counted in a toolExecutionNotification (level "warning", descriptor
//   "sarif_results_capped") and in notices(). Splitting into runs was not chosen: code scanning
//   wants one run per tool and category, and results moving between runs as counts change would
//   close and reopen alerts.
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "sdk/core/json_text.h"
#include "sdk/render/baseline.h"
#include "sdk/render/render.h"
#include "sdk/render/render_support.h"
#include "sdk/render/spool.h"

namespace kmsguard::render {

namespace {

using Json = nlohmann::ordered_json;

constexpr char kSchemaUri[] =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
constexpr char kFingerprintKey[] = "kmsguardFindingUid/v1";

// The order results are kept in when a run cannot hold them all: 0 is kept first.
int KeepRank(const model::Finding& f) {
  const int status_rank = f.status == model::Status::kFail      ? 0
                          : f.status == model::Status::kWarning ? 1
                                                                : 2;  // SUPPRESSED
  return status_rank * 5 + (4 - static_cast<int>(f.severity));
}
constexpr int kRanks = 15;

// GitHub code scanning's bands: critical > 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9.
std::string SecuritySeverity(model::Severity severity) {
  constexpr std::string_view kScores[] = {"0.0", "3.0", "5.5", "8.0", "9.5"};
  return std::string(kScores[static_cast<int>(severity)]);
}

// SARIF's level for a finding of `severity` (critical/high "error", medium "warning",
// low/informational "note"); a WARNING verdict is at most "warning".
std::string SarifLevel(model::Severity severity, model::Status status = model::Status::kFail) {
  if (severity <= model::Severity::kLow) return "note";
  if (severity == model::Severity::kMedium || status == model::Status::kWarning) return "warning";
  return "error";
}

// "aws-iam-inline-kms-decrypt-all-keys" -> "AwsIamInlineKmsDecryptAllKeys".
std::string RuleName(std::string_view id) {
  std::string out;
  bool upper = true;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      upper = true;
      continue;
    }
    out += upper ? absl::ascii_toupper(static_cast<unsigned char>(c)) : c;
    upper = false;
  }
  return out;
}

// A file path as a URI reference: absolute paths become file:// URIs; every byte outside the
// unreserved set and "/" is percent-encoded (RFC 3986).
std::string UriReference(std::string_view path) {
  std::string out = path.size() > 0 && path[0] == '/' ? "file://" : "";
  for (char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out += c;
    } else {
      out += absl::StrFormat("%%%02X", u);
    }
  }
  return out;
}

std::string Controls(const model::Finding& f) {
  std::vector<std::string> refs;
  for (const model::ComplianceRef& ref : f.compliance) {
    refs.push_back(absl::StrCat(ref.standard, " ", ref.control));
  }
  return absl::StrJoin(refs, "; ");
}

Json RuleJson(const model::Finding& f) {
  const std::string controls = Controls(f);
  const std::string url = internal::FirstControlUrl(f.compliance);
  std::string full = f.title;
  if (!controls.empty()) absl::StrAppend(&full, ". Compliance: ", controls, ".");
  std::string help = absl::StrCat(
      f.title, ".",
      " Each result's message names the principal and policy; its properties.remediation has "
      "console steps, ready-to-paste AWS CLI commands and Terraform for that principal, with a "
      "generated least-privilege replacement of the failing policy.");
  if (!url.empty()) absl::StrAppend(&help, " Reference: ", url);
  Json tags = Json::array({"security"});
  for (const model::ComplianceRef& ref : f.compliance) {
    if (!ref.control.empty()) tags.push_back(ref.control);
  }
  Json rule = {{"id", f.rule_id},
               {"name", RuleName(f.rule_id)},
               {"shortDescription", {{"text", f.title.empty() ? f.rule_id : f.title}}},
               {"fullDescription", {{"text", full.empty() ? f.rule_id : full}}},
               {"help", {{"text", help}}}};
  if (!url.empty()) rule["helpUri"] = url;
  rule["defaultConfiguration"] = {{"level", SarifLevel(f.severity)}};
  rule["properties"] = {{"security-severity", SecuritySeverity(f.severity)},
                        {"tags", std::move(tags)}};
  if (!f.rule_version.empty()) rule["properties"]["version"] = f.rule_version;
  return rule;
}

Json Locations(const model::Finding& f) {
  Json location = Json::object();
  if (!f.source.file.empty()) {
    Json physical = {{"artifactLocation", {{"uri", UriReference(f.source.file)}}}};
    if (f.source.line > 0) {
      Json region = {{"startLine", f.source.line}};
      if (f.source.column > 0) region["startColumn"] = f.source.column;
      physical["region"] = std::move(region);
    }
    location["physicalLocation"] = std::move(physical);
  }
  Json logical = {{"name", f.resource_name.empty() ? f.resource_id : f.resource_name},
                  {"fullyQualifiedName", f.resource_id},
                  {"kind", "resource"}};
  location["logicalLocations"] = Json::array({std::move(logical)});
  if (!f.source.json_pointer.empty()) {
    location["properties"] = {{"jsonPointer", f.source.json_pointer}};
  }
  return Json::array({std::move(location)});
}

Json ResultProperties(const model::Finding& f) {
  Json evidence = Json::array();
  for (const model::Evidence& e : f.evidence) evidence.push_back(internal::EvidenceLine(e));
  Json out = {{"status", std::string(model::StatusName(f.status))},
              {"severity", std::string(model::SeverityName(f.severity))},
              {"conditional", f.conditional},
              {"evidence", std::move(evidence)},
              {"remediation",
               {{"summary", f.remediation.summary},
                {"console", f.remediation.console},
                {"cli", f.remediation.cli},
                {"terraform", f.remediation.terraform}}}};
  if (!f.sub_key.empty()) out["subKey"] = f.sub_key;
  if (!f.exposure.empty()) out["exposure"] = f.exposure;
  if (!f.exposed_to.empty()) out["exposedTo"] = f.exposed_to;
  if (!f.severity_changes.empty()) {
    // `level` and `severity` are the effective severity's; these say what the rule states and
    // how it came to this one.
    out["ruleSeverity"] = std::string(model::SeverityName(f.RuleSeverity()));
    Json changes = Json::array();
    for (const model::SeverityChange& change : f.severity_changes) {
      changes.push_back({{"from", std::string(model::SeverityName(change.from))},
                         {"to", std::string(model::SeverityName(change.to))},
                         {"reason", change.reason}});
    }
    out["severityChanges"] = std::move(changes);
  }
  return out;
}

std::string Dump(const Json& json) { return core::DumpJson(json, 2); }

// `json` dumped as nlohmann's dump(2) would inside a value indented by `indent` spaces. Strings
// are dumped with their newlines escaped, so every newline is the dump's own.
std::string Indented(const Json& json, std::size_t indent) {
  const std::string text = Dump(json);
  const std::string margin = "\n" + std::string(indent, ' ');
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  std::size_t from = 0;
  for (std::size_t newline; (newline = text.find('\n', from)) != std::string::npos;
       from = newline + 1) {
    out.append(text, from, newline - from).append(margin);
  }
  return out.append(text, from, std::string::npos);
}

// The log as RenderSarif always wrote it (one ordered_json dumped with indent 2), written piece
// by piece: the rules (one entry per rule) and the counts are kept as findings arrive, ERROR
// findings (notifications, which come first) and results wait in two spools until Finish, when
// every rule index is known.
class SarifWriter final : public FindingWriter {
 public:
  SarifWriter(std::ostream& out, const RenderOptions& options)
      : out_(out),
        options_(options),
        notifications_(options.memory_budget_bytes / 2),
        results_(options.memory_budget_bytes / 2) {}

  void Write(const model::Finding& f) override { Keep(f); }
  void Take(model::Finding&& f) override { Keep(std::move(f)); }

  // Counts the finding, and keeps it for the results (a copy, or the finding itself when taken).
  template <class F>
  void Keep(F&& f) {
    if (options_.baseline != nullptr) options_.baseline->Record(f, options_.time);
    // Rule metadata comes from the rule's findings; the least severe one carries the rule's own
    // severity (a finding's severity may have been raised, e.g. for outside exposure).
    auto it = rule_source_.find(f.rule_id);
    if (it == rule_source_.end()) {
      rule_source_.emplace(f.rule_id, f);
    } else if (f.severity < it->second.severity) {
      it->second = f;
    }
    switch (f.status) {
      case model::Status::kPass:
        ++pass_omitted_;
        return;
      case model::Status::kError:
        notifications_.Add(f);
        return;
      case model::Status::kFail:
      case model::Status::kWarning:
      case model::Status::kSuppressed:
        ++rank_counts_[KeepRank(f)];
        results_.Add(std::forward<F>(f));
        return;
    }
  }

  std::vector<std::string> notices() const override {
    if (dropped_ == 0) return {};
    return {DroppedText()};
  }

  absl::Status Finish(const model::ScanSummary& summary) override {
    // A log that looks complete but lacks results would clear every alert where it is uploaded:
    // on a spill error nothing is written, and a read-back error stops the output where it is.
    if (!notifications_.status().ok()) return notifications_.status();
    if (!results_.status().ok()) return results_.status();
    Json rules = Json::array();
    std::map<std::string, int> rule_index;
    for (const auto& [id, f] : rule_source_) {
      rule_index[id] = static_cast<int>(rules.size());
      rules.push_back(RuleJson(f));
    }
    Json driver = {{"name", options_.product.name}};
    if (!options_.product.version.empty()) {
      driver["version"] = options_.product.version;
      driver["semanticVersion"] = options_.product.version;
    }
    driver["rules"] = std::move(rules);
    out_ << "{\n  \"$schema\": " << Dump(kSchemaUri) << ",\n  \"version\": \"2.1.0\",\n"
         << "  \"runs\": [\n    {\n      \"tool\": "
         << Indented(Json{{"driver", std::move(driver)}}, 6)
         << ",\n      \"invocations\": [\n        {\n          \"executionSuccessful\": true,\n"
         << "          \"endTimeUtc\": " << Dump(internal::Iso8601(options_.time));

    // Which results fit: every rank better than `last_rank`, and the first `last_rank_room` of it.
    const std::size_t max_results = options_.sarif_max_results;
    int last_rank = kRanks;
    std::size_t last_rank_room = 0;
    {
      std::size_t room = max_results;
      for (int rank = 0; rank < kRanks; ++rank) {
        if (rank_counts_[rank] > room) {
          last_rank = rank;
          last_rank_room = room;
          break;
        }
        room -= rank_counts_[rank];
      }
    }
    dropped_ = results_.count() > max_results ? results_.count() - max_results : 0;
    for (int rank = 0; rank < kRanks; ++rank) {
      if (rank < last_rank) continue;
      const std::size_t kept = rank == last_rank ? last_rank_room : 0;
      if (rank / 5 == 0) dropped_fail_ += rank_counts_[rank] - kept;
    }

    absl::Status status = absl::OkStatus();
    const char* separator = "";
    if (notifications_.count() > 0 || dropped_ > 0) {
      out_ << ",\n          \"toolExecutionNotifications\": [\n";
    }
    if (dropped_ > 0) {
      const Json notification = {{"level", "warning"},
                                 {"message", {{"text", DroppedText()}}},
                                 {"descriptor", {{"id", "sarif_results_capped"}}}};
      out_ << separator << "            " << Indented(notification, 12);
      separator = ",\n";
    }
    if (notifications_.count() > 0) {
      status.Update(notifications_.ForEach([&](const model::Finding& f) {
        const Json notification = {
            {"level", "error"},
            {"message", {{"text", f.message}}},
            {"descriptor", {{"id", "eval_error"}}},
            {"associatedRule", {{"id", f.rule_id}, {"index", rule_index[f.rule_id]}}},
            {"locations", Locations(f)}};
        out_ << separator << "            " << Indented(notification, 12);
        separator = ",\n";
      }));
      if (!status.ok()) return status;
    }
    if (notifications_.count() > 0 || dropped_ > 0) out_ << "\n          ]";
    out_ << "\n        }\n      ],\n      \"results\": ";
    // With a baseline, its open findings gone from this scan (which covered them) follow the
    // results as baselineState "absent".
    std::vector<Json> absent;
    if (options_.baseline != nullptr) {
      for (const BaselineFinding* b : options_.baseline->Gone(summary)) {
        absent.push_back(AbsentJson(*b, rule_index));
      }
    }
    if (results_.count() == 0 && absent.empty()) {
      out_ << "[]";
    } else {
      out_ << "[\n";
      separator = "";
      std::size_t last_rank_taken = 0;
      status.Update(results_.ForEach([&](const model::Finding& f) {
        const int rank = KeepRank(f);
        if (rank > last_rank || (rank == last_rank && last_rank_taken++ >= last_rank_room)) return;
        Json result = ResultJson(f, rule_index[f.rule_id]);
        if (options_.baseline != nullptr) AddBaseline(f, result);
        out_ << separator << "        " << Indented(result, 8);
        separator = ",\n";
      }));
      if (!status.ok()) return status;
      for (const Json& result : absent) {
        out_ << separator << "        " << Indented(result, 8);
        separator = ",\n";
      }
      out_ << "\n      ]";
    }
    const Json run_summary = {{"resourcesReceived", summary.resources_received},
                              {"resourcesEvaluated", summary.resources_evaluated},
                              {"resourceErrors", summary.resource_errors},
                              {"pass", summary.pass},
                              {"warning", summary.warning},
                              {"fail", summary.fail},
                              {"error", summary.error},
                              {"passNotListed", pass_omitted_},
                              {"resultsNotListed", static_cast<std::int64_t>(dropped_)},
                              {"accounts", summary.accounts},
                              {"regions", summary.regions},
                              {"resourceTypes", summary.resource_types}};
    out_ << ",\n      \"properties\": " << Indented(Json{{"summary", run_summary}}, 6)
         << "\n    }\n  ]\n}\n";
    out_.flush();
    if (!status.ok()) return status;
    if (!out_) return absl::InternalError("the output stream failed");
    return absl::OkStatus();
  }

 private:
  static Json ResultJson(const model::Finding& f, int index) {
    Json result = {{"ruleId", f.rule_id},
                   {"ruleIndex", index},
                   {"kind", "fail"},
                   {"level", SarifLevel(f.severity, f.status)},
                   {"message", {{"text", f.message.empty() ? f.title : f.message}}},
                   {"locations", Locations(f)},
                   {"partialFingerprints", {{kFingerprintKey, FindingUid(f)}}},
                   {"properties", ResultProperties(f)}};
    if (f.status == model::Status::kSuppressed) {
      // SARIF's own field: viewers hide accepted results by default instead of losing them.
      result["level"] = SarifLevel(f.severity, f.suppression.status);
      result["suppressions"] = Json::array(
          {{{"kind", "external"},
            {"status", "accepted"},
            {"justification", f.suppression.reason},
            {"properties", {{"owner", f.suppression.owner}, {"expires", f.suppression.expires}}}}});
    }
    return result;
  }

  // SARIF's baselineState: new, unchanged, updated. A result that is present is never "absent":
  // one open before and suppressed now is "updated".
  void AddBaseline(const model::Finding& f, Json& result) const {
    const BaselineComparison::Mark mark = options_.baseline->Classify(f, options_.time);
    std::string_view state = "new";
    if (mark.state == BaselineState::kUnchanged) state = "unchanged";
    if (mark.state == BaselineState::kUpdated || mark.state == BaselineState::kResolved) {
      state = "updated";
    }
    result["baselineState"] = state;
    // What a later --baseline needs to decide coverage, and when it was first seen.
    result["properties"]["firstSeenAt"] = internal::Iso8601(mark.first_seen);
    result["properties"]["resourceType"] = f.resource_type;
    result["properties"]["account"] = f.account;
  }

  Json AbsentJson(const BaselineFinding& b, const std::map<std::string, int>& rule_index) const {
    Json location = {{"logicalLocations",
                      Json::array({{{"name", b.resource_name.empty() ? b.resource_id
                                                                      : b.resource_name},
                                    {"fullyQualifiedName", b.resource_id},
                                    {"kind", "resource"}}})}};
    Json result = {{"ruleId", b.rule_id}};
    if (auto it = rule_index.find(b.rule_id); it != rule_index.end()) {
      result["ruleIndex"] = it->second;
    }
    result["kind"] = "pass";
    result["level"] = "none";
    result["message"] = {{"text", absl::StrCat("Resolved: no longer reported (was ",
                                               std::string(model::StatusName(b.status)), ").")}};
    result["locations"] = Json::array({std::move(location)});
    result["partialFingerprints"] = {{kFingerprintKey, b.uid}};
    result["baselineState"] = "absent";
    result["properties"] = {{"status", std::string(model::StatusName(b.status))},
                            {"severity", std::string(model::SeverityName(b.severity))},
                            {"firstSeenAt", internal::Iso8601(b.first_seen)},
                            {"resourceType", b.resource_type},
                            {"account", b.account}};
    return result;
  }

  std::string DroppedText() const {
    return absl::StrCat(dropped_, " of ", results_.count(), " result(s) (", dropped_fail_,
                        " FAIL) are not in the SARIF run: it holds at most ",
                        options_.sarif_max_results,
                        " (GitHub code scanning's limit per run); the most severe were kept. The "
                        "JSON, JSONL and OCSF outputs hold every finding.");
  }

  std::ostream& out_;
  const RenderOptions options_;
  std::size_t rank_counts_[kRanks] = {};
  std::size_t dropped_ = 0;
  std::size_t dropped_fail_ = 0;
  std::map<std::string, model::Finding> rule_source_;
  std::int64_t pass_omitted_ = 0;
  internal::ArrivalSpool notifications_;
  internal::ArrivalSpool results_;
};

}  // namespace

std::string RenderSarif(const std::vector<model::Finding>& findings,
                        const model::ScanSummary& summary, const RenderOptions& options) {
  return internal::RenderThroughWriter(&OpenSarifWriter, findings, summary, options);
}

std::unique_ptr<FindingWriter> OpenSarifWriter(std::ostream& out, const RenderOptions& options) {
  return internal::HonorSeverityTrace(std::make_unique<SarifWriter>(out, options), options);
}

}  // namespace kmsguard::render
