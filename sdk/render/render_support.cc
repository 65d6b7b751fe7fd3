#include "sdk/render/render_support.h"

#include <algorithm>
#include <ctime>
#include <limits>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace kmsguard::render::internal {

std::string Iso8601(std::chrono::system_clock::time_point time) {
  const std::int64_t ms = EpochMillis(time);
  std::int64_t seconds = ms / 1000;
  std::int64_t millis = ms % 1000;
  if (millis < 0) {  // before 1970: floor, not truncation toward zero
    millis += 1000;
    seconds -= 1;
  }
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                         utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                         static_cast<int>(millis));
}

std::int64_t EpochMillis(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

std::string Truncate(std::string_view text, std::size_t max_chars) {
  if (max_chars < 3) max_chars = 3;  // room for the "..."
  // Byte offsets of the first max_chars - 3 and max_chars code points.
  std::size_t chars = 0;
  std::size_t keep = text.size();  // where a cut text ends, before its "..."
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (chars + 3 == max_chars) keep = i;
    if (chars == max_chars) return std::string(text.substr(0, keep)) + "...";
    ++chars;
  }
  return std::string(text);
}

std::string ControlUrl(const model::ComplianceRef& ref) {
  if (ref.standard != "AWS Foundational Security Best Practices") return "";
  const std::size_t dot = ref.control.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == ref.control.size()) return "";
  const std::string service = absl::AsciiStrToLower(ref.control.substr(0, dot));
  for (char c : ref.control) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.') return "";
  }
  return absl::StrCat("https://docs.aws.amazon.com/securityhub/latest/userguide/", service,
                      "-controls.html#", service, "-", ref.control.substr(dot + 1));
}

std::string FirstControlUrl(const std::vector<model::ComplianceRef>& compliance) {
  for (const model::ComplianceRef& ref : compliance) {
    if (std::string url = ControlUrl(ref); !url.empty()) return url;
  }
  return "";
}

std::string PrincipalLabel(const model::Finding& f) {
  const std::size_t colons = f.resource_type.rfind("::");
  const std::string kind = absl::AsciiStrToLower(
      colons == std::string::npos ? f.resource_type : f.resource_type.substr(colons + 2));
  return absl::StrCat(kind, "/", f.resource_name.empty() ? f.resource_id : f.resource_name);
}

std::vector<std::string> PolicyNames(const model::Finding& f) {
  std::vector<std::string> names;
  for (const model::Evidence& e : f.evidence) {
    if (e.policy_name.empty()) continue;
    if (std::find(names.begin(), names.end(), e.policy_name) == names.end()) {
      names.push_back(e.policy_name);
    }
  }
  return names;
}

std::string EvidenceLine(const model::Evidence& e) {
  const auto quoted = [](const std::vector<std::string>& items) {
    return absl::StrCat("[\"", absl::StrJoin(items, "\", \""), "\"]");
  };
  std::string out = e.policy_name;
  if (e.statement_index >= 0) {
    absl::StrAppend(&out, " statement ", e.statement_index,
                    e.sid.empty() ? "" : absl::StrCat(" \"", e.sid, "\""), ": ", e.effect, " ",
                    absl::StrJoin(e.actions, ", "), " (", e.not_action ? "NotAction " : "Action ",
                    quoted(e.action_patterns), ") on ", e.not_resource ? "NotResource " : "Resource ",
                    quoted(e.resource_patterns));
    if (!e.condition_keys.empty()) {
      absl::StrAppend(&out, " [Condition set aside: ", absl::StrJoin(e.condition_keys, ", "), "]");
    }
  }
  if (!e.note.empty()) absl::StrAppend(&out, out.empty() ? "" : ": ", e.note);
  return out;
}

std::string CloudName(std::string_view provider) {
  if (provider.empty() || provider == "aws") return "AWS";
  if (provider == "gcp") return "Google Cloud";
  if (provider == "azure") return "Azure";
  return std::string(provider);
}

const char* CliTitle(const model::Finding& finding) {
  if (finding.provider.empty() || finding.provider == "aws") return "AWS CLI";
  if (finding.provider == "gcp") return "gcloud CLI";
  if (finding.provider == "azure") return "Azure CLI";
  return "CLI";
}

std::string RemediationText(const model::Finding& finding) {
  const model::Remediation& r = finding.remediation;
  std::string out = r.summary;
  const auto section = [&out](const char* title, const std::string& text) {
    if (text.empty()) return;
    absl::StrAppend(&out, out.empty() ? "" : "\n\n", title, ":\n", text);
  };
  section("Console", r.console);
  section(CliTitle(finding), r.cli);
  section("Terraform", r.terraform);
  return out;
}

int StatusRank(model::Status status) {
  switch (status) {
    case model::Status::kFail:
      return 0;
    case model::Status::kError:
      return 1;
    case model::Status::kWarning:
      return 2;
    case model::Status::kPass:
    case model::Status::kSuppressed:
      break;
  }
  return 3;
}

bool WorstFirst(const model::Finding& a, const model::Finding& b) {
  if (StatusRank(a.status) != StatusRank(b.status)) {
    return StatusRank(a.status) < StatusRank(b.status);
  }
  if (a.severity != b.severity) return a.severity > b.severity;
  return a.resource_id < b.resource_id;
}

namespace {

class WithoutSeverityTrace : public FindingWriter {
 public:
  explicit WithoutSeverityTrace(std::unique_ptr<FindingWriter> writer)
      : writer_(std::move(writer)) {}
  void Write(const model::Finding& finding) override {
    if (finding.severity_changes.empty()) return writer_->Write(finding);
    model::Finding shown = finding;
    shown.severity_changes.clear();
    writer_->Take(std::move(shown));
  }
  void Take(model::Finding&& finding) override {
    finding.severity_changes.clear();
    writer_->Take(std::move(finding));
  }
  absl::Status Finish(const model::ScanSummary& summary) override {
    return writer_->Finish(summary);
  }
  std::vector<std::string> notices() const override { return writer_->notices(); }

 private:
  std::unique_ptr<FindingWriter> writer_;
};

}  // namespace

std::unique_ptr<FindingWriter> HonorSeverityTrace(std::unique_ptr<FindingWriter> writer,
                                                  const RenderOptions& options) {
  if (options.severity_trace) return writer;
  return std::make_unique<WithoutSeverityTrace>(std::move(writer));
}

std::string RenderThroughWriter(OpenWriterFunction open,
                                const std::vector<model::Finding>& findings,
                                const model::ScanSummary& summary, const RenderOptions& options) {
  RenderOptions in_memory = options;
  in_memory.memory_budget_bytes = std::numeric_limits<std::size_t>::max();
  std::ostringstream out;
  const std::unique_ptr<FindingWriter> writer = open(out, in_memory);
  for (const model::Finding& f : findings) writer->Write(f);
  // A string stream fails only by running out of memory, which throws instead.
  writer->Finish(summary).IgnoreError();
  return std::move(out).str();
}

}  // namespace kmsguard::render::internal
