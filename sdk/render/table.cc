// The terminal table: one row per failing policy (or per finding when there is none to name),
// aligned columns fitted to a width (table_layout.h), then the counts.
#include <algorithm>
#include <array>
#include <limits>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/core/text.h"
#include "sdk/render/baseline.h"
#include "sdk/render/render.h"
#include "sdk/render/render_support.h"
#include "sdk/render/spool.h"
#include "sdk/render/table_layout.h"

namespace kmsguard::render {

namespace {

using internal::ColumnWidths;
using internal::TableLayout;
constexpr std::size_t kColumns = internal::kTableColumns;
constexpr std::size_t kLast = kColumns - 1;

using Row = std::array<std::string, kColumns>;

// A table row and the free lines printed under it (exposure, explanation).
struct Line {
  Row cells;
  bool grant = false;  // the last cell says what is granted (else it is the finding's message)
  bool header = false;  // the column names: a last column printed under the rows is left out
  std::vector<std::string> below;
};

// One line of terminal-safe text: newlines become spaces, control bytes are escaped.
std::string Clean(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  return core::TerminalSafe(text);
}

// "1 finding", "2 findings".
std::string Count(std::size_t n, const char* noun) {
  return absl::StrCat(n, " ", noun, n == 1 ? "" : "s");
}

// "kms:Decrypt, kms:ReEncryptFrom on "*" (stmt 0 "Sid") [conditional: Bool:aws:SecureTransport]"
std::string Granted(const model::Evidence& e) {
  std::string out = absl::StrCat(
      absl::StrJoin(e.actions, ", "), " on ", e.not_resource ? "NotResource " : "",
      e.resource_patterns.empty()
          ? "(no Resource)"
          : absl::StrCat("\"", absl::StrJoin(e.resource_patterns, "\", \""), "\""),
      " (stmt ", e.statement_index, e.sid.empty() ? "" : absl::StrCat(" \"", e.sid, "\""),
      e.not_action ? ", NotAction" : "", ")");
  if (!e.condition_keys.empty()) {
    absl::StrAppend(&out, " [conditional: ", absl::StrJoin(e.condition_keys, ", "), "]");
  }
  return out;
}

// A managed policy's evidence names it by ARN; the table shows the part after "policy/".
std::string PolicyCell(const std::string& policy_name) {
  if (policy_name.rfind("arn:", 0) != 0) return policy_name;
  const std::size_t slash = policy_name.rfind('/');
  return slash == std::string::npos ? policy_name : policy_name.substr(slash + 1);
}

// Under a row whose severity an override or a raise changed: the rule's own and why, e.g.
// "  severity: high (rule: medium): override at org-overrides.yaml:4:11". A line of its own, not
// a wider SEVERITY column: the other rows and the width the names get stay as they were.
std::string SeverityLine(const model::Finding& f) {
  const auto name = [](model::Severity s) { return std::string(model::SeverityName(s)); };
  std::string out =
      absl::StrCat("  severity: ", name(f.severity), " (rule: ", name(f.RuleSeverity()), ")");
  const char* separator = ": ";
  for (const model::SeverityChange& change : f.severity_changes) {
    absl::StrAppend(&out, separator);
    separator = "; ";
    // One change is said by the words before it; several need each step.
    if (f.severity_changes.size() > 1) {
      absl::StrAppend(&out, name(change.from), " -> ", name(change.to),
                      change.reason.empty() ? "" : " ");
    }
    absl::StrAppend(&out, change.reason.empty() && f.severity_changes.size() == 1
                              ? absl::StrCat(name(change.from), " -> ", name(change.to))
                              : change.reason);
  }
  return out;
}

// `mark`: " [new]" or " [updated]" after the status with a baseline, else empty.
void AddRows(const model::Finding& f, const TableOptions& options, std::string_view mark,
             std::vector<Line>* rows) {
  const std::string status = std::string(model::StatusName(f.status)) +
                             (f.conditional ? " (conditional)" : "") + std::string(mark);
  const Row base = {std::string(model::SeverityName(f.severity)),
                    status,
                    f.rule_id,
                    internal::PrincipalLabel(f),
                    "-",
                    ""};
  bool any = false;
  if (f.status == model::Status::kFail || f.status == model::Status::kWarning) {
    for (const model::Evidence& e : f.evidence) {
      if (e.effect != "Allow") continue;
      Row row = base;
      row[4] = PolicyCell(e.policy_name);
      row[5] = Granted(e);
      rows->push_back({row, /*grant=*/true, /*header=*/false, {}});
      any = true;
    }
  }
  if (!any) {
    Row row = base;
    std::vector<std::string> broken;
    for (const model::Evidence& e : f.evidence) {
      if (e.statement_index < 0) broken.push_back(PolicyCell(e.policy_name));
    }
    if (!broken.empty()) row[4] = absl::StrJoin(broken, ", ");
    row[5] = f.message;
    rows->push_back({row, /*grant=*/false, /*header=*/false, {}});
  }
  std::vector<std::string>& below = rows->back().below;
  if (!f.severity_changes.empty()) below.push_back(SeverityLine(f));
  if (!f.exposure.empty()) below.push_back(absl::StrCat("  exposed: ", f.exposure));
  if (options.explain) {
    for (const std::string& line : f.explanation) below.push_back(absl::StrCat("  why: ", line));
  }
}

// The finding's lines, each cell made one line of terminal-safe text; widens `width` to fit them.
std::vector<Line> CleanLines(const model::Finding& f, const TableOptions& options,
                             std::string_view mark, ColumnWidths* width) {
  std::vector<Line> lines;
  AddRows(f, options, mark, &lines);
  for (Line& line : lines) {
    for (std::size_t c = 0; c < kColumns; ++c) {
      line.cells[c] = Clean(std::move(line.cells[c]));
      (*width)[c] = std::max((*width)[c], internal::DisplayWidth(line.cells[c]));
    }
    for (std::string& below : line.below) below = Clean(std::move(below));
  }
  return lines;
}

// A free line under a row ("  exposed: ..."), wrapped to the table's width: continuation lines are
// indented two columns more than the first.
void AppendBelow(std::string_view text, const TableLayout& layout, std::string* out) {
  const std::size_t indent = std::min(text.find_first_not_of(' '), text.size());
  if (layout.total == 0 || layout.total <= indent + 2 + internal::kMinName) {
    absl::StrAppend(out, std::string(text), "\n");
    return;
  }
  const std::vector<std::string> pieces =
      internal::Wrap(text.substr(indent), layout.total - indent - 2);
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    absl::StrAppend(out, std::string(indent + (i == 0 ? 0 : 2), ' '), pieces[i], "\n");
  }
}

std::string LineText(const Line& line, const TableLayout& layout) {
  std::string text;
  for (std::size_t c = 0; c < kLast; ++c) {
    // Only the name columns are ever narrower than their cells.
    const std::string cell = c >= 2 ? internal::CutMiddle(line.cells[c], layout.width[c])
                                    : line.cells[c];
    text += cell;
    const std::size_t shown = internal::DisplayWidth(cell);
    text.append(std::max(layout.width[c], shown) - shown + internal::kColumnGap, ' ');
  }
  const std::size_t indent = internal::DisplayWidth(text);  // where the last column starts
  std::string out;
  if (layout.last_below) {
    absl::StrAppend(&out, absl::StripTrailingAsciiWhitespace(text), "\n");
    if (!line.header && !line.cells[kLast].empty()) {
      AppendBelow(absl::StrCat(line.grant ? "  granted: " : "  message: ", line.cells[kLast]),
                  layout, &out);
    }
  } else if (layout.wrap_last) {
    const std::vector<std::string> pieces = internal::Wrap(line.cells[kLast], layout.width[kLast]);
    absl::StrAppend(&out, absl::StripTrailingAsciiWhitespace(text + pieces[0]), "\n");
    for (std::size_t i = 1; i < pieces.size(); ++i) {
      absl::StrAppend(&out, std::string(indent, ' '), pieces[i], "\n");
    }
  } else {
    absl::StrAppend(&out, absl::StripTrailingAsciiWhitespace(text + line.cells[kLast]), "\n");
  }
  for (const std::string& below : line.below) AppendBelow(below, layout, &out);
  return out;
}

// Column widths are known only once every row is: rows are measured as they arrive, and the
// listed findings wait in a sorted spool until Finish. PASS findings that are not listed are only
// counted.
class TableWriter final : public FindingWriter {
 public:
  TableWriter(std::ostream& out, const RenderOptions& options)
      : out_(out),
        options_(options.table),
        time_(options.time),
        baseline_(options.baseline),
        spool_(options.memory_budget_bytes, &internal::WorstFirst) {
    header_.cells = {"SEVERITY", "STATUS", "RULE", "PRINCIPAL", "POLICY", "GRANTED"};
    header_.header = true;
    for (std::size_t c = 0; c < kColumns; ++c) {
      width_[c] = header_.cells[c].size();
    }
  }

  void Write(const model::Finding& f) override { Keep(f); }
  void Take(model::Finding&& f) override { Keep(std::move(f)); }

  absl::Status Finish(const model::ScanSummary& summary) override {
    // Counts under a table missing rows would read as a complete report: after a spill error the
    // table stops where it is, without them.
    if (!spool_.status().ok()) return spool_.status();
    const TableLayout layout = internal::FitTable(width_, options_.width);
    out_ << LineText(header_, layout);
    ColumnWidths unused{};
    const absl::Status spooled = spool_.ForEach([&](const model::Finding& f) {
      for (const Line& line : CleanLines(f, options_, Mark(f), &unused)) {
        out_ << LineText(line, layout);
      }
    });
    if (!spooled.ok()) {
      out_.flush();
      return spooled;
    }
    if (spool_.count() == 0) out_ << "(no findings to show)\n";
    const bool show_pass = options_.show_pass;
    // A host that asked the plugin not to send PASS findings (ScanStart.omit_pass_findings)
    // learns their number from the summary.
    const std::size_t pass =
        std::max(counts_[0], static_cast<std::size_t>(std::max<std::int64_t>(summary.pass, 0)));
    out_ << absl::StrCat("\n", Count(total_ - counts_[0] + pass, "finding"), ": ", counts_[2], " FAIL, ",
                         counts_[3], " ERROR, ", counts_[1], " WARNING, ", pass, " PASS",
                         show_pass || pass == 0 ? "" : " (PASS not listed)",
                         counts_[4] == 0 ? "" : absl::StrCat(", ", counts_[4], " SUPPRESSED"),
                         "\n")
         << absl::StrCat("resources: ", summary.resources_received, " received, ",
                         summary.resources_evaluated, " evaluated, ", summary.resource_errors,
                         " could not be evaluated\n");
    if (baseline_ != nullptr) WriteBaseline(summary);
    out_.flush();
    if (!out_) return absl::InternalError("the output stream failed");
    return absl::OkStatus();
  }

 private:
  // Counts the finding, and keeps its row (a copy, or the finding itself when taken).
  template <class F>
  void Keep(F&& f) {
    ++total_;
    ++counts_[static_cast<int>(f.status)];
    if (baseline_ != nullptr && baseline_->Record(f, time_).state == BaselineState::kResolved) {
      resolved_.push_back(
          ResolvedLine(f.severity, f.rule_id, internal::PrincipalLabel(f), f.status));
    }
    if (f.status == model::Status::kPass && !options_.show_pass) return;
    CleanLines(f, options_, Mark(f), &width_);
    spool_.Add(std::forward<F>(f));
  }

  // " [new]" / " [updated]" after an open finding's status, with a baseline.
  std::string Mark(const model::Finding& f) const {
    if (baseline_ == nullptr || !IsOpen(f.status)) return "";
    switch (baseline_->Classify(f, time_).state) {
      case BaselineState::kNew:
        return " [new]";
      case BaselineState::kUpdated:
        return " [updated]";
      default:
        return "";
    }
  }

  static std::string ResolvedLine(model::Severity severity, std::string_view rule_id,
                                  std::string_view principal, model::Status now) {
    return Clean(absl::StrCat("  ", std::string(model::SeverityName(severity)), "  ",
                              std::string(rule_id), "  ", std::string(principal), "  (now ",
                              std::string(model::StatusName(now)), ")"));
  }

  // After the counts: the findings resolved since the baseline, then the comparison's counts.
  void WriteBaseline(const model::ScanSummary& summary) {
    for (const BaselineFinding* b : baseline_->Gone(summary)) {
      model::Finding gone;
      gone.resource_type = b->resource_type;
      gone.resource_name = b->resource_name;
      gone.resource_id = b->resource_id;
      resolved_.push_back(ResolvedLine(b->severity, b->rule_id, internal::PrincipalLabel(gone),
                                       model::Status::kPass) +
                          " (gone)");
    }
    // "(now PASS) (gone)" reads badly: a finding gone from the scan says only "gone".
    for (std::string& line : resolved_) {
      const std::string both = "(now PASS) (gone)";
      if (line.ends_with(both)) line.replace(line.size() - both.size(), both.size(), "(gone)");
    }
    const BaselineCounts& c = baseline_->counts();
    if (!resolved_.empty()) {
      out_ << "\nresolved since the baseline (" << resolved_.size() << "):\n";
      for (const std::string& line : resolved_) out_ << line << "\n";
    }
    out_ << absl::StrCat("baseline (", baseline_->baseline().format, "): ", c.new_findings,
                         " new, ", c.unchanged, " unchanged, ", c.updated, " updated, ",
                         c.resolved, " resolved",
                         c.not_covered == 0
                             ? ""
                             : absl::StrCat(", ", c.not_covered,
                                            " gone but outside this scan's coverage (not "
                                            "resolved)"),
                         "\n");
  }

  std::ostream& out_;
  const TableOptions options_;
  const std::chrono::system_clock::time_point time_;
  const std::shared_ptr<BaselineComparison> baseline_;
  std::vector<std::string> resolved_;
  internal::SortedSpool spool_;
  Line header_;
  ColumnWidths width_{};
  std::size_t total_ = 0;
  std::array<std::size_t, 5> counts_ = {0, 0, 0, 0, 0};
};

}  // namespace

std::string RenderTable(const std::vector<model::Finding>& findings,
                        const model::ScanSummary& summary, bool show_pass) {
  TableOptions options;
  options.show_pass = show_pass;
  return RenderTable(findings, summary, options);
}

std::string RenderTable(const std::vector<model::Finding>& findings,
                        const model::ScanSummary& summary, const TableOptions& options) {
  RenderOptions render_options;
  render_options.table = options;
  return internal::RenderThroughWriter(&OpenTableWriter, findings, summary, render_options);
}

std::unique_ptr<FindingWriter> OpenTableWriter(std::ostream& out, const RenderOptions& options) {
  return internal::HonorSeverityTrace(std::make_unique<TableWriter>(out, options), options);
}

}  // namespace kmsguard::render
