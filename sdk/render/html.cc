// One self-contained HTML report. Everything is inline (a Content-Security-Policy forbids any
// network load), every piece of text from findings goes through Escape(), and the script only
// sorts, filters and counts rows that are already in the page: with scripts off, the page still
// lists every finding.
#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/render/baseline.h"
#include "sdk/render/render.h"
#include "sdk/render/render_support.h"
#include "sdk/render/spool.h"

namespace kmsguard::render {

namespace {

constexpr std::array<model::Status, 4> kStatuses = {model::Status::kFail, model::Status::kWarning,
                                                     model::Status::kError, model::Status::kPass};

std::string StatusText(model::Status status) { return std::string(model::StatusName(status)); }


// Text for element content and for attribute values (always double-quoted here).
std::string Escape(std::string_view text) {
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

constexpr char kStyle[] = R"css(
:root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2430; }
body { margin: 1.5rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
.meta { color: #555; margin: 0 0 1rem; }
#counts { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start;
  margin-bottom: 1.5rem; }
table { border-collapse: collapse; }
table.counts { font-size: .9rem; }
table.counts caption { text-align: left; font-weight: 600; padding-bottom: .25rem; }
table.counts th, table.counts td { border: 1px solid #d5d9e0; padding: .2rem .5rem; }
table.counts td { text-align: right; font-variant-numeric: tabular-nums; }
table.counts td.zero { color: #aaa; }
.controls { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; margin: .5rem 0; }
#findings-table { width: 100%; font-size: .9rem; table-layout: fixed; }
#findings-table th:nth-child(1) { width: 6rem; }
#findings-table th:nth-child(2) { width: 8rem; }
#findings-table th:nth-child(3) { width: 14rem; }
#findings-table th:nth-child(4) { width: 13rem; }
#findings-table th:nth-child(5) { width: 8rem; }
#findings-table th:nth-child(6) { width: 12rem; }
#findings-table th { text-align: left; background: #eef1f5; border-bottom: 2px solid #c9ced6;
  padding: .35rem .5rem; white-space: nowrap; }
#findings-table th[data-key] { cursor: pointer; user-select: none; }
#findings-table th[aria-sort="ascending"]::after { content: " \25B2"; }
#findings-table th[aria-sort="descending"]::after { content: " \25BC"; }
#findings-table td { padding: .35rem .5rem; vertical-align: top; border-top: 1px solid #e3e6eb;
  overflow-wrap: anywhere; }
#findings-table tr.detail td { border-top: none; padding-top: 0; }
.badge { display: inline-block; border-radius: .25rem; padding: 0 .4rem; font-weight: 600; }
.status-FAIL { background: #fde2e1; color: #9b1c1c; }
.status-WARNING { background: #fff3cd; color: #7a5300; }
.status-ERROR { background: #e8e0f5; color: #4b2a85; }
.status-PASS { background: #def7e5; color: #1e6b37; }
.severity-critical { background: #7f1d1d; color: #fff; }
.severity-high { background: #dc2626; color: #fff; }
.severity-medium { background: #f59e0b; color: #1d2430; }
.severity-low { background: #93c5fd; color: #1d2430; }
.severity-informational { background: #e5e7eb; color: #1d2430; }
details summary { cursor: pointer; color: #2459a6; }
pre { background: #f6f8fa; border: 1px solid #e3e6eb; padding: .5rem; overflow-x: auto;
  white-space: pre-wrap; overflow-wrap: anywhere; font-size: .8rem; }
.detail h4 { margin: .6rem 0 .2rem; font-size: .9rem; }
.detail ul { margin: .2rem 0; padding-left: 1.2rem; }
code { font-size: .85em; }
)css";

constexpr char kScript[] = R"js(
(function () {
  'use strict';
  var table = document.getElementById('findings-table');
  var bodies = Array.prototype.slice.call(table.querySelectorAll('tbody.finding'));
  var text = document.getElementById('filter');
  var status = document.getElementById('status-filter');
  var severity = document.getElementById('severity-filter');
  var shown = document.getElementById('shown');
  function apply() {
    var needle = text.value.trim().toLowerCase();
    var count = 0;
    bodies.forEach(function (body) {
      var s = body.getAttribute('data-status');
      var ok = (status.value === 'all' || (status.value === 'open' ? s !== 'PASS' : s === status.value)) &&
               (severity.value === 'all' || body.getAttribute('data-severity') === severity.value) &&
               (needle === '' || body.textContent.toLowerCase().indexOf(needle) >= 0);
      body.hidden = !ok;
      if (ok) count++;
    });
    shown.textContent = count + ' of ' + bodies.length + ' findings shown';
    shown.setAttribute('data-shown', String(count));
  }
  var headers = Array.prototype.slice.call(table.querySelectorAll('th[data-key]'));
  headers.forEach(function (th) {
    th.addEventListener('click', function () {
      var key = th.getAttribute('data-key');
      var numeric = th.getAttribute('data-type') === 'number';
      var ascending = th.getAttribute('aria-sort') !== 'ascending';
      headers.forEach(function (other) { other.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      bodies.sort(function (a, b) {
        var x = a.getAttribute('data-' + key), y = b.getAttribute('data-' + key);
        var order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
        if (order === 0) order = Number(a.getAttribute('data-order')) - Number(b.getAttribute('data-order'));
        return ascending ? order : -order;
      });
      bodies.forEach(function (body) { table.appendChild(body); });
    });
  });
  [text, status, severity].forEach(function (control) {
    control.addEventListener('input', apply);
    control.addEventListener('change', apply);
  });
  apply();
})();
)js";

// Counts by one dimension (severity, account, rule) and status.
using CountTable = std::map<std::string, std::array<int, 4>>;

int StatusColumn(model::Status status) {
  for (std::size_t i = 0; i < kStatuses.size(); ++i) {
    if (kStatuses[i] == status) return static_cast<int>(i);
  }
  return 0;
}

std::string CountsHtml(const std::string& id, const std::string& caption,
                       const std::string& dimension, const std::vector<std::string>& order,
                       const CountTable& counts) {
  std::string out = absl::StrCat("<table class=\"counts\" id=\"", id, "\"><caption>", caption,
                                 "</caption>\n<thead><tr><th>", Escape(dimension), "</th>");
  for (model::Status s : kStatuses) absl::StrAppend(&out, "<th>", StatusText(s), "</th>");
  absl::StrAppend(&out, "<th>Total</th></tr></thead>\n<tbody>\n");
  for (const std::string& key : order) {
    const auto it = counts.find(key);
    const std::array<int, 4> row = it == counts.end() ? std::array<int, 4>{} : it->second;
    absl::StrAppend(&out, "<tr><th>", Escape(key), "</th>");
    int total = 0;
    for (std::size_t i = 0; i < kStatuses.size(); ++i) {
      total += row[i];
      absl::StrAppend(&out, "<td", row[i] == 0 ? " class=\"zero\"" : "", " data-count=\"", id,
                      ":", Escape(key), ":", StatusText(kStatuses[i]), "\">", row[i],
                      "</td>");
    }
    absl::StrAppend(&out, "<td data-count=\"", id, ":", Escape(key), ":total\">", total,
                    "</td></tr>\n");
  }
  return out + "</tbody></table>\n";
}

std::string Section(const char* title, const std::string& text) {
  if (text.empty()) return "";
  return absl::StrCat("<h4>", title, "</h4><pre>", Escape(text), "</pre>\n");
}

// With a baseline: the rows' state badges, a filter by state that narrows what the page's own
// filters show, and the count it leaves. Added only with a baseline, so the page without one is
// unchanged.
constexpr char kBaselineStyle[] = R"css(
.baseline-NEW { background: #1d4ed8; color: #fff; }
.baseline-UPDATED { background: #c2410c; color: #fff; }
.baseline-RESOLVED { background: #15803d; color: #fff; }
.baseline-UNCHANGED { background: #e5e7eb; color: #1d2430; }
)css";

constexpr char kBaselineScript[] = R"js(
(function () {
  'use strict';
  var choice = document.getElementById('baseline-filter');
  var bodies = Array.prototype.slice.call(document.querySelectorAll('tbody.finding'));
  var shown = document.getElementById('shown');
  function narrow() {
    var count = 0;
    bodies.forEach(function (body) {
      if (!body.hidden && choice.value !== 'all' &&
          body.getAttribute('data-baseline') !== choice.value) body.hidden = true;
      if (!body.hidden) count++;
    });
    shown.textContent = count + ' of ' + bodies.length + ' findings shown';
    shown.setAttribute('data-shown', String(count));
  }
  ['filter', 'status-filter', 'severity-filter'].forEach(function (id) {
    var control = document.getElementById(id);
    control.addEventListener('input', narrow);
    control.addEventListener('change', narrow);
  });
  choice.addEventListener('change', function () {
    document.getElementById('status-filter').dispatchEvent(new Event('change'));
  });
  narrow();
})();
)js";

std::string FindingHtml(const model::Finding& f, int order, std::string_view baseline_state = {}) {
  const std::string principal = internal::PrincipalLabel(f);
  const std::string policies = absl::StrJoin(internal::PolicyNames(f), ", ");
  const std::string status = StatusText(f.status);
  const std::string severity = std::string(model::SeverityName(f.severity));
  std::string out = absl::StrCat(
      "<tbody class=\"finding\" data-order=\"", order, "\" data-status=\"", status,
      "\" data-status-rank=\"", internal::StatusRank(f.status), "\" data-severity=\"",
      severity,
      "\" data-severity-rank=\"", static_cast<int>(f.severity), "\" data-rule=\"",
      Escape(f.rule_id), "\" data-principal=\"", Escape(principal), "\" data-account=\"",
      Escape(f.account), "\" data-policies=\"", Escape(policies), "\" data-uid=\"",
      FindingUid(f), "\"",
      baseline_state.empty() ? ""
                             : absl::StrCat(" data-baseline=\"", std::string(baseline_state), "\""),
      ">\n");
  const std::string baseline_badge =
      baseline_state.empty()
          ? ""
          : absl::StrCat(" <span class=\"badge baseline-", std::string(baseline_state), "\">",
                         absl::AsciiStrToLower(std::string(baseline_state)), "</span>");
  absl::StrAppend(&out, "<tr class=\"row\"><td><span class=\"badge severity-", severity, "\">",
                  severity, "</span></td><td><span class=\"badge status-", status, "\">", status,
                  f.conditional ? " (conditional)" : "", "</span>", baseline_badge, "</td><td>",
                  Escape(f.rule_id),
                  "</td><td>", Escape(principal), "</td><td>", Escape(f.account), "</td><td>",
                  Escape(policies), "</td><td>", Escape(f.message), "</td></tr>\n");

  std::string detail;
  absl::StrAppend(&detail, "<p>", Escape(f.title), "<br>Resource <code>", Escape(f.resource_id),
                  "</code> (", Escape(f.resource_type), ", ", Escape(f.region),
                  ")<br>Finding uid <code>", FindingUid(f), "</code>");
  if (!f.rule_version.empty()) absl::StrAppend(&detail, " &middot; rule version ", Escape(f.rule_version));
  if (const std::string where = f.source.ToString(); !where.empty()) {
    absl::StrAppend(&detail, "<br>Source <code>", Escape(where), "</code>");
  }
  if (!f.compliance.empty()) {
    std::vector<std::string> refs;
    for (const model::ComplianceRef& ref : f.compliance) {
      const std::string url = internal::ControlUrl(ref);
      const std::string text = Escape(absl::StrCat(ref.standard, " ", ref.control));
      refs.push_back(url.empty() ? text
                                 : absl::StrCat("<a href=\"", Escape(url), "\">", text, "</a>"));
    }
    absl::StrAppend(&detail, "<br>Compliance: ", absl::StrJoin(refs, "; "));
  }
  absl::StrAppend(&detail, "</p>\n");
  if (!f.evidence.empty()) {
    absl::StrAppend(&detail, "<h4>Evidence</h4><ul>\n");
    for (const model::Evidence& e : f.evidence) {
      absl::StrAppend(&detail, "<li>", Escape(internal::EvidenceLine(e)), "</li>\n");
    }
    absl::StrAppend(&detail, "</ul>\n");
  }
  if (!f.exposure.empty() || !f.exposed_to.empty()) {
    absl::StrAppend(&detail, "<h4>Exposure</h4><p>", Escape(f.exposure), "</p>\n");
    if (!f.exposed_to.empty()) {
      absl::StrAppend(&detail, "<ul>\n");
      for (const std::string& who : f.exposed_to) {
        absl::StrAppend(&detail, "<li>", Escape(who), "</li>\n");
      }
      absl::StrAppend(&detail, "</ul>\n");
    }
  }
  if (!f.explanation.empty()) {
    absl::StrAppend(&detail, "<h4>Why</h4><ul>\n");
    for (const std::string& line : f.explanation) {
      absl::StrAppend(&detail, "<li>", Escape(line), "</li>\n");
    }
    absl::StrAppend(&detail, "</ul>\n");
  }
  if (!f.remediation.summary.empty()) {
    absl::StrAppend(&detail, "<h4>Remediation</h4><p>", Escape(f.remediation.summary), "</p>\n");
  }
  absl::StrAppend(&detail, Section("Console", f.remediation.console),
                  Section("AWS CLI", f.remediation.cli),
                  Section("Terraform", f.remediation.terraform));
  absl::StrAppend(&out,
                  "<tr class=\"detail\"><td colspan=\"7\"><details><summary>Evidence and "
                  "remediation</summary>\n",
                  detail, "</details></td></tr>\n</tbody>\n");
  return out;
}


// The count tables come before the rows: they are kept as findings arrive (one entry per
// account and rule), and the rows wait in a sorted spool until Finish.
class HtmlWriter final : public FindingWriter {
 public:
  HtmlWriter(std::ostream& out, const RenderOptions& options)
      : out_(out),
        options_(options),
        spool_(options.memory_budget_bytes, &internal::WorstFirst) {}

  void Write(const model::Finding& f) override {
    if (options_.baseline != nullptr) options_.baseline->Record(f, options_.time);
    spool_.Add(f);
    if (f.status == model::Status::kSuppressed) return;  // not in the count tables
    const int column = StatusColumn(f.status);
    ++by_status_["findings"][column];
    ++by_severity_[std::string(model::SeverityName(f.severity))][column];
    ++by_account_[f.account.empty() ? "(unknown)" : f.account][column];
    ++by_rule_[f.rule_id][column];
  }

  absl::Status Finish(const model::ScanSummary& summary) override {
    // A report missing rows must not look whole: nothing after a spill error, and a read-back
    // error ends the page where it is (no closing tags, no script).
    if (!spool_.status().ok()) return spool_.status();
    std::vector<const BaselineFinding*> gone;
    if (options_.baseline != nullptr) gone = options_.baseline->Gone(summary);
    out_ << Head(summary);
    int index = 0;
    const absl::Status spooled = spool_.ForEach([&](const model::Finding& f) {
      out_ << FindingHtml(f, index++,
                          options_.baseline == nullptr
                              ? std::string_view()
                              : BaselineStateName(
                                    options_.baseline->Classify(f, options_.time).state));
    });
    if (!spooled.ok()) {
      out_.flush();
      return spooled;
    }
    if (spool_.count() == 0) {
      out_ << "<tbody><tr><td colspan=\"7\">No findings.</td></tr></tbody>\n";
    }
    out_ << "</table>\n<noscript><p>Sorting and filtering need JavaScript; every finding "
            "is listed above.</p></noscript>\n</section>\n";
    if (options_.baseline != nullptr) out_ << ResolvedHtml(gone);
    out_ << "<script>" << kScript << "</script>\n";
    if (options_.baseline != nullptr) out_ << "<script>" << kBaselineScript << "</script>\n";
    out_ << "</body>\n</html>\n";
    out_.flush();
    if (!out_) return absl::InternalError("the output stream failed");
    return absl::OkStatus();
  }

 private:
  // Everything before the first finding row.
  std::string Head(const model::ScanSummary& summary) const {
    const std::size_t total = spool_.count();
    std::vector<std::string> accounts, rules;
    for (const auto& [key, unused] : by_account_) accounts.push_back(key);
    for (const auto& [key, unused] : by_rule_) rules.push_back(key);
    std::vector<std::string> severities;
    for (int s = static_cast<int>(model::Severity::kCritical); s >= 0; --s) {
      severities.emplace_back(model::SeverityName(static_cast<model::Severity>(s)));
    }
    const std::string generated = internal::Iso8601(options_.time);
    const std::string tool = absl::StrCat(options_.product.name,
                                          options_.product.version.empty() ? "" : " ",
                                          options_.product.version);
    std::string out = absl::StrCat(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
        "'unsafe-inline'; script-src 'unsafe-inline'\">\n<title>",
        Escape(options_.product.name), " findings</title>\n<style>", kStyle,
        "</style>\n</head>\n<body>\n<header>\n<h1>", Escape(options_.product.name),
        " findings</h1>\n<p class=\"meta\">Generated <time datetime=\"", generated, "\">", generated,
        "</time> by ", Escape(tool), ". Resources: <span id=\"resources-received\">",
        summary.resources_received, "</span> received, <span id=\"resources-evaluated\">",
        summary.resources_evaluated, "</span> evaluated, <span id=\"resource-errors\">",
        summary.resource_errors, "</span> could not be evaluated.");
    if (!summary.accounts.empty()) {
      absl::StrAppend(&out, " Accounts: ", Escape(absl::StrJoin(summary.accounts, ", ")), ".");
    }
    if (!summary.regions.empty()) {
      absl::StrAppend(&out, " Regions: ", Escape(absl::StrJoin(summary.regions, ", ")), ".");
    }
    absl::StrAppend(&out, "</p>\n</header>\n<section id=\"counts\">\n",
                    CountsHtml("by-status", "By status", "", {"findings"}, by_status_),
                    CountsHtml("by-severity", "By severity", "Severity", severities, by_severity_),
                    CountsHtml("by-account", "By account", "Account", accounts, by_account_),
                    CountsHtml("by-rule", "By rule", "Rule", rules, by_rule_),
                    options_.baseline == nullptr ? "" : BaselineCountsHtml(), "</section>\n");
    absl::StrAppend(
        &out,
        "<section id=\"findings\">\n<div class=\"controls\">\n"
        "<label>Filter <input id=\"filter\" type=\"search\" placeholder=\"principal, policy, rule, "
        "text\"></label>\n<label>Status <select id=\"status-filter\">"
        "<option value=\"open\" selected>FAIL, WARNING, ERROR</option><option value=\"all\">all"
        "</option>");
    for (model::Status s : kStatuses) {
      absl::StrAppend(&out, "<option value=\"", StatusText(s), "\">", StatusText(s),
                      "</option>");
    }
    absl::StrAppend(&out,
                    "</select></label>\n<label>Severity <select id=\"severity-filter\">"
                    "<option value=\"all\" selected>all</option>");
    for (const std::string& s : severities) {
      absl::StrAppend(&out, "<option value=\"", s, "\">", s, "</option>");
    }
    if (options_.baseline != nullptr) {
      absl::StrAppend(&out, "</select></label>\n<label>Since the baseline <select "
                            "id=\"baseline-filter\"><option value=\"all\" selected>all</option>");
      for (BaselineState s : {BaselineState::kNew, BaselineState::kUpdated,
                              BaselineState::kUnchanged, BaselineState::kResolved}) {
        const std::string name(BaselineStateName(s));
        absl::StrAppend(&out, "<option value=\"", name, "\">", absl::AsciiStrToLower(name),
                        "</option>");
      }
    }
    absl::StrAppend(&out,
                    "</select></label>\n<span id=\"shown\" data-shown=\"", total, "\">",
                    total, " findings</span>\n</div>\n<table id=\"findings-table\">\n"
                    "<thead><tr><th data-key=\"severity-rank\" data-type=\"number\">Severity</th>"
                    "<th data-key=\"status-rank\" data-type=\"number\">Status</th>"
                    "<th data-key=\"rule\">Rule</th><th data-key=\"principal\">Principal</th>"
                    "<th data-key=\"account\">Account</th><th data-key=\"policies\">Policies</th>"
                    "<th>Message</th></tr></thead>\n");
    return out;
  }

  // The comparison's counts, a table among the others (ids for tests and scripts).
  std::string BaselineCountsHtml() const {
    const BaselineCounts& c = options_.baseline->counts();
    std::string out = absl::StrCat(
        "<style>", kBaselineStyle, "</style>\n<table class=\"counts\" id=\"by-baseline\"><caption>"
        "Since the baseline (", Escape(options_.baseline->baseline().format),
        ")</caption>\n<tbody>");
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

  // The baseline's open findings gone from this scan (which covered them).
  static std::string ResolvedHtml(const std::vector<const BaselineFinding*>& gone) {
    std::string out = absl::StrCat("<section id=\"resolved\">\n<h2>Resolved: gone since the "
                                   "baseline (", gone.size(), ")</h2>\n");
    if (gone.empty()) return out + "<p>None.</p>\n</section>\n";
    absl::StrAppend(&out, "<table class=\"counts\" id=\"resolved-table\"><thead><tr>"
                          "<th>Severity</th><th>Was</th><th>Rule</th><th>Resource</th>"
                          "<th>Account</th><th>First seen</th></tr></thead>\n<tbody>");
    for (const BaselineFinding* b : gone) {
      absl::StrAppend(&out, "<tr data-uid=\"", Escape(b->uid), "\"><td>",
                      std::string(model::SeverityName(b->severity)), "</td><td>",
                      std::string(model::StatusName(b->status)),
                      "</td><td>", Escape(b->rule_id), "</td><td>", Escape(b->resource_id),
                      "</td><td>", Escape(b->account), "</td><td>",
                      internal::Iso8601(b->first_seen), "</td></tr>\n");
    }
    return out + "</tbody></table>\n</section>\n";
  }

  std::ostream& out_;
  const RenderOptions options_;
  internal::SortedSpool spool_;
  CountTable by_status_, by_severity_, by_account_, by_rule_;
};

}  // namespace

std::string RenderHtml(const std::vector<model::Finding>& findings,
                        const model::ScanSummary& summary, const RenderOptions& options) {
  return internal::RenderThroughWriter(&OpenHtmlWriter, findings, summary, options);
}

std::unique_ptr<FindingWriter> OpenHtmlWriter(std::ostream& out, const RenderOptions& options) {
  return std::make_unique<HtmlWriter>(out, options);
}

}  // namespace kmsguard::render
