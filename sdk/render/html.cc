// One self-contained HTML report: a dashboard of the scan. Everything is inline (a
// Content-Security-Policy forbids any network load), every piece of text from findings goes
// through HtmlEscape(), the charts are SVG drawn here, and the script only sorts, filters and
// counts rows that are already in the page: with scripts off, the page still lists every finding.
//
// This file is the writer: what is tallied as findings arrive (so the counts and charts hold for
// findings spilled to disk too) and the order of the page. The page's parts are in
// html_page.cc, the charts in html_charts.cc, a finding's rows in html_finding.cc.
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "sdk/render/baseline.h"
#include "sdk/render/html_internal.h"
#include "sdk/render/render.h"
#include "sdk/render/render_support.h"
#include "sdk/render/spool.h"

namespace kmsguard::render {

namespace internal {

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default: {
        // NUL and other controls are not allowed in HTML text (and ESC would reach a terminal
        // that cats the file): written as visible escapes. Newlines and tabs stay for <pre>.
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && c != '\n' && c != '\t') || byte == 0x7F) {
          constexpr char kHex[] = "0123456789abcdef";
          out += "\\x";
          out += kHex[byte >> 4];
          out += kHex[byte & 0xF];
        } else {
          out += c;
        }
      }
    }
  }
  return out;
}

std::size_t HtmlStatusColumn(model::Status status) {
  for (std::size_t i = 0; i < kHtmlStatuses.size(); ++i) {
    if (kHtmlStatuses[i] == status) return i;
  }
  return 0;
}

std::string CloudKey(std::string_view provider) {
  std::string key(provider.empty() ? "aws" : provider);
  for (char& c : key) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) c = '-';
  }
  return key;
}

std::vector<std::string> SeveritiesHighestFirst() {
  std::vector<std::string> out;
  for (int s = static_cast<int>(model::Severity::kCritical); s >= 0; --s) {
    out.emplace_back(model::SeverityName(static_cast<model::Severity>(s)));
  }
  return out;
}

void HtmlTallies::Add(const model::Finding& f, BaselineState state) {
  const std::size_t column = HtmlStatusColumn(f.status);
  ++all[column];
  ++by_severity[std::string(model::SeverityName(f.severity))][column];
  ++by_cloud[CloudKey(f.provider)][column];
  ++by_account[{f.account.empty() ? "(unknown)" : f.account, f.provider}][column];
  ++by_rule[f.rule_id][column];
  rule_versions.emplace(f.rule_id, f.rule_version);
  if (f.status == model::Status::kFail) {
    Principal& p = fails_by_principal[f.resource_id];
    if (p.fail++ == 0) {
      p.label = PrincipalLabel(f);
      p.account = f.account;
    }
  }
  const auto severity = static_cast<std::size_t>(f.severity);
  if (severity >= new_by_severity.size()) return;
  if (state == BaselineState::kNew) ++new_by_severity[severity];
  if (state == BaselineState::kResolved) ++resolved_by_severity[severity];
}

void HtmlTallies::AddGone(const BaselineFinding& gone) {
  const auto severity = static_cast<std::size_t>(gone.severity);
  if (severity < resolved_by_severity.size()) ++resolved_by_severity[severity];
}

}  // namespace internal

namespace {

// The tallies and the count tables come before the rows: they are kept as findings arrive, and
// the rows wait in a sorted spool (memory, then temporary files) until Finish.
class HtmlWriter final : public FindingWriter {
 public:
  HtmlWriter(std::ostream& out, const RenderOptions& options)
      : out_(out),
        options_(options),
        spool_(options.memory_budget_bytes, &internal::WorstFirst) {}

  void Write(const model::Finding& f) override {
    Tally(f);
    spool_.Add(f);
  }
  void Take(model::Finding&& f) override {
    Tally(f);
    spool_.Add(std::move(f));
  }

  absl::Status Finish(const model::ScanSummary& summary) override {
    // A report missing rows must not look whole: nothing after a spill error, and a read-back
    // error ends the page where it is (no closing tags, no script).
    if (!spool_.status().ok()) return spool_.status();
    std::vector<const BaselineFinding*> gone;
    if (options_.baseline != nullptr) {
      gone = options_.baseline->Gone(summary);
      for (const BaselineFinding* b : gone) tallies_.AddGone(*b);
    }
    const auto total = static_cast<std::int64_t>(spool_.count());
    out_ << internal::PageTop({&options_, &summary, &tallies_, total});
    std::int64_t index = 0;
    const absl::Status spooled = spool_.ForEach([&](const model::Finding& f) {
      out_ << internal::FindingHtml(
          f, index++,
          options_.baseline == nullptr
              ? std::string_view()
              : BaselineStateName(options_.baseline->Classify(f, options_.time).state));
    });
    if (!spooled.ok()) {
      out_.flush();
      return spooled;
    }
    if (total == 0) out_ << "<tbody><tr><td colspan=\"8\">No findings.</td></tr></tbody>\n";
    out_ << internal::PageBottom(options_, gone);
    out_.flush();
    if (!out_) return absl::InternalError("the output stream failed");
    return absl::OkStatus();
  }

 private:
  // What the page's counts and charts say of the finding (and its state since the baseline).
  void Tally(const model::Finding& f) {
    BaselineState state = BaselineState::kNone;
    if (options_.baseline != nullptr) state = options_.baseline->Record(f, options_.time).state;
    tallies_.Add(f, state);
  }
  std::ostream& out_;
  const RenderOptions options_;
  internal::SortedSpool spool_;
  internal::HtmlTallies tallies_;
};

}  // namespace

std::string RenderHtml(const std::vector<model::Finding>& findings,
                       const model::ScanSummary& summary, const RenderOptions& options) {
  return internal::RenderThroughWriter(&OpenHtmlWriter, findings, summary, options);
}

std::unique_ptr<FindingWriter> OpenHtmlWriter(std::ostream& out, const RenderOptions& options) {
  return internal::HonorSeverityTrace(std::make_unique<HtmlWriter>(out, options), options);
}

}  // namespace kmsguard::render
