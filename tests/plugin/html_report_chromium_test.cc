// The HTML report as a person sees it: `kmsguard scan --format html` written to a file, loaded in
// headless Chromium (Debian's `chromium` package), and the rendered page read back after its
// script ran. Skips, saying why, when Chromium is not installed.
//
// A probe script is added to a copy of the page: after the page's own script, it works the
// filters as a reader would and writes what the page then shows (counts, rows, chart values, the
// exposure graphs, badge and placeholder geometry, timings) as JSON into the DOM, which
// `--dump-dom` prints. Every run also leaves a screenshot of each page (1366x900, a laptop) in
// the build tree's test-artifacts/ directory, for CI to keep.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/bench/snapshot_generator.h"
#include "tests/plugin/test_support.h"

namespace kmsguard {
namespace {

using ::testing::HasSubstr;
using testing::ProcessResult;
using Json = nlohmann::json;

std::string Chromium() {
  for (const char* path : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "";
}

#define SKIP_WITHOUT_CHROMIUM(chromium)                                                     \
  if ((chromium).empty()) {                                                                 \
    GTEST_SKIP() << "headless Chromium not found (Debian package `chromium`, installed by " \
                    "scripts/install-deps.sh)";                                             \
  }

const std::string kExample =
    std::string(KMSGUARD_SOURCE_DIR) + "/docs/examples/account-authorization-details.json";

// The text of the first element carrying `attribute="value"` in `dom`.
std::string TextOf(const std::string& dom, const std::string& attribute) {
  const std::size_t at = dom.find(attribute);
  if (at == std::string::npos) return "";
  const std::size_t start = dom.find('>', at);
  const std::size_t end = dom.find('<', start);
  return dom.substr(start + 1, end - start - 1);
}

std::vector<std::string> ChromiumArgs(const std::string& chromium, const testing::TempDir& dir,
                                      const std::string& profile) {
  // No sandbox: tests run as root in CI. A laptop's width: the layout is checked at it.
  return {chromium,
          "--headless=new",
          "--no-sandbox",
          "--disable-gpu",
          "--hide-scrollbars",
          "--user-data-dir=" + dir.File(profile),
          "--window-size=1366,900"};
}

// Runs Chromium on `args` plus `page`, up to `timeout`; returns the result and how long it took.
ProcessResult RunChromium(std::vector<std::string> args, const std::string& page,
                          const testing::TempDir& dir, std::chrono::seconds timeout,
                          double* seconds) {
  args.push_back("file://" + page);
  const auto start = std::chrono::steady_clock::now();
  testing::Process process(args, dir, "chromium");
  ProcessResult result = process.Wait(timeout);
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

// A screenshot of `page` at 1366x900 in the build tree's test-artifacts/ (kept by CI).
void Screenshot(const std::string& chromium, const std::string& page, const std::string& name,
                const testing::TempDir& dir) {
  std::filesystem::create_directories(KMSGUARD_TEST_ARTIFACTS_DIR);
  const std::string png = std::string(KMSGUARD_TEST_ARTIFACTS_DIR) + "/" + name + ".png";
  std::filesystem::remove(png);
  std::vector<std::string> args = ChromiumArgs(chromium, dir, "profile-" + name);
  args.push_back("--screenshot=" + png);
  double seconds = 0;
  const ProcessResult shot = RunChromium(args, page, dir, std::chrono::seconds(300), &seconds);
  EXPECT_EQ(shot.exit_code, 0) << shot.err;
  EXPECT_GT(std::filesystem::exists(png) ? std::filesystem::file_size(png) : 0, 10000u)
      << "no screenshot at " << png;
  std::cout << "[ screenshot ] " << png << " (" << seconds << " s in Chromium)\n";
}

// The pages of a PDF Chromium wrote: its /Type /Page objects (not /Pages).
int PdfPages(const std::string& path) {
  const std::string pdf = testing::ReadFile(path);
  int pages = 0;
  for (const std::string marker : {"/Type /Page", "/Type/Page"}) {
    for (std::size_t at = pdf.find(marker); at != std::string::npos;
         at = pdf.find(marker, at + 1)) {
      const std::size_t next = at + marker.size();
      if (next >= pdf.size() || !std::isalpha(static_cast<unsigned char>(pdf[next]))) ++pages;
    }
  }
  return pages;
}

// `page` printed to PDF by Chromium (A4/Letter, its defaults); returns the PDF's path.
std::string PrintToPdf(const std::string& chromium, const std::string& page, const std::string& pdf,
                       const testing::TempDir& dir) {
  std::filesystem::remove(pdf);
  std::vector<std::string> args =
      ChromiumArgs(chromium, dir, "profile-pdf-" + std::filesystem::path(pdf).stem().string());
  args.push_back("--print-to-pdf=" + pdf);
  args.push_back("--no-pdf-header-footer");
  double seconds = 0;
  const ProcessResult printed = RunChromium(args, page, dir, std::chrono::seconds(120), &seconds);
  EXPECT_EQ(printed.exit_code, 0) << printed.err;
  return pdf;
}

// Works the page as a reader would, once it has loaded, and writes what it saw as JSON into
// <pre id="probe">. With `drop`, the findings table is removed afterwards, so that the DOM
// Chromium prints stays small on a large report.
constexpr char kProbe[] = R"js(
<script>
window.addEventListener('load', function () {
  'use strict';
  var out = {};
  var nav = performance.getEntriesByType('navigation')[0];
  out.domContentLoadedMs = Math.round(nav.domContentLoadedEventEnd);
  out.loadMs = Math.round(nav.loadEventStart);
  performance.getEntriesByType('paint').forEach(function (p) {
    if (p.name === 'first-contentful-paint') out.firstContentfulPaintMs = Math.round(p.startTime);
  });
  function shown() { return Number(document.getElementById('shown').getAttribute('data-shown')); }
  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll('tbody.finding'), 0)
        .filter(function (b) { return !b.hidden; });
  }
  // Uids only on small pages (a large one's lists would only swell the JSON).
  var small = document.querySelectorAll('tbody.finding').length <= 2000;
  function uids() {
    return small ? rows().map(function (b) { return b.getAttribute('data-uid'); }) : [];
  }
  function set(id, value) {
    var control = document.getElementById(id);
    control.value = value;
    control.dispatchEvent(new Event('change'));
  }
  function timed(name, change) {
    var start = performance.now();
    change();
    void document.body.offsetHeight;  // the layout the change caused
    out[name + 'Ms'] = Math.round(performance.now() - start);
  }
  out.total = document.querySelectorAll('tbody.finding').length;
  out.shownText = document.getElementById('shown').textContent;
  out.defaultShown = shown();
  out.defaultUids = uids();
  out.statusOptions = Array.prototype.map.call(
      document.getElementById('status-filter').options, function (o) { return o.value; });
  out.byStatus = {};
  timed('statusFilter', function () { set('status-filter', 'SUPPRESSED'); });
  out.statusOptions.forEach(function (value) {
    set('status-filter', value);
    out.byStatus[value] = {shown: shown(), uids: uids()};
  });
  set('status-filter', 'all');
  // Each cloud of the cloud filter, with every status shown.
  out.cloudOptions = Array.prototype.map.call(
      document.getElementById('cloud-filter').options, function (o) { return o.value; });
  out.byCloud = {};
  out.cloudOptions.forEach(function (value) {
    set('cloud-filter', value);
    out.byCloud[value] = {shown: shown(), uids: uids(),
                          cells: rows().map(function (b) { return b.rows[0].cells[4].textContent; })};
  });
  set('cloud-filter', 'all');
  var baseline = document.getElementById('baseline-filter');
  if (baseline) {
    out.byBaseline = {};
    Array.prototype.forEach.call(baseline.options, function (o) {
      set('baseline-filter', o.value);
      out.byBaseline[o.value] = {shown: shown(), uids: uids()};
    });
    set('baseline-filter', 'all');
  }
  // Text: the first search builds each row's text, the next reuses it.
  timed('firstTextFilter', function () { set('filter', 'role/'); });
  out.textRole = shown();
  timed('secondTextFilter', function () { set('filter', 'group/'); });
  out.textGroup = shown();
  set('filter', '');
  out.allShown = shown();
  // Sorting by a column: every row, ascending by principal (ties in page order).
  timed('sort', function () { document.querySelector('th[data-key=principal]').click(); });
  var principals = Array.prototype.map.call(document.querySelectorAll('tbody.finding'),
                                            function (b) { return b.getAttribute('data-principal'); });
  out.sortedRows = principals.length;
  out.sortedAscending = principals.every(function (name, i) {
    return i === 0 || principals[i - 1].localeCompare(name) <= 0;
  });
  // By the Cloud column: each cloud's rows in one run.
  document.querySelector('th[data-key=cloud]').click();
  var clouds = Array.prototype.map.call(document.querySelectorAll('tbody.finding'),
                                        function (b) { return b.getAttribute('data-cloud'); });
  var seen = {};
  out.cloudSorted = clouds.every(function (cloud, i) {
    if (i > 0 && clouds[i - 1] === cloud) return true;
    var fresh = seen[cloud] !== true;
    seen[cloud] = true;
    return fresh;
  });
  // The charts' bars and the count tables' cells.
  out.charts = {};
  document.querySelectorAll('rect[data-chart]').forEach(function (r) {
    var key = [r.getAttribute('data-chart'), r.getAttribute('data-key'),
               r.getAttribute('data-status') || r.getAttribute('data-series')].join('|');
    out.charts[key] = Number(r.getAttribute('data-value'));
  });
  out.counts = {};
  document.querySelectorAll('td[data-count]').forEach(function (td) {
    out.counts[td.getAttribute('data-count')] = Number(td.textContent);
  });
  // The exposure graph of each finding that has one.
  out.graphs = {};
  document.querySelectorAll('tbody.finding').forEach(function (b) {
    var graph = b.querySelector('.exposure-graph');
    if (!graph) return;
    out.graphs[b.getAttribute('data-uid')] = {
      principal: graph.querySelector('[data-node=principal]').textContent,
      holders: Array.prototype.map.call(graph.querySelectorAll('[data-node=holder]'),
                                        function (n) { return n.textContent; }),
      more: graph.querySelector('[data-node=more]') ? 1 : 0,
      shownWidth: small ? graph.getBoundingClientRect().width : -1
    };
  });
  // A FAIL finding's details, opened: made markup from their <noscript> text.
  var details = document.querySelector('tbody.finding[data-status=FAIL] details');
  details.open = true;
  details.dispatchEvent(new Event('toggle'));  // now, not in a later task
  out.openedDetails = {
    evidence: details.querySelectorAll('h4').length,
    noscriptLeft: details.querySelectorAll('noscript').length,
    text: details.textContent.slice(0, 2000)
  };
  // Every badge on one line and inside its cell (all rows shown, laid out).
  out.badges = 0;
  out.badgesNotLaidOut = 0;
  out.badgesWrapped = [];
  document.querySelectorAll('#findings-table tr.row .badge').forEach(function (badge, i) {
    if (i >= 400) return;  // enough of a large page
    var cell = badge.closest('td').getBoundingClientRect();
    var box = badge.getBoundingClientRect();
    out.badges++;
    if (box.width === 0) out.badgesNotLaidOut++;
    if (badge.getClientRects().length !== 1 || box.height > 1.6 * parseFloat(getComputedStyle(badge).fontSize) ||
        box.right > cell.right + 0.5) {
      out.badgesWrapped.push(badge.textContent);
    }
  });
  // The filter input is wide enough for its placeholder.
  var input = document.getElementById('filter');
  var style = getComputedStyle(input);
  var context = document.createElement('canvas').getContext('2d');
  context.font = style.font;
  out.placeholderWidth = Math.ceil(context.measureText(input.placeholder).width);
  out.inputWidth = Math.floor(input.clientWidth - parseFloat(style.paddingLeft) -
                              parseFloat(style.paddingRight));
  out.pageWidth = document.documentElement.scrollWidth;
  if (DROP) document.getElementById('findings-table').remove();
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
)js";

struct Probed {
  Json probe;       // what the probe saw
  std::string dom;  // the DOM Chromium printed
  double seconds;   // Chromium's run, start to exit
};

// Loads `page` with the probe in headless Chromium and returns what it saw.
Probed Probe(const std::string& chromium, const std::string& page, const testing::TempDir& dir,
             bool drop_table) {
  std::string html = testing::ReadFile(page);
  std::string probe = kProbe;
  probe.replace(probe.find("DROP"), 4, drop_table ? "true" : "false");
  const std::size_t end = html.rfind("</body>");
  EXPECT_NE(end, std::string::npos);
  html.insert(end, probe);
  const std::string probed =
      dir.Write("probed-" + std::filesystem::path(page).filename().string(), html);
  std::vector<std::string> args = ChromiumArgs(chromium, dir, "profile-probe");
  args.push_back("--dump-dom");
  Probed result;
  const ProcessResult run =
      RunChromium(args, probed, dir, std::chrono::seconds(300), &result.seconds);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  result.dom = run.out;
  std::string text = TextOf(run.out, "id=\"probe\"");
  // --dump-dom escapes these in text.
  for (const auto& [entity, c] : std::vector<std::pair<std::string, std::string>>{
           {"&lt;", "<"}, {"&gt;", ">"}, {"&nbsp;", "\xC2\xA0"}, {"&amp;", "&"}}) {
    for (std::size_t at = text.find(entity); at != std::string::npos;
         at = text.find(entity, at + c.size())) {
      text.replace(at, entity.size(), c);
    }
  }
  result.probe = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(result.probe.is_discarded()) << "the probe wrote no JSON: " << run.err;
  return result;
}

// The example as scanned in the test below: an Override accepts user bob's FAIL (SUPPRESSED,
// with reason, owner and expiry) and rates the broad-scope rule informational.
std::string OverrideDir(const testing::TempDir& dir) {
  std::filesystem::create_directories(dir.File("overrides"));
  dir.Write("overrides/accept.yaml", R"yaml(api_version: kmsguard/v1
kind: Override
rule: aws-iam-inline-kms-decrypt-all-keys
exceptions:
  - match: {equals: {path: $.name, value: bob}}
    reason: Break-glass user <reviewed>
    owner: security@example.com
    expires: 2099-12-31
---
api_version: kmsguard/v1
kind: Override
rule: aws-iam-kms-decrypt-broad-scope
severity: informational
)yaml");
  return dir.File("overrides");
}

// The same scan twice, as JSON (what the page is checked against) and as the HTML report.
std::pair<ProcessResult, ProcessResult> ScanAsJsonAndHtml(const std::vector<std::string>& scan) {
  std::vector<std::string> as_json = scan, as_html = scan;
  as_json.insert(as_json.end(), {"--format", "json"});
  as_html.insert(as_html.end(), {"--format", "html"});
  return {testing::Run(as_json), testing::Run(as_html)};
}

std::multiset<std::string> Set(const Json& list) {
  std::multiset<std::string> out;
  for (const Json& item : list) out.insert(item.get<std::string>());
  return out;
}

TEST(HtmlReportChromiumTest, RenderedPageShowsTheCountsAndFiltersPass) {
  const std::string chromium = Chromium();
  SKIP_WITHOUT_CHROMIUM(chromium);
  const ProcessResult json = testing::Run({KMSGUARD_BINARY, "scan", kExample, "--format", "json"});
  ASSERT_EQ(json.exit_code, 1) << json.err;
  const Json summary = Json::parse(json.out)["summary"];
  const ProcessResult html = testing::Run({KMSGUARD_BINARY, "scan", kExample, "--format", "html"});
  ASSERT_EQ(html.exit_code, 1) << html.err;

  testing::TempDir dir;
  const std::string page = dir.Write("report.html", html.out);
  // --dump-dom prints the DOM after the page's scripts ran.
  std::vector<std::string> args = ChromiumArgs(chromium, dir, "profile");
  args.push_back("--dump-dom");
  double seconds = 0;
  const ProcessResult rendered = RunChromium(args, page, dir, std::chrono::seconds(120), &seconds);
  ASSERT_EQ(rendered.exit_code, 0) << rendered.err;
  const std::string& dom = rendered.out;

  const int fail = summary["fail"], pass = summary["pass"], warning = summary["warning"],
            error = summary["error"], suppressed = summary["suppressed"];
  const int total = fail + pass + warning + error + suppressed;
  // The script ran: by default it lists what needs action and hides PASS (and SUPPRESSED).
  EXPECT_THAT(dom, HasSubstr("data-shown=\"" + std::to_string(fail + warning + error) + "\""));
  EXPECT_EQ(TextOf(dom, "id=\"shown\""),
            std::to_string(fail + warning + error) + " of " + std::to_string(total) +
                " findings shown");
  EXPECT_EQ(TextOf(dom, "data-count=\"by-status:findings:FAIL\""), std::to_string(fail));
  EXPECT_EQ(TextOf(dom, "data-count=\"by-status:findings:PASS\""), std::to_string(pass));
  EXPECT_EQ(TextOf(dom, "data-count=\"by-status:findings:total\""), std::to_string(total));
  // Hidden rows are exactly the PASS findings.
  const std::regex hidden_body(R"re(<tbody class="finding"[^>]*data-status="([A-Z]+)"[^>]*hidden)re");
  int hidden = 0;
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), hidden_body);
       it != std::sregex_iterator(); ++it) {
    EXPECT_EQ((*it)[1], "PASS");
    ++hidden;
  }
  EXPECT_EQ(hidden, pass);
  Screenshot(chromium, page, "html-report-example", dir);

  // Printed, every row is there: the page whose script hid the PASS rows prints as many pages
  // as a copy without the script, which hides nothing (without the print rule it printed 4
  // pages of 10). The PDF is kept beside the screenshots.
  std::string unscripted = html.out;
  const std::size_t script = unscripted.rfind("<script>");
  ASSERT_NE(script, std::string::npos);
  unscripted.erase(script, unscripted.find("</script>", script) + 9 - script);
  const std::string plain = dir.Write("report-without-script.html", unscripted);
  std::filesystem::create_directories(KMSGUARD_TEST_ARTIFACTS_DIR);
  const int printed = PdfPages(PrintToPdf(
      chromium, page, std::string(KMSGUARD_TEST_ARTIFACTS_DIR) + "/html-report-example.pdf", dir));
  const int whole = PdfPages(PrintToPdf(chromium, plain, dir.File("without-script.pdf"), dir));
  EXPECT_GT(whole, 1);
  EXPECT_EQ(printed, whole) << "rows the filter hid on screen are missing from the print";
}

// The example with an Override (a SUPPRESSED finding, an informational rule) against a baseline
// of the plain example with user erin renamed frank: every filter, the charts and the exposure
// graphs read back from the rendered page and compared with the same scan's JSON.
TEST(HtmlReportChromiumTest, FiltersChartsAndExposureGraphsMatchTheScan) {
  const std::string chromium = Chromium();
  SKIP_WITHOUT_CHROMIUM(chromium);
  testing::TempDir dir;
  const std::string overrides = OverrideDir(dir);
  const std::string before = dir.File("before.json");
  const ProcessResult earlier = testing::Shell(std::string(KMSGUARD_BINARY) + " scan '" + kExample +
                                               "' --format json > '" + before + "'");
  ASSERT_EQ(earlier.exit_code, 1) << earlier.err;
  // This scan: erin is gone (resolved), frank is new.
  std::string text = testing::ReadFile(kExample);
  for (std::size_t at = text.find("erin"); at != std::string::npos; at = text.find("erin", at)) {
    text.replace(at, 4, "frank");
  }
  const std::string now = dir.Write("now.json", text);
  const std::vector<std::string> scan = {KMSGUARD_BINARY, "scan",       now,   "--rules",
                                         overrides,       "--baseline", before};
  const auto [json, html] = ScanAsJsonAndHtml(scan);
  ASSERT_EQ(json.exit_code, 1) << json.err;
  ASSERT_EQ(html.exit_code, 1) << html.err;
  const Json scanned = Json::parse(json.out);
  const Json& summary = scanned["summary"];
  ASSERT_EQ(summary["suppressed"], 1);

  const std::string page = dir.Write("report.html", html.out);
  const Probed probed = Probe(chromium, page, dir, /*drop_table=*/false);
  Json p = probed.probe;  // a copy: operator[] on an absent key gives null

  // Expected, from the JSON of the same scan.
  std::map<std::string, std::multiset<std::string>> uids_by_status, uids_by_state;
  std::map<std::string, int> severity_status, fails_by_principal;
  std::multiset<std::string> all, open;
  for (const Json& f : scanned["findings"]) {
    const std::string uid = f["uid"];
    std::string status = f["status"];
    status = status.substr(std::string("STATUS_").size());
    std::string severity = f["severity"];
    severity = severity.substr(std::string("SEVERITY_").size());
    for (char& c : severity) c = static_cast<char>(std::tolower(c));
    uids_by_status[status].insert(uid);
    uids_by_state[f["baseline_state"].get<std::string>()].insert(uid);
    ++severity_status[severity + "|" + status];
    if (status == "FAIL") ++fails_by_principal[f["resource_id"].get<std::string>()];
    all.insert(uid);
    if (status == "FAIL" || status == "WARNING" || status == "ERROR") open.insert(uid);
  }
  const int total = static_cast<int>(all.size());

  // Counts: "N of M" and the tables agree, SUPPRESSED included.
  EXPECT_EQ(p["total"], total);
  EXPECT_EQ(p["counts"]["by-status:findings:total"], total);
  EXPECT_EQ(p["counts"]["by-status:findings:SUPPRESSED"], 1);
  EXPECT_EQ(p["counts"]["by-status:findings:FAIL"], summary["fail"]);
  EXPECT_EQ(p["counts"]["by-account:111122223333:total"], total);
  int severity_total = 0;
  for (const char* s : {"critical", "high", "medium", "low", "informational"}) {
    severity_total += p["counts"]["by-severity:" + std::string(s) + ":total"].get<int>();
  }
  EXPECT_EQ(severity_total, total);
  // The default filter: FAIL, WARNING and ERROR only; SUPPRESSED and PASS hidden.
  EXPECT_EQ(Set(p["defaultUids"]), open);
  EXPECT_EQ(p["shownText"],
            std::to_string(open.size()) + " of " + std::to_string(total) + " findings shown");
  EXPECT_THAT(p["statusOptions"].get<std::vector<std::string>>(),
              ::testing::ElementsAre("FAIL WARNING ERROR", "all", "FAIL", "WARNING", "ERROR",
                                     "SUPPRESSED", "PASS"));
  for (const char* status : {"FAIL", "SUPPRESSED", "PASS"}) {
    EXPECT_EQ(Set(p["byStatus"][status]["uids"]), uids_by_status[status]) << status;
  }
  EXPECT_EQ(p["byStatus"]["all"]["shown"], total);
  // The baseline select: each state shows exactly the findings the JSON marks so.
  ASSERT_TRUE(p.contains("byBaseline"));
  for (const char* state : {"NEW", "UNCHANGED", "UPDATED", "RESOLVED"}) {
    EXPECT_EQ(Set(p["byBaseline"][state]["uids"]), uids_by_state[state]) << state;
  }
  EXPECT_GT(uids_by_state["NEW"].size(), 0u);       // frank
  EXPECT_GT(uids_by_state["RESOLVED"].size(), 0u);  // bob, now suppressed
  // Text: frank's and the others' roles; a search that ends leaves every row.
  EXPECT_GT(p["textRole"].get<int>(), 0);
  EXPECT_EQ(p["allShown"], total);
  EXPECT_EQ(p["sortedRows"], total);
  EXPECT_EQ(p["sortedAscending"], true);

  // Charts: every bar as the scan counted it.
  for (const auto& [key, n] : severity_status) {
    const std::string severity = key.substr(0, key.find('|'));
    const std::string status = key.substr(key.find('|') + 1);
    EXPECT_EQ(p["charts"]["severity|" + severity + "|" + status], n) << key;
    EXPECT_EQ(p["charts"]["account|111122223333|" + status].is_null(), false) << status;
  }
  EXPECT_EQ(p["charts"]["severity|informational|FAIL"], 1);  // the re-rated broad-scope FAIL
  for (const auto& [principal, n] : fails_by_principal) {
    EXPECT_EQ(p["charts"]["principals|" + principal + "|FAIL"], n) << principal;
  }
  // New versus resolved: by severity, summing to the comparison's counts.
  int new_findings = 0, resolved = 0;
  for (const char* s : {"critical", "high", "medium", "low", "informational"}) {
    new_findings += p["charts"]["baseline|" + std::string(s) + "|new"].get<int>();
    resolved += p["charts"]["baseline|" + std::string(s) + "|resolved"].get<int>();
  }
  EXPECT_EQ(new_findings, summary["baseline"]["new"]);
  EXPECT_EQ(resolved, summary["baseline"]["resolved"]);

  // Exposure graphs: the principal and who holds the grant, as the finding says.
  int graphs = 0;
  for (const Json& f : scanned["findings"]) {
    if (f["exposed_to"].empty()) continue;
    const Json& graph = p["graphs"][f["uid"].get<std::string>()];
    ASSERT_TRUE(graph.is_object()) << f["resource_id"];
    std::vector<std::string> expected;
    for (const Json& who : f["exposed_to"]) {
      if (expected.size() < 8) expected.push_back(who);
    }
    EXPECT_EQ(graph["holders"].get<std::vector<std::string>>(), expected) << f["resource_id"];
    EXPECT_GT(graph["shownWidth"].get<double>(), 0) << "graph not drawn";
    ++graphs;
  }
  EXPECT_GE(graphs, 6);
  bool group_graph = false;
  for (const auto& [uid, graph] : p["graphs"].items()) {
    if (graph["principal"] == "group/Developers") {
      group_graph = true;
      EXPECT_THAT(graph["holders"].get<std::vector<std::string>>(),
                  ::testing::ElementsAre("user/alice", "user/bob"));
    }
  }
  EXPECT_TRUE(group_graph);

  // Details open as markup: a FAIL row's evidence and remediation.
  EXPECT_EQ(p["openedDetails"]["noscriptLeft"], 0);
  EXPECT_GE(p["openedDetails"]["evidence"].get<int>(), 3);
  EXPECT_THAT(p["openedDetails"]["text"].get<std::string>(), HasSubstr("Finding uid "));
  EXPECT_THAT(p["openedDetails"]["text"].get<std::string>(), HasSubstr("Remediation"));
  // The suppressed row explains itself, escaped, where it is seen.
  EXPECT_THAT(probed.dom, HasSubstr("<span class=\"reason\">Break-glass user &lt;reviewed&gt;"
                                    "</span>"));
  EXPECT_THAT(probed.dom, HasSubstr("<ul id=\"context-overrides\"><li>" + overrides +
                                    "/accept.yaml</li></ul>"));
  // Layout at 1366 px: badges whole (informational among them), the placeholder fits, no
  // sideways scrolling.
  EXPECT_GT(p["badges"].get<int>(), 2 * total - 1);
  EXPECT_THAT(p["badgesWrapped"], ::testing::IsEmpty());
  EXPECT_EQ(p["badgesNotLaidOut"], 0);
  EXPECT_LE(p["placeholderWidth"].get<int>(), p["inputWidth"].get<int>());
  EXPECT_LE(p["pageWidth"].get<int>(), 1366);
  Screenshot(chromium, page, "html-report-example-baseline", dir);
}

// Findings of three clouds in one report: the AWS example, the Google Cloud Asset Inventory
// exports and the Azure vault of ../shared/samples/multicloud/. The cloud filter keeps exactly the
// findings the JSON of the same scan gives that provider, each row names its cloud, the counts
// by cloud add up, and sorting by the Cloud column groups the rows.
TEST(HtmlReportChromiumTest, CloudFilterAndCountsGroupTheFindingsByCloud) {
  const std::string chromium = Chromium();
  SKIP_WITHOUT_CHROMIUM(chromium);
  KMSGUARD_SKIP_WITHOUT_SHARED_SAMPLES();
  testing::TempDir dir;
  const std::string samples = std::string(KMSGUARD_SHARED_DIR) + "/samples/multicloud/";
  const std::vector<std::string> scan = {KMSGUARD_BINARY,
                                         "scan",
                                         kExample,
                                         samples + "gcp-cai-iam-policies.forseti.ndjson",
                                         samples + "gcp-cai-resources.forseti.ndjson",
                                         samples + "azure-keyvault-get.access-policy.demisto.json"};
  const auto [json, html] = ScanAsJsonAndHtml(scan);
  ASSERT_EQ(json.exit_code, 1) << json.err;
  ASSERT_EQ(html.exit_code, 1) << html.err;
  std::map<std::string, std::multiset<std::string>> uids_by_cloud;
  const Json scanned = Json::parse(json.out);
  for (const Json& f : scanned["findings"]) {
    uids_by_cloud[f["provider"].get<std::string>()].insert(f["uid"].get<std::string>());
  }
  // The three clouds, each with findings (the samples' expected FAILs are among them).
  ASSERT_EQ(uids_by_cloud.size(), 3u);

  const std::string page = dir.Write("clouds.html", html.out);
  const Probed probed = Probe(chromium, page, dir, /*drop_table=*/false);
  Json p = probed.probe;
  EXPECT_THAT(p["cloudOptions"].get<std::vector<std::string>>(),
              ::testing::ElementsAre("all", "aws", "azure", "gcp"));
  const std::map<std::string, std::string> names = {
      {"aws", "AWS"}, {"azure", "Azure"}, {"gcp", "Google Cloud"}};
  int total = 0;
  for (const auto& [cloud, uids] : uids_by_cloud) {
    EXPECT_EQ(Set(p["byCloud"][cloud]["uids"]), uids) << cloud;
    for (const Json& cell : p["byCloud"][cloud]["cells"]) {
      EXPECT_EQ(cell.get<std::string>(), names.at(cloud)) << cloud;
    }
    EXPECT_EQ(p["counts"]["by-cloud:" + cloud + ":total"], static_cast<int>(uids.size())) << cloud;
    total += static_cast<int>(uids.size());
  }
  EXPECT_EQ(p["byCloud"]["all"]["shown"], total);
  EXPECT_EQ(p["total"], total);
  // Sorted by the Cloud column, each cloud's rows are one run.
  EXPECT_EQ(p["cloudSorted"], true);
  Screenshot(chromium, page, "html-report-clouds", dir);
}

// A 10 MB generated export (`gen_snapshot --seed 1 --bytes 10485760`, generated here with the
// same generator): thousands of findings. The page must hold them all and filter them; how long
// Chromium takes is measured and printed, not asserted (the machine decides it).
TEST(HtmlReportChromiumTest, TenMegabyteExportLoadsAndFilters) {
#if defined(__SANITIZE_ADDRESS__)
  // What this adds to the smaller reports above is the page's scale in the browser. Under the
  // sanitizers its two scans of 10 MB took 150 s of CI's longest step; the sanitized suite scans
  // multi-megabyte exports elsewhere (ScanStopTest) and renders HTML in the tests above.
  GTEST_SKIP() << "the browser's side of a 10 MB report is checked in the unsanitized build";
#endif
  const std::string chromium = Chromium();
  SKIP_WITHOUT_CHROMIUM(chromium);
  testing::TempDir dir;
  const std::string export_path = dir.File("export-10mb.json");
  {
    bench::GeneratorOptions options;
    options.seed = 1;
    options.target_bytes = 10485760;
    std::ofstream out(export_path, std::ios::binary);
    bench::GenerateAuthorizationDetails(options, out);
  }
  const std::string page = dir.File("report.html");
  // A hang guard, not a timing: the sanitized Debug build scans this export to HTML in about 37 s
  // on a quiet 2-core machine, and took over the default 60 s beside another test in CI (stop 28).
  const std::chrono::seconds scan_timeout(600);
  const ProcessResult html = testing::Shell(
      std::string(KMSGUARD_BINARY) + " scan '" + export_path + "' --format html > '" + page + "'",
      scan_timeout);
  ASSERT_EQ(html.exit_code, 1) << html.err;
  const ProcessResult json = testing::Shell(
      std::string(KMSGUARD_BINARY) + " scan '" + export_path + "' --format json", scan_timeout);
  ASSERT_EQ(json.exit_code, 1) << json.err;
  const Json summary = Json::parse(json.out)["summary"];
  const int total = summary["fail"].get<int>() + summary["pass"].get<int>() +
                    summary["warning"].get<int>() + summary["error"].get<int>() +
                    summary["suppressed"].get<int>();
  ASSERT_GT(total, 5000);

  const Probed probed = Probe(chromium, page, dir, /*drop_table=*/true);
  Json p = probed.probe;  // a copy: operator[] on an absent key gives null
  EXPECT_EQ(p["total"], total);
  EXPECT_EQ(p["counts"]["by-status:findings:total"], total);
  EXPECT_EQ(p["defaultShown"], summary["fail"].get<int>() + summary["warning"].get<int>() +
                                   summary["error"].get<int>());
  EXPECT_EQ(p["byStatus"]["PASS"]["shown"], summary["pass"]);
  EXPECT_EQ(p["allShown"], total);
  int severity_fail = 0;
  for (const char* s : {"critical", "high", "medium", "low", "informational"}) {
    const Json& n = p["charts"]["severity|" + std::string(s) + "|FAIL"];
    if (!n.is_null()) severity_fail += n.get<int>();
  }
  EXPECT_EQ(severity_fail, summary["fail"]);
  EXPECT_THAT(p["badgesWrapped"], ::testing::IsEmpty());
  EXPECT_EQ(p["sortedRows"], total);
  EXPECT_EQ(p["sortedAscending"], true);

  const std::uintmax_t bytes = std::filesystem::file_size(page);
  std::ostringstream timings;
  timings << "10 MB export: " << total << " findings, report " << bytes / (1 << 20)
          << " MiB; Chromium: DOMContentLoaded " << p["domContentLoadedMs"] << " ms, load "
          << p["loadMs"] << " ms, first contentful paint " << p["firstContentfulPaintMs"]
          << " ms; status filter " << p["statusFilterMs"] << " ms, sort by principal " << p["sortMs"]
          << " ms, first text filter "
          << p["firstTextFilterMs"] << " ms, next " << p["secondTextFilterMs"]
          << " ms; whole --dump-dom run " << probed.seconds << " s";
  std::cout << "[  timing  ] " << timings.str() << "\n";
  RecordProperty("timings", timings.str());
  Screenshot(chromium, page, "html-report-10mb", dir);
}

}  // namespace
}  // namespace kmsguard
