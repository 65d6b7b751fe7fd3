// The HTML report's fixed parts: style (screen and print), the one script, the scan context, the
// count tables and the filter controls, and the end of the page.
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/render/html_internal.h"
#include "sdk/render/render_support.h"

namespace kmsguard::render::internal {

namespace {

// Laid out for a laptop (1366 px): the fixed columns take about 60rem, the message the rest; the
// badges never wrap ("informational" fits its column). The findings table is laid out as one grid
// per finding rather than as a table: Chromium lays out every row of a table before it shows the
// first (over 30 s for the 13,000 findings of a 10 MB export), while a finding that is a block can
// skip its layout until it is scrolled to (content-visibility). The markup stays a table, so
// without styles it still reads as one. Printed: no controls, every row (also those
// the filter hid), no row split across pages.
constexpr char kStyle[] = R"css(
:root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2430; }
body { margin: 1rem 1.5rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.1rem; margin: 1.25rem 0 .5rem; }
.meta, .note { color: #555; margin: 0 0 .5rem; font-size: .9rem; }
.muted { color: #6b7280; }
#scan-context dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem;
  margin: 0; font-size: .9rem; }
#scan-context dt { font-weight: 600; color: #374151; }
#scan-context dd { margin: 0; overflow-wrap: anywhere; }
#scan-context ul { margin: 0; padding-left: 1.1rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(26rem, 1fr)); gap: 1rem;
  align-items: start; }
figure.chart { margin: 0; border: 1px solid #e3e6eb; border-radius: .35rem; padding: .5rem .75rem; }
figure.chart figcaption { font-weight: 600; font-size: .9rem; margin-bottom: .25rem; }
figure.chart svg { display: block; width: 100%; height: auto; }
figure.chart .note { font-size: .8rem; margin: .25rem 0 0; }
svg text { font-size: 11px; fill: #1d2430; }
svg text.small { font-size: 8px; }
.seg-FAIL { fill: #dc2626; } .seg-WARNING { fill: #f59e0b; } .seg-ERROR { fill: #7c3aed; }
.seg-SUPPRESSED { fill: #9ca3af; } .seg-PASS { fill: #16a34a; }
.seg-new { fill: #1d4ed8; } .seg-resolved { fill: #15803d; }
#counts { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
table { border-collapse: collapse; }
table.counts { font-size: .85rem; }
table.counts caption { text-align: left; font-weight: 600; padding-bottom: .25rem; }
table.counts th, table.counts td { border: 1px solid #d5d9e0; padding: .15rem .45rem; }
table.counts td { text-align: right; font-variant-numeric: tabular-nums; }
table.counts td.zero { color: #aaa; }
table.counts td.text { text-align: left; }
.controls { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; margin: .5rem 0; }
#filter { width: 22rem; max-width: 100%; }
#findings-table { display: block; width: 100%; font-size: .9rem; }
#findings-table thead, #findings-table tbody { display: block; }
#findings-table tbody.finding { content-visibility: auto; contain-intrinsic-size: auto 5rem; }
#findings-table tbody.finding[hidden] { display: none; }
#findings-table tr { display: grid;
  grid-template-columns: 8rem 8.5rem 12rem 12rem 7rem 8rem 11rem minmax(0, 1fr); }
#findings-table tr.detail > td, #findings-table td[colspan] { grid-column: 1 / -1; }
#findings-table th { text-align: left; background: #eef1f5; border-bottom: 2px solid #c9ced6;
  padding: .35rem .5rem; white-space: nowrap; }
#findings-table th[data-key] { cursor: pointer; user-select: none; }
#findings-table th[aria-sort="ascending"]::after { content: " \25B2"; }
#findings-table th[aria-sort="descending"]::after { content: " \25BC"; }
#findings-table td { padding: .35rem .5rem; vertical-align: top; border-top: 1px solid #e3e6eb;
  overflow-wrap: anywhere; }
#findings-table tr.detail td { border-top: none; padding-top: 0; }
.badge { display: inline-block; border-radius: .25rem; padding: 0 .4rem; font-weight: 600;
  font-size: .8rem; white-space: nowrap; }
.tag { font-size: .75rem; color: #555; white-space: nowrap; }
.status-FAIL { background: #fde2e1; color: #9b1c1c; }
.status-WARNING { background: #fff3cd; color: #7a5300; }
.status-ERROR { background: #e8e0f5; color: #4b2a85; }
.status-PASS { background: #def7e5; color: #1e6b37; }
.status-SUPPRESSED { background: #e5e7eb; color: #374151; border: 1px dashed #6b7280; }
.severity-critical { background: #7f1d1d; color: #fff; }
.severity-high { background: #dc2626; color: #fff; }
.severity-medium { background: #f59e0b; color: #1d2430; }
.severity-low { background: #93c5fd; color: #1d2430; }
.severity-informational { background: #e5e7eb; color: #1d2430; }
.suppression { margin-top: .3rem; padding: .2rem .4rem; background: #f3f4f6;
  border-left: 3px solid #6b7280; font-size: .85rem; }
.exposure-graph { display: flex; align-items: center; flex-wrap: wrap; gap: .3rem .5rem;
  margin: .1rem 0 .3rem; font-size: .8rem; }
.exposure-graph .node { border: 1px solid #9aa4b2; border-radius: .3rem; padding: .05rem .4rem;
  background: #fff; overflow-wrap: anywhere; }
.exposure-graph .principal { background: #eef1f5; font-weight: 600; }
.exposure-graph .edge { color: #4b5563; white-space: nowrap; }
.exposure-graph ul.holders { list-style: none; margin: 0; padding: 0 0 0 .5rem;
  border-left: 2px solid #9aa4b2; display: flex; flex-direction: column; gap: .15rem; }
.exposure-graph .outside { border-color: #dc2626; color: #9b1c1c; }
.exposure-graph .conditional { border-style: dashed; }
.exposure-graph .unknown, .exposure-graph .more { color: #555; border-style: dotted; }
details summary { cursor: pointer; color: #2459a6; }
pre { background: #f6f8fa; border: 1px solid #e3e6eb; padding: .5rem; overflow-x: auto;
  white-space: pre-wrap; overflow-wrap: anywhere; font-size: .8rem; }
.detail h4 { margin: .6rem 0 .2rem; font-size: .9rem; }
.detail ul { margin: .2rem 0; padding-left: 1.2rem; }
code { font-size: .85em; }
@media print {
  body { margin: 0; font-size: 9pt; }
  .controls, noscript { display: none; }
  #findings-table tbody.finding[hidden] { display: block !important; }
  #findings-table tbody.finding { content-visibility: visible; }
  tbody.finding, tr, figure.chart, .exposure-graph, table.counts { break-inside: avoid; }
  .charts { grid-template-columns: repeat(2, 1fr); }
  details:not([open]) { display: none; }
  a { color: inherit; text-decoration: none; }
}
)css";

// Filters and sorts the rows already in the page, and makes their details markup when opened.
// Cheap on tens of thousands of rows: each row's keys are read once, the text it is searched by
// only when a text is first typed (the row's cells and exposure graph, not its collapsed
// details), typing is debounced, and a row is touched only when it changes from shown to hidden
// or back.
constexpr char kScript[] = R"js(
(function () {
  'use strict';
  var table = document.getElementById('findings-table');
  // Each select filters by the row attribute it names; its value is "all" or the values it
  // keeps, separated by spaces ("FAIL WARNING ERROR").
  var selects = Array.prototype.slice.call(document.querySelectorAll('select[data-attribute]'), 0);
  var rows = Array.prototype.slice.call(table.querySelectorAll('tbody.finding'), 0).map(
    function (body) {
      return {body: body, values: selects.map(function (select) {
                return body.getAttribute(select.getAttribute('data-attribute'));
              }), text: null, shown: true};
    });
  var text = document.getElementById('filter');
  var shown = document.getElementById('shown');
  function haystack(row) {
    if (row.text === null) {
      var graph = row.body.querySelector('.exposure-graph');
      row.text = (row.body.rows[0].textContent + ' ' + (graph ? graph.textContent : '') + ' ' +
                  row.body.getAttribute('data-uid')).toLowerCase();
    }
    return row.text;
  }
  function apply() {
    var needle = text.value.trim().toLowerCase();
    var keep = selects.map(function (select) {
      if (select.value === 'all') return null;
      var set = {};
      select.value.split(' ').forEach(function (value) { set[value] = true; });
      return set;
    });
    var count = 0;
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var ok = true;
      for (var k = 0; ok && k < keep.length; k++) {
        ok = keep[k] === null || keep[k][row.values[k]] === true;
      }
      ok = ok && (needle === '' || haystack(row).indexOf(needle) >= 0);
      if (ok !== row.shown) {
        row.body.hidden = !ok;
        row.shown = ok;
      }
      if (ok) count++;
    }
    shown.textContent = count + ' of ' + rows.length + ' findings shown';
    shown.setAttribute('data-shown', String(count));
  }
  var timer = 0;
  text.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(apply, 150);
  });
  text.addEventListener('change', apply);
  selects.forEach(function (select) { select.addEventListener('change', apply); });
  // A finding's details arrive as the text of a <noscript> (html_finding.cc): made markup the
  // first time they are opened. The toggle event does not bubble, hence the capture.
  table.addEventListener('toggle', function (event) {
    var details = event.target;
    var raw = details.open ? details.querySelector('noscript') : null;
    if (raw === null) return;
    var box = document.createElement('div');
    box.className = 'details-body';
    box.innerHTML = raw.textContent;
    details.replaceChild(box, raw);
  }, true);
  var headers = Array.prototype.slice.call(table.querySelectorAll('th[data-key]'), 0);
  headers.forEach(function (th) {
    th.addEventListener('click', function () {
      var key = 'data-' + th.getAttribute('data-key');
      var numeric = th.getAttribute('data-type') === 'number';
      var ascending = th.getAttribute('aria-sort') !== 'ascending';
      headers.forEach(function (other) { other.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      var keyed = rows.map(function (row) {
        var value = row.body.getAttribute(key);
        return {row: row, value: numeric ? Number(value) : value,
                order: Number(row.body.getAttribute('data-order'))};
      });
      keyed.sort(function (a, b) {
        var order = numeric ? a.value - b.value : a.value.localeCompare(b.value);
        if (order === 0) order = a.order - b.order;
        return ascending ? order : -order;
      });
      var fragment = document.createDocumentFragment();
      rows = keyed.map(function (k) { fragment.appendChild(k.row.body); return k.row; });
      table.appendChild(fragment);
    });
  });
  apply();
})();
)js";

// With a baseline only, so that the page without one is unchanged by it.
constexpr char kBaselineStyle[] = R"css(
.baseline-NEW { background: #1d4ed8; color: #fff; }
.baseline-UPDATED { background: #c2410c; color: #fff; }
.baseline-RESOLVED { background: #15803d; color: #fff; }
.baseline-UNCHANGED { background: #e5e7eb; color: #1d2430; }
)css";

std::string StatusText(model::Status status) { return std::string(model::StatusName(status)); }

std::int64_t Sum(const StatusCounts& counts) {
  std::int64_t total = 0;
  for (std::int64_t n : counts) total += n;
  return total;
}

// A count table: one row per key (`heads`: the row's header cells), a column per status, and the
// total. Each count carries data-count="<id>:<key>:<STATUS or total>".
struct CountRow {
  std::vector<std::string> heads;
  std::string key;
  StatusCounts counts;
};
std::string CountsHtml(const std::string& id, const std::string& caption,
                       const std::vector<std::string>& dimensions,
                       const std::vector<CountRow>& rows) {
  std::string out = absl::StrCat("<table class=\"counts\" id=\"", id, "\"><caption>", caption,
                                 "</caption>\n<thead><tr>");
  for (const std::string& d : dimensions) absl::StrAppend(&out, "<th>", HtmlEscape(d), "</th>");
  for (model::Status s : kHtmlStatuses) absl::StrAppend(&out, "<th>", StatusText(s), "</th>");
  absl::StrAppend(&out, "<th>Total</th></tr></thead>\n<tbody>\n");
  for (const CountRow& row : rows) {
    absl::StrAppend(&out, "<tr>");
    for (const std::string& head : row.heads) {
      absl::StrAppend(&out, "<th>", HtmlEscape(head), "</th>");
    }
    const std::string key = HtmlEscape(row.key);
    for (std::size_t i = 0; i < kHtmlStatuses.size(); ++i) {
      absl::StrAppend(&out, "<td", row.counts[i] == 0 ? " class=\"zero\"" : "", " data-count=\"",
                      id, ":", key, ":", StatusText(kHtmlStatuses[i]), "\">", row.counts[i],
                      "</td>");
    }
    absl::StrAppend(&out, "<td data-count=\"", id, ":", key, ":total\">", Sum(row.counts),
                    "</td></tr>\n");
  }
  return out + "</tbody></table>\n";
}

std::string List(const std::vector<std::string>& items, const std::string& id) {
  std::string out = absl::StrCat("<ul id=\"", id, "\">");
  for (const std::string& item : items) absl::StrAppend(&out, "<li>", HtmlEscape(item), "</li>");
  return out + "</ul>";
}

// What produced the report: inputs, clouds and accounts, rules (from the scan's context, else
// what the findings carry), overrides and exceptions, the plugin and the time.
std::string ContextHtml(const PageParts& p) {
  const ScanContext& c = p.options->context;
  const model::ScanSummary& summary = *p.summary;
  const std::string generated = Iso8601(p.options->time);
  const std::string tool =
      absl::StrCat(p.options->product.name, p.options->product.version.empty() ? "" : " ",
                   p.options->product.version);
  std::string out = absl::StrCat(
      "<section id=\"scan-context\">\n<h2>Scan context</h2>\n<dl>\n<dt>Scanned</dt><dd><time "
      "datetime=\"",
      generated, "\">", generated, "</time> by <span id=\"context-plugin\">", HtmlEscape(tool),
      "</span></dd>\n<dt>Inputs</dt><dd>",
      c.inputs.empty() ? "<span class=\"muted\">not recorded</span>"
                       : List(c.inputs, "context-inputs"),
      "</dd>\n");
  // Clouds and their accounts: the findings' (provider, account); accounts of the summary that no
  // finding names are listed apart (their cloud is not known here).
  std::map<std::string, std::vector<std::string>> clouds;
  std::set<std::string> named;
  for (const auto& [key, unused] : p.tallies->by_account) {
    clouds[CloudName(key.second)].push_back(key.first);
    named.insert(key.first);
  }
  std::vector<std::string> clouds_text;
  for (const auto& [cloud, accounts] : clouds) {
    clouds_text.push_back(absl::StrCat(cloud, ": ", absl::StrJoin(accounts, ", ")));
  }
  for (const std::string& account : summary.accounts) {
    if (named.count(account) == 0) clouds_text.push_back(absl::StrCat("no finding: ", account));
  }
  absl::StrAppend(&out, "<dt>Clouds and accounts</dt><dd>",
                  clouds_text.empty() ? "<span class=\"muted\">none</span>"
                                      : List(clouds_text, "context-accounts"),
                  "</dd>\n");
  if (!summary.regions.empty()) {
    absl::StrAppend(&out, "<dt>Regions</dt><dd>", HtmlEscape(absl::StrJoin(summary.regions, ", ")),
                    "</dd>\n");
  }
  absl::StrAppend(&out, "<dt>Resources</dt><dd><span id=\"resources-received\">",
                  summary.resources_received, "</span> received, <span id=\"resources-evaluated\">",
                  summary.resources_evaluated, "</span> evaluated, <span id=\"resource-errors\">",
                  summary.resource_errors, "</span> could not be evaluated</dd>\n");
  // Rules: the loaded set when the scan says it, else the ids and versions the findings carry.
  absl::StrAppend(&out, "<dt>Rules</dt><dd>");
  if (!c.rules_note.empty()) absl::StrAppend(&out, HtmlEscape(c.rules_note), "<br>");
  if (!c.rules_version.empty()) {
    absl::StrAppend(&out, "rule set <code id=\"context-rules-version\">",
                    HtmlEscape(c.rules_version), "</code>, ");
  }
  std::vector<std::vector<std::string>> rule_rows;
  if (!c.rules.empty()) {
    for (const ScanContext::Rule& r : c.rules) {
      rule_rows.push_back({r.id, r.version, r.file, absl::StrCat(r.exceptions)});
    }
  } else {
    for (const auto& [id, version] : p.tallies->rule_versions) {
      rule_rows.push_back({id, version, "", ""});
    }
  }
  absl::StrAppend(&out, rule_rows.size(), rule_rows.size() == 1 ? " rule" : " rules",
                  c.rules.empty() ? " with findings" : " loaded",
                  "<table class=\"counts\" id=\"context-rules\"><thead><tr><th>Rule</th>"
                  "<th>Version</th><th>File</th><th>Exceptions in force</th></tr></thead><tbody>");
  for (const std::vector<std::string>& row : rule_rows) {
    absl::StrAppend(&out, "<tr data-rule=\"", HtmlEscape(row[0]), "\">");
    for (const std::string& cell : row) {
      absl::StrAppend(&out, "<td class=\"text\">", HtmlEscape(cell), "</td>");
    }
    absl::StrAppend(&out, "</tr>");
  }
  absl::StrAppend(&out, "</tbody></table></dd>\n<dt>Overrides and exceptions</dt><dd>",
                  c.override_files.empty()
                      ? absl::StrCat("<span class=\"muted\">",
                                     c.rules.empty() ? "not recorded" : "none", "</span>")
                      : List(c.override_files, "context-overrides"),
                  "</dd>\n</dl>\n</section>\n");
  return out;
}

std::string CountTables(const PageParts& p) {
  const HtmlTallies& t = *p.tallies;
  std::vector<CountRow> severity_rows, cloud_rows, account_rows, rule_rows;
  for (const std::string& s : SeveritiesHighestFirst()) {
    const auto it = t.by_severity.find(s);
    severity_rows.push_back({{s}, s, it == t.by_severity.end() ? StatusCounts{} : it->second});
  }
  for (const auto& [key, counts] : t.by_cloud) {
    cloud_rows.push_back({{CloudName(key)}, key, counts});
  }
  for (const auto& [key, counts] : t.by_account) {
    account_rows.push_back({{CloudName(key.second), key.first}, key.first, counts});
  }
  for (const auto& [rule, counts] : t.by_rule) rule_rows.push_back({{rule}, rule, counts});
  return absl::StrCat(
      "<section id=\"counts\">\n",
      CountsHtml("by-status", "By status", {""}, {{{"findings"}, "findings", t.all}}),
      CountsHtml("by-severity", "By severity", {"Severity"}, severity_rows),
      CountsHtml("by-cloud", "By cloud", {"Cloud"}, cloud_rows),
      CountsHtml("by-account", "By cloud and account", {"Cloud", "Account"}, account_rows),
      CountsHtml("by-rule", "By rule", {"Rule"}, rule_rows), "</section>\n");
}

// The comparison's counts (ids for tests and scripts).
std::string BaselineCountsHtml(const BaselineComparison& baseline) {
  const BaselineCounts& c = baseline.counts();
  std::string out = absl::StrCat("<style>", kBaselineStyle,
                                 "</style>\n<table class=\"counts\" id=\"by-baseline\">"
                                 "<caption>Since the baseline (",
                                 HtmlEscape(baseline.baseline().format), ")</caption>\n<tbody>");
  for (const auto& [label, n] : {std::pair<const char*, std::int64_t>{"new", c.new_findings},
                                 {"updated", c.updated},
                                 {"unchanged", c.unchanged},
                                 {"resolved", c.resolved},
                                 {"gone, not covered", c.not_covered}}) {
    absl::StrAppend(&out, "<tr><th>", label, "</th><td", n == 0 ? " class=\"zero\"" : "",
                    " data-count=\"", n, "\">", n, "</td></tr>");
  }
  return out + "</tbody></table>\n";
}

std::string Controls(const PageParts& p) {
  std::string out =
      "<section id=\"findings\">\n<h2>Findings</h2>\n<div class=\"controls\">\n"
      "<label>Filter <input id=\"filter\" type=\"search\" placeholder=\"principal, policy, rule "
      "or text\"></label>\n<label>Status <select id=\"status-filter\" "
      "data-attribute=\"data-status\"><option value=\"FAIL WARNING ERROR\" selected>FAIL, "
      "WARNING, ERROR</option><option value=\"all\">all</option>";
  for (model::Status s : kHtmlStatuses) {
    absl::StrAppend(&out, "<option value=\"", StatusText(s), "\">", StatusText(s), "</option>");
  }
  absl::StrAppend(&out,
                  "</select></label>\n<label>Severity <select id=\"severity-filter\" "
                  "data-attribute=\"data-severity\">"
                  "<option value=\"all\" selected>all</option>");
  for (const std::string& s : SeveritiesHighestFirst()) {
    absl::StrAppend(&out, "<option value=\"", s, "\">", s, "</option>");
  }
  // The clouds the findings come from (the tallies are complete: rows are written after them).
  absl::StrAppend(&out,
                  "</select></label>\n<label>Cloud <select id=\"cloud-filter\" "
                  "data-attribute=\"data-cloud\"><option value=\"all\" selected>all</option>");
  for (const auto& [key, counts] : p.tallies->by_cloud) {
    absl::StrAppend(&out, "<option value=\"", HtmlEscape(key), "\">", HtmlEscape(CloudName(key)),
                    "</option>");
  }
  if (p.options->baseline != nullptr) {
    absl::StrAppend(&out,
                    "</select></label>\n<label>Since the baseline <select "
                    "id=\"baseline-filter\" data-attribute=\"data-baseline\"><option "
                    "value=\"all\" selected>all</option>");
    for (BaselineState s : {BaselineState::kNew, BaselineState::kUpdated, BaselineState::kUnchanged,
                            BaselineState::kResolved}) {
      const std::string name(BaselineStateName(s));
      absl::StrAppend(&out, "<option value=\"", name, "\">", absl::AsciiStrToLower(name),
                      "</option>");
    }
  }
  absl::StrAppend(&out, "</select></label>\n<span id=\"shown\" data-shown=\"", p.total, "\">",
                  p.total,
                  " findings</span>\n</div>\n<table id=\"findings-table\">\n"
                  "<thead><tr><th data-key=\"severity-rank\" data-type=\"number\">Severity</th>"
                  "<th data-key=\"status-rank\" data-type=\"number\">Status</th>"
                  "<th data-key=\"rule\">Rule</th><th data-key=\"principal\">Principal</th>"
                  "<th data-key=\"cloud\">Cloud</th><th data-key=\"account\">Account</th><th "
                  "data-key=\"policies\">Policy or "
                  "item</th><th>Message</th></tr></thead>\n");
  return out;
}

}  // namespace

std::string PageTop(const PageParts& p) {
  const std::string& name = p.options->product.name;
  std::string out = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
      "'unsafe-inline'; script-src 'unsafe-inline'\">\n<title>",
      HtmlEscape(name), " findings</title>\n<style>", kStyle,
      "</style>\n</head>\n<body>\n<header>\n<h1>", HtmlEscape(name), " findings</h1>\n</header>\n",
      ContextHtml(p), ChartsHtml(*p.tallies, p.options->baseline != nullptr), CountTables(p));
  if (p.options->baseline != nullptr) {
    absl::StrAppend(&out, "<section id=\"baseline-counts\">\n",
                    BaselineCountsHtml(*p.options->baseline), "</section>\n");
  }
  return out + Controls(p);
}

std::string PageBottom(const RenderOptions& options,
                       const std::vector<const BaselineFinding*>& gone) {
  std::string out =
      "</table>\n<noscript><p>Sorting and filtering need JavaScript; every finding is listed "
      "above.</p></noscript>\n</section>\n";
  if (options.baseline != nullptr) {
    absl::StrAppend(&out, "<section id=\"resolved\">\n<h2>Resolved: gone since the baseline (",
                    gone.size(), ")</h2>\n");
    if (gone.empty()) {
      out += "<p>None.</p>\n</section>\n";
    } else {
      absl::StrAppend(&out,
                      "<table class=\"counts\" id=\"resolved-table\"><thead><tr>"
                      "<th>Severity</th><th>Was</th><th>Rule</th><th>Resource</th>"
                      "<th>Account</th><th>First seen</th></tr></thead>\n<tbody>");
      for (const BaselineFinding* b : gone) {
        absl::StrAppend(&out, "<tr data-uid=\"", HtmlEscape(b->uid), "\"><td>",
                        std::string(model::SeverityName(b->severity)), "</td><td>",
                        std::string(model::StatusName(b->status)), "</td><td>",
                        HtmlEscape(b->rule_id), "</td><td>", HtmlEscape(b->resource_id),
                        "</td><td>", HtmlEscape(b->account), "</td><td>", Iso8601(b->first_seen),
                        "</td></tr>\n");
      }
      out += "</tbody></table>\n</section>\n";
    }
  }
  absl::StrAppend(&out, "<script>", kScript, "</script>\n</body>\n</html>\n");
  return out;
}

}  // namespace kmsguard::render::internal
