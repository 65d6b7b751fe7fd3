// The terminal table: one row per failing policy (or per finding when there is none to name),
// aligned columns, long cells cut, then the counts.
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
#include "sdk/render/render.h"
#include "sdk/render/render_support.h"
#include "sdk/render/spool.h"

namespace kmsguard::render {

namespace {

constexpr std::size_t kColumns = 6;
constexpr std::size_t kMaxCell = 48;  // principal names and ARNs can be long

using Row = std::array<std::string, kColumns>;

// A table row and the free lines printed under it (exposure, explanation).
struct Line {
  Row cells;
  std::vector<std::string> below;
};

// One line per cell; cut to kMaxCell unless it is the last column, which nothing follows.
std::string Cut(std::string text, bool last_column) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  text = core::TerminalSafe(text);
  if (!last_column && text.size() > kMaxCell) text = text.substr(0, kMaxCell - 3) + "...";
  return text;
}

std::string Principal(const model::Finding& f) {
  const std::size_t colons = f.resource_type.rfind("::");
  const std::string kind = absl::AsciiStrToLower(
      colons == std::string::npos ? f.resource_type : f.resource_type.substr(colons + 2));
  return absl::StrCat(kind, "/", f.resource_name.empty() ? f.resource_id : f.resource_name);
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

void AddRows(const model::Finding& f, const TableOptions& options, std::vector<Line>* rows) {
  const std::string status =
      std::string(model::StatusName(f.status)) + (f.conditional ? " (conditional)" : "");
  const Row base = {
      std::string(model::SeverityName(f.severity)), status, f.rule_id, Principal(f), "-", ""};
  bool any = false;
  if (f.status == model::Status::kFail || f.status == model::Status::kWarning) {
    for (const model::Evidence& e : f.evidence) {
      if (e.effect != "Allow") continue;
      Row row = base;
      row[4] = PolicyCell(e.policy_name);
      row[5] = Granted(e);
      rows->push_back({row, {}});
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
    rows->push_back({row, {}});
  }
  std::vector<std::string>& below = rows->back().below;
  if (!f.exposure.empty()) below.push_back(absl::StrCat("  exposed: ", f.exposure));
  if (options.explain) {
    for (const std::string& line : f.explanation) below.push_back(absl::StrCat("  why: ", line));
  }
}

using Widths = std::array<std::size_t, kColumns>;

// The finding's lines with their cells cut; widens `width` to fit them.
std::vector<Line> CutLines(const model::Finding& f, const TableOptions& options, Widths* width) {
  std::vector<Line> lines;
  AddRows(f, options, &lines);
  for (Line& line : lines) {
    for (std::size_t c = 0; c < kColumns; ++c) {
      line.cells[c] = Cut(line.cells[c], c + 1 == kColumns);
      (*width)[c] = std::max((*width)[c], line.cells[c].size());
    }
  }
  return lines;
}

std::string LineText(const Line& line, const Widths& width) {
  std::string text;
  for (std::size_t c = 0; c < kColumns; ++c) {
    text += line.cells[c];
    if (c + 1 < kColumns) text.append(width[c] - line.cells[c].size() + 2, ' ');
  }
  std::string out = absl::StrCat(absl::StripTrailingAsciiWhitespace(text), "\n");
  for (std::string below : line.below) {
    std::replace(below.begin(), below.end(), '\n', ' ');
    absl::StrAppend(&out, core::TerminalSafe(below), "\n");
  }
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
        spool_(options.memory_budget_bytes, &internal::WorstFirst) {
    header_.cells = {"SEVERITY", "STATUS", "RULE", "PRINCIPAL", "POLICY", "GRANTED"};
    for (std::size_t c = 0; c < kColumns; ++c) {
      header_.cells[c] = Cut(header_.cells[c], c + 1 == kColumns);
      width_[c] = header_.cells[c].size();
    }
  }

  void Write(const model::Finding& f) override {
    ++total_;
    ++counts_[static_cast<int>(f.status)];
    if (f.status == model::Status::kPass && !options_.show_pass) return;
    CutLines(f, options_, &width_);
    spool_.Add(f);
  }

  absl::Status Finish(const model::ScanSummary& summary) override {
    // Counts under a table missing rows would read as a complete report: after a spill error the
    // table stops where it is, without them.
    if (!spool_.status().ok()) return spool_.status();
    out_ << LineText(header_, width_);
    Widths unused{};
    const absl::Status spooled = spool_.ForEach([&](const model::Finding& f) {
      for (const Line& line : CutLines(f, options_, &unused)) out_ << LineText(line, width_);
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
    out_ << absl::StrCat("\n", total_ - counts_[0] + pass, " findings: ", counts_[2], " FAIL, ",
                         counts_[3], " ERROR, ", counts_[1], " WARNING, ", pass, " PASS",
                         show_pass || pass == 0 ? "" : " (PASS not listed)",
                         counts_[4] == 0 ? "" : absl::StrCat(", ", counts_[4], " SUPPRESSED"),
                         "\n")
         << absl::StrCat("resources: ", summary.resources_received, " received, ",
                         summary.resources_evaluated, " evaluated, ", summary.resource_errors,
                         " could not be evaluated\n");
    out_.flush();
    if (!out_) return absl::InternalError("the output stream failed");
    return absl::OkStatus();
  }

 private:
  std::ostream& out_;
  const TableOptions options_;
  internal::SortedSpool spool_;
  Line header_;
  Widths width_{};
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
  return std::make_unique<TableWriter>(out, options);
}

}  // namespace kmsguard::render
