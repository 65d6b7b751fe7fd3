// The HTML report as a dashboard (issue 18), read as text: scan context, SUPPRESSED in counts,
// filter and rows, the Policy or item column for generic rules, the exposure graph, the charts'
// values (spilled findings included), and the layout rules the trial asked for. The rendered
// page is checked in headless Chromium by tests/plugin/html_report_chromium_test.cc.
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/model/resource.h"
#include "tests/sdk/render/render_test_support.h"

namespace kmsguard::render {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

model::Finding Role(const std::string& name, model::Status status = model::Status::kFail,
                    model::Severity severity = model::Severity::kMedium) {
  model::Finding f;
  f.rule_id = "aws-iam-inline-kms-decrypt-all-keys";
  f.rule_version = "1.0.0";
  f.title = "IAM principals should not allow decryption on all keys";
  f.severity = severity;
  f.status = status;
  f.resource_id = "arn:aws:iam::111122223333:role/" + name;
  f.resource_type = model::kIamRole;
  f.resource_name = name;
  f.partition = "aws";
  f.account = "111122223333";
  f.message = "role " + name + " allows kms:Decrypt on all KMS keys.";
  model::Evidence e;
  e.policy_name = "kms-all";
  e.statement_index = 0;
  e.effect = "Allow";
  e.actions = {"kms:Decrypt"};
  f.evidence = {e};
  return f;
}

model::ScanSummary SummaryOf(const std::vector<model::Finding>& findings) {
  model::ScanSummary s;
  for (const model::Finding& f : findings) {
    s.rule_ids.insert(f.rule_id);
    s.resource_types.insert(f.resource_type);
    s.accounts.insert(f.account);
  }
  s.resources_received = s.resources_evaluated = static_cast<std::int64_t>(findings.size());
  return s;
}

// The text between the first `from` at or after `at` and the next `to`.
std::string Between(const std::string& text, const std::string& from, const std::string& to,
                    std::size_t at = 0) {
  const std::size_t start = text.find(from, at);
  if (start == std::string::npos) return "";
  const std::size_t end = text.find(to, start + from.size());
  return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// The <tbody> of the finding whose principal is `principal`.
std::string BodyOf(const std::string& html, const std::string& principal) {
  const std::size_t at = html.find("data-principal=\"" + principal + "\"");
  if (at == std::string::npos) return "";
  return Between(html, "", "</tbody>", html.rfind("<tbody", at));
}

TEST(HtmlDashboardTest, SuppressedIsCountedOfferedHiddenByDefaultAndExplainedInTheRow) {
  model::Finding accepted = Role("accepted");
  accepted.status = model::Status::kSuppressed;
  accepted.suppression = {model::Status::kWarning, "Vendor <b>audit</b> role", "sec@example.com",
                          "2099-12-31"};
  const std::vector<model::Finding> findings = {Role("a"), accepted,
                                                Role("ok", model::Status::kPass)};
  const std::string html = RenderHtml(findings, SummaryOf(findings), test::FixedOptions());
  // Counted: the totals are every finding listed, as "N of M findings shown" counts them.
  EXPECT_THAT(html, HasSubstr("data-count=\"by-status:findings:SUPPRESSED\">1<"));
  EXPECT_THAT(html, HasSubstr("data-count=\"by-status:findings:total\">3<"));
  EXPECT_THAT(html, HasSubstr("data-count=\"by-severity:medium:SUPPRESSED\">1<"));
  EXPECT_THAT(html, HasSubstr("data-count=\"by-account:111122223333:SUPPRESSED\">1<"));
  EXPECT_THAT(
      html, HasSubstr("data-count=\"by-rule:aws-iam-inline-kms-decrypt-all-keys:SUPPRESSED\">1<"));
  EXPECT_THAT(html, HasSubstr("<span id=\"shown\" data-shown=\"3\">3 findings</span>"));
  // Offered by the Status filter; the default keeps what needs action only.
  const std::string status = Between(html, "<select id=\"status-filter\"", "</select>");
  EXPECT_THAT(status, HasSubstr("<option value=\"SUPPRESSED\">SUPPRESSED</option>"));
  EXPECT_THAT(status, HasSubstr("<option value=\"FAIL WARNING ERROR\" selected>"));
  // A real badge, and the exception in the row itself, not in the collapsed details.
  const std::string body = BodyOf(html, "role/accepted");
  const std::string row = Between(body, "<tr class=\"row\">", "</tr>");
  EXPECT_THAT(row, HasSubstr("<span class=\"badge status-SUPPRESSED\">SUPPRESSED</span>"));
  EXPECT_THAT(row, HasSubstr("<div class=\"suppression\" data-suppressed=\"WARNING\">Accepted "
                             "<span class=\"badge status-WARNING\">WARNING</span>: "
                             "<span class=\"reason\">Vendor &lt;b&gt;audit&lt;/b&gt; role</span>"));
  EXPECT_THAT(row, HasSubstr("owner <span class=\"owner\">sec@example.com</span>"));
  EXPECT_THAT(row, HasSubstr("expires <time class=\"expires\">2099-12-31</time>"));
  EXPECT_THAT(html, Not(HasSubstr("<b>audit")));
  // Other rows carry no suppression.
  EXPECT_THAT(BodyOf(html, "role/a"), Not(HasSubstr("class=\"suppression\"")));
}

TEST(HtmlDashboardTest, PolicyColumnSaysWhatAGenericRuleJudged) {
  model::Finding item = Role("per-item");
  item.rule_id = "example-generic-for-each";
  item.evidence.clear();
  item.sub_key = "inline <policy>";
  model::Finding whole = Role("trusts-anyone");
  whole.rule_id = "example-iam-role-trust-anyone";
  whole.evidence.clear();
  const std::vector<model::Finding> findings = {Role("iam"), item, whole};
  const std::string html = RenderHtml(findings, SummaryOf(findings), test::FixedOptions());
  EXPECT_THAT(html, HasSubstr("<th data-key=\"policies\">Policy or item</th>"));
  // IAM rules: the policies of the evidence.
  EXPECT_THAT(Between(BodyOf(html, "role/iam"), "<tr class=\"row\">", "</tr>"),
              HasSubstr("<td>kms-all</td>"));
  // A for_each rule: the item it judged; a rule on the whole resource: says so.
  EXPECT_THAT(Between(BodyOf(html, "role/per-item"), "<tr class=\"row\">", "</tr>"),
              HasSubstr("<td>inline &lt;policy&gt;</td>"));
  EXPECT_THAT(BodyOf(html, "role/per-item"), HasSubstr("data-policies=\"inline &lt;policy&gt;\""));
  EXPECT_THAT(Between(BodyOf(html, "role/trusts-anyone"), "<tr class=\"row\">", "</tr>"),
              HasSubstr("<td><span class=\"muted\">(whole role)</span></td>"));
}

TEST(HtmlDashboardTest, ExposureGraphDrawsThePrincipalAndItsHoldersEscapedAndCapped) {
  model::Finding group = Role("g");
  group.resource_type = model::kIamGroup;
  group.resource_id = "arn:aws:iam::111122223333:group/devs";
  group.resource_name = "devs";
  for (int i = 0; i < 10; ++i) group.exposed_to.push_back(absl::StrCat("user/u", i));
  group.exposed_to[0] = "user/<img src=x>";
  group.exposure = "inherited by 10 member users";
  model::Finding role = Role("partner");
  role.exposed_to = {
      "other-account 444455556666 (arn:aws:iam::444455556666:root) "
      "[conditional: StringEquals:sts:ExternalId]",
      "service ec2.amazonaws.com"};
  role.exposure = "assumable by ...";
  model::Finding policy = Role("p");
  policy.resource_type = model::kIamManagedPolicy;
  policy.resource_name = "KmsAll";
  policy.exposure = "attached to 2 IAM identities";
  const std::vector<model::Finding> findings = {group, role, policy,
                                                Role("none", model::Status::kPass)};
  const std::string html = RenderHtml(findings, SummaryOf(findings), test::FixedOptions());

  const std::string devs =
      Between(BodyOf(html, "group/devs"), "<div class=\"exposure-graph\"", "</div>");
  EXPECT_THAT(devs, HasSubstr("data-holders=\"10\""));
  EXPECT_THAT(devs, HasSubstr("<span class=\"node principal\" data-node=\"principal\">group/devs"
                              "</span><span class=\"edge\">member users "));
  EXPECT_THAT(devs, HasSubstr(">user/&lt;img src=x&gt;</li>"));
  EXPECT_THAT(devs, HasSubstr(">user/u7</li>"));
  EXPECT_THAT(devs, Not(HasSubstr(">user/u8</li>")));  // 8 drawn, the rest counted
  EXPECT_THAT(devs, HasSubstr("<li class=\"node more\" data-node=\"more\">+2 more"));
  EXPECT_THAT(html, Not(HasSubstr("<img")));

  const std::string partner =
      Between(BodyOf(html, "role/partner"), "<div class=\"exposure-graph\"", "</div>");
  EXPECT_THAT(partner, HasSubstr("<span class=\"edge\">assumable by "));
  EXPECT_THAT(partner, HasSubstr("<li class=\"node holder outside conditional\" "
                                 "data-node=\"holder\">other-account 444455556666"));
  EXPECT_THAT(partner, HasSubstr("<li class=\"node holder\" data-node=\"holder\">service "
                                 "ec2.amazonaws.com</li>"));

  // No holder named: the summary is the node.
  EXPECT_THAT(BodyOf(html, "policy/KmsAll"),
              HasSubstr("<li class=\"node unknown\" data-node=\"summary\">attached to 2 IAM "
                        "identities</li>"));
  EXPECT_THAT(BodyOf(html, "role/none"), Not(HasSubstr("exposure-graph")));
}

TEST(HtmlDashboardTest, ScanContextNamesInputsRulesAndOverridesEscaped) {
  RenderOptions options = test::FixedOptions();
  options.context.inputs = {"export-<1>.json", "-"};
  options.context.rules = {{"aws-iam-inline-kms-decrypt-all-keys", "1.0.0",
                            "rules/aws-iam-inline-kms-decrypt-all-keys.yaml", 0},
                           {"custom-rule", "2.1.0", "/etc/kmsguard/rules/custom.yaml", 3}};
  options.context.rules_version = "0123456789ab";
  options.context.override_files = {"/etc/kmsguard/rules/exceptions.yaml"};
  const std::vector<model::Finding> findings = {Role("a")};
  const std::string html = RenderHtml(findings, SummaryOf(findings), options);
  const std::string context = Between(html, "<section id=\"scan-context\">", "</section>");
  EXPECT_THAT(context, HasSubstr("<ul id=\"context-inputs\"><li>export-&lt;1&gt;.json</li>"
                                 "<li>-</li></ul>"));
  EXPECT_THAT(context, HasSubstr("<li>AWS: 111122223333</li>"));
  EXPECT_THAT(context, HasSubstr("rule set <code id=\"context-rules-version\">0123456789ab</code>, "
                                 "2 rules loaded"));
  EXPECT_THAT(context, HasSubstr("<tr data-rule=\"custom-rule\"><td class=\"text\">custom-rule</td>"
                                 "<td class=\"text\">2.1.0</td><td class=\"text\">"
                                 "/etc/kmsguard/rules/custom.yaml</td><td class=\"text\">3</td>"));
  EXPECT_THAT(context, HasSubstr("<ul id=\"context-overrides\"><li>"
                                 "/etc/kmsguard/rules/exceptions.yaml</li></ul>"));
  EXPECT_THAT(context, HasSubstr("by <span id=\"context-plugin\">kmsguard 0.1.0</span>"));
  // Without a context (a library caller), what the findings carry: rule ids and versions.
  const std::string plain = RenderHtml(findings, SummaryOf(findings), test::FixedOptions());
  EXPECT_THAT(plain, HasSubstr("1 rule with findings"));
  EXPECT_THAT(plain, HasSubstr("<td class=\"text\">aws-iam-inline-kms-decrypt-all-keys</td>"
                               "<td class=\"text\">1.0.0</td>"));
}

// 14 accounts, principals with 1..14 FAIL findings, PASS and SUPPRESSED ones, written through the
// writer with a budget of one byte (every finding spilled) and rendered whole: same page, and the
// charts count every finding.
TEST(HtmlDashboardTest, ChartsCountEveryFindingSpilledOrNot) {
  std::vector<model::Finding> findings;
  for (int p = 1; p <= 14; ++p) {
    for (int n = 0; n < p; ++n) {
      model::Finding f = Role(absl::StrCat("p", p), model::Status::kFail,
                              n % 2 == 0 ? model::Severity::kHigh : model::Severity::kLow);
      f.account = absl::StrCat(100000000000 + p);
      f.resource_id = absl::StrCat("arn:aws:iam::", f.account, ":role/p", p);
      f.sub_key = absl::StrCat("policy-", n);
      findings.push_back(f);
    }
    model::Finding pass = Role(absl::StrCat("p", p, "-ok"), model::Status::kPass);
    pass.account = absl::StrCat(100000000000 + p);
    findings.push_back(pass);
  }
  model::Finding accepted = Role("accepted");
  accepted.status = model::Status::kSuppressed;
  findings.push_back(accepted);
  const model::ScanSummary summary = SummaryOf(findings);

  RenderOptions options = test::FixedOptions();
  options.memory_budget_bytes = 1;
  std::ostringstream out;
  const std::unique_ptr<FindingWriter> writer = OpenHtmlWriter(out, options);
  for (const model::Finding& f : findings) writer->Write(f);
  ASSERT_TRUE(writer->Finish(summary).ok());
  const std::string html = out.str();
  EXPECT_EQ(html, RenderHtml(findings, summary, test::FixedOptions()));

  // 105 FAIL (1 + ... + 14): 56 high (ceil(p/2) each), 49 low; 14 PASS, 1 SUPPRESSED.
  EXPECT_THAT(html, HasSubstr("data-chart=\"severity\" data-key=\"high\" data-status=\"FAIL\" "
                              "data-value=\"56\""));
  EXPECT_THAT(html, HasSubstr("data-chart=\"severity\" data-key=\"low\" data-status=\"FAIL\" "
                              "data-value=\"49\""));
  EXPECT_THAT(html, HasSubstr("data-chart=\"severity\" data-key=\"medium\" data-status=\"PASS\" "
                              "data-value=\"14\""));
  EXPECT_THAT(html, HasSubstr("data-chart=\"severity\" data-key=\"medium\" "
                              "data-status=\"SUPPRESSED\" data-value=\"1\""));
  // Accounts: the 10 with the most open findings, then the other 5 (4 small ones and
  // 111122223333, which has only the suppressed finding) summed.
  EXPECT_THAT(html, HasSubstr("<g class=\"bar\" data-chart=\"account\" data-key=\"100000000014\" "
                              "data-total=\"15\" transform=\"translate(0,22)\">"));
  EXPECT_THAT(html, HasSubstr("<g class=\"bar\" data-chart=\"account\" data-key=\"100000000005\" "
                              "data-total=\"6\" transform=\"translate(0,202)\">"));
  // Others: p1..p4 (1+2+3+4 FAIL, 4 PASS) and the suppressed one.
  EXPECT_THAT(html, HasSubstr("data-chart=\"account\" data-key=\"(others)\" data-status=\"FAIL\" "
                              "data-value=\"10\""));
  EXPECT_THAT(html, HasSubstr("data-chart=\"account\" data-key=\"(others)\" data-status=\"PASS\" "
                              "data-value=\"4\""));
  EXPECT_THAT(html, HasSubstr("data-chart=\"account\" data-key=\"(others)\" "
                              "data-status=\"SUPPRESSED\" data-value=\"1\""));
  EXPECT_THAT(html, HasSubstr("5 other accounts"));
  // Principals: the 10 with the most FAIL findings, most first; p4 and below are left out.
  EXPECT_LT(html.find("data-chart=\"principals\" data-key=\"arn:aws:iam::100000000014:role/p14\""),
            html.find("data-chart=\"principals\" data-key=\"arn:aws:iam::100000000013:role/p13\""));
  EXPECT_THAT(html, HasSubstr("data-chart=\"principals\" data-key=\"arn:aws:iam::100000000005:"
                              "role/p5\" data-status=\"FAIL\" data-value=\"5\""));
  EXPECT_THAT(html, Not(HasSubstr("data-key=\"arn:aws:iam::100000000004:role/p4\"")));
  EXPECT_THAT(html, HasSubstr("The 10 of 14 principals with a FAIL finding that have the most."));
  // The longest bar spans the chart's bar width; the others are to scale.
  EXPECT_THAT(html, HasSubstr("data-chart=\"principals\" data-key=\"arn:aws:iam::100000000014:"
                              "role/p14\" data-status=\"FAIL\" data-value=\"14\""));
  EXPECT_THAT(Between(html, "data-key=\"arn:aws:iam::100000000007:role/p7\" data-total", "</g>"),
              HasSubstr("width=\"110.00\""));  // 7 of 14: half of 220
}

TEST(HtmlDashboardTest, LayoutKeepsBadgesWholeAndPrintsEveryRow) {
  const std::vector<model::Finding> findings = {
      Role("info", model::Status::kFail, model::Severity::kInformational)};
  const std::string html = RenderHtml(findings, SummaryOf(findings), test::FixedOptions());
  const std::string style = Between(html, "<style>", "</style>");
  // "informational" must not break inside the badge.
  EXPECT_THAT(Between(style, ".badge {", "}"), HasSubstr("white-space: nowrap"));
  // The filter is wide enough for its placeholder.
  EXPECT_THAT(style, HasSubstr("#filter { width: 22rem;"));
  EXPECT_THAT(html, HasSubstr("placeholder=\"principal, policy, rule or text\""));
  // Printed: no controls, rows the filter hid shown, none split across pages.
  const std::string print = Between(style, "@media print {", "\n}\n");
  EXPECT_THAT(print, HasSubstr(".controls, noscript { display: none; }"));
  EXPECT_THAT(print,
              HasSubstr("#findings-table tbody.finding[hidden] { display: block !important; }"));
  EXPECT_THAT(print, HasSubstr("tbody.finding, tr, figure.chart, .exposure-graph, table.counts { "
                               "break-inside: avoid; }"));
  // With scripts off nothing is hidden: no row carries the hidden attribute in the file.
  EXPECT_THAT(html, Not(HasSubstr(" hidden")));
}

}  // namespace
}  // namespace kmsguard::render
