// One finding of the HTML report: its row, its exposure graph and its collapsed details. Every
// piece of text from the finding goes through HtmlEscape.
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/model/resource.h"
#include "sdk/render/html_internal.h"
#include "sdk/render/render_support.h"

namespace kmsguard::render::internal {

namespace {

std::string Section(const char* title, const std::string& text) {
  if (text.empty()) return "";
  return absl::StrCat("<h4>", title, "</h4><pre>", HtmlEscape(text), "</pre>\n");
}

// "role" for AWS::IAM::Role: the last part of the type, lowercase.
std::string Kind(const model::Finding& f) {
  const std::size_t colons = f.resource_type.rfind("::");
  return absl::AsciiStrToLower(colons == std::string::npos ? f.resource_type
                                                           : f.resource_type.substr(colons + 2));
}

// The "Policy or item" cell: the policies the evidence names (IAM rules); else the item a
// `for_each` rule judged (its sub-key); else the resource was judged as a whole (generic rules),
// which the cell says rather than staying empty. Returns {html, sort key}.
std::pair<std::string, std::string> PolicyCell(const model::Finding& f) {
  const std::string policies = absl::StrJoin(PolicyNames(f), ", ");
  if (!policies.empty()) return {HtmlEscape(policies), policies};
  if (!f.sub_key.empty()) return {HtmlEscape(f.sub_key), f.sub_key};
  const std::string whole = absl::StrCat("(whole ", Kind(f), ")");
  return {absl::StrCat("<span class=\"muted\">", HtmlEscape(whole), "</span>"), whole};
}

// A SUPPRESSED finding's exception, in the row where it is seen: the verdict it accepts, why,
// who owns the decision and until when.
std::string SuppressionHtml(const model::Finding& f) {
  if (f.status != model::Status::kSuppressed) return "";
  const model::Suppression& s = f.suppression;
  const std::string was(model::StatusName(s.status));
  std::string out =
      absl::StrCat("<div class=\"suppression\" data-suppressed=\"", was,
                   "\">Accepted <span class=\"badge status-", was, "\">", was,
                   "</span>: <span class=\"reason\">",
                   HtmlEscape(s.reason.empty() ? "(no reason given)" : s.reason), "</span>");
  if (!s.owner.empty()) {
    absl::StrAppend(&out, " &middot; owner <span class=\"owner\">", HtmlEscape(s.owner), "</span>");
  }
  if (!s.expires.empty()) {
    absl::StrAppend(&out, " &middot; expires <time class=\"expires\">", HtmlEscape(s.expires),
                    "</time>");
  }
  return out + "</div>";
}

// What the arrow from the principal to its holders says, by the principal's kind.
std::string Relation(const model::Finding& f) {
  if (f.resource_type == model::kIamGroup) return "member users";
  if (f.resource_type == model::kIamRole) return "assumable by";
  if (f.resource_type == model::kIamUser) return "held by";
  if (f.resource_type == model::kIamManagedPolicy) return "attached to";
  return "held by";
}

// A holder outside the principal's account (another account, anyone) and one behind a condition
// are drawn apart: they are what a reader looks for first.
std::string HolderClass(std::string_view holder) {
  std::string out = "node holder";
  if (holder.starts_with("other-account") || holder.starts_with("anyone")) {
    out += " outside";
  }
  if (holder.find("[conditional:") != std::string_view::npos) out += " conditional";
  return out;
}

}  // namespace

std::string ExposureGraphHtml(const model::Finding& f) {
  if (f.exposed_to.empty() && f.exposure.empty()) return "";
  const std::string principal = PrincipalLabel(f);
  std::string out = absl::StrCat(
      "<div class=\"exposure-graph\" role=\"figure\" aria-label=\"Who holds the grant\" "
      "data-holders=\"",
      f.exposed_to.size(), "\"><span class=\"node principal\" data-node=\"principal\">",
      HtmlEscape(principal), "</span><span class=\"edge\">",
      // Without named holders the summary node says the relation itself ("attached to 2 IAM
      // identities").
      f.exposed_to.empty() ? "" : absl::StrCat(Relation(f), " "),
      "<span aria-hidden=\"true\">&rarr;</span></span><ul class=\"holders\">");
  if (f.exposed_to.empty()) {
    // No one named: the summary says why (a group without members, a managed policy's count of
    // identities, a role whose trust policy is unreadable).
    absl::StrAppend(&out, "<li class=\"node unknown\" data-node=\"summary\">",
                    HtmlEscape(f.exposure), "</li>");
  }
  for (std::size_t i = 0; i < f.exposed_to.size() && i < kGraphHolders; ++i) {
    absl::StrAppend(&out, "<li class=\"", HolderClass(f.exposed_to[i]), "\" data-node=\"holder\">",
                    HtmlEscape(f.exposed_to[i]), "</li>");
  }
  if (f.exposed_to.size() > kGraphHolders) {
    absl::StrAppend(&out, "<li class=\"node more\" data-node=\"more\">+",
                    f.exposed_to.size() - kGraphHolders, " more (listed in the details)</li>");
  }
  return out + "</ul></div>\n";
}

std::string FindingHtml(const model::Finding& f, std::int64_t order,
                        std::string_view baseline_state) {
  const std::string principal = PrincipalLabel(f);
  const auto [policy_html, policy_key] = PolicyCell(f);
  const std::string status(model::StatusName(f.status));
  const std::string severity(model::SeverityName(f.severity));
  const std::string uid = FindingUid(f);
  std::string out = absl::StrCat(
      "<tbody class=\"finding\" data-order=\"", order, "\" data-status=\"", status,
      "\" data-status-rank=\"", StatusRank(f.status), "\" data-severity=\"", severity,
      "\" data-severity-rank=\"", static_cast<int>(f.severity), "\" data-rule=\"",
      HtmlEscape(f.rule_id), "\" data-principal=\"", HtmlEscape(principal), "\" data-cloud=\"",
      HtmlEscape(CloudKey(f.provider)), "\" data-account=\"", HtmlEscape(f.account),
      "\" data-policies=\"", HtmlEscape(policy_key), "\" data-uid=\"", uid, "\"",
      baseline_state.empty() ? ""
                             : absl::StrCat(" data-baseline=\"", std::string(baseline_state), "\""),
      ">\n");
  const std::string baseline_badge =
      baseline_state.empty()
          ? ""
          : absl::StrCat(" <span class=\"badge baseline-", std::string(baseline_state), "\">",
                         absl::AsciiStrToLower(std::string(baseline_state)), "</span>");
  // The rule's own severity beside the effective one when an override or a raise changed it.
  const std::string rule_severity =
      f.RuleSeverity() == f.severity
          ? ""
          : absl::StrCat(" <span class=\"tag rule-severity\">(rule: ",
                         std::string(model::SeverityName(f.RuleSeverity())), ")</span>");
  absl::StrAppend(
      &out, "<tr class=\"row\"><td><span class=\"badge severity-", severity, "\">", severity,
      "</span>", rule_severity, "</td><td><span class=\"badge status-", status, "\">", status,
      "</span>", f.conditional ? " <span class=\"tag\">conditional</span>" : "", baseline_badge,
      "</td><td>", HtmlEscape(f.rule_id), "</td><td>", HtmlEscape(principal), "</td><td>",
      HtmlEscape(CloudName(f.provider)), "</td><td>", HtmlEscape(f.account), "</td><td>",
      policy_html, "</td><td>", HtmlEscape(f.message), SuppressionHtml(f), "</td></tr>\n");

  std::string detail;
  absl::StrAppend(&detail, "<p>", HtmlEscape(f.title), "<br>Resource <code>",
                  HtmlEscape(f.resource_id), "</code> (", HtmlEscape(f.resource_type), ", ",
                  HtmlEscape(f.region), ")<br>Finding uid <code>", uid, "</code>");
  if (!f.rule_version.empty()) {
    absl::StrAppend(&detail, " &middot; rule version ", HtmlEscape(f.rule_version));
  }
  if (const std::string where = f.source.ToString(); !where.empty()) {
    absl::StrAppend(&detail, "<br>Source <code>", HtmlEscape(where), "</code>");
  }
  if (!f.compliance.empty()) {
    std::vector<std::string> refs;
    for (const model::ComplianceRef& ref : f.compliance) {
      const std::string url = ControlUrl(ref);
      const std::string text = HtmlEscape(absl::StrCat(ref.standard, " ", ref.control));
      refs.push_back(
          url.empty() ? text : absl::StrCat("<a href=\"", HtmlEscape(url), "\">", text, "</a>"));
    }
    absl::StrAppend(&detail, "<br>Compliance: ", absl::StrJoin(refs, "; "));
  }
  absl::StrAppend(&detail, "</p>\n");
  if (!f.severity_changes.empty()) {
    absl::StrAppend(&detail, "<h4>Severity</h4><p>", std::string(model::SeverityName(f.severity)),
                    "; the rule states ", std::string(model::SeverityName(f.RuleSeverity())),
                    "</p><ul class=\"severity-changes\">\n");
    for (const model::SeverityChange& change : f.severity_changes) {
      absl::StrAppend(&detail, "<li>", std::string(model::SeverityName(change.from)), " &rarr; ",
                      std::string(model::SeverityName(change.to)),
                      change.reason.empty() ? "" : ": ", HtmlEscape(change.reason), "</li>\n");
    }
    absl::StrAppend(&detail, "</ul>\n");
  }
  if (!f.evidence.empty()) {
    absl::StrAppend(&detail, "<h4>Evidence</h4><ul>\n");
    for (const model::Evidence& e : f.evidence) {
      absl::StrAppend(&detail, "<li>", HtmlEscape(EvidenceLine(e)), "</li>\n");
    }
    absl::StrAppend(&detail, "</ul>\n");
  }
  if (!f.exposure.empty() || !f.exposed_to.empty()) {
    absl::StrAppend(&detail, "<h4>Exposure</h4><p>", HtmlEscape(f.exposure), "</p>\n");
    if (!f.exposed_to.empty()) {
      absl::StrAppend(&detail, "<ul>\n");
      for (const std::string& who : f.exposed_to) {
        absl::StrAppend(&detail, "<li>", HtmlEscape(who), "</li>\n");
      }
      absl::StrAppend(&detail, "</ul>\n");
    }
  }
  if (!f.explanation.empty()) {
    absl::StrAppend(&detail, "<h4>Why</h4><ul>\n");
    for (const std::string& line : f.explanation) {
      absl::StrAppend(&detail, "<li>", HtmlEscape(line), "</li>\n");
    }
    absl::StrAppend(&detail, "</ul>\n");
  }
  if (!f.remediation.summary.empty()) {
    absl::StrAppend(&detail, "<h4>Remediation</h4><p>", HtmlEscape(f.remediation.summary),
                    "</p>\n");
  }
  absl::StrAppend(&detail, Section("Console", f.remediation.console),
                  Section(internal::CliTitle(f), f.remediation.cli),
                  Section("Terraform", f.remediation.terraform));
  // The details inside <noscript>: with scripts off the browser reads them as markup, as any
  // other; with scripts on it keeps them as text, which loads several times faster than the
  // elements they make (most of a large report's bytes are here), and the page's script makes
  // them markup when they are first opened.
  absl::StrAppend(&out, "<tr class=\"detail\"><td colspan=\"8\">", ExposureGraphHtml(f),
                  "<details><summary>Evidence and remediation</summary><noscript>\n", detail,
                  "</noscript></details></td></tr>\n</tbody>\n");
  return out;
}

}  // namespace kmsguard::render::internal
