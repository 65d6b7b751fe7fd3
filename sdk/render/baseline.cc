// The baseline reader and the comparison (baseline.h). The earlier output is small next to a
// snapshot and read once: nlohmann_json, whose parse errors give the byte where the text stops
// being JSON. The format is judged from the content, never from the file name.
#include "sdk/render/baseline.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "sdk/core/arn.h"

namespace kmsguard::render {

namespace {

using Json = nlohmann::json;
using TimePoint = std::chrono::system_clock::time_point;

constexpr char kFingerprintKey[] = "kmsguardFindingUid/v1";

// The first logical location of a SARIF result (kmsguard names the resource there), or null.
const Json* LogicalLocation(const Json& result) {
  const auto locations = result.find("locations");
  if (locations == result.end() || !locations->is_array() || locations->empty()) return nullptr;
  const Json& first = locations->front();
  if (!first.is_object()) return nullptr;
  const auto logical = first.find("logicalLocations");
  if (logical == first.end() || !logical->is_array() || logical->empty() ||
      !logical->front().is_object()) {
    return nullptr;
  }
  return &logical->front();
}

// The account field of an ARN (arn:partition:service:region:account:resource), or "".
std::string AccountOfArn(std::string_view arn) {
  const std::optional<core::ArnFields> fields = core::SplitArn(arn);
  return fields ? std::string(fields->account) : "";
}


// Reads one format's findings, collecting every problem with its place.
class Reader {
 public:
  explicit Reader(std::string_view file) : file_(file) {}

  void Error(std::string message, std::string pointer, int line = 0, int column = 0) {
    core::Diagnostic d;
    d.code = "baseline_error";
    d.message = std::move(message);
    d.location.file = file_;
    d.location.json_pointer = std::move(pointer);
    d.location.line = line;
    d.location.column = column;
    read_.diagnostics.push_back(std::move(d));
  }

  // The string member `key` of `object` (at `pointer`); "" and an error when missing.
  std::string String(const Json& object, std::string_view key, const std::string& pointer) {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_string()) {
      Error(absl::StrCat("expected a string \"", std::string(key), "\""),
            absl::StrCat(pointer, "/", std::string(key)));
      return "";
    }
    return it->get<std::string>();
  }

  // The object at `json[key]`, or an error naming where it is missing.
  const Json* Object(const Json& json, std::string_view key, const std::string& pointer) {
    const auto it = json.find(key);
    if (it == json.end() || !it->is_object()) {
      Error(absl::StrCat("expected an object \"", std::string(key), "\""),
            absl::StrCat(pointer, "/", std::string(key)));
      return nullptr;
    }
    return &*it;
  }

  std::optional<TimePoint> Time(const std::string& text, const std::string& pointer) {
    absl::Time time;
    std::string why;
    if (!absl::ParseTime(absl::RFC3339_full, text, &time, &why)) {
      Error(absl::StrCat("not an RFC 3339 time: \"", text, "\" (", why, ")"), pointer);
      return std::nullopt;
    }
    return absl::ToChronoTime(time);
  }

  void Status(const std::string& text, const std::string& pointer, model::Status* out) {
    std::string_view name = text;
    if (name.starts_with("STATUS_")) name.remove_prefix(7);
    for (model::Status s : {model::Status::kPass, model::Status::kWarning, model::Status::kFail,
                            model::Status::kError, model::Status::kSuppressed}) {
      if (model::StatusName(s) == name) {
        *out = s;
        return;
      }
    }
    Error(absl::StrCat("unknown status \"", text, "\""), pointer);
  }

  void Severity(const std::string& text, const std::string& pointer, model::Severity* out) {
    std::string name = text;
    if (std::string_view(name).starts_with("SEVERITY_")) name = name.substr(9);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!model::ParseSeverity(name, out)) {
      Error(absl::StrCat("unknown severity \"", text, "\""), pointer);
    }
  }

  // A finding object of kmsguard's JSON (RenderJson, one JSONL line).
  void KmsguardFinding(const Json& f, const std::string& pointer, TimePoint generated,
                       int line = 0) {
    if (!f.is_object()) {
      Error("expected a finding object", pointer, line);
      return;
    }
    BaselineFinding b;
    b.where.file = file_;
    b.where.json_pointer = pointer;
    b.where.line = line;
    b.uid = String(f, "uid", pointer);
    b.rule_id = String(f, "rule_id", pointer);
    b.title = f.value("title", "");
    b.resource_id = String(f, "resource_id", pointer);
    b.resource_type = String(f, "resource_type", pointer);
    b.resource_name = f.value("resource_name", "");
    b.account = String(f, "account", pointer);
    Status(String(f, "status", pointer), pointer + "/status", &b.status);
    Severity(String(f, "severity", pointer), pointer + "/severity", &b.severity);
    b.first_seen = generated;
    if (f.contains("first_seen_at")) {
      if (auto t = Time(String(f, "first_seen_at", pointer), pointer + "/first_seen_at")) {
        b.first_seen = *t;
      }
    }
    // A finding an earlier baseline already called resolved (gone) is not open any more.
    if (f.value("baseline_state", "") == "RESOLVED") b.status = model::Status::kPass;
    Add(std::move(b));
  }

  void ReadJson(const Json& root) {
    read_.baseline.format = "json";
    const TimePoint generated = GeneratedAt(root, "");
    const auto findings = root.find("findings");
    if (findings == root.end() || !findings->is_array()) {
      Error("expected an array \"findings\"", "/findings");
      return;
    }
    for (std::size_t i = 0; i < findings->size(); ++i) {
      KmsguardFinding((*findings)[i], absl::StrCat("/findings/", i), generated);
    }
  }

  TimePoint GeneratedAt(const Json& header, const std::string& pointer) {
    if (auto t = Time(String(header, "generated_at", pointer), pointer + "/generated_at")) {
      return *t;
    }
    return {};
  }

  void ReadJsonLines(std::string_view text) {
    read_.baseline.format = "jsonl";
    std::vector<std::pair<Json, int>> lines;
    int number = 0;
    const Json* last = nullptr;
    for (std::size_t start = 0; start <= text.size();) {
      std::size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      const std::string_view line = text.substr(start, end - start);
      start = end + 1;
      ++number;
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      Json value = Json::parse(line, nullptr, false);
      if (value.is_discarded()) {
        // Where in the line: nlohmann's error names the byte.
        try {
          [[maybe_unused]] const Json unused = Json::parse(line);
        } catch (const Json::parse_error& e) {
          Error(absl::StrCat("not JSON: ", e.what()), "", number,
                static_cast<int>(std::max<std::size_t>(e.byte, 1)));
        }
        continue;
      }
      if (last != nullptr) {
        Error("a line follows the summary line, which ends a JSON Lines output", "", number, 1);
        return;
      }
      lines.emplace_back(std::move(value), number);
      if (lines.back().first.is_object() && lines.back().first.contains("summary")) {
        last = &lines.back().first;
      }
    }
    if (!read_.diagnostics.empty()) return;
    if (last == nullptr) {
      Error("no summary line: the JSON Lines output is incomplete", "", number, 1);
      return;
    }
    const TimePoint generated = GeneratedAt(*last, "");
    for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
      KmsguardFinding(lines[i].first, "", generated, lines[i].second);
    }
  }

  void ReadOcsf(const Json& root) {
    read_.baseline.format = "ocsf";
    for (std::size_t i = 0; i < root.size(); ++i) {
      const Json& event = root[i];
      const std::string pointer = absl::StrCat("/", i);
      if (!event.is_object() || event.value("class_uid", 0) != 2003) {
        Error("expected an OCSF Compliance Finding (class_uid 2003)", pointer);
        continue;
      }
      BaselineFinding b;
      b.where.file = file_;
      b.where.json_pointer = pointer;
      const Json* info = Object(event, "finding_info", pointer);
      const Json* compliance = Object(event, "compliance", pointer);
      const Json* cloud = Object(event, "cloud", pointer);
      const auto resources = event.find("resources");
      if (info == nullptr || compliance == nullptr || cloud == nullptr) continue;
      if (resources == event.end() || !resources->is_array() || resources->empty() ||
          !resources->front().is_object()) {
        Error("expected a non-empty array \"resources\"", pointer + "/resources");
        continue;
      }
      b.uid = String(*info, "uid", pointer + "/finding_info");
      b.title = info->value("title", "");
      if (const Json* analytic = Object(*info, "analytic", pointer + "/finding_info")) {
        b.rule_id = String(*analytic, "uid", pointer + "/finding_info/analytic");
      }
      b.resource_id = String(resources->front(), "uid", pointer + "/resources/0");
      b.resource_type = String(resources->front(), "type", pointer + "/resources/0");
      b.resource_name = resources->front().value("name", "");
      if (const Json* account = Object(*cloud, "account", pointer + "/cloud")) {
        b.account = String(*account, "uid", pointer + "/cloud/account");
      }
      Status(String(*compliance, "status_code", pointer + "/compliance"),
             pointer + "/compliance/status_code", &b.status);
      const int severity_id = event.value("severity_id", 0);
      if (severity_id < 1 || severity_id > 5) {
        Error("expected severity_id 1 to 5", pointer + "/severity_id");
      } else {
        b.severity = static_cast<model::Severity>(severity_id - 1);
      }
      const auto ms = info->contains("first_seen_time") ? info->value("first_seen_time", 0LL)
                                                          : event.value("time", 0LL);
      b.first_seen = TimePoint(std::chrono::milliseconds(ms));
      if (event.value("status_id", 0) == 4) b.status = model::Status::kPass;  // Resolved
      Add(std::move(b));
    }
  }

  void ReadSarif(const Json& root) {
    read_.baseline.format = "sarif";
    read_.baseline.lists_passing = false;
    const auto runs = root.find("runs");
    if (runs == root.end() || !runs->is_array()) {
      Error("expected an array \"runs\"", "/runs");
      return;
    }
    for (std::size_t r = 0; r < runs->size(); ++r) {
      const std::string run_pointer = absl::StrCat("/runs/", r);
      const Json& run = (*runs)[r];
      TimePoint generated{};
      if (run.contains("invocations") && run["invocations"].is_array() &&
          !run["invocations"].empty() && run["invocations"][0].contains("endTimeUtc")) {
        if (auto t = Time(run["invocations"][0].value("endTimeUtc", ""),
                          run_pointer + "/invocations/0/endTimeUtc")) {
          generated = *t;
        }
      }
      const auto results = run.find("results");
      if (results == run.end() || !results->is_array()) {
        Error("expected an array \"results\"", run_pointer + "/results");
        continue;
      }
      for (std::size_t i = 0; i < results->size(); ++i) {
        const std::string pointer = absl::StrCat(run_pointer, "/results/", i);
        const Json& result = (*results)[i];
        if (!result.is_object()) {
          Error("expected a result object", pointer);
          continue;
        }
        const Json* fingerprints = Object(result, "partialFingerprints", pointer);
        const Json* properties = Object(result, "properties", pointer);
        if (fingerprints == nullptr || properties == nullptr) continue;
        BaselineFinding b;
        b.where.file = file_;
        b.where.json_pointer = pointer;
        b.uid = String(*fingerprints, kFingerprintKey, pointer + "/partialFingerprints");
        b.rule_id = String(result, "ruleId", pointer);
        const std::string props = pointer + "/properties";
        Status(String(*properties, "status", props), props + "/status", &b.status);
        Severity(String(*properties, "severity", props), props + "/severity", &b.severity);
        // kmsguard's SARIF names the resource in the logical location and the account and type
        // in the result's properties; what SARIF lacks (older outputs) stays empty and then
        // only resolves by being reported again.
        const Json* logical = LogicalLocation(result);
        if (logical == nullptr) {
          Error("expected locations[0].logicalLocations[0] naming the resource",
                pointer + "/locations");
          continue;
        }
        b.resource_id = logical->value("fullyQualifiedName", "");
        b.resource_name = logical->value("name", "");
        b.resource_type = properties->value("resourceType", "");
        b.account = properties->value("account", AccountOfArn(b.resource_id));
        b.first_seen = generated;
        if (properties->contains("firstSeenAt")) {
          if (auto t = Time(properties->value("firstSeenAt", ""), props + "/firstSeenAt")) {
            b.first_seen = *t;
          }
        }
        if (result.value("baselineState", "") == "absent") b.status = model::Status::kPass;
        Add(std::move(b));
      }
    }
  }

  void Add(BaselineFinding b) { read_.baseline.findings.push_back(std::move(b)); }

  BaselineRead Take() {
    if (!read_.diagnostics.empty()) read_.baseline = {};
    return std::move(read_);
  }

 private:
  std::string file_;
  BaselineRead read_;
};

// 1-based line and column of byte `offset` (0-based) of `text`.
std::pair<int, int> LineColumn(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  int line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return {line, static_cast<int>(offset - line_start) + 1};
}

}  // namespace

std::string_view BaselineStateName(BaselineState state) {
  switch (state) {
    case BaselineState::kNone:
      return "";
    case BaselineState::kNew:
      return "NEW";
    case BaselineState::kUnchanged:
      return "UNCHANGED";
    case BaselineState::kUpdated:
      return "UPDATED";
    case BaselineState::kResolved:
      return "RESOLVED";
  }
  return "";
}

bool IsOpen(model::Status status) {
  return status == model::Status::kFail || status == model::Status::kWarning ||
         status == model::Status::kError;
}

BaselineRead ReadBaseline(std::string_view text, std::string_view file) {
  Reader reader(file);
  Json root;
  try {
    root = Json::parse(text);
  } catch (const Json::parse_error& whole) {
    // Not one JSON document: JSON Lines when its first line is a kmsguard finding or summary.
    const std::string_view first = text.substr(0, text.find('\n'));
    const Json line = Json::parse(first, nullptr, false);
    if (line.is_object() && (line.contains("uid") || line.contains("summary"))) {
      reader.ReadJsonLines(text);
      return reader.Take();
    }
    const auto [l, c] = LineColumn(text, whole.byte > 0 ? whole.byte - 1 : 0);
    reader.Error(absl::StrCat("not a JSON, JSON Lines, OCSF or SARIF output of kmsguard: ",
                              whole.what()),
                 "", l, c);
    return reader.Take();
  }
  if (root.is_object() && root.value("format", "") == "kmsguard.findings.v1") {
    if (root.contains("findings")) {
      reader.ReadJson(root);
    } else {
      reader.ReadJsonLines(text);  // a JSON Lines output of no finding: its summary line only
    }
  } else if (root.is_object() && root.contains("runs") && root.value("version", "") == "2.1.0") {
    reader.ReadSarif(root);
  } else if (root.is_array()) {
    if (!root.empty() && root[0].is_object() && root[0].contains("SchemaVersion")) {
      reader.Error("ASFF is not read as a baseline (Security Hub keeps ASFF history itself); "
                   "give a json, jsonl, ocsf or sarif output",
                   "/0");
    } else {
      reader.ReadOcsf(root);
    }
  } else if (root.is_object() && (root.contains("uid") || root.contains("summary"))) {
    reader.ReadJsonLines(text);  // one finding line alone is still JSON Lines
  } else {
    reader.Error("not a kmsguard output: expected \"format\": \"kmsguard.findings.v1\" (json), "
                 "an OCSF array or a SARIF 2.1.0 log",
                 "");
  }
  return reader.Take();
}

model::Finding GoneFinding(const BaselineFinding& b) {
  model::Finding gone;
  gone.rule_id = b.rule_id;
  gone.title = b.title;
  gone.severity = b.severity;
  gone.status = b.status;
  gone.resource_id = b.resource_id;
  gone.resource_type = b.resource_type;
  gone.resource_name = b.resource_name;
  gone.account = b.account;
  gone.provider = "aws";
  gone.message = absl::StrCat("Resolved: no longer reported by this scan (was ",
                              std::string(model::StatusName(b.status)), ").");
  return gone;
}

BaselineComparison::BaselineComparison(Baseline baseline) : baseline_(std::move(baseline)) {
  for (std::size_t i = 0; i < baseline_.findings.size(); ++i) {
    by_uid_[baseline_.findings[i].uid] = i;  // a repeated uid: the last one read
  }
}

BaselineComparison::Mark BaselineComparison::Classify(const model::Finding& finding,
                                                      TimePoint now) const {
  return Classify(FindingUid(finding), finding, now);
}

BaselineComparison::Mark BaselineComparison::Classify(std::string uid,
                                                      const model::Finding& finding,
                                                      TimePoint now) const {
  Mark mark;
  mark.first_seen = now;
  mark.uid = std::move(uid);
  const auto it = by_uid_.find(mark.uid);
  const BaselineFinding* before = it == by_uid_.end() ? nullptr : &baseline_.findings[it->second];
  if (IsOpen(finding.status)) {
    if (before == nullptr || !IsOpen(before->status)) {
      mark.state = BaselineState::kNew;
      return mark;
    }
    mark.state = before->status == finding.status && before->severity == finding.severity
                     ? BaselineState::kUnchanged
                     : BaselineState::kUpdated;
  } else if (before == nullptr) {
    mark.state = baseline_.lists_passing ? BaselineState::kNew : BaselineState::kUnchanged;
    return mark;
  } else if (IsOpen(before->status)) {
    mark.state = BaselineState::kResolved;
  } else {
    mark.state = before->status == finding.status ? BaselineState::kUnchanged
                                                  : BaselineState::kUpdated;
  }
  mark.first_seen = std::min(before->first_seen, now);
  return mark;
}

BaselineComparison::Mark BaselineComparison::Record(const model::Finding& finding,
                                                    TimePoint now) {
  const Mark mark = Classify(FindingUid(finding), finding, now);
  seen_.insert(mark.uid);
  switch (mark.state) {
    case BaselineState::kNew:
      ++counts_.new_findings;
      break;
    case BaselineState::kUnchanged:
      ++counts_.unchanged;
      break;
    case BaselineState::kUpdated:
      ++counts_.updated;
      break;
    case BaselineState::kResolved:
      ++counts_.resolved;
      break;
    case BaselineState::kNone:
      break;
  }
  return mark;
}

void BaselineComparison::MarkUnevaluated(std::string_view resource_id) {
  if (resource_id.empty()) {
    unknown_unevaluated_ = true;
  } else {
    unevaluated_.emplace(resource_id);
  }
}

std::vector<const BaselineFinding*> BaselineComparison::Gone(const model::ScanSummary& summary) {
  std::vector<const BaselineFinding*> gone;
  for (const BaselineFinding& b : baseline_.findings) {
    if (!IsOpen(b.status) || seen_.contains(b.uid)) continue;
    const bool covered = !unknown_unevaluated_ && summary.accounts.contains(b.account) &&
                         summary.rule_ids.contains(b.rule_id) &&
                         // A SARIF log written without a baseline names no resource type:
                         // its rule, which applies to known types, stands for it.
                         (b.resource_type.empty() ||
                          summary.resource_types.contains(b.resource_type)) &&
                         !unevaluated_.contains(b.resource_id);
    if (covered) {
      gone.push_back(&b);
      ++counts_.resolved;
    } else {
      ++counts_.not_covered;
    }
  }
  return gone;
}

}  // namespace kmsguard::render
