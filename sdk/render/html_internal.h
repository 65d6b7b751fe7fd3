// The HTML report's stages, one file each (internal to sdk/render): html.cc is the writer (what is
// tallied as findings arrive, and the order of the page), html_page.cc the page's fixed parts
// (style, script, scan context, count tables, filter controls), html_charts.cc the inline SVG
// charts, html_finding.cc one finding's rows (badges, suppression, exposure graph, details).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sdk/model/finding.h"
#include "sdk/model/scan_summary.h"
#include "sdk/render/baseline.h"
#include "sdk/render/render.h"

namespace kmsguard::render::internal {

// Text for element content and for attribute values (always double-quoted here), in HTML and in
// inline SVG: the five markup characters as entities, control characters (but newline and tab)
// as visible "\xNN".
std::string HtmlEscape(std::string_view text);

// The statuses in the order the page's columns, charts and legends give them: what needs action
// first, then what was accepted, then what passed.
inline constexpr std::array<model::Status, 5> kHtmlStatuses = {
    model::Status::kFail, model::Status::kWarning, model::Status::kError,
    model::Status::kSuppressed, model::Status::kPass};
using StatusCounts = std::array<std::int64_t, kHtmlStatuses.size()>;
// The index of `status` in kHtmlStatuses.
std::size_t HtmlStatusColumn(model::Status status);

// A finding's cloud as one token for the rows' data-cloud and the cloud filter, whose values
// are space-separated lists: the provider ("aws" when none is given), any whitespace as "-".
std::string CloudKey(std::string_view provider);

// Severities, highest first (the page's order).
std::vector<std::string> SeveritiesHighestFirst();

// Everything the page says about all findings, gathered as they arrive (so spilled findings count
// like the others): one entry per severity, account, rule and failing principal, never per
// finding.
struct HtmlTallies {
  StatusCounts all{};
  std::map<std::string, StatusCounts> by_severity;  // by severity name
  // By cloud: the key each row's data-cloud holds (CloudKey), in its order.
  std::map<std::string, StatusCounts> by_cloud;
  // By account, then cloud (the finding's provider): {account, provider}.
  std::map<std::pair<std::string, std::string>, StatusCounts> by_account;
  std::map<std::string, StatusCounts> by_rule;
  std::map<std::string, std::string> rule_versions;  // rule id -> version ("" when none)
  // FAIL findings per principal (by resource id): the "top principals" chart.
  struct Principal {
    std::string label;  // "role/app"
    std::string account;
    std::int64_t fail = 0;
  };
  std::unordered_map<std::string, Principal> fails_by_principal;
  // With a baseline, per severity (index: model::Severity): findings NEW in this scan, and
  // findings RESOLVED (now passing or suppressed, or gone from a scan that covered them).
  std::array<std::int64_t, 5> new_by_severity{};
  std::array<std::int64_t, 5> resolved_by_severity{};

  void Add(const model::Finding& finding, BaselineState state);
  void AddGone(const BaselineFinding& gone);
};

// The charts section: status by severity, by account and cloud, top principals by FAIL count,
// and with `baseline` new versus resolved by severity. Inline SVG; each bar segment carries
// data-chart, data-key, data-status (or data-series) and data-value for scripts and tests.
std::string ChartsHtml(const HtmlTallies& tallies, bool baseline);

// One finding as the findings table's <tbody>: the row (severity and status badges, rule,
// principal, cloud, account, policy or item, message with the suppression visible), the exposure
// graph, and the collapsed details (uid, resource, evidence, explanation, remediation).
// `baseline_state`: "NEW", ... with a baseline, else empty.
std::string FindingHtml(const model::Finding& finding, std::int64_t order,
                        std::string_view baseline_state);

// Who holds a FAIL or WARNING finding's grant, drawn as boxes and arrows: the principal, the
// relation (members, assumable by, held by, attached to) and each holder (at most kGraphHolders,
// then "+N more"). Empty when the finding carries no exposure.
inline constexpr std::size_t kGraphHolders = 8;
std::string ExposureGraphHtml(const model::Finding& finding);

// The page up to the findings table's header row: head (style), scan context, charts, count
// tables, filter controls.
struct PageParts {
  const RenderOptions* options;
  const model::ScanSummary* summary;
  const HtmlTallies* tallies;
  std::int64_t total;  // findings listed
};
std::string PageTop(const PageParts& parts);
// After the last row: the end of the table, with a baseline the findings gone since it
// (`gone`), and the script.
std::string PageBottom(const RenderOptions& options,
                       const std::vector<const BaselineFinding*>& gone);

}  // namespace kmsguard::render::internal
