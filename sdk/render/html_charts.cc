// The HTML report's charts: horizontal bars drawn as inline SVG from the writer's tallies (no
// chart library, no script), so they hold for every finding counted, spilled ones included, and
// cost the same for ten findings or a million. Labels too long for the label column are cut in
// the middle (their distinguishing end kept) and given whole in a <title>.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sdk/render/html_internal.h"
#include "sdk/render/render_support.h"
#include "sdk/render/table_layout.h"

namespace kmsguard::render::internal {

namespace {

// Geometry in SVG user units (the SVG scales to its box; the text stays about 11px at the page's
// three charts per line on a laptop).
constexpr int kWidth = 420;
constexpr int kLabelRight = 150;  // labels end here (text-anchor end)
constexpr int kBarLeft = 156;
constexpr int kBarSpan = 220;  // the longest bar
constexpr int kPitch = 20;     // one bar per line
constexpr int kBarHeight = 14;
constexpr int kLegendHeight = 22;
constexpr std::size_t kLabelChars = 21;  // what fits left of the bars
constexpr std::size_t kMostBars = 10;    // accounts and principals beyond are summed or left out

std::string Fixed(double value) { return absl::StrFormat("%.2f", value); }

std::string Label(const std::string& text, const std::string& title) {
  return absl::StrCat("<text class=\"label\" x=\"", kLabelRight, "\" y=\"11\" text-anchor=\"end\">",
                      HtmlEscape(CutMiddle(text, kLabelChars)), "<title>", HtmlEscape(title),
                      "</title></text>");
}

std::string Legend(const std::vector<std::pair<std::string, std::string>>& items) {
  std::string out = "<g class=\"legend\">";
  int x = 8;
  for (const auto& [css, text] : items) {
    absl::StrAppend(&out, "<rect class=\"", css, "\" x=\"", x,
                    "\" y=\"4\" width=\"10\" "
                    "height=\"10\"></rect><text x=\"",
                    x + 13, "\" y=\"13\">", text, "</text>");
    x += 22 + static_cast<int>(text.size()) * 7;  // about 11px text's advance
  }
  return out + "</g>\n";
}

std::string SvgOpen(const std::string& label, std::size_t lines) {
  const std::size_t height = kLegendHeight + std::max<std::size_t>(lines, 1) * kPitch + 4;
  return absl::StrCat("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ", kWidth, " ",
                      height, "\" role=\"img\" aria-label=\"", HtmlEscape(label), "\">\n");
}

std::string Figure(const std::string& id, const std::string& caption, const std::string& svg,
                   const std::string& note) {
  return absl::StrCat("<figure class=\"chart\" id=\"", id, "\"><figcaption>", caption,
                      "</figcaption>\n", svg, "</svg>",
                      note.empty() ? "" : absl::StrCat("<p class=\"note\">", note, "</p>"),
                      "</figure>\n");
}

std::int64_t Total(const StatusCounts& counts) {
  std::int64_t total = 0;
  for (std::int64_t n : counts) total += n;
  return total;
}

std::int64_t Open(const StatusCounts& counts) {
  return counts[HtmlStatusColumn(model::Status::kFail)] +
         counts[HtmlStatusColumn(model::Status::kWarning)] +
         counts[HtmlStatusColumn(model::Status::kError)];
}

struct StackedBar {
  std::string label;  // shown (cut to fit)
  std::string title;  // whole
  std::string key;    // data-key
  StatusCounts counts;
};

std::vector<std::pair<std::string, std::string>> StatusLegend() {
  std::vector<std::pair<std::string, std::string>> items;
  for (model::Status s : kHtmlStatuses) {
    const std::string name(model::StatusName(s));
    items.emplace_back("seg seg-" + name, name);
  }
  return items;
}

// One bar per entry, split by status, on one scale (the largest total spans kBarSpan).
std::string StackedChart(const std::string& id, const std::string& chart,
                         const std::string& caption, const std::vector<StackedBar>& bars,
                         const std::string& note) {
  std::int64_t most = 0;
  for (const StackedBar& bar : bars) most = std::max(most, Total(bar.counts));
  const double scale = most == 0 ? 0.0 : static_cast<double>(kBarSpan) / most;
  std::string svg = absl::StrCat(SvgOpen(caption, bars.size()), Legend(StatusLegend()));
  if (bars.empty()) {
    absl::StrAppend(&svg, "<text x=\"", kBarLeft, "\" y=\"", kLegendHeight + 12,
                    "\">No findings.</text>\n");
  }
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const StackedBar& bar = bars[i];
    const std::int64_t total = Total(bar.counts);
    absl::StrAppend(&svg, "<g class=\"bar\" data-chart=\"", chart, "\" data-key=\"",
                    HtmlEscape(bar.key), "\" data-total=\"", total, "\" transform=\"translate(0,",
                    kLegendHeight + i * kPitch, ")\">", Label(bar.label, bar.title));
    // Edges from the running sum, so rounding never adds up to more than the bar.
    std::int64_t before = 0;
    for (std::size_t c = 0; c < kHtmlStatuses.size(); ++c) {
      const std::int64_t n = bar.counts[c];
      if (n == 0) continue;
      const double x0 = kBarLeft + before * scale;
      const double x1 = kBarLeft + (before + n) * scale;
      before += n;
      const std::string status(model::StatusName(kHtmlStatuses[c]));
      absl::StrAppend(&svg, "<rect class=\"seg seg-", status, "\" x=\"", Fixed(x0),
                      "\" y=\"0\" width=\"", Fixed(x1 - x0), "\" height=\"", kBarHeight,
                      "\" data-chart=\"", chart, "\" data-key=\"", HtmlEscape(bar.key),
                      "\" data-status=\"", status, "\" data-value=\"", n, "\"><title>",
                      HtmlEscape(bar.title), ": ", n, " ", status, "</title></rect>");
    }
    absl::StrAppend(&svg, "<text class=\"value\" x=\"", Fixed(kBarLeft + total * scale + 4),
                    "\" y=\"11\">", total, "</text></g>\n");
  }
  return Figure(id, caption, svg, note);
}

std::string SeverityChart(const HtmlTallies& t) {
  std::vector<StackedBar> bars;
  for (const std::string& severity : SeveritiesHighestFirst()) {
    const auto it = t.by_severity.find(severity);
    bars.push_back(
        {severity, severity, severity, it == t.by_severity.end() ? StatusCounts{} : it->second});
  }
  return StackedChart("chart-severity", "severity", "Status by severity", bars, "");
}

// The accounts with the most open findings (then the most findings); the rest summed in one bar.
std::string AccountChart(const HtmlTallies& t) {
  using Entry = std::pair<const std::pair<std::string, std::string>, StatusCounts>;
  std::vector<const Entry*> order;
  for (const Entry& entry : t.by_account) order.push_back(&entry);
  std::stable_sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
    if (Open(a->second) != Open(b->second)) return Open(a->second) > Open(b->second);
    return Total(a->second) > Total(b->second);
  });
  std::vector<StackedBar> bars;
  StatusCounts rest{};
  std::size_t rest_accounts = 0;
  for (const Entry* entry : order) {
    const auto& [account, cloud] = entry->first;
    if (bars.size() < kMostBars) {
      const std::string label = absl::StrCat(CloudName(cloud), " ", account);
      bars.push_back({label, label, account, entry->second});
      continue;
    }
    ++rest_accounts;
    for (std::size_t c = 0; c < rest.size(); ++c) rest[c] += entry->second[c];
  }
  if (rest_accounts > 0) {
    const std::string label = absl::StrCat(rest_accounts, " other accounts");
    bars.push_back({label, label, "(others)", rest});
  }
  return StackedChart(
      "chart-account", "account", "Status by cloud and account", bars,
      rest_accounts == 0 ? "" : "The accounts with the most open findings; the rest summed.");
}

// The principals with the most FAIL findings (ties by name), one bar each.
std::string PrincipalChart(const HtmlTallies& t) {
  using Entry = std::pair<const std::string, HtmlTallies::Principal>;
  std::vector<const Entry*> order;
  order.reserve(t.fails_by_principal.size());
  for (const Entry& entry : t.fails_by_principal) order.push_back(&entry);
  const auto before = [](const Entry* a, const Entry* b) {
    if (a->second.fail != b->second.fail) return a->second.fail > b->second.fail;
    return a->first < b->first;
  };
  const std::size_t shown = std::min(order.size(), kMostBars);
  std::partial_sort(order.begin(), order.begin() + shown, order.end(), before);
  order.resize(shown);
  const std::int64_t most = order.empty() ? 0 : order.front()->second.fail;
  const double scale = most == 0 ? 0.0 : static_cast<double>(kBarSpan) / most;
  std::string svg = absl::StrCat(SvgOpen("Top principals by FAIL findings", order.size()),
                                 Legend({{"seg seg-FAIL", "FAIL findings"}}));
  if (order.empty()) {
    absl::StrAppend(&svg, "<text x=\"", kBarLeft, "\" y=\"", kLegendHeight + 12,
                    "\">No FAIL findings.</text>\n");
  }
  for (std::size_t i = 0; i < order.size(); ++i) {
    const auto& [id, p] = *order[i];
    const std::string title = absl::StrCat(p.label, " (", p.account, ")");
    absl::StrAppend(
        &svg, "<g class=\"bar\" data-chart=\"principals\" data-key=\"", HtmlEscape(id),
        "\" data-total=\"", p.fail, "\" transform=\"translate(0,", kLegendHeight + i * kPitch,
        ")\">", Label(p.label, title), "<rect class=\"seg seg-FAIL\" x=\"", kBarLeft,
        "\" y=\"0\" width=\"", Fixed(p.fail * scale), "\" height=\"", kBarHeight,
        "\" data-chart=\"principals\" data-key=\"", HtmlEscape(id),
        "\" data-status=\"FAIL\" data-value=\"", p.fail, "\"><title>", HtmlEscape(title), ": ",
        p.fail, " FAIL</title></rect><text class=\"value\" x=\"",
        Fixed(kBarLeft + p.fail * scale + 4), "\" y=\"11\">", p.fail, "</text></g>\n");
  }
  return Figure("chart-principals", "Top principals by FAIL findings", svg,
                t.fails_by_principal.size() > kMostBars
                    ? absl::StrCat("The ", kMostBars, " of ", t.fails_by_principal.size(),
                                   " principals with a FAIL finding that have the most.")
                    : "");
}

// Per severity, two bars: NEW in this scan, and RESOLVED since the baseline.
std::string BaselineChart(const HtmlTallies& t) {
  std::int64_t most = 0, new_total = 0, resolved_total = 0;
  for (std::size_t s = 0; s < t.new_by_severity.size(); ++s) {
    most = std::max({most, t.new_by_severity[s], t.resolved_by_severity[s]});
    new_total += t.new_by_severity[s];
    resolved_total += t.resolved_by_severity[s];
  }
  const double scale = most == 0 ? 0.0 : static_cast<double>(kBarSpan) / most;
  const std::vector<std::string> severities = SeveritiesHighestFirst();
  std::string svg =
      absl::StrCat(SvgOpen("New versus resolved since the baseline", 5),
                   Legend({{"seg seg-new", "new"}, {"seg seg-resolved", "resolved"}}));
  for (std::size_t i = 0; i < severities.size(); ++i) {
    const std::size_t s = severities.size() - 1 - i;  // index of model::Severity
    absl::StrAppend(&svg, "<g class=\"bar\" data-chart=\"baseline\" data-key=\"", severities[i],
                    "\" transform=\"translate(0,", kLegendHeight + i * kPitch, ")\">",
                    Label(severities[i], severities[i]));
    const std::int64_t values[2] = {t.new_by_severity[s], t.resolved_by_severity[s]};
    const char* series[2] = {"new", "resolved"};
    for (int k = 0; k < 2; ++k) {
      const int y = k * (kBarHeight / 2);
      absl::StrAppend(&svg, "<rect class=\"seg seg-", series[k], "\" x=\"", kBarLeft, "\" y=\"", y,
                      "\" width=\"", Fixed(values[k] * scale), "\" height=\"", kBarHeight / 2,
                      "\" data-chart=\"baseline\" data-key=\"", severities[i], "\" data-series=\"",
                      series[k], "\" data-value=\"", values[k], "\"><title>", severities[i], ": ",
                      values[k], " ", series[k], "</title></rect><text class=\"value small\" x=\"",
                      Fixed(kBarLeft + values[k] * scale + 4), "\" y=\"", y + 6, "\">", values[k],
                      "</text>");
    }
    absl::StrAppend(&svg, "</g>\n");
  }
  return Figure("chart-baseline",
                absl::StrCat("New versus resolved since the baseline (", new_total, " new, ",
                             resolved_total, " resolved)"),
                svg, "");
}

}  // namespace

std::string ChartsHtml(const HtmlTallies& tallies, bool baseline) {
  std::string out = absl::StrCat(
      "<section id=\"charts\">\n<h2>Overview</h2>\n<p class=\"note\">Every finding of the scan "
      "(",
      Total(tallies.all), "), whatever the filters below.</p>\n<div class=\"charts\">\n",
      SeverityChart(tallies), AccountChart(tallies), PrincipalChart(tallies));
  if (baseline) out += BaselineChart(tallies);
  return out + "</div>\n</section>\n";
}

}  // namespace kmsguard::render::internal
